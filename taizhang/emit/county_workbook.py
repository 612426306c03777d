"""One workbook per residence county, in Chinese, for the county's civil-affairs staff.

Migrant children are counted and served where they live (民发〔2024〕17号), so
each county gets only the children whose ``residence_county`` is its code:

- ``流动儿童台账``: the ledger in the columns of a registration form;
- ``重点关爱``: children at care level 重点关爱, with reasons and service gaps;
- ``紧急情况``: children to report to the police at once;
- ``变动情况``: changes since the last half-year, including children who left
  the ledger or turned 16 (listed by the county they lived in) and moves between
  counties (listed in both counties);
- ``推送户籍地``: children of this county whose hukou is elsewhere, to be pushed
  to their hukou county (the push lists hold the same rows by destination);
- ``待核实``: the review list (cases the pipeline could not decide alone), in
  Chinese with the source rows to check, for every profiled child living in the
  county (also those not in the ledger, such as a child whose hukou is unknown);
- ``初步筛查``: children the extracts suggest are migrant children but cannot
  confirm, with what is missing, for a home visit (not on the ledger);
- ``登记表``: the home-visit sheet laid out like the province's registration form.

Every sheet prints on A4 (landscape, one page wide, header rows repeated). A
county with nothing to show gets no new workbook on a county rerun.

The display frames are built once for the whole province and put in county
order once (:mod:`taizhang.emit.keyed_rows`). The workbooks are then written a
batch of counties at a time: a batch's sheets are made (masked, numbered,
measured, the review evidence worded), written and let go before the next, so
the stage never holds every county's sheets at once.

Files are ``counties/<code>_<name>.xlsx`` (the code alone outside Jilin's list).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from taizhang.emit.atomic import write_with_atomic
from taizhang.emit.candidates import SHEET_COLUMNS as CANDIDATE_COLUMNS
from taizhang.emit.candidates import SHEET_NAME as CANDIDATE_SHEET
from taizhang.emit.change_sheet import CHANGE_SHEET_COLUMNS, CHANGE_SHEET_ORDER, change_rows
from taizhang.emit.division_names import county_file_stem
from taizhang.emit.keyed_rows import KeyedRows, in_batches
from taizhang.emit.ledger_display import PEOPLE_ORDER, REGISTER_COLUMNS, TEXT_COLUMNS
from taizhang.emit.push_lists import pushed_children
from taizhang.emit.registration_form import FORM_GROUPS, FORM_TITLE, form_frame
from taizhang.emit.review_sheet import (
    REVIEW_SHEET_COLUMNS,
    REVIEW_SHEET_ORDER,
    case_rows,
    with_evidence_text,
)
from taizhang.emit.sheets import SheetValues, add_form_sheet, add_table_sheet, new_workbook, sheet_values_by
from taizhang.emit.workbook_pool import write_each
from taizhang.period import Period

COUNTY_DIR = "counties"
KEY_CARE_LEVEL = "重点关爱"
URGENT_ACTION = "立即报告公安机关，并落实临时监护"
_WORKBOOK_NAME = re.compile(r"^\d{6}(_.*)?\.xlsx$")

# Sheet layouts, picked from the headers of ``display.PERSON_COLUMNS`` (处置要求 and 推送至 are
# the sheets' own).
KEY_COLUMNS = (
    "姓名",
    "性别",
    "出生日期",
    "公民身份号码",
    "户籍地",
    "监护人",
    "联系电话",
    "重点关爱原因",
    "服务缺口",
    "疑似孤儿",
    "疑似事实无人抚养",
    "参照孤儿保障",
    "紧急情况",
    "儿童编号",
)
URGENT_COLUMNS = (
    "姓名",
    "性别",
    "出生日期",
    "公民身份号码",
    "现居住地",
    "监护人",
    "联系电话",
    "紧急情况",
    "处置要求",
    "儿童编号",
)
PUSH_COLUMNS = (
    "户籍地代码",
    "户籍地",
    "推送至",
    "姓名",
    "性别",
    "出生日期",
    "公民身份号码",
    "监护人",
    "联系电话",
    "关爱等级",
    "疑似孤儿",
    "疑似事实无人抚养",
    "参照孤儿保障",
    "紧急情况",
    "儿童编号",
)
PUSH_ORDER = ("户籍地代码", "姓名", "出生日期", "儿童编号")
REVIEW_SHEET = "待核实"
FORM_SHEET = "登记表"


def county_workbook_path(out_dir: Path, code: str) -> Path:
    """``<out_dir>/counties/<code>_<name>.xlsx``."""
    return Path(out_dir) / COUNTY_DIR / f"{county_file_stem(code)}.xlsx"


def write_county_workbook(
    path: Path,
    code: str,
    period: Period,
    sheets: list[tuple[str, SheetValues]],
    form: SheetValues,
) -> Path:
    """Write one county's workbook from its table sheets (name, rows) and its registration form."""
    title = f"{period} 流动儿童台账 {county_file_stem(code)}"

    def build(tmp: Path) -> None:
        wb = new_workbook(tmp, period, title)
        for name, sheet in sheets:
            add_table_sheet(wb, name, sheet, TEXT_COLUMNS)
        add_form_sheet(
            wb,
            FORM_SHEET,
            f"{FORM_TITLE}（{period} {county_file_stem(code)}）",
            FORM_GROUPS,
            form,
            TEXT_COLUMNS,
        )
        wb.close()

    return write_with_atomic(path, build, sync_folder=False)  # write_each syncs the folder


