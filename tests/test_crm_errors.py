"""Bad CRM input: every case names the file, the row (data and spreadsheet row), the column and a hint."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from simsales.crm.errors import CrmError
from simsales.crm.read import read_export

CANONICAL = Path(__file__).parent / "data" / "crm" / "canonical"
TZ = "Europe/Moscow"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    out = tmp_path / "export"
    shutil.copytree(CANONICAL, out)
    return out


def edit(folder: Path, table: str, row: int, column: str, value: str) -> None:
    """Set one cell of ``table`` (``row`` counted from 1 under the header)."""
    frame = pd.read_csv(folder / f"{table}.csv", dtype=str, keep_default_na=False)
    frame.loc[row - 1, column] = value
    frame.to_csv(folder / f"{table}.csv", index=False)


def error_of(folder: Path, **kwargs) -> CrmError:
    with pytest.raises(CrmError) as caught:
        read_export(folder, tz=TZ, **kwargs)
    return caught.value


def check(error: CrmError, file: str, row: int | None, column: str, *hints: str) -> None:
    assert error.file == file
    assert error.row == row
    assert error.column == column
    text = str(error)
    where = f"{file}, row {row} (spreadsheet row {row + 1})" if row else file
    assert text.startswith(where + (f", column {column}: " if column else ": ")), text
    for hint in hints:
        assert hint in text, text


@pytest.mark.parametrize(
    ("table", "row", "column", "value", "hints"),
    [
        ("calls", 3, "duration_s", "abc", ["expected a number", "'abc'"]),
        (
            "leads",
            2,
            "created_at",
            "31/02/2026",
            ["expected a timestamp like 2026-07-01T09:30:00+03:00", "day and month first?"],
        ),
        ("calls", 4, "answered", "maybe", ["expected true or false", "'maybe'"]),
        ("stages", 5, "stage", "qualifed", ["one of assigned, in_work", "did you mean qualified?"]),
        ("stages", 2, "stage", "Оплачено", ["add it to the mapping file's values: stage:"]),
        ("leads", 7, "status", "wonn", ["did you mean won?"]),
        ("staff", 2, "role", "manger", ["did you mean manager?"]),
        ("calls", 6, "kind", "mesage", ["did you mean message?"]),
        ("payments", 2, "kind", "instalment", ["did you mean installment?"]),
        ("shifts", 3, "start", "25:00", ["a clock time such as 09:00"]),
        ("staff", 4, "hired_at", "2025-13-01", ["a date such as 2026-07-01"]),
        ("calls", 5, "duration_s", "-5", ["a number >= 0"]),
        ("leads", 3, "lead_id", "", ["expected an identifier, got an empty cell"]),
    ],
)
def test_a_bad_cell_names_file_row_column_and_hint(folder, table, row, column, value, hints):
    edit(folder, table, row, column, value)
    check(error_of(folder), f"{table}.csv", row, column, *hints)


def test_missing_table(folder):
    (folder / "staff.csv").rename(folder / "stuff.csv")
    error = error_of(folder)
    assert error.file == str(folder) and error.row is None
    assert "no staff table: expected staff.csv, staff.xlsx or staff.parquet; did you mean stuff?" in str(
        error
    )


def test_missing_column_suggests_the_misspelt_one(folder):
    text = (folder / "stages.csv").read_text().replace("lead_id,stage,", "lead_id,stgae,", 1)
    (folder / "stages.csv").write_text(text)
    check(
        error_of(folder),
        "stages.csv",
        None,
        "stage",
        "no column 'stage'",
        "did you mean stgae?",
        "columns: {stages: {YOUR NAME: stage}}",
    )


def test_duplicate_lead_id(folder):
    edit(folder, "leads", 6, "lead_id", "L02")
    check(error_of(folder), "leads.csv", 6, "lead_id", "'L02' appears twice (also at row 2)")


def test_call_before_its_lead_was_created(folder):
    edit(folder, "calls", 7, "started_at", "2026-03-01T10:10:00+03:00")
    check(
        error_of(folder), "calls.csv", 7, "started_at", "before its lead 'L03' was created", "leads.csv row 3"
    )


def test_stage_entry_before_its_lead_was_created_hints_at_a_time_zone(folder):
    edit(folder, "stages", 12, "entered_at", "2026-03-03T07:05:00+03:00")  # L03 created 10:05
    check(
        error_of(folder),
        "stages.csv",
        12,
        "entered_at",
        "before its lead 'L03' was created",
        "3 hours exactly: are the timestamps of one file in another time zone?",
    )


def test_a_call_a_few_minutes_early_is_kept_with_a_note(folder):
    edit(folder, "calls", 7, "started_at", "2026-03-03T10:00:00+03:00")  # L03 created 10:05
    export = read_export(folder, tz=TZ)
    assert len(export.calls) == 20
    assert any("1 call up to 10 minutes before their lead was created" in n for n in export.notes)


def test_a_manager_not_in_staff_is_a_note_all_unknown_is_an_error(folder):
    edit(folder, "calls", 2, "manager_id", "m9")
    export = read_export(folder, tz=TZ)
    assert any(
        "calls.csv: 1 row(s) name 1 manager(s) not in staff.csv ('m9'; first at row 2)" in n
        for n in export.notes
    )
    calls = pd.read_csv(folder / "calls.csv", dtype=str)
    calls["manager_id"] = "Ivanov"
    calls.to_csv(folder / "calls.csv", index=False)
    check(
        error_of(folder), "calls.csv", 1, "manager_id", "no call names a person of staff.csv", "different ids"
    )


def test_a_row_naming_an_unknown_lead_is_left_out_with_a_note(folder):
    edit(folder, "calls", 9, "lead_id", "L99")
    export = read_export(folder, tz=TZ)
    assert len(export.calls) == 19
    assert any(
        "calls.csv: 1 row(s) name a lead not in leads.csv (first: row 9, 'L99'); left out." in n
        for n in export.notes
    )


def test_left_before_hired(folder):
    edit(folder, "staff", 4, "left_at", "2025-05-01")
    check(error_of(folder), "staff.csv", 4, "left_at", "is before hired_at", "left before they were hired")


def test_refund_before_payment(folder):
    edit(folder, "payments", 1, "refunded_at", "2026-03-04T10:00:00+03:00")
    check(error_of(folder), "payments.csv", 1, "refunded_at", "refunded before it was paid")


@pytest.mark.parametrize(
    ("content", "hint"),
    [
        (b"PK\x03\x04\x00\x00binary\x00garbage", "not a CSV table: the file holds binary data"),
        (b"", "the file is empty"),
    ],
)
def test_a_file_that_is_not_a_table(folder, content, hint):
    (folder / "leads.csv").write_bytes(content)
    check(error_of(folder), "leads.csv", None, "", hint)


@pytest.mark.parametrize("suffix", ["xlsx", "parquet"])
def test_a_binary_file_that_is_not_its_format(folder, suffix):
    (folder / "shifts.csv").unlink()
    (folder / f"shifts.{suffix}").write_bytes(b"this is not a table at all\n" * 10)
    check(
        error_of(folder),
        f"shifts.{suffix}",
        None,
        "",
        f"not a{'n XLSX workbook' if suffix == 'xlsx' else ' Parquet table'}",
    )


def test_a_row_with_too_many_cells(folder):
    text = (folder / "calls.csv").read_text().splitlines()
    text[3] += ",extra"
    (folder / "calls.csv").write_text("\n".join(text) + "\n")
    check(error_of(folder), "calls.csv", 3, "", "expected 6 cells", "missing its quotes")


def test_two_files_for_one_table(folder):
    pd.read_csv(folder / "shifts.csv").to_parquet(folder / "shifts.parquet")
    error = error_of(folder)
    assert "two files for the table 'shifts': shifts.csv and shifts.parquet" in str(error)


def test_bad_mapping_and_tz_and_preset(folder, tmp_path):
    mapping = tmp_path / "m.yaml"
    mapping.write_text("tz: Europe/Moscow\ncolums:\n  leads: {a: lead_id}\n")
    error = error_of(folder, mapping=mapping)
    assert error.file == "m.yaml" and error.row == 2 and "did you mean columns?" in str(error)
    with pytest.raises(CrmError, match=r"unknown time zone 'Europe/Moskow'; did you mean Europe/Moscow\?"):
        read_export(folder, tz="Europe/Moskow")
    with pytest.raises(CrmError, match=r"unknown preset 'amocmr'; did you mean amocrm\?"):
        read_export(folder, preset="amocmr")
    text = (folder / "leads.csv").read_text().replace("lead_id,", "Deal No,", 1)
    (folder / "leads.csv").write_text(text)
    mapping.write_text("columns:\n  leads: {Deal ID: lead_id}\n")
    check(
        error_of(folder, mapping=mapping),
        "leads.csv",
        None,
        "Deal ID",
        "has no column 'Deal ID'",
        "did you mean Deal No?",
    )


def test_a_mapping_with_a_day_its_month_does_not_have_is_a_crm_error(folder, tmp_path):
    mapping = tmp_path / "m.yaml"
    mapping.write_text("tz: 2026-02-30\n")  # PyYAML raised ValueError on the impossible date
    error = error_of(folder, mapping=mapping)
    assert error.file == "m.yaml" and "2026-02-30" in str(error)


def test_crm_error_pickles():
    import pickle

    error = CrmError("leads.csv", "bad", row=3, column="x", spreadsheet_row=4)
    again = pickle.loads(pickle.dumps(error))
    assert str(again) == str(error) == "leads.csv, row 3 (spreadsheet row 4), column x: bad"


@pytest.mark.parametrize(
    ("table", "row", "column", "value", "meant"),
    [
        ("staff", 2, "hired_at", "45717", "did you mean 2025-03-01? (45717 is how a spreadsheet"),
        ("leads", 1, "created_at", "46083.39", "did you mean 2026-03-02 09:22? (46083.39 is how"),
        ("leads", 1, "created_at", "46083,39", "did you mean 2026-03-02 09:22?"),
    ],
)
def test_a_spreadsheets_day_number_for_a_date_says_the_date(folder, table, row, column, value, meant):
    edit(folder, table, row, column, value)
    check(error_of(folder), f"{table}.csv", row, column, "format the column as dates", meant)


def test_a_parquet_column_of_day_numbers_says_the_date(folder):
    staff = pd.read_csv(folder / "staff.csv", dtype=str, keep_default_na=False)
    staff["hired_at"] = [45667.0, 45717.0, 46054.0, 46054.0][: len(staff)]
    (folder / "staff.csv").unlink()
    staff.to_parquet(folder / "staff.parquet")
    error = error_of(folder)
    assert error.column == "hired_at" and "Unix time" in str(error)
    assert "did you mean 2025-01-10? (45667 is how a spreadsheet numbers that day" in str(error), str(error)


def test_a_shift_ending_at_24_00_ends_at_midnight(folder):
    edit(folder, "shifts", 1, "start", "16:00")
    edit(folder, "shifts", 1, "end", "24:00")  # was refused, though a scenario's shift may end at 24:00
    shifts = read_export(folder, tz=TZ).shifts
    assert (shifts.iloc[0]["start"], shifts.iloc[0]["end"]) == ("16:00", "00:00")


@pytest.mark.parametrize(("column", "value", "hints"), [
    ("start", "24:00", ["24:00 ends a day; a shift that starts at midnight starts at 00:00"]),
    ("end", "24:30", ["a clock time such as 09:00"]),
])
def test_24_00_is_no_start_and_no_time_runs_past_it(folder, column, value, hints):
    edit(folder, "shifts", 1, column, value)
    check(error_of(folder), "shifts.csv", 1, column, *hints)


@pytest.mark.parametrize(
    ("text", "row", "where"),
    [
        ("tz: Europe/Moscow\ntz: UTC\n", 2, "'tz' given twice (first on line 1)"),
        ("values:\n  stage:\n    Оплачено: won\n    Оплачено: lost\n", 4, "'values.stage.Оплачено' given"),
    ],
)
def test_a_key_given_twice_in_a_mapping_file_is_an_error(folder, tmp_path, text, row, where):
    mapping = tmp_path / "m.yaml"
    mapping.write_text(text, encoding="utf-8")  # YAML kept the last silently
    error = error_of(folder, mapping=mapping)
    assert error.file == "m.yaml" and error.row == row, str(error)
    assert where in str(error) and "keep only the last" in str(error), str(error)


def test_a_mapping_file_not_in_utf8_says_where_and_what_to_do(folder, tmp_path):
    mapping = tmp_path / "m.yaml"
    mapping.write_bytes("tz: Europe/Moscow\nvalues:\n  stage: {Оплачено: won}\n".encode("cp1251"))
    error = error_of(folder, mapping=mapping)
    assert error.file == "m.yaml" and error.row == 3, str(error)
    assert "save the file as UTF-8" in str(error) and "codec" not in str(error), str(error)



@pytest.mark.parametrize(
    ("text", "row", "column", "said"),
    [
        ("columns:\n  lead: {Created: created_at}\n", 2, "columns.lead", "no table is called 'lead'"),
        ("values:\n  statuss: {выиграна: won}\n", 2, "values.statuss", "'statuss'; did you mean status?"),
        ("values:\n  price: {free: 0}\n", 2, "values.price", "no column whose values can be mapped"),
        ("values:\n  status: {'выиграна': winner}\n", 2, "values.status", "sent to 'winner', which is not"),
        ("values:\n  stage:\n    Оплачено: Won\n", 3, "values.stage", "which is not one of assigned"),
        ("values:\n  answered: {'4': maybe}\n", 2, "values.answered", "not one of false or true"),
        ("values:\n  payments.kind: {sms: message}\n", 2, "values.payments.kind", "not one of installment"),
    ],
)
def test_a_mapping_entry_that_could_never_apply_is_an_error(folder, tmp_path, text, row, column, said):
    mapping = tmp_path / "m.yaml"
    mapping.write_text(text, encoding="utf-8")  # each was dropped without a word when no cell needed it
    error = error_of(folder, mapping=mapping)
    assert (error.file, error.row, error.column) == ("m.yaml", row, column), str(error)
    assert said in str(error), str(error)


def test_a_rename_for_a_table_the_export_lacks_is_a_note(folder, tmp_path):
    (folder / "payments.csv").unlink()
    mapping = tmp_path / "m.yaml"
    text = "columns:\n  payments: {Paid: paid_at}\nvalues:\n  kind: {sms: message, Счёт: invoice}\n"
    mapping.write_text(text, encoding="utf-8")
    notes = read_export(folder, tz=TZ, mapping=mapping).notes
    assert any("renames columns of the table 'payments', which the export does not have" in n for n in notes)


@pytest.mark.parametrize(
    ("tz", "said", "not_said"),
    [
        ("MSK", "did you mean Europe/Moscow? (MSK is an abbreviation)", "MST"),  # nearest: MST, US Mountain
        ("UTC+3", "or Etc/GMT-3 for UTC+3 all year", "did you mean UTC?"),  # spelt nearest: UTC, 3 hours off
        ("+03:00", "a fixed offset from UTC: write your city's zone", "did you mean"),
        ("+00:00", "did you mean UTC?", "fixed offset"),
    ],
)
def test_a_time_zone_written_as_an_offset_or_abbreviation_gets_the_zone_it_means(folder, tz, said, not_said):
    with pytest.raises(CrmError) as caught:
        read_export(folder, tz=tz)
    text = str(caught.value)
    assert text.startswith(f"--tz: unknown time zone {tz!r}"), text  # not "--tz, column tz": no column
    assert said in text and not_said not in text, text


def test_empty_rows_a_spreadsheet_saved_are_left_out_with_a_note(folder):
    leads = folder / "leads.csv"
    leads.write_text(leads.read_text() + ",,,,,,,\n,,,,,,,\n", encoding="utf-8")  # was: row 11 has no lead_id
    export = read_export(folder, tz=TZ)
    assert len(export.leads) == 10
    assert any("leads.csv: 2 empty row(s) left out (the first is row 11)" in note for note in export.notes)


def test_an_unnamed_column_is_named_as_such(folder):
    leads = folder / "leads.csv"
    leads.write_text("".join(line + ",\n" for line in leads.read_text().splitlines()), encoding="utf-8")
    notes = read_export(folder, tz=TZ).notes
    assert any("ignored: a column without a name (a separator at the end of the header?)" in n for n in notes)


def test_a_mapping_files_unknown_time_zone_gives_its_line(folder, tmp_path):
    mapping = tmp_path / "m.yaml"
    mapping.write_text("# the export's zone\ntz: MSK\n", encoding="utf-8")
    error = error_of(folder, mapping=mapping)
    assert (error.file, error.row, error.column) == ("m.yaml", 2, "tz"), str(error)
    assert "did you mean Europe/Moscow?" in str(error)
