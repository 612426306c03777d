"""The three flows under Prefect: crash and resume, reruns, artifacts, county rerun, validation."""

from __future__ import annotations

import hashlib
import json
import shutil
import warnings
from pathlib import Path

import polars as pl
import pytest

from flows.county_rerun import county_rerun
from flows.semiannual_ledger import semiannual_ledger
from flows.validate_extracts import validate_extracts
from taizhang import audit, sealed, stages
from taizhang import stage_cache as cache
from taizhang.errors import PipelineError
from taizhang.period import Period
from tests.flows.helpers import (
    corrected_field_visit_sheet,
    field_visit_county,
    personal_values,
    snapshot,
)

PERIOD = "2026H1"
CACHED_STAGES = ("ingest", "validate", "standardize", "link")


def _task_states(flow_run_id) -> dict[str, str]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])))
    return {run.name.rsplit("-", 1)[0]: run.state.name for run in runs}


def _failing_decide(**inputs: object) -> dict[str, int]:
    raise RuntimeError("stage decide failed on purpose")


@pytest.fixture(scope="session")
def crashed_then_resumed(prefect_harness, stage_cache, extracts_root, tmp_path_factory):
    """A run that fails in the decide stage (after linkage, injected), then run again.

    The real kill of a running `taizhang run` is in test_kill_and_resume.py.
    """
    out = tmp_path_factory.mktemp("flow-out")
    extracts = str(extracts_root / PERIOD)
    # An earlier test may have finished decide for these inputs in the shared cache; the crash
    # must happen in decide, so that entry goes (ingest, standardize and link stay cached).
    keys = cache.stage_keys(cache.extracts_digest(Path(extracts)), Period.of(PERIOD), None)
    shutil.rmtree(cache.stage_dir(stage_cache, "decide", keys["decide"]), ignore_errors=True)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(stages, "decide", _failing_decide)
        crashed = semiannual_ledger(period=PERIOD, extracts=extracts, out=str(out), return_state=True)
    left_after_crash = sorted(p.name for p in out.iterdir())
    state = semiannual_ledger(period=PERIOD, extracts=extracts, out=str(out), return_state=True)
    return {
        "out": out,
        "extracts": extracts,
        "crashed": crashed,
        "left_after_crash": left_after_crash,
        "state": state,
        "report": state.result(),
    }


def test_a_crash_after_linkage_publishes_nothing(crashed_then_resumed):
    assert crashed_then_resumed["crashed"].is_failed()
    left = crashed_then_resumed["left_after_crash"]
    assert PERIOD not in left
    assert not [name for name in left if name.startswith(f".{PERIOD}.")]


def test_the_rerun_resumes_from_the_cache_after_linkage(crashed_then_resumed):
    report = crashed_then_resumed["report"]
    assert crashed_then_resumed["state"].is_completed()
    assert [report["stages"][s]["cached"] for s in CACHED_STAGES] == [True, True, True, True]
    assert report["stages"]["decide"]["cached"] is False
    states = _task_states(crashed_then_resumed["state"].state_details.flow_run_id)
    assert {states[name] for name in ("ingest", "validate", "standardize", "link")} == {"Cached"}
    assert states["decide"] == "Completed"


def test_a_rerun_with_unchanged_inputs_is_cached_and_byte_identical(crashed_then_resumed):
    out = crashed_then_resumed["out"]
    before = snapshot(out / PERIOD)
    report = semiannual_ledger(period=PERIOD, extracts=crashed_then_resumed["extracts"], out=str(out))
    assert all(report["stages"][s]["cached"] for s in (*CACHED_STAGES, "decide"))
    assert snapshot(out / PERIOD) == before


