"""The validation process gives the reports exactly what validating in the stage's own process gives."""

from __future__ import annotations

from datetime import date

import pytest

from expectations.validate import validate_source
from expectations.validation_process import validation_process

TODAY = date(2026, 6, 30)


@pytest.fixture(scope="module")
def permits(contracts, make_staged, ids):
    valid_id, bad_check_id = ids
    rows = [
        {
            "file": "residence_permits_长春.csv",
            "row_number": n,
            "sex": "男",
            "birth_date": "2015-03-15",
            "id_number": valid_id("22010220150315123"),
            "residence_code": "220102",
            "guardian1_phone": "138-0013-8000",
        }
        for n in range(1, 7)
    ]
    rows[1]["id_number"] = bad_check_id("22010220150315123")
    rows[3] |= {"birth_date": "2031-01-01", "residence_code": "长春市幸福街道"}
    rows[4]["sex"] = "未说明"
    return make_staged(contracts["residence_permits"], rows)


def _findings(validation) -> list[tuple]:
    return [
        (o.check.key, o.success, o.element_count, o.missing_count, o.unexpected_count, o.row_list)
        for o in validation.outcomes
    ]


def test_the_worker_finds_what_this_process_finds(contracts, permits):
    here = validate_source(contracts["residence_permits"], permits, today=TODAY)
    with validation_process() as validator:
        pending = [validator.submit(contracts[s], permits, TODAY) for s in ("residence_permits",) * 3]
        there = [p.result() for p in pending]
    assert [v.source for v in there] == ["residence_permits"] * 3
    assert all(_findings(v) == _findings(here) for v in there)
    # The rows to fix: the bad check digit, the future birth date and unreadable code, the sex.
    failing = {o.check.key: o.row_list for o in there[0].outcomes if o.unexpected_count}
    assert failing["id_number.id_check_digit"] == [("residence_permits_长春.csv", 2)]
    assert failing["birth_date.date_not_future"] == [("residence_permits_长春.csv", 4)]
    assert failing["sex.sex_encoding"] == [("residence_permits_长春.csv", 5)]


def test_a_worker_that_dies_leaves_the_sources_to_this_process(contracts, permits):
    here = validate_source(contracts["residence_permits"], permits, today=TODAY)
    with validation_process() as validator:
        first = validator.submit(contracts["residence_permits"], permits, TODAY)
        validator._process.kill()  # as the kernel's OOM killer would
        validator._process.wait()
        second = validator.submit(contracts["residence_permits"], permits, TODAY)
        results = [first.result(), second.result()]
    assert [_findings(v) for v in results] == [_findings(here)] * 2


def test_validating_again_in_the_same_process_reuses_the_worker(contracts, permits):
    """GX is imported once per process, as when validation ran in the stage's own process."""
    with validation_process() as validator:
        first = validator.submit(contracts["residence_permits"], permits, TODAY).result()
        pid = validator._process.pid
    with validation_process() as validator:
        again = validator.submit(contracts["residence_permits"], permits, TODAY).result()
        assert validator._process.pid == pid
    assert _findings(again) == _findings(first)


def test_a_deferred_module_loads_when_first_used(monkeypatch):
    """The worker defers modules GX imports but validation never uses; a use still gets the module."""
    import sys

    import expectations.validation_process as vp

    monkeypatch.setattr(vp, "DEFERRED_IMPORTS", ("json.tool",))
    monkeypatch.delitem(sys.modules, "json.tool", raising=False)
    vp._defer_unused_imports()
    deferred = sys.modules["json.tool"]
    assert isinstance(deferred, vp._Deferred)
    assert callable(deferred.main)  # first use: the real module is imported
    assert sys.modules["json.tool"] is not deferred
    assert sys.modules["json.tool"].main is deferred.main


