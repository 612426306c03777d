"""The review sheet's evidence sentences, as a county worker reads them."""

from __future__ import annotations

import json

import polars as pl

from taizhang.emit import review_sheet


def _evidence(rows: list[int], events: list[tuple[int, str, str | None]]) -> str:
    return json.dumps(
        {
            "records": [{"source": "insurance", "file": "insurance.csv", "row_number": r} for r in rows],
            "events": [
                {"file": "status.csv", "row_number": r, "status": s, "start": start, "end": None}
                for r, s, start in events
            ],
        }
    )


def _cases() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "evidence": [
                _evidence([7, 9], []),
                None,
                _evidence(list(range(1, 200)), [(3, "死亡", "2025-02-01")]),
                _evidence([], [(4, None, None)]),
                _evidence([12], []),
            ]
        }
    )


def test_each_case_names_its_files_and_rows_in_order_and_none_without_evidence():
    text = review_sheet.evidence_text(_cases()).to_list()
    assert text[0] == "城乡居民医保参保儿童 insurance.csv 第 7 行；城乡居民医保参保儿童 insurance.csv 第 9 行"
    assert text[1] is None
    assert text[2].endswith("insurance.csv 第 199 行；人员状态 status.csv 第 3 行（死亡，2025-02-01起）")
    assert text[2].count("；") == 199
    assert text[3] == "人员状态 status.csv 第 4 行（状态）"
    assert text[4] == "城乡居民医保参保儿童 insurance.csv 第 12 行"


def test_sentences_are_the_same_when_the_cases_are_decoded_a_few_rows_at_a_time(monkeypatch):
    whole = review_sheet.evidence_text(_cases())
    # Pieces smaller than one case's evidence: every case is decoded on its own.
    monkeypatch.setattr(review_sheet, "EVIDENCE_PIECE_BYTES", 64)
    assert review_sheet.evidence_text(_cases()).equals(whole)
    assert whole.name == "依据" and whole.len() == 5
