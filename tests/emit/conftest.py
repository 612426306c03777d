"""Hand-made decisions for two half-years (2025H2 → 2026H1) covering every change kind.

Children (ids are made up; names and numbers are synthetic):

- ``CA`` 南关区, unchanged                         → continuing
- ``CB`` 南关区, becomes suspected unsupported     → status_changed
- ``CC`` 南关区, gone, born 2015                   → left
- ``CD`` 宽城区, gone, born 2010-05-01 (16 on 2026-05-01) → turned_16
- ``CE`` 南关区 → 宽城区, unchanged flags          → continuing, moved
- ``CF`` 南关区, new, hukou 辽宁, urgent, HIV-infected → new
- ``CG`` 延吉市, new, hukou 南关区, no id number   → new
- ``CH`` code 229999 (not in Jilin's list), hukou 北京 → new
- ``CI`` 南关区, new, hukou unknown                → new
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import polars as pl
import pytest

from taizhang.period import Period

HIV = "艾滋病病毒感染"

LEDGER_SCHEMA = {
    "child_id": pl.Utf8,
    "name": pl.Utf8,
    "sex": pl.Utf8,
    "birth_date": pl.Date,
    "id_number": pl.Utf8,
    "hukou_county": pl.Utf8,
    "residence_county": pl.Utf8,
    "suspected_orphan": pl.Boolean,
    "suspected_unsupported": pl.Boolean,
    "refer_orphan": pl.Boolean,
    "care_level": pl.Utf8,
    "urgent": pl.Boolean,
    "key_reasons": pl.List(pl.Utf8),
    "service_gaps": pl.List(pl.Utf8),
    "urgent_reasons": pl.List(pl.Utf8),
    "residence_since": pl.Date,
    "age": pl.Int32,
    "ethnicity": pl.Utf8,
    "school_name": pl.Utf8,
    "guardian_name": pl.Utf8,
    "guardian_phone": pl.Utf8,
    "guardian_relation": pl.Utf8,
}

_Q, _M, _K = "每三个月走访", "每月走访", "重点关爱"


def _child(
    cid: str,
    name: str,
    birth: date,
    id_number: str | None,
    hukou: str | None,
    residence: str,
    *,
    orphan: bool = False,
    unsupported: bool = False,
    refer: bool = False,
    care: str = _Q,
    urgent: bool = False,
    key: tuple[str, ...] = (),
    gaps: tuple[str, ...] = (),
    urgent_reasons: tuple[str, ...] = (),
    phone: str = "13800000000",
) -> dict:
    return {
        "child_id": cid,
        "name": name,
        "sex": "男" if int(cid.encode()[1]) % 2 else "女",
        "birth_date": birth,
        "id_number": id_number,
        "hukou_county": hukou,
        "residence_county": residence,
        "suspected_orphan": orphan,
        "suspected_unsupported": unsupported,
        "refer_orphan": refer,
        "care_level": care,
        "urgent": urgent,
        "key_reasons": list(key),
        "service_gaps": list(gaps),
        "urgent_reasons": list(urgent_reasons),
        "residence_since": date(2024, 3, 1),
        "age": None,
        "ethnicity": "汉族",
        "school_name": "南关区第一小学" if birth.year < 2020 else None,
        "guardian_name": "监护人" + cid,
        "guardian_phone": phone,
        "guardian_relation": "母亲" if cid == "CF" else None,
    }


def previous_ledger_rows() -> list[dict]:
    return [
        _child("CA", "王一", date(2014, 2, 3), "220102201402030013", "210102", "220102"),
        _child("CB", "李二", date(2016, 8, 9), "22010220160809002X", "210102", "220102"),
        _child("CC", "张三", date(2015, 1, 1), "220102201501010035", "210102", "220102"),
        _child("CD", "赵四", date(2010, 5, 1), "220103201005010046", "210102", "220103"),
        _child("CE", "钱五", date(2018, 4, 4), "220103201804040051", "210102", "220102"),
    ]


def current_ledger_rows() -> list[dict]:
    return [
        _child("CA", "王一", date(2014, 2, 3), "220102201402030013", "210102", "220102"),
        _child(
            "CB",
            "李二",
            date(2016, 8, 9),
            "22010220160809002X",
            "210102",
            "220102",
            unsupported=True,
            care=_K,
            key=("疑似事实无人抚养",),
            gaps=("未参保",),
        ),
        _child("CE", "钱五", date(2018, 4, 4), "220103201804040051", "210102", "220103"),
        _child(
            "CF",
            "孙六",
            date(2019, 6, 1),
            "210102201906010062",
            "210102",
            "220102",
            refer=True,
            care=_K,
            urgent=True,
            key=(f"{HIV}儿童", "监护缺失"),
            gaps=("未入学", "未参保"),
            urgent_reasons=("脱离监护单独居住",),
        ),
        _child("CG", "周七", date(2023, 1, 15), None, "220102", "222401", care=_M, gaps=("未建档",)),
        _child("CH", "吴八", date(2012, 12, 12), "110101201212120078", "110101", "229999"),
        _child("CI", "郑九", date(2017, 7, 7), "220102201707070081", None, "220102"),
    ]


def ledger_frame(rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=LEDGER_SCHEMA)


@dataclass
class FakeDecisions:
    ledger: pl.DataFrame
    flags: pl.DataFrame
    review: pl.DataFrame | None


def decisions_for(rows: list[dict]) -> FakeDecisions:
    ledger = ledger_frame(rows)
    ids = set(ledger["child_id"])
    flags = pl.DataFrame(
        [
            {
                "child_id": "CB",
                "flag": "suspected_unsupported",
                "reason": "父亲服刑在押，母亲失联",
                "evidence": '{"status_rows": [["person_status", "person_status.csv", 12]]}',
            },
            {
                "child_id": "CF",
                "flag": "refer_orphan",
                "reason": f"儿童{HIV}",
                "evidence": '{"status": "\\u827e\\u6ecb\\u75c5\\u75c5\\u6bd2\\u611f\\u67d3"}',
            },
        ],
        schema={"child_id": pl.Utf8, "flag": pl.Utf8, "reason": pl.Utf8, "evidence": pl.Utf8},
    ).filter(pl.col("child_id").is_in(list(ids)))
    review = pl.DataFrame(
        [
            {"child_id": "CG", "reason_code": "no_id", "reason": "无公民身份号码，请核实户籍登记"},
            {"child_id": "CI", "reason_code": "hukou_unknown", "reason": "户籍地不详"},
        ],
        schema={"child_id": pl.Utf8, "reason_code": pl.Utf8, "reason": pl.Utf8},
    ).filter(pl.col("child_id").is_in(list(ids)))
    return FakeDecisions(ledger, flags, review)


PREVIOUS = Period(2025, 2)
CURRENT = Period(2026, 1)


def emit_with_summary(decisions, out_dir: Path, period, previous_dir, counties=None) -> dict:
    """Emit a half-year and write its province summary, as a run does; returns emit's report."""
    from taizhang.emit import emit_period, summarize_period

    report = emit_period(decisions, out_dir, period, previous_dir, counties)
    summarize_period(out_dir, period)
    return report


@pytest.fixture
def two_periods(tmp_path):
    """Emit 2025H2 then 2026H1 (with the previous folder), each with its province summary; returns
    (out folder of 2026H1, emit's report)."""
    prev_dir = tmp_path / "2025H2"
    emit_with_summary(decisions_for(previous_ledger_rows()), prev_dir, PREVIOUS, None)
    cur_dir = tmp_path / "2026H1"
    report = emit_with_summary(decisions_for(current_ledger_rows()), cur_dir, CURRENT, prev_dir)
    return cur_dir, report


@pytest.fixture
def fx() -> SimpleNamespace:
    """The fixture builders, for tests (conftest is not importable under --import-mode=importlib)."""
    return SimpleNamespace(
        HIV=HIV,
        PREVIOUS=PREVIOUS,
        CURRENT=CURRENT,
        previous_ledger_rows=previous_ledger_rows,
        current_ledger_rows=current_ledger_rows,
        ledger_frame=ledger_frame,
        decisions_for=decisions_for,
        emit=emit_with_summary,
    )
