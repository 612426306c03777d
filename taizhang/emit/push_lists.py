"""Push lists: migrant children living in Jilin, grouped by where their hukou is.

Left-behind and migrant children are followed up at their 户籍地 as well as
where they live (民发〔2024〕17号: migrant children are counted where they live,
left-behind children at their hukou), so each hukou area gets the list of its
children living in Jilin:

- hukou inside Jilin: one file per hukou county, ``push/<code>_<name>.xlsx``;
- hukou outside Jilin: one file per province, ``push/<2 digits>0000_<province>.xlsx``
  (exchange between provinces goes through the provincial civil-affairs
  departments, not county to county).

Children without a known hukou county, or living in their own hukou county,
are not pushed.
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

from taizhang.emit.atomic import write_with_atomic
from taizhang.emit.division_names import JILIN_PROVINCE, county_file_stem, province_names
from taizhang.emit.keyed_rows import KeyedRows, in_batches
from taizhang.emit.ledger_display import PEOPLE_ORDER, REGISTER_COLUMNS, TEXT_COLUMNS
from taizhang.emit.sheets import add_table_sheet, new_workbook, sheet_values_by
from taizhang.emit.workbook_pool import write_each
from taizhang.period import Period

PUSH_DIR = "push"
_PUSH_NAME = re.compile(r"^\d{6}(_.*)?\.xlsx$")

# A push list: where the child's hukou is (code and name), then the child as the county ledger
# shows it, except the change since the last half-year (the destination's ledger has its own).
PUSH_LIST_COLUMNS = (
    "户籍地代码",
    "户籍地",
    *(c for c in REGISTER_COLUMNS if c not in ("户籍地", "变动情况")),
)


def push_destination(df: pl.DataFrame, code_col: str) -> pl.DataFrame:
    """Add ``_push_code`` (county, or province as ``xx0000``) and ``_push_stem`` (file name stem)."""
    provinces = pl.DataFrame(
        {"_p2": list(province_names()), "_pname": list(province_names().values())},
        schema={"_p2": pl.Utf8, "_pname": pl.Utf8},
    )
    code = pl.col(code_col)
    in_jilin = code.str.starts_with(JILIN_PROVINCE)
    df = df.with_columns(code.str.slice(0, 2).alias("_p2")).join(
        provinces, on="_p2", how="left", maintain_order="left"
    )
    jilin_codes = df.filter(in_jilin)[code_col].unique().sort().to_list()
    stems = pl.DataFrame(
        {code_col: jilin_codes, "_jstem": [county_file_stem(c) for c in jilin_codes]},
        schema={code_col: pl.Utf8, "_jstem": pl.Utf8},
    )
    province_code = pl.concat_str([pl.col("_p2"), pl.lit("0000")])
    return (
        df.join(stems, on=code_col, how="left", maintain_order="left")
        .with_columns(
            pl.when(in_jilin).then(code).otherwise(province_code).alias("_push_code"),
            pl.when(in_jilin)
            .then(pl.col("_jstem"))
            .when(pl.col("_pname").is_not_null())
            .then(pl.concat_str([province_code, pl.lit("_"), pl.col("_pname")]))
            .otherwise(province_code)
            .alias("_push_stem"),
        )
        .drop("_p2", "_pname", "_jstem")
    )


def pushed_children(people: pl.DataFrame) -> pl.DataFrame:
    """Children (``display.people_frame`` rows) whose hukou county is known and is not where they
    live, with ``户籍地代码``, ``_push_code`` and ``_push_stem`` (see :func:`push_destination`)."""
    rows = people.filter(
        pl.col("_hukou_county").is_not_null() & (pl.col("_hukou_county") != pl.col("_residence_county"))
    ).with_columns(pl.col("_hukou_county").alias("户籍地代码"))
    return push_destination(rows, "_hukou_county")


def push_list_rows(people: pl.DataFrame) -> pl.DataFrame:
    """Children living in Jilin whose hukou county is known and is not where they live; their
    现居住地 with the full division name, as the hukou area reads it."""
    return pushed_children(
        people.filter(pl.col("_residence_county").str.starts_with(JILIN_PROVINCE))
    ).with_columns(pl.col("_residence_full").alias("现居住地"))


def write_push_lists(out_dir: Path, period: Period, people: pl.DataFrame) -> dict[str, Path]:
    """Write one push list per destination; remove lists of destinations without children.

    Returns push code (county, or ``xx0000`` for a province) -> path.
    """
    rows = push_list_rows(people)
    folder = Path(out_dir) / PUSH_DIR
    stems = dict(rows.select("_push_code", "_push_stem").unique().sort("_push_code").rows())
    # The lists' rows put in order once for all destinations (by destination, hukou county, then
    # as people are listed), then masked, measured and written a batch of destinations at a time.
    ordered = KeyedRows.of(
        rows.select("_push_code", *PUSH_LIST_COLUMNS), "_push_code", ["户籍地代码", *PEOPLE_ORDER]
    )

    def write_batch(codes: list[str]) -> dict[str, Path]:
        sheets, _ = sheet_values_by(ordered.rows_of(codes), "_push_code")

        def write(code: str) -> Path:
            stem = stems[code]

            def build(tmp: Path) -> None:
                wb = new_workbook(tmp, period, f"{period} 流动儿童推送名单 {stem}")
                add_table_sheet(wb, "推送名单", sheets[code], TEXT_COLUMNS)
                wb.close()

            return write_with_atomic(folder / f"{stem}.xlsx", build, sync_folder=False)

        return write_each(codes, write)

    written: dict[str, Path] = {}
    for batch in in_batches(list(stems), ordered.count):
        written.update(write_batch(batch))
    keep = {p.name for p in written.values()}
    if folder.is_dir():
        for stale in folder.glob("*.xlsx"):
            if _PUSH_NAME.match(stale.name) and stale.name not in keep:
                stale.unlink()
    return written