def test_links_quarantine_and_run_report_follow_the_output_contract(crashed_then_resumed):
    period_dir = crashed_then_resumed["out"] / PERIOD
    links = pl.read_parquet(period_dir / "links.parquet")
    assert links.columns[:4] == ["source", "file", "row_number", "child_id"]
    assert links["child_id"].null_count() == 0
    assert "person_status" not in links["source"].unique().to_list()
    staged_child_rows = sum(
        sealed.read_frame(p).height
        for p in (period_dir / "state").glob("staged_*.parquet")
        if p.stem not in ("staged_person_status",)
    )
    assert links.height == staged_child_rows
    assert links.select("source", "file", "row_number").is_duplicated().sum() == 0
    quarantine = pl.read_parquet(period_dir / "quarantine.parquet")
    assert {"source", "file", "row_number", "reason", "reason_code"} <= set(quarantine.columns)
    report = json.loads((period_dir / "run_report.json").read_text(encoding="utf-8"))
    assert set(report["versions"]) == {"taizhang", "duckdb", "polars", "prefect", "great-expectations"}
    expected = {"ingest", "validate", "standardize", "link", "decide", "emit", "summarize"}
    assert set(report["stages"]) == expected
    # The working state is sealed: no clear DuckDB database, every table encrypted.
    assert not list((period_dir / "state").glob("*.duckdb"))
    assert all(sealed.is_sealed(p) for p in (period_dir / "state").glob("*.parquet"))
    assert (period_dir / "validation" / "index.html").is_file()
    assert list((period_dir / "counties").glob("*.xlsx"))


def test_no_artifact_or_run_report_carries_personal_information(crashed_then_resumed):
    from prefect.client.orchestration import get_client

    period_dir = crashed_then_resumed["out"] / PERIOD
    secrets = personal_values(period_dir / "state")
    assert len(secrets) > 100  # the fixture really has names, ids and phones to leak
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts()
    keys = {a.key for a in artifacts}
    for name in ("sources", "quarantine", "linkage", "flags-per-county", "summary"):
        assert f"taizhang-2026h1-{name}" in keys
    texts = [json.dumps([a.data, a.description], ensure_ascii=False) for a in artifacts]
    texts.append((period_dir / "run_report.json").read_text(encoding="utf-8"))
    for text in texts:
        assert "艾滋病病毒感染" not in text
        leaked = [v for v in secrets if v in text]
        assert not leaked, f"{len(leaked)} personal values found in an artifact"


# Files that gather the children of every county: after a county rerun with a corrected
# sheet they differ only in that county's children's rows.
PROVINCE_TABLES = ("ledger.parquet", "flags.parquet", "review.parquet", "changes.parquet")
# The corrected sheet becomes the period's linked state, so a later rerun starts from it.
RELINKED_STATE = ("state/std_records.parquet", "state/record_child.parquet")


def _all_files(folder) -> dict[str, str]:
    """sha256 of every file under ``folder``, nothing left out (unlike ``snapshot``)."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _push_rows(path, county_children: set[str]) -> list[tuple]:
    """A push list's rows of children living elsewhere, without the running number."""
    import openpyxl

    rows = []
    for sheet in openpyxl.load_workbook(path, read_only=True):
        values = list(sheet.iter_rows(values_only=True))
        if not values:
            continue
        header = list(values[0])
        child = header.index("儿童编号") if "儿童编号" in header else None
        keep = [i for i, name in enumerate(header) if name != "序号"]
        for row in values[1:]:
            if child is None or row[child] not in county_children:
                rows.append((sheet.title, *(row[i] for i in keep)))
    return rows


def _copy_of_the_period(crashed_then_resumed, tmp_path_factory, name):
    out = tmp_path_factory.mktemp(name)
    shutil.copytree(crashed_then_resumed["out"] / PERIOD, out / PERIOD)
    return out


