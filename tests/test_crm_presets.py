"""Presets end to end on sample files made from each product's API documentation (tests/data/crm/<preset>/).

The story in every sample (tests/data/crm/make_presets.py): six deals -- won by invoice (1), won by
installment (2), lost after a contact (3), open at qualified (4), open just created (5), lost early (6) --
with 11 calls, 5 of them answered, plus noise a real export holds.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from simsales.crm.errors import CrmError
from simsales.crm.mapping import load_mapping
from simsales.crm.presets import HERE, PRESETS
from simsales.crm.read import read_export
from simsales.crm.schema import TABLES

DATA = Path(__file__).parent / "data" / "crm"

# per deal (in story order), the stages it has after reading, observed and implied
SHARED = ["assigned", "in_work", "contact", "qualified"]
EXPECTED = {
    "amocrm": [
        [*SHARED, "invoice", "won"],
        [*SHARED, "link_sent", "link_filled", "bank_approved", "won"],
        ["assigned", "in_work", "contact", "lost"],
        SHARED,
        ["assigned"],
        ["assigned", "in_work", "lost"],
    ],
    "bitrix24": [
        [*SHARED, "invoice", "won"],
        [*SHARED, "link_sent", "link_filled", "bank_approved", "won"],
        ["assigned", "in_work", "contact", "lost"],
        SHARED,
        ["assigned"],
        ["assigned", "lost"],
    ],
    "hubspot": [
        [*SHARED, "invoice", "won"],
        [*SHARED, "link_sent", "link_filled", "bank_approved", "won"],
        ["assigned", "in_work", "contact", "lost"],
        SHARED,
        ["assigned", "in_work", "contact"],
        ["assigned", "in_work", "contact", "lost"],
    ],
}
EXPECTED["kommo"] = EXPECTED["amocrm"]
IDS = {"amocrm": "900{}", "kommo": "900{}", "bitrix24": "{}", "hubspot": "700{}"}


def _read(preset: str, folder: Path | None = None):
    folder = folder or DATA / preset
    mapping = folder / "mapping.yaml"
    return read_export(folder, preset=preset, mapping=mapping if mapping.exists() else None)


@pytest.mark.parametrize("preset", list(PRESETS))
def test_preset_reads_the_story(preset):
    export = _read(preset)
    expected = EXPECTED[preset]
    assert export.counts()["leads"] == 6
    assert export.counts()["calls"] == 11 and int(export.calls["answered"].sum()) == 5
    assert export.counts()["stages"] == sum(len(s) for s in expected)
    assert export.counts()["payments"] == 2 and export.counts()["staff"] == 3
    status = dict(zip(export.leads["lead_id"], export.leads["status"], strict=True))
    assert [status[IDS[preset].format(n)] for n in range(1, 7)] == [
        "won",
        "won",
        "lost",
        "open",
        "open",
        "lost",
    ]
    for n, stages in enumerate(expected, start=1):
        rows = export.stages[export.stages["lead_id"] == IDS[preset].format(n)]
        assert sorted(rows["stage"]) == sorted(stages), (preset, n)
    # every call's time is at or after its deal's creation, durations in seconds
    assert export.calls["duration_s"].max() == 900.0


@pytest.mark.parametrize("preset", list(PRESETS))
def test_preset_mapping_ships_and_is_valid(preset):
    mapping = load_mapping(HERE / f"{preset}.yaml")
    stage_values = set(mapping.values["stage"].values()) - {None}
    assert stage_values <= set(TABLES["stages"].column("stage").values)
    assert "answered" in mapping.values


def test_amocrm_times_are_unix_seconds_converted_to_the_mapping_tz():
    export = _read("amocrm")
    assert export.tz == "Europe/Moscow"
    first = export.leads.set_index("lead_id").loc["9001", "created_at"]
    assert first.isoformat() == "2026-03-02T09:00:00+03:00"


def test_hubspot_user_mapping_is_laid_over_the_preset():
    without = DATA / "hubspot"
    with pytest.raises(CrmError) as caught:
        read_export(without, preset="hubspot")  # the custom stage ids 1001/1002 are the user's mapping's
    assert "1001" in str(caught.value) and "mapping" in str(caught.value)


def test_a_status_the_preset_does_not_know_names_the_file_row_and_the_fix(tmp_path):
    folder = tmp_path / "amocrm"
    shutil.copytree(DATA / "amocrm", folder)
    statuses = (
        (folder / "statuses.csv").read_text(encoding="utf-8").replace("Квалифицирован", "Встреча назначена")
    )
    (folder / "statuses.csv").write_text(statuses, encoding="utf-8")
    with pytest.raises(CrmError) as caught:
        _read("amocrm", folder)
    error = caught.value
    assert error.file.startswith("events.csv") and error.row is not None
    assert "Встреча назначена" in str(error) and "values: stage:" in str(error)
