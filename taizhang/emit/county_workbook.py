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

Files are ``counties/<code>_<name>.xlsx`` (the code alone outside Jilin's list).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import polars as pl

from taizhang.emit.atomic import write_with_atomic
from taizhang.emit.candidates import SHEET_COLUMNS as CANDIDATE_COLUMNS
from taizhang.emit.candidates import SHEET_NAME as CANDIDATE_SHEET
from taizhang.emit.display import REGISTER_COLUMNS, TEXT_COLUMNS, for_people
from taizhang.emit.divisions import county_file_stem, with_division_names
from taizhang.emit.push_lists import push_destination
from taizhang.emit.registration_form import FORM_GROUPS, FORM_TITLE, form_frame
from taizhang.emit.review_sheet import REVIEW_SHEET_COLUMNS, case_rows
from taizhang.emit.sheets import add_form_sheet, add_table_sheet, new_workbook
from taizhang.period import Period

COUNTY_DIR = "counties"
KEY_CARE_LEVEL = "重点关爱"
URGENT_ACTION = "立即报告公安机关，并落实临时监护"
_WORKBOOK_NAME = re.compile(r"^\d{6}(_.*)?\.xlsx$")

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
CHANGE_COLUMNS = (
    "变动情况",
    "变动说明",
    "姓名",
    "性别",
    "出生日期",
    "公民身份号码",
    "户籍地",
    "本期居住地",
    "上期居住地",
    "疑似孤儿",
    "疑似事实无人抚养",
    "儿童编号",
)
REVIEW_SHEET = "待核实"
FORM_SHEET = "登记表"


def county_workbook_path(out_dir: Path, code: str) -> Path:
    """``<out_dir>/counties/<code>_<name>.xlsx``."""
    return Path(out_dir) / COUNTY_DIR / f"{county_file_stem(code)}.xlsx"


def _yes_no(expr: pl.Expr) -> pl.Expr:
    return pl.when(expr).then(pl.lit("是")).when(expr.not_()).then(pl.lit("否"))


def change_rows(changes: pl.DataFrame) -> pl.DataFrame:
    """Display rows of the change list with ``_county`` (the county that sees the row).

    Kinds other than ``continuing`` go to the county in ``residence_county``
    (the current one, or the last one for left / turned 16); a move between
    counties is shown in the county left (迁出) and the county entered (迁入).
    """
    named = with_division_names(changes, "hukou_county", None, "_hukou_full")
    named = with_division_names(named, "residence_county", "_cur_short", None)
    named = with_division_names(named, "previous_residence_county", "_prev_short", None)
    present = pl.col("change").is_in(["new", "continuing", "status_changed"])
    base = named.select(
        pl.col("change_label").alias("变动情况"),
        pl.col("change"),
        pl.col("change_detail"),
        pl.col("moved_county"),
        pl.col("name").alias("姓名"),
        pl.col("sex").alias("性别"),
        pl.col("birth_date").alias("出生日期"),
        pl.col("id_number").alias("公民身份号码"),
        pl.col("_hukou_full").alias("户籍地"),
        pl.when(present).then(pl.col("_cur_short")).alias("本期居住地"),
        pl.col("_prev_short").alias("上期居住地"),
        _yes_no(pl.coalesce("suspected_orphan", "previous_suspected_orphan")).alias("疑似孤儿"),
        _yes_no(pl.coalesce("suspected_unsupported", "previous_suspected_unsupported")).alias(
            "疑似事实无人抚养"
        ),
        pl.col("child_id").alias("儿童编号"),
        pl.col("residence_county").alias("_cur"),
        pl.col("previous_residence_county").alias("_prev"),
    )
    fixed_note = {
        "new": "本期新纳入流动儿童台账",
        "left": "上期在本县台账，本期未见于全省台账",
        "turned_16": "已满16周岁，退出流动儿童监测",
    }
    note = (
        pl.when(pl.col("change") == "status_changed")
        .then(pl.col("change_detail"))
        .otherwise(pl.col("change").replace_strict(fixed_note, default=None, return_dtype=pl.Utf8))
    )
    own = base.filter(pl.col("change") != "continuing").with_columns(
        note.alias("变动说明"), pl.col("_cur").alias("_county")
    )
    moved = base.filter(pl.col("moved_county"))
    moved_in = moved.filter(pl.col("change") == "continuing").with_columns(
        pl.concat_str([pl.lit("由"), pl.col("上期居住地"), pl.lit("迁入")]).alias("变动说明"),
        pl.col("_cur").alias("_county"),
    )
    moved_out = moved.with_columns(
        pl.lit("迁出").alias("变动情况"),
        pl.concat_str([pl.lit("迁往"), pl.col("本期居住地")]).alias("变动说明"),
        pl.col("_prev").alias("_county"),
    )
    moved_in = moved_in.with_columns(pl.lit("迁入").alias("变动情况"))
    return pl.concat([own, moved_in, moved_out], how="diagonal").select(*CHANGE_COLUMNS, "_county")


def case_people(people: pl.DataFrame, profiles: pl.DataFrame | None) -> pl.DataFrame:
    """``child_id, name, birth_date, residence_county`` of the ledger's children, then of every other
    profiled child (a review item may be about a child the ledger does not hold)."""
    ledger_people = people.select(
        pl.col("_child_id").alias("child_id"),
        pl.col("姓名").alias("name"),
        pl.col("出生日期").alias("birth_date"),
        pl.col("_residence_county").alias("residence_county"),
    )
    if profiles is None or not {"child_id", "name", "birth_date", "residence_county"} <= set(
        profiles.columns
    ):
        return ledger_people
    others = profiles.select(
        "child_id", "name", pl.col("birth_date").cast(pl.Date), pl.col("residence_county").cast(pl.Utf8)
    )
    return pl.concat([ledger_people, others.join(ledger_people, on="child_id", how="anti")])


def push_rows(people: pl.DataFrame) -> pl.DataFrame:
    """Children whose hukou county is known and differs from their residence county."""
    rows = people.filter(
        pl.col("_hukou_county").is_not_null() & (pl.col("_hukou_county") != pl.col("_residence_county"))
    )
    return push_destination(rows, "_hukou_county").with_columns(
        pl.col("_hukou_county").alias("户籍地代码"),
        pl.col("_push_stem").alias("推送至"),
    )


def by_county(frame: pl.DataFrame, column: str) -> dict[str, pl.DataFrame]:
    """``frame`` cut once into its counties' rows (each in the frame's order), keyed by ``column``."""
    return {
        key: part for (key,), part in frame.partition_by(column, as_dict=True, maintain_order=True).items()
    }


def write_county_workbook(
    path: Path,
    code: str,
    period: Period,
    people: pl.DataFrame,
    changes: pl.DataFrame,
    pushes: pl.DataFrame,
    review: pl.DataFrame,
    candidates: pl.DataFrame | None = None,
) -> Path:
    """Write one county's workbook from that county's rows of the display frames.

    ``people``, ``pushes`` (both by ``_residence_county``), ``changes``,
    ``review`` and ``candidates`` (by ``_county``) hold only county ``code``'s rows.
    """
    mine = for_people(people, list(people.columns))
    title = f"{period} 流动儿童台账 {county_file_stem(code)}"
    sheets = [
        ("流动儿童台账", mine.select(REGISTER_COLUMNS)),
        ("重点关爱", mine.filter(pl.col("_care_level") == KEY_CARE_LEVEL).select(KEY_COLUMNS)),
        (
            "紧急情况",
            mine.filter(pl.col("_urgent"))
            .with_columns(pl.lit(URGENT_ACTION).alias("处置要求"))
            .select(URGENT_COLUMNS),
        ),
        ("变动情况", changes.sort(["变动情况", "姓名", "儿童编号"], nulls_last=True).select(CHANGE_COLUMNS)),
        (
            "推送户籍地",
            pushes.sort(["户籍地代码", "姓名", "出生日期", "儿童编号"], nulls_last=True).select(PUSH_COLUMNS),
        ),
        (
            REVIEW_SHEET,
            review.sort(["儿童编号", "问题类别", "核实事项"], nulls_last=True).select(REVIEW_SHEET_COLUMNS),
        ),
    ]
    if candidates is not None:
        sheets.append((CANDIDATE_SHEET, for_people(candidates, CANDIDATE_COLUMNS)))
    form = form_frame(mine)

    def build(tmp: Path) -> None:
        wb = new_workbook(tmp, period, title)
        for name, frame in sheets:
            add_table_sheet(wb, f"{name}", frame, TEXT_COLUMNS)
        add_form_sheet(
            wb,
            FORM_SHEET,
            f"{FORM_TITLE}（{period} {county_file_stem(code)}）",
            FORM_GROUPS,
            form,
            TEXT_COLUMNS,
        )
        wb.close()

    return write_with_atomic(path, build)


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
    pushes = push_rows(people)
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
    # Each display frame is cut into counties once; a county's workbook is written from its slices.
    slices = {
        "people": (people, by_county(people, "_residence_county")),
        "changes": (change_display, by_county(change_display, "_county")),
        "pushes": (pushes, by_county(pushes, "_residence_county")),
        "review": (review_display, by_county(review_display, "_county")),
    }
    if candidates is not None:
        slices["candidates"] = (candidates, by_county(candidates, "_county"))

    def of(name: str, code: str) -> pl.DataFrame | None:
        if name not in slices:
            return None
        frame, parts = slices[name]
        return parts.get(code, frame.clear())

    written = {
        code: write_county_workbook(
            county_workbook_path(out_dir, code),
            code,
            period,
            of("people", code),
            of("changes", code),
            of("pushes", code),
            of("review", code),
            of("candidates", code),
        )
        for code in wanted
    }
    if counties is None:
        folder = Path(out_dir) / COUNTY_DIR
        keep = {p.name for p in written.values()}
        for stale in folder.glob("*.xlsx"):
            if _WORKBOOK_NAME.match(stale.name) and stale.name not in keep:
                stale.unlink()
    return written