def test_county_rerun_with_a_corrected_sheet_changes_only_that_county(crashed_then_resumed, tmp_path_factory):
    out = _copy_of_the_period(crashed_then_resumed, tmp_path_factory, "county-rerun-out")
    period_dir, state = out / PERIOD, out / PERIOD / "state"
    county = field_visit_county(state)
    sheet = corrected_field_visit_sheet(state, county, out / "corrected.xlsx")
    saved = tmp_path_factory.mktemp("county-rerun-before")
    shutil.copytree(period_dir, saved / PERIOD)
    before = _all_files(period_dir)

    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no numpy warning reaches the analyst
        report = county_rerun(county=county, period=PERIOD, out=str(out), field_visits=str(sheet))

    after = _all_files(period_dir)
    assert report["county"] == county
    # The corrected records name the sheet the analyst gave, not the copy the rerun read.
    records = sealed.read_frame(state / "std_records.parquet")
    files = records.filter(pl.col("source") == "field_visits")["file"]
    assert "corrected.xlsx" in set(files)
    assert not [f for f in files.unique() if f.startswith(f"field_visits_{county}")]
    assert set(after) - set(before) == {f"state/county_reruns/{county}.json"}
    assert set(before) <= set(after)
    changed = {k for k in before if before[k] != after[k]}
    workbook = next(k for k in before if k.startswith(f"counties/{county}_"))
    assert workbook in changed, "the corrected guardianship must reach the county's workbook"
    # Every other file - the other counties' workbooks, validation reports, quarantine,
    # links, the run report, the rest of the state - is byte for byte as it was.
    allowed = {workbook, *PROVINCE_TABLES, *RELINKED_STATE}
    allowed |= {"province_summary.parquet", "province_summary.xlsx", "province_summary.html"}
    allowed |= {k for k in before if k.startswith("push/")}
    assert changed <= allowed, sorted(changed - allowed)

    old_ledger = pl.read_parquet(saved / PERIOD / "ledger.parquet")
    new_ledger = pl.read_parquet(period_dir / "ledger.parquet")
    children = {
        *old_ledger.filter(pl.col("residence_county") == county)["child_id"],
        *new_ledger.filter(pl.col("residence_county") == county)["child_id"],
    }
    assert children
    elsewhere = ~pl.col("child_id").is_in(sorted(children))
    for name in PROVINCE_TABLES:
        old, new = pl.read_parquet(saved / PERIOD / name), pl.read_parquet(period_dir / name)
        same = new.filter(elsewhere).equals(old.filter(elsewhere))  # no frame in a failure message
        assert same, f"{name}: rows of other counties' children changed"
    other_counties = pl.col("county_code") != county
    old_summary = pl.read_parquet(saved / PERIOD / "province_summary.parquet")
    new_summary = pl.read_parquet(period_dir / "province_summary.parquet")
    same = new_summary.filter(other_counties).equals(old_summary.filter(other_counties))
    assert same, "province summary rows of other counties changed"
    for name in (k for k in changed if k.startswith("push/")):
        same = _push_rows(period_dir / name, children) == _push_rows(saved / PERIOD / name, children)
        assert same, f"{name}: rows of other counties' children changed"


def test_county_rerun_takes_only_its_own_rows_from_a_sheet_of_several_counties(
    crashed_then_resumed, tmp_path_factory
):
    out = _copy_of_the_period(crashed_then_resumed, tmp_path_factory, "county-rerun-prefecture")
    state = out / PERIOD / "state"
    county = field_visit_county(state)
    sheet = corrected_field_visit_sheet(state, None, out / "prefecture.xlsx")
    visits = pl.col("source") == "field_visits"
    before = sealed.read_frame(state / "std_records.parquet").filter(visits)

    report = county_rerun(county=county, period=PERIOD, out=str(out), field_visits=str(sheet))

    after = sealed.read_frame(state / "std_records.parquet").filter(visits)
    ours = pl.col("residence_county") == county
    others = pl.col("residence_county").is_not_null() & ~ours
    assert before.filter(others).height > 0
    same = after.filter(others).equals(before.filter(others))  # no record in a failure message
    assert same, "another county's field-visit records changed"
    assert after.filter(ours).height == before.filter(ours).height
    assert after.filter(ours)["guardianship"].unique().to_list() == ["监护缺失"]
    assert report["field_visits"]["field_visit_rows_of_other_counties"] == before.filter(others).height