@dataclass(frozen=True)
class ProvinceRows:
    """The province's display frames that county sheets are cut from, each in county order."""

    people: KeyedRows  # people_frame rows by residence county, in PEOPLE_ORDER
    pushes: KeyedRows  # children pushed to their hukou area, in PUSH_ORDER
    changes: KeyedRows  # change_rows rows, in CHANGE_SHEET_ORDER
    review: KeyedRows  # case_rows rows (evidence still JSON), in REVIEW_SHEET_ORDER
    candidates: KeyedRows | None  # candidate_rows rows, in PEOPLE_ORDER

    def count(self, code: str) -> int:
        """All of a county's rows, over every sheet."""
        orders = [self.people, self.pushes, self.changes, self.review, self.candidates]
        return sum(o.count(code) for o in orders if o is not None)


def province_rows(
    people: pl.DataFrame,
    change_display: pl.DataFrame,
    review_display: pl.DataFrame,
    candidates: pl.DataFrame | None,
) -> ProvinceRows:
    """The frames every county's sheets are cut from, each put in county order once."""
    here = "_residence_county"
    pushes = pushed_children(people).with_columns(pl.col("_push_stem").alias("推送至"))
    return ProvinceRows(
        people=KeyedRows.of(people, here, PEOPLE_ORDER),
        pushes=KeyedRows.of(pushes.select(here, *PUSH_COLUMNS), here, PUSH_ORDER),
        changes=KeyedRows.of(change_display, "_county", CHANGE_SHEET_ORDER),
        review=KeyedRows.of(review_display, "_county", REVIEW_SHEET_ORDER),
        candidates=KeyedRows.of(candidates, "_county", PEOPLE_ORDER) if candidates is not None else None,
    )


