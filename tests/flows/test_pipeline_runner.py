"""The runner's own guarantees: content-keyed stage cache, atomic publish, previous half-year lookup."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

from taizhang import pipeline, publish, stage_cache, versions
from taizhang.errors import PipelineError
from taizhang.period import Period


def _extracts(folder: Path, text: str = "姓名,性别\n张三,男\n") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "residence_permits.csv").write_text(text, encoding="utf-8")
    return folder


def test_extracts_digest_follows_bytes_not_paths(tmp_path):
    a = _extracts(tmp_path / "a")
    b = _extracts(tmp_path / "elsewhere" / "b")
    assert stage_cache.extracts_digest(a) == stage_cache.extracts_digest(b)
    (b / "residence_permits.csv").write_text("姓名,性别\n张三,女\n", encoding="utf-8")
    assert stage_cache.extracts_digest(a) != stage_cache.extracts_digest(b)


@pytest.mark.parametrize("make", ["missing", "empty"])
def test_missing_or_empty_extracts_folder_is_an_expected_error(tmp_path, make):
    folder = tmp_path / "extracts"
    if make == "empty":
        folder.mkdir()
        (folder / "README.txt").write_text("not an extract", encoding="utf-8")
    with pytest.raises(PipelineError) as err:
        stage_cache.extracts_digest(folder)
    assert err.value.code == f"extracts_{make}"
    assert str(folder) in err.value.en


def test_bad_period_names_the_expected_form():
    with pytest.raises(PipelineError, match="2026H1") as err:
        Period.of("2026H3")
    assert err.value.code == "bad_period"


def test_expected_errors_survive_pickling_as_prefect_persists_them():
    err = pickle.loads(pickle.dumps(PipelineError("missing_source", "缺少来源", "source missing")))
    assert isinstance(err, PipelineError)
    assert (err.code, err.zh, err.en) == ("missing_source", "缺少来源", "source missing")


def test_a_finished_stage_is_reused_and_a_crashed_one_leaves_nothing(tmp_path):
    calls = []

    def stage(into: Path, value: int) -> dict[str, int]:
        calls.append(value)
        (into / "t.txt").write_text(str(value))
        return {"rows": value}

    first = stage_cache.run_stage(tmp_path, "standardize", "k1", stage, value=3)
    again = stage_cache.run_stage(tmp_path, "standardize", "k1", stage, value=3)
    assert calls == [3]
    assert (first.cached, again.cached) == (False, True)
    assert again.counts == {"rows": 3}
    assert (again.path / "t.txt").read_text() == "3"

    def crash(into: Path) -> dict[str, int]:
        (into / "half.parquet").write_text("half written")
        raise OSError("disk full")

    with pytest.raises(OSError):
        stage_cache.run_stage(tmp_path, "link", "k2", crash)
    assert list((tmp_path / "link").iterdir()) == []
    assert stage_cache.cached_stage(tmp_path, "link", "k2") is None


def test_a_failed_stage_stops_the_run_before_the_next_and_publishes_nothing(tmp_path, monkeypatch):
    from taizhang import stages

    monkeypatch.setenv(stage_cache.CACHE_DIR_ENV, str(tmp_path / "cache"))  # not the shared cache
    later = []
    monkeypatch.setattr(stages, "standardize", lambda **kw: later.append("standardize") or {})

    def failing(extracts: Path, into: Path, validation_key: str | None = None) -> dict[str, int]:
        raise RuntimeError("stage ingest failed")

    monkeypatch.setattr(stages, "ingest", failing)
    with pytest.raises(RuntimeError, match="stage ingest failed"):
        pipeline.run_period(_extracts(tmp_path / "extracts"), "2026H1", tmp_path / "out")
    assert later == []
    assert sorted(p.name for p in (tmp_path / "out").iterdir() if not p.name.startswith(".")) == [
        "audit.jsonl"
    ]
    assert not list((tmp_path / "cache" / "ingest").glob(f"*/{stage_cache.STAGE_MARKER}"))


def test_publish_replaces_the_old_folder_whole(tmp_path):
    final = tmp_path / "2026H1"
    final.mkdir()
    (final / "old.txt").write_text("old")
    with publish.work_dir_for(tmp_path, "2026H1") as work:
        (work / "new.txt").write_text("new")
        publish.publish(work, final)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["2026H1"]
    assert [p.name for p in final.iterdir()] == ["new.txt"]


def test_a_failed_run_leaves_the_published_folder_untouched_and_no_temporary(tmp_path):
    final = tmp_path / "2026H1"
    final.mkdir()
    (final / "ledger.parquet").write_text("published")
    with pytest.raises(RuntimeError), publish.work_dir_for(tmp_path, "2026H1") as work:
        (work / "ledger.parquet").write_text("half")
        raise RuntimeError("emit failed")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["2026H1"]
    assert (final / "ledger.parquet").read_text() == "published"


def test_leftovers_of_a_killed_run_are_cleaned_and_an_aside_folder_restored(tmp_path):
    (tmp_path / ".2026H1.tmp-abc").mkdir()
    aside = tmp_path / ".2026H1.old-1234"
    aside.mkdir()
    (aside / "ledger.parquet").write_text("published")
    publish.clean_stale(tmp_path, "2026H1")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["2026H1"]
    assert (tmp_path / "2026H1" / "ledger.parquet").read_text() == "published"


def _period_dir(out: Path, name: str) -> Path:
    state = out / name / "state"
    state.mkdir(parents=True)
    (state / "registry.parquet").write_bytes(b"x")
    return out / name


def test_previous_is_the_latest_complete_earlier_half_year(tmp_path):
    _period_dir(tmp_path, "2025H1")
    expected = _period_dir(tmp_path, "2025H2")
    (tmp_path / "2026H1").mkdir()  # incomplete: no registry
    _period_dir(tmp_path, "2026H2")  # later than the period being run
    assert pipeline.find_previous(tmp_path, Period.parse("2026H1")) == expected
    assert pipeline.find_previous(tmp_path, Period.parse("2025H1")) is None


def test_a_named_previous_folder_must_be_a_complete_run(tmp_path):
    (tmp_path / "2025H2").mkdir()
    with pytest.raises(PipelineError) as err:
        pipeline.resolve_previous(tmp_path, Period.parse("2026H1"), tmp_path / "2025H2")
    assert err.value.code == "previous_missing"


def test_stage_keys_chain_so_an_upstream_change_invalidates_downstream(tmp_path):
    a = stage_cache.stage_keys("extracts-a", Period.parse("2026H1"), None)
    b = stage_cache.stage_keys("extracts-b", Period.parse("2026H1"), None)
    assert all(a[s] != b[s] for s in a)
    h2 = stage_cache.stage_keys("extracts-a", Period.parse("2026H2"), None)
    assert a["ingest"] == h2["ingest"] and a["validate"] == h2["validate"]
    assert a["decide"] != h2["decide"]


def test_run_report_versions_name_the_stack():
    assert set(versions.versions()) == {"taizhang", "duckdb", "polars", "prefect", "great-expectations"}
    json.dumps(versions.versions())


def test_a_period_shares_the_cached_stage_files_instead_of_copying_them(tmp_path):
    stage_folder = tmp_path / "cache" / "link" / "k"
    (stage_folder / "validation").mkdir(parents=True)
    (stage_folder / "registry.parquet").write_bytes(b"sealed bytes")
    (stage_folder / "validation" / "index.html").write_text("report")
    state = tmp_path / "2026H1" / "state"
    state.mkdir(parents=True)
    for path in stage_folder.iterdir():
        publish.link_or_copy(path, state / path.name)
    assert (state / "registry.parquet").read_bytes() == b"sealed bytes"
    assert (state / "registry.parquet").stat().st_ino == (stage_folder / "registry.parquet").stat().st_ino
    assert (state / "validation" / "index.html").read_text() == "report"
    # Files are replaced, never rewritten in place: the cache keeps its bytes when the period's change.
    (state / "registry.parquet").unlink()
    (state / "registry.parquet").write_bytes(b"resealed")
    assert (stage_folder / "registry.parquet").read_bytes() == b"sealed bytes"


def test_a_stage_file_on_another_file_system_is_copied(tmp_path, monkeypatch):
    import errno
    import os

    def cross_device(src: object, dst: object) -> None:
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(os, "link", cross_device)
    (tmp_path / "a").write_bytes(b"x")
    publish.link_or_copy(tmp_path / "a", tmp_path / "b")
    assert (tmp_path / "b").read_bytes() == b"x"
    assert (tmp_path / "b").stat().st_ino != (tmp_path / "a").stat().st_ino


@pytest.mark.parametrize("small", [True, False], ids=["small extracts", "large extracts"])
def test_validation_runs_beside_the_later_stages_only_on_small_extracts(
    small, tmp_path, monkeypatch, extracts_root
):
    """Small extracts: the run does not wait for the validation worker before standardizing.
    Larger ones: validation is collected first, so its worker's memory is free for standardize.
    Either way a run that fails later leaves no worker running and keeps the finished reports."""
    import threading

    from expectations import in_flight
    from expectations import validation_process as vp
    from taizhang import stages

    monkeypatch.setenv(stage_cache.CACHE_DIR_ENV, str(tmp_path / "cache"))
    if not small:
        monkeypatch.setattr(vp, "SMALL_EXTRACTS", 0)
    standardizing = threading.Event()
    seen: dict[str, bool] = {}
    real_validate = stages.validate

    def validate(**inputs: object) -> dict[str, int]:
        # Beside: standardize starts while this stage still waits; before it: it never does.
        seen["standardize_started"] = standardizing.wait(timeout=120 if small else 2)
        return real_validate(**inputs)

    def standardize(**inputs: object) -> dict[str, int]:
        standardizing.set()
        raise RuntimeError("stage standardize failed on purpose")

    monkeypatch.setattr(stages, "validate", validate)
    monkeypatch.setattr(stages, "standardize", standardize)
    with pytest.raises(RuntimeError, match="on purpose"):
        pipeline.run_period(extracts_root / "2026H1", "2026H1", tmp_path / "out")
    assert seen == {"standardize_started": small}
    assert list((tmp_path / "cache" / "validate").glob(f"*/{stage_cache.STAGE_MARKER}"))
    assert in_flight._started == {} and vp._early == []


def test_validation_from_a_cached_ingest_gives_the_same_reports(tmp_path, extracts_root):
    """The validate stage after an ingest in this process collects what ingest handed over; after
    an ingest taken from the cache it validates the staged tables itself: the same reports."""
    from taizhang import sealed, stages

    ingest = tmp_path / "ingest"
    ingest.mkdir()
    stages.ingest(extracts_root / "2026H1", ingest, validation_key="this-run")
    handed_over, from_cache = tmp_path / "handed_over", tmp_path / "from_cache"
    handed_over.mkdir(), from_cache.mkdir()
    counts = stages.validate(ingest_dir=ingest, into=handed_over, validation_key="this-run")
    assert counts == stages.validate(ingest_dir=ingest, into=from_cache, validation_key="not-started")

    def reports(folder: Path) -> dict[str, bytes]:
        return {
            str(p.relative_to(folder)): sealed.read_bytes(p)
            for p in sorted((folder / "validation").rglob("*"))
            if p.is_file()
        }

    assert counts["validation_reports"] == len(reports(handed_over)) > 8
    assert reports(handed_over) == reports(from_cache)


def test_on_small_extracts_only_the_province_summary_waits_for_validation(
    tmp_path, monkeypatch, extracts_root
):
    """Emit starts while the validation worker still answers; the province summary, which shows each
    department's data quality, is written once the reports are in the period folder."""
    import threading

    import openpyxl

    from taizhang import stages

    monkeypatch.setenv(stage_cache.CACHE_DIR_ENV, str(tmp_path / "cache"))
    emitting = threading.Event()
    seen: dict[str, bool] = {}
    real_validate, real_emit, real_summarize = stages.validate, stages.emit, stages.summarize

    def validate(**inputs: object) -> dict[str, int]:
        seen["emit_started_before_validation_ended"] = emitting.wait(timeout=300)
        return real_validate(**inputs)

    def emit(**inputs: object) -> dict[str, int]:
        emitting.set()
        return real_emit(**inputs)

    def summarize(out_period_dir: Path, period: Period) -> dict[str, int]:
        seen["reports_there"] = (out_period_dir / "validation" / "summary.json").is_file()
        return real_summarize(out_period_dir=out_period_dir, period=period)

    monkeypatch.setattr(stages, "validate", validate)
    monkeypatch.setattr(stages, "emit", emit)
    monkeypatch.setattr(stages, "summarize", summarize)
    outcome = pipeline.run_period(extracts_root / "2026H1", "2026H1", tmp_path / "out")
    assert seen == {"emit_started_before_validation_ended": True, "reports_there": True}
    quality = openpyxl.load_workbook(outcome.out_dir / "province_summary.xlsx", read_only=True)["数据质量"]
    assert quality.max_row > 8  # a heading and a row per department
    assert (outcome.out_dir / "validation" / "index.html").is_file()


