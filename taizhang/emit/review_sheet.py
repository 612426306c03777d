"""Cases for a person to check (待核实) and candidate lists, as a county worker reads them.

The decision stage names each case with a code (``hukou_unknown``,
``renamed_or_twin``) and keeps its evidence as JSON row references. A county
worker sees neither: the code becomes a Chinese kind (问题类别) and the
evidence a sentence naming each department's file and row number
("居住证登记儿童 residence_permits_长春.csv 第 201 行"), so the worker can open
the extract at the right row. Everything here is vectorised over frames.
"""

from __future__ import annotations

import polars as pl

from data_contracts import load_contracts

# Review code -> the kind of check, as a county worker names it. A code missing here is shown
# as OTHER_KIND, never as the code itself.
REVIEW_KINDS: dict[str, str] = {
    "renamed_or_twin": "疑似同一儿童改名或双胞胎",
    "hukou_unknown": "户籍地不明",
    "residence_unknown": "现居住地不明",
    "residence_since_unknown": "来本地居住起始日期不明",
    "birth_date_unknown": "出生日期不明",
    "birth_date_missing_under_7": "出生日期缺失（0～6岁健康管理儿童）",
    "hukou_from_id_number": "户籍地按身份证号推定",
    "status_without_id_match": "父母状态记录无法确认身份",
    "parent_conflict": "父母信息相互矛盾",
    "one_parent_unknown": "父亲或母亲信息不明",
    "parents_not_findable": "父母下落不明待核实",
    "conflicting_child_ids": "同一儿童关联到两个身份证号",
    "status_matched_by_slip": "父母状态记录按姓名与相近证件号匹配，待核实",
    "status_ambiguous_match": "父母状态记录可能属于两人，未采用",
}
OTHER_KIND = "其他待核实事项"

_REF = pl.Struct({"source": pl.Utf8, "file": pl.Utf8, "row_number": pl.Int64})
_EVENT = pl.Struct(
    {"file": pl.Utf8, "row_number": pl.Int64, "status": pl.Utf8, "start": pl.Utf8, "end": pl.Utf8}
)
_EVIDENCE = pl.Struct({"records": pl.List(_REF), "events": pl.List(_EVENT)})
EVIDENCE_SEPARATOR = "；"


def _source_titles() -> dict[str, str]:
    return {name: contract.title for name, contract in load_contracts().items()}


def kind_of(code: pl.Expr) -> pl.Expr:
    """The Chinese kind of a review or candidate code."""
    return code.replace_strict(REVIEW_KINDS, default=OTHER_KIND, return_dtype=pl.Utf8)


# JSON evidence decoded at a time (bytes): decoding and exploding it costs several times its size,
# and a case's evidence can list hundreds of rows, so the cases are taken a run of rows at a time.
EVIDENCE_PIECE_BYTES = 16 << 20


