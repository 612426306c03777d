"""The candidate list (初步筛查): ``candidates.parquet`` and the county sheet for home visits."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date

import openpyxl
import polars as pl

from taizhang.emit import emit_period
from taizhang.period import Period
from taizhang.rules.candidates import MISSING_TEXT

from .conftest import current_ledger_rows, decisions_for


@dataclass
class WithCandidates:
    ledger: pl.DataFrame
    flags: pl.DataFrame
    review: pl.DataFrame | None
    candidates: pl.DataFrame


def _candidates(rows: list[tuple[str, str, str, list[str]]]) -> pl.DataFrame:
    out = []
    for cid, county, name, missing in rows:
        out.append(
            {
                "child_id": cid,
                "residence_county": county,
                "reason_code": missing[0],
                "reason": "；".join(MISSING_TEXT[m] for m in missing),
                "evidence": json.dumps(
                    {
                        "records": [{"source": "insurance", "file": "insurance.csv", "row_number": 17}],
                        "events": [],
                    }
                ),
                "missing": missing,
                "name": name,
                "sex": "女",
                "birth_date": date(2016, 6, 6),
                "id_number": None,
                "hukou_county": "220581",
            }
        )
    return pl.DataFrame(out)


def _decisions(candidates: pl.DataFrame) -> WithCandidates:
    d = decisions_for(current_ledger_rows())
    return WithCandidates(d.ledger, d.flags, d.review, candidates)


def _sheet(path, name):
    ws = openpyxl.load_workbook(path)[name]
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    return rows[0], rows[1:]


def test_candidates_are_written_beside_the_ledger_and_on_their_countys_sheet(tmp_path):
    cands = _candidates(
        [
            (
                "CX",
                "220102",
                "赵一",
                ["residence_from_insurance", "residence_since_unknown", "hukou_from_id_number"],
            ),
            ("CY", "222401", "钱二", ["residence_since_unknown"]),
        ]
    )
    out = tmp_path / "2026H1"
    report = emit_period(_decisions(cands), out, Period(2026, 1), None)
    assert report["candidate_rows"] == 2

    table = pl.read_parquet(out / "candidates.parquet")
    assert table.columns[:5] == ["child_id", "residence_county", "reason_code", "reason", "evidence"]
    assert table["child_id"].to_list() == ["CX", "CY"]
    assert not set(table["child_id"]) & set(pl.read_parquet(out / "ledger.parquet")["child_id"])

    header, rows = _sheet(out / "counties" / "220102_南关区.xlsx", "初步筛查")
    assert header[0] == "序号" and "待核实事项" in header and "已有记录" in header
    assert [r[header.index("儿童编号")] for r in rows] == ["CX"]
    row = dict(zip(header, rows[0], strict=True))
    assert row["姓名"] == "赵一" and "梅河口市" in row["户籍地"]
    assert "户口簿" in row["待核实事项"] and "入户" in row["待核实事项"]
    assert row["已有记录"] == "城乡居民医保参保儿童（insurance.csv 第17行）"
    # people read it: no English codes in the cells (the file name aside)
    text = " ".join(
        str(v) for r in rows for k, v in zip(header, r, strict=True) if k not in ("已有记录", "儿童编号")
    )
    assert not re.search(r"[a-z_]{4,}", text)

    _, yanji = _sheet(out / "counties" / "222401_延吉市.xlsx", "初步筛查")
    assert [r[-1] for r in yanji] == ["CY"]


def test_a_county_rerun_keeps_the_other_countys_candidates(tmp_path):
    out = tmp_path / "2026H1"
    first = _candidates(
        [
            ("CX", "220102", "赵一", ["residence_since_unknown"]),
            ("CY", "222401", "钱二", ["residence_since_unknown"]),
        ]
    )
    emit_period(_decisions(first), out, Period(2026, 1), None)
    yanji = (out / "counties" / "222401_延吉市.xlsx").read_bytes()
    # the rerun of 南关区 no longer finds CX a candidate, and knows nothing of 延吉市's
    emit_period(_decisions(first.clear()), out, Period(2026, 1), None, counties=["220102"])
    assert pl.read_parquet(out / "candidates.parquet")["child_id"].to_list() == ["CY"]
    assert (out / "counties" / "222401_延吉市.xlsx").read_bytes() == yanji