def test_a_cached_validation_stops_the_workers_ingest_started(tmp_path, monkeypatch, extracts_root):
    """Ingest was computed again (its cache folder was deleted) but the validate stage is still in
    the cache: the validation ingest started is stopped as soon as that is known, not at the end."""
    import shutil

    from expectations import in_flight
    from expectations import validation_process as vp
    from taizhang import stages

    monkeypatch.setenv(stage_cache.CACHE_DIR_ENV, str(tmp_path / "cache"))
    monkeypatch.setattr(vp, "SMALL_EXTRACTS", 0)  # validate right after ingest, in this thread
    extracts = extracts_root / "2026H1"
    first = pipeline.run_period(extracts, "2026H1", tmp_path / "out")
    index = (first.out_dir / "validation" / "index.html").read_bytes()
    shutil.rmtree(tmp_path / "cache" / "ingest")
    pending_at_emit: list[int] = []
    real_emit = stages.emit

    def emit(**inputs: object) -> dict[str, int]:
        pending_at_emit.append(len(in_flight._started))
        return real_emit(**inputs)

    monkeypatch.setattr(stages, "emit", emit)
    again = pipeline.run_period(extracts, "2026H1", tmp_path / "out")
    stage_runs = {s: v["cached"] for s, v in again.report["stages"].items() if s in ("ingest", "validate")}
    assert stage_runs == {"ingest": False, "validate": True}
    assert pending_at_emit == [0] and vp._early == []
    assert (again.out_dir / "validation" / "index.html").read_bytes() == index