def test_county_rerun_with_another_countys_sheet_is_refused(crashed_then_resumed, tmp_path_factory):
    out = _copy_of_the_period(crashed_then_resumed, tmp_path_factory, "county-rerun-wrong-sheet")
    state = out / PERIOD / "state"
    county = field_visit_county(state)
    sheet = corrected_field_visit_sheet(state, county, out / "corrected.xlsx")
    other = next(c for c in ("220102", "220103", "220104", "220105") if c != county)
    before = _all_files(out / PERIOD)
    with pytest.raises(PipelineError) as err:
        county_rerun(county=other, period=PERIOD, out=str(out), field_visits=str(sheet))
    assert err.value.code == "field_visits_other_county"
    assert _all_files(out / PERIOD) == before


def test_cli_rerun_county_without_a_sheet_leaves_every_file_byte_identical(
    crashed_then_resumed, tmp_path_factory, monkeypatch, capsys
):
    """A fresh ledger for one county: the same decisions, so every byte of the period stays."""
    from taizhang import cli

    out = _copy_of_the_period(crashed_then_resumed, tmp_path_factory, "cli-county-rerun-out")
    period_dir = out / PERIOD
    county = field_visit_county(period_dir / "state")
    workbook = next((period_dir / "counties").glob(f"{county}_*.xlsx"))
    before = _all_files(period_dir)
    modified = {p: p.stat().st_mtime_ns for p in period_dir.rglob("*") if p.is_file()}
    for name in ("PREFECT_HOME", "PREFECT_LOGGING_LEVEL", "PREFECT_SERVER_LOGGING_LEVEL"):
        monkeypatch.delenv(name, raising=False)  # the CLI fills these in; undone after the test
    monkeypatch.setenv("PREFECT_HOME", str(out / ".prefect"))

    code = cli.main(["rerun-county", "--county", county, "--period", PERIOD, "--out", str(out)])

    assert code == 0
    assert str(workbook) in capsys.readouterr().out.replace("\n", "")
    rerun = json.loads((period_dir / "state" / "county_reruns" / f"{county}.json").read_text("utf-8"))
    assert rerun["stages"]["emit"]["counts"]["county_workbooks_written"] == 1
    after = _all_files(period_dir)
    assert set(after) - set(before) == {f"state/county_reruns/{county}.json"}
    assert {k: after[k] for k in before} == before
    # Same bytes are not even rewritten: a director with a workbook open sees no change.
    assert {p: p.stat().st_mtime_ns for p in modified} == modified


def test_validate_flow_publishes_the_liaison_reports_alone(
    prefect_harness, stage_cache, extracts_root, tmp_path
):
    report = validate_extracts(extracts=str(extracts_root / "2026H2"), out=str(tmp_path))
    folder = tmp_path / "validation"
    assert (folder / "index.html").is_file()
    assert (folder / "quarantine.parquet").is_file()
    # The reports, and the audit line that says who validated what.
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".")) == [
        "audit.jsonl",
        "validation",
    ]
    (entry,) = audit.read(tmp_path)
    assert entry["command"] == "validate" and entry["outcome"] == "ok"
    assert report["stages"]["validate"]["counts"]["validation_reports"] > 0


def test_a_missing_required_source_fails_the_run_clearly(
    prefect_harness, stage_cache, extracts_root, tmp_path
):
    extracts = tmp_path / "extracts"
    shutil.copytree(extracts_root / PERIOD, extracts)
    for path in extracts.glob("residence_permits*"):
        path.unlink()
    with pytest.raises(PipelineError) as err:
        semiannual_ledger(period=PERIOD, extracts=str(extracts), out=str(tmp_path / "out"))
    assert err.value.code == "missing_source"
    assert "residence_permits" in err.value.en
    assert not (tmp_path / "out" / PERIOD).exists()
