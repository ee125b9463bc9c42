"""Reading CRM exports: the canonical sample's counts, typing, implied stages, windows, round trip."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from simsales.crm.export import Export
from simsales.crm.read import read_export
from simsales.crm.schema import STAGES, TABLES
from simsales.crm.write import write_export

CANONICAL = Path(__file__).parent / "data" / "crm" / "canonical"
TZ = "Europe/Moscow"


@pytest.fixture(scope="module")
def export() -> Export:
    return read_export(CANONICAL, tz=TZ)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    out = tmp_path / "export"
    shutil.copytree(CANONICAL, out)
    return out


def test_canonical_counts(export):
    # README of the sample: 10 leads, 24 observed stage entries + 23 implied, 20 calls, 4 people,
    # 3 payments, 6 shifts
    assert export.counts() == {"leads": 10, "stages": 47, "calls": 20, "staff": 4, "payments": 3, "shifts": 6}
    assert int(export.stages["implied"].sum()) == 23
    assert export.leads["status"].value_counts().to_dict() == {"won": 4, "lost": 3, "open": 3}
    assert int(export.calls["answered"].sum()) == 12
    assert (export.calls["kind"] == "message").sum() == 2
    assert export.tz == TZ and export.folder == CANONICAL


def test_dtypes_follow_the_contract(export):
    assert str(export.leads["created_at"].dtype) == f"datetime64[ns, {TZ}]"
    assert str(export.staff["hired_at"].dtype) == "datetime64[ns]"
    assert export.calls["answered"].dtype == bool
    assert str(export.leads["nontarget"].dtype) == "boolean"  # optional bool: nullable
    assert export.calls["duration_s"].dtype == "float64"
    assert export.leads["lead_id"].map(type).eq(str).all()
    for name, frame in export.tables().items():
        assert list(frame.columns[: len(TABLES[name].columns)]) == list(TABLES[name].names)
    assert export.shifts["end"].tolist()[-1] == "02:00"
    assert pd.isna(export.staff["left_at"].iloc[0]) and export.staff["left_at"].iloc[3] == pd.Timestamp(
        "2026-03-15"
    )


def _entries(export, lead):
    rows = export.stages[export.stages["lead_id"] == lead]
    return {
        s: (t.strftime("%m-%d %H:%M"), bool(i))
        for s, t, i in zip(rows["stage"], rows["entered_at"], rows["implied"], strict=True)
    }


def test_implied_stages_take_the_time_of_the_earliest_later_entry(export):
    # L02 skipped in_work (implied by contact at 12:10), qualified (by link_sent 12:40),
    # link_filled (by bank_approved)
    l02 = _entries(export, "L02")
    assert l02["in_work"] == ("03-02 12:10", True)
    assert l02["qualified"] == ("03-02 12:40", True)
    assert l02["link_filled"] == ("03-03 09:00", True)
    assert l02["contact"] == ("03-02 12:10", False)
    assert "invoice" not in l02
    # L07 only won, no payment: the payment route is unknown, so only the shared stages, not invoice
    assert set(_entries(export, "L07")) == {"assigned", "in_work", "contact", "qualified", "won"}
    # L08 only won, with an invoice payment: the invoice path
    assert set(_entries(export, "L08")) == {"assigned", "in_work", "contact", "qualified", "invoice", "won"}
    # L10 link_sent then lost: lost implies nothing, link_sent the shared stages
    assert set(_entries(export, "L10")) == {
        "assigned",
        "in_work",
        "contact",
        "qualified",
        "link_sent",
        "lost",
    }
    assert any("implied" in note for note in export.notes)


def test_stage_entries_are_ordered_and_never_before_what_implies_them(export):
    rank = {s: i for i, s in enumerate(STAGES)}
    for _, rows in export.stages.groupby("lead_id"):
        times = rows["entered_at"].tolist()
        assert times == sorted(times)
        observed = rows[~rows["implied"]]
        for _, row in rows[rows["implied"]].iterrows():
            later = observed[observed["stage"].map(rank) > rank[row["stage"]]]
            assert row["entered_at"] == later[later["stage"] != "lost"]["entered_at"].min()


def test_another_time_zone_gives_the_same_instants(export):
    utc = read_export(CANONICAL, tz="UTC")
    assert utc.tz == "UTC"
    assert (utc.leads["created_at"] == export.leads["created_at"]).all()
    assert utc.leads["created_at"].iloc[0].hour == 6  # 09:15+03:00


def test_naive_timestamps_are_read_in_the_export_tz_with_a_note(folder):
    leads = (folder / "leads.csv").read_text().replace("+03:00", "")
    (folder / "leads.csv").write_text(leads)
    export = read_export(folder, tz=TZ)
    assert export.leads["created_at"].iloc[0] == pd.Timestamp("2026-03-02T09:15:00+03:00")
    assert any("leads.csv: 10 timestamp(s) in created_at had no time zone" in n for n in export.notes)
    # without a tz the naive times are read as UTC: 3 hours after the stage entries (+03:00);
    # the hint says why
    from simsales.crm.errors import CrmError

    with pytest.raises(
        CrmError, match="3 hours exactly: are the timestamps of one file in another time zone"
    ):
        read_export(folder)
    staff_only = folder.parent / "naive"
    shutil.copytree(
        CANONICAL, staff_only
    )  # staff dates are naive anyway: no note about the time zone for them
    assert not any("UTC was assumed" in n for n in read_export(staff_only).notes)


def test_window_keeps_the_leads_created_in_it_and_their_rows():
    export = read_export(CANONICAL, tz=TZ, since="2026-03-04", until="2026-03-10")
    assert export.leads["lead_id"].tolist() == ["L04", "L05", "L06", "L07", "L08"]
    assert export.counts() == {"leads": 5, "stages": 18, "calls": 8, "staff": 4, "payments": 1, "shifts": 6}
    instant = read_export(CANONICAL, tz=TZ, until=pd.Timestamp("2026-03-02T10:00:00+03:00"))
    assert instant.leads["lead_id"].tolist() == ["L01"]


def test_mapping_renames_columns_maps_values_and_sets_the_tz(folder, tmp_path):
    leads = (folder / "leads.csv").read_text().replace("lead_id,", "Deal ID,", 1)
    (folder / "leads.csv").write_text(leads)
    stages = (folder / "stages.csv").read_text().replace("L01,won,", "L01,Оплачено,")
    (folder / "stages.csv").write_text(stages)
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(
        "tz: Asia/Yekaterinburg\ncolumns:\n  leads: {Deal ID: lead_id}\n"
        'values:\n  stage: {"Оплачено": won}\n',
        encoding="utf-8",
    )
    export = read_export(folder, mapping=mapping)
    assert export.tz == "Asia/Yekaterinburg"
    assert export.counts() == read_export(CANONICAL, tz=TZ).counts()
    assert _entries(export, "L01")["won"][1] is False


def test_optional_tables_and_columns_may_be_absent_extra_columns_are_noted(folder):
    (folder / "payments.csv").unlink()
    (folder / "shifts.csv").unlink()
    leads = pd.read_csv(folder / "leads.csv", dtype=str).drop(columns=["price", "nontarget"])
    leads["utm_campaign"] = "spring"
    leads.to_csv(folder / "leads.csv", index=False)
    export = read_export(folder, tz=TZ)
    assert export.payments is None and export.shifts is None
    assert export.leads["price"].isna().all() and str(export.leads["nontarget"].dtype) == "boolean"
    assert any("ignored: utm_campaign" in n for n in export.notes)
    # without payments, L08 (won only) no longer has the invoice path: only the shared stages are implied
    assert "invoice" not in _entries(export, "L08")


@pytest.mark.parametrize("suffix", ["xlsx", "parquet"])
def test_xlsx_and_parquet_read_like_csv(export, folder, suffix):
    for path in list(folder.glob("*.csv")):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        target = path.with_suffix(f".{suffix}")
        if suffix == "xlsx":
            frame.to_excel(target, index=False)
        else:
            frame.replace("", None).to_parquet(target, index=False)
        path.unlink()
    assert read_export(folder, tz=TZ).same_as(export)


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_round_trip_write_then_read_gives_the_same_export(export, tmp_path, fmt):
    written = write_export(export, tmp_path / "out", format=fmt)
    assert [p.name for p in written] == [f"{n}.{fmt}" for n in TABLES]
    assert not list((tmp_path / "out").glob(".*.tmp"))
    again = read_export(tmp_path / "out", tz=TZ)
    assert again.same_as(export)
    # the implied entries are not written: the folder holds what was observed
    assert len(pd.read_csv(tmp_path / "out" / "stages.csv")) == 24 if fmt == "csv" else True


def test_round_trip_keeps_fractions_of_a_second(export, tmp_path):
    calls = export.calls.copy()
    calls["started_at"] = calls["started_at"] + pd.Timedelta(microseconds=250)
    shifted = Export(export.leads, export.stages, calls, export.staff, export.payments, export.shifts, TZ)
    write_export(shifted, tmp_path / "out")
    assert read_export(tmp_path / "out", tz=TZ).calls["started_at"].equals(calls["started_at"])