def batch_sheets(
    rows: ProvinceRows, codes: Sequence[str]
) -> tuple[
    list[tuple[str, tuple[dict[str, SheetValues], SheetValues]]], tuple[dict[str, SheetValues], SheetValues]
]:
    """The sheets of counties ``codes``: each table sheet's and the form's values per county.

    A sheet's rows are those of the batch's counties in county order, so :func:`sheet_values_by`
    masks, numbers and measures them per county in one pass over the batch.
    """
    here = "_residence_county"
    mine = rows.people.rows_of(codes)
    frames = [
        ("流动儿童台账", mine.select(here, *REGISTER_COLUMNS), here),
        (
            "重点关爱",
            mine.filter(pl.col("_care_level") == KEY_CARE_LEVEL).select(here, *KEY_COLUMNS),
            here,
        ),
        (
            "紧急情况",
            mine.filter(pl.col("_urgent"))
            .with_columns(pl.lit(URGENT_ACTION).alias("处置要求"))
            .select(here, *URGENT_COLUMNS),
            here,
        ),
        ("变动情况", rows.changes.rows_of(codes).select("_county", *CHANGE_SHEET_COLUMNS), "_county"),
        ("推送户籍地", rows.pushes.rows_of(codes), here),
        (
            REVIEW_SHEET,
            with_evidence_text(rows.review.rows_of(codes)).select("_county", *REVIEW_SHEET_COLUMNS),
            "_county",
        ),
    ]
    if rows.candidates is not None:
        ordered = rows.candidates.rows_of(codes)
        frames.append((CANDIDATE_SHEET, ordered.select("_county", *CANDIDATE_COLUMNS), "_county"))
    tables = [(name, sheet_values_by(frame, key)) for name, frame, key in frames]
    form = sheet_values_by(form_frame(mine).with_columns(mine.get_column(here)), here)
    return tables, form


def write_batch(
    out_dir: Path,
    period: Period,
    codes: Sequence[str],
    tables: list[tuple[str, tuple[dict[str, SheetValues], SheetValues]]],
    form: tuple[dict[str, SheetValues], SheetValues],
) -> dict[str, Path]:
    """Write the workbooks of counties ``codes`` from their batch's sheets (:func:`batch_sheets`)."""
    forms, no_form = form

    def write(code: str) -> Path:
        sheets = [(name, by_county.get(code, empty)) for name, (by_county, empty) in tables]
        return write_county_workbook(
            county_workbook_path(out_dir, code), code, period, sheets, forms.get(code, no_form)
        )

    return write_each(codes, write)


def write_county_workbooks(
    out_dir: Path,
    period: Period,
    people: pl.DataFrame,
    changes: pl.DataFrame,
    review: pl.DataFrame,
    everyone: pl.DataFrame,
    counties: Iterable[str] | None = None,
    candidates: pl.DataFrame | None = None,
) -> dict[str, Path]:
    """Write the workbooks of ``counties`` (all counties with any row when None).

    ``people`` is ``display.people_frame``; ``changes`` the change list;
    ``review`` the review table; ``everyone`` is :func:`case_people` (so
    that a review item about a child outside the ledger reaches the county the
    child lives in); ``candidates`` the candidate sheet's rows
    (``candidates.candidate_rows``); ``out_dir`` the
    period folder. With ``counties=None``, workbooks of counties that no longer
    have any row are removed so the folder matches the run; a rerun county with
    no row gets no new workbook. Returns code -> path.
    """
    change_display = change_rows(changes)
    review_display = case_rows(review, everyone)
    present = (
        pl.concat(
            [
                people.select(pl.col("_residence_county").alias("c")),
                change_display.select(pl.col("_county").alias("c")),
                review_display.select(pl.col("_county").alias("c")),
                *([candidates.select(pl.col("_county").alias("c"))] if candidates is not None else []),
            ]
        )
        .drop_nulls()
        .unique()
        .sort("c")["c"]
        .to_list()
    )
    # A rerun county with nothing to show keeps the workbook it had (rewritten empty), but is not
    # given a new one the full run never wrote.
    wanted = (
        present
        if counties is None
        else sorted(c for c in set(counties) if c in present or county_workbook_path(out_dir, c).exists())
    )
    rows = province_rows(people, change_display, review_display, candidates)
    del change_display, review_display  # held in ``rows`` from here on
    written: dict[str, Path] = {}
    for batch in in_batches(wanted, rows.count):
        written.update(write_batch(out_dir, period, batch, *batch_sheets(rows, batch)))
    if counties is None:
        folder = Path(out_dir) / COUNTY_DIR
        keep = {p.name for p in written.values()}
        for stale in folder.glob("*.xlsx"):
            if _WORKBOOK_NAME.match(stale.name) and stale.name not in keep:
                stale.unlink()
    return written