def test_validating_small_extracts_alone_gets_two_workers_and_everything_else_one(tmp_path, monkeypatch):
    import expectations.validation_process as vp

    small = tmp_path / "small"
    small.mkdir()
    (small / "insurance.csv").write_bytes(b"x" * 1_000)
    one_file = tmp_path / "one_file"  # one source: a second worker would have nothing to do
    one_file.mkdir()
    (one_file / "insurance.csv").write_bytes(b"x" * 1_000)
    (small / "vaccination.csv").write_bytes(b"x" * 1_000)
    large = tmp_path / "large"
    large.mkdir()
    with open(large / "insurance.csv", "wb") as f:  # sparse: its size, not its blocks
        f.truncate(vp.SMALL_EXTRACTS + 1)
    # Only the files ingest reads count: a large file beside the extracts is not validated.
    with open(small / "backup.zip", "wb") as f:
        f.truncate(vp.SMALL_EXTRACTS + 1)
    monkeypatch.setattr(vp.os, "cpu_count", lambda: 2)
    assert vp.small_extracts(small) and not vp.small_extracts(large)
    assert vp.workers_for(small, validate_only=True) == 2
    assert vp.workers_for(large, validate_only=True) == 1
    assert vp.small_extracts(one_file) and vp.workers_for(one_file, validate_only=True) == 1
    # A run validates small extracts beside its later stages: a second worker would take their core.
    assert vp.workers_for(small, validate_only=False) == 1
    assert not vp.small_extracts(tmp_path / "missing")  # the command reports the folder missing
    assert vp.workers_for(tmp_path / "missing", validate_only=True) == 1
    monkeypatch.setattr(vp.os, "cpu_count", lambda: 1)  # one core: a second worker only competes
    assert vp.workers_for(small, validate_only=True) == 1


def test_two_early_workers_give_each_source_what_one_gives(contracts, make_staged, permits, tmp_path):
    """Every other source goes to the second worker; each validation is the same as here, in order."""
    import expectations.validation_process as vp

    (tmp_path / "residence_permits.csv").write_text("x", encoding="utf-8")
    (tmp_path / "insurance.csv").write_text("x", encoding="utf-8")
    sources = [
        ("residence_permits", permits),
        ("insurance", make_staged(contracts["insurance"], [])),
        ("residence_permits", permits.head(3)),
        ("person_status", make_staged(contracts["person_status"], [])),
    ]
    here = [validate_source(contracts[s], frame, today=TODAY) for s, frame in sources]
    vp._stop_kept()  # a worker kept by an earlier test of this process: a command starts with none
    vp.start_early(tmp_path, validate_only=True)
    try:
        started = [p.pid for p in vp._early]
        with validation_process() as validator:
            assert isinstance(validator, vp.Workers) and len(started) == 2
            pending = [validator.submit(contracts[s], frame, TODAY) for s, frame in sources]
            there = [p.result() for p in pending]
    finally:
        vp.stop_early()
    assert [v.source for v in there] == [s for s, _ in sources]
    assert [_findings(v) for v in there] == [_findings(v) for v in here]
    assert vp._early == []  # the stage took both workers and stopped them


def test_small_sources_go_to_a_busy_worker_without_waiting_and_large_ones_wait(
    contracts, permits, monkeypatch
):
    """A worker still importing GX answers nothing: small sources are handed over all the same, so
    reading the extracts goes on; beyond two sources of a province's size the reader waits."""
    import subprocess
    import sys
    import threading

    import expectations.validation_process as vp

    busy = subprocess.Popen(  # takes every source and answers none
        [sys.executable, "-c", "import sys; sys.stdin.buffer.read()"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    worker = vp.InWorker(busy)
    handed: list[object] = []

    def read(sources: int) -> threading.Thread:
        reader = threading.Thread(
            target=lambda: [
                handed.append(worker.submit(contracts["residence_permits"], permits, TODAY))
                for _ in range(sources)
            ]
        )
        reader.start()
        reader.join(timeout=10)
        return reader

    try:
        small = read(2 * vp.IN_FLIGHT + 1)
        assert not small.is_alive() and len(handed) == 2 * vp.IN_FLIGHT + 1
        monkeypatch.setattr(vp, "IN_FLIGHT_BYTES", permits.estimated_size())  # as if each were large
        large = read(1)
        assert large.is_alive() and len(handed) == 2 * vp.IN_FLIGHT + 1  # waits for an answer
    finally:
        worker.close(at_once=True)
    large.join(timeout=120)  # the worker stopped: the source is validated in this process instead
    assert not large.is_alive() and handed[-1].result().source == "residence_permits"