def evidence_text(frame: pl.DataFrame, column: str = "evidence") -> pl.Series:
    """One Chinese sentence per row of ``frame[column]`` (the JSON evidence), null where there is none.

    Each row's sentence depends on that row alone, so the rows are decoded a run at a time
    (about :data:`EVIDENCE_PIECE_BYTES` of JSON each): memory follows the piece, not the province.
    """
    if column not in frame.columns or frame.height == 0:
        return pl.Series("依据", [None] * frame.height, dtype=pl.Utf8)
    evidence = frame.get_column(column).cast(pl.Utf8)
    piece = (evidence.str.len_bytes().fill_null(0).cast(pl.Int64).cum_sum() // EVIDENCE_PIECE_BYTES).rle()
    texts, offset = [], 0
    for length in piece.struct.field("len").to_list():  # one run of rows per piece, not per row
        texts.append(_evidence_sentences(evidence.slice(offset, length)))
        offset += length
    return pl.concat(texts, rechunk=True).alias("依据")


def _evidence_sentences(evidence: pl.Series) -> pl.Series:
    """:func:`evidence_text` of one run of rows."""
    decoded = pl.DataFrame({"_i": pl.int_range(evidence.len(), dtype=pl.UInt32, eager=True)}).with_columns(
        evidence.str.json_decode(_EVIDENCE).alias("_e")
    )
    titles = _source_titles()
    records = (
        decoded.select("_i", pl.col("_e").struct.field("records").alias("r"))
        .explode("r")
        .drop_nulls("r")
        .unnest("r")
        .select(
            "_i",
            pl.format(
                "{} {} 第 {} 行",
                pl.col("source").replace_strict(titles, default=pl.col("source"), return_dtype=pl.Utf8),
                pl.col("file"),
                pl.col("row_number"),
            ).alias("t"),
        )
    )
    events = (
        decoded.select("_i", pl.col("_e").struct.field("events").alias("e"))
        .explode("e")
        .drop_nulls("e")
        .unnest("e")
        .select(
            "_i",
            pl.format(
                "人员状态 {} 第 {} 行（{}{}）",
                pl.col("file"),
                pl.col("row_number"),
                pl.col("status").fill_null("状态"),
                pl.when(pl.col("start").is_not_null())
                .then(pl.format("，{}起", pl.col("start")))
                .otherwise(pl.lit("")),
            ).alias("t"),
        )
    )
    joined = pl.concat([records, events]).group_by("_i").agg(pl.col("t").str.join(EVIDENCE_SEPARATOR))
    return decoded.select("_i").join(joined, on="_i", how="left", maintain_order="left").get_column("t")


# The review sheet's columns: Chinese header -> how it is made from a case joined to its child.
# The evidence column holds the case's JSON evidence until :func:`with_evidence_text` makes it
# sentences, a few counties at a time (a province's sentences are larger than its JSON).
EVIDENCE_HEADER = "依据（来源文件与行号）"
REVIEW_SHEET_COLUMNS: dict[str, pl.Expr] = {
    "儿童编号": pl.col("child_id"),
    "姓名": pl.col("name"),
    "出生日期": pl.col("birth_date"),
    "问题类别": kind_of(pl.col("reason_code")),
    "核实事项": pl.col("reason"),
    EVIDENCE_HEADER: pl.col("_evidence"),
}
# The profile columns case_people reads: emit loads no more of the province's profiles than these.
CASE_PROFILE_COLUMNS = ("child_id", "name", "birth_date", "residence_county")

# The order a county reads its cases in.
REVIEW_SHEET_ORDER = ("儿童编号", "问题类别", "核实事项")


def case_people(people: pl.DataFrame, profiles: pl.DataFrame | None) -> pl.DataFrame:
    """``child_id, name, birth_date, residence_county`` of the ledger's children (``people`` is
    ``display.people_frame``), then of every other profiled child (a review item may be about a
    child the ledger does not hold)."""
    ledger_people = people.select(
        pl.col("_child_id").alias("child_id"),
        pl.col("姓名").alias("name"),
        pl.col("出生日期").alias("birth_date"),
        pl.col("_residence_county").alias("residence_county"),
    )
    if profiles is None or not set(CASE_PROFILE_COLUMNS) <= set(profiles.columns):
        return ledger_people
    others = profiles.select(
        "child_id", "name", pl.col("birth_date").cast(pl.Date), pl.col("residence_county").cast(pl.Utf8)
    )
    return pl.concat([ledger_people, others.join(ledger_people, on="child_id", how="anti")])


def case_rows(cases: pl.DataFrame, people: pl.DataFrame) -> pl.DataFrame:
    """Rows of review items (``REVIEW_SHEET_COLUMNS``) with ``_county``, the county that checks them;
    the evidence column still JSON (see :func:`with_evidence_text`).

    ``cases`` holds ``child_id``, ``reason_code``, ``reason`` and optionally
    ``evidence``; ``people`` is :func:`case_people`: every child the decision stage
    profiled (not only the ledger's migrant children: a child whose hukou is unknown
    is not in the ledger, yet lives in a county that has to check it).
    """
    info = people.select("child_id", "name", "birth_date", pl.col("residence_county").alias("_people_county"))
    df = cases.join(info, on="child_id", how="left", maintain_order="left")
    own = pl.col("residence_county") if "residence_county" in cases.columns else pl.lit(None, dtype=pl.Utf8)
    evidence = (
        pl.col("evidence").cast(pl.Utf8) if "evidence" in cases.columns else pl.lit(None, dtype=pl.Utf8)
    )
    return df.with_columns(evidence.alias("_evidence")).select(
        *(expr.alias(name) for name, expr in REVIEW_SHEET_COLUMNS.items()),
        pl.coalesce(pl.col("_people_county"), own).alias("_county"),
    )


def with_evidence_text(rows: pl.DataFrame) -> pl.DataFrame:
    """:func:`case_rows` rows as the sheet shows them: the evidence as sentences (:func:`evidence_text`)."""
    return rows.with_columns(evidence_text(rows, EVIDENCE_HEADER).alias(EVIDENCE_HEADER))
