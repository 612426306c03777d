"""The three flows under Prefect: crash and resume, reruns, artifacts, county rerun, validation."""

from __future__ import annotations

import json
import shutil

import polars as pl
import pytest

from flows.county_rerun import county_rerun
from flows.semiannual_ledger import semiannual_ledger
from flows.validate_extracts import validate_extracts
from taizhang import pipeline
from tests.flows.helpers import (
    corrected_field_visit_sheet,
    field_visit_county,
    personal_values,
    snapshot,
)

PERIOD = "2026H1"
CACHED_STAGES = ("ingest_and_validate", "standardize", "link")


def _task_states(flow_run_id) -> dict[str, str]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])))
    return {run.name.rsplit("-", 1)[0]: run.state.name for run in runs}


@pytest.fixture(scope="session")
def crashed_then_resumed(prefect_harness, stage_cache, extracts_root, tmp_path_factory):
    """A run killed in the decide stage (after linkage), then run again."""
    out = tmp_path_factory.mktemp("flow-out")
    extracts = str(extracts_root / PERIOD)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(pipeline.FAIL_STAGE_ENV, "decide")
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
    assert [report["stages"][s]["cached"] for s in CACHED_STAGES] == [True, True, True]
    assert report["stages"]["decide"]["cached"] is False
    states = _task_states(crashed_then_resumed["state"].state_details.flow_run_id)
    assert {states[name] for name in ("ingest-and-validate", "standardize", "link")} == {"Cached"}
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
        pl.read_parquet(p).height
        for p in (period_dir / "state").glob("staged_*.parquet")
        if p.stem not in ("staged_person_status",)
    )
    assert links.height == staged_child_rows
    assert links.select("source", "file", "row_number").is_duplicated().sum() == 0
    quarantine = pl.read_parquet(period_dir / "quarantine.parquet")
    assert {"source", "file", "row_number", "reason", "reason_code"} <= set(quarantine.columns)
    report = json.loads((period_dir / "run_report.json").read_text(encoding="utf-8"))
    assert set(report["versions"]) == {"taizhang", "duckdb", "polars", "prefect", "great-expectations"}
    assert set(report["stages"]) == {"ingest_and_validate", "standardize", "link", "decide", "emit"}
    assert (period_dir / "state" / "taizhang.duckdb").is_file()
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


def test_county_rerun_with_a_corrected_sheet_changes_only_that_county(crashed_then_resumed, tmp_path_factory):
    source = crashed_then_resumed["out"]
    out = tmp_path_factory.mktemp("county-rerun-out")
    shutil.copytree(source / PERIOD, out / PERIOD)
    state = out / PERIOD / "state"
    county = field_visit_county(state)
    sheet = corrected_field_visit_sheet(state, county, out / "corrected.xlsx")
    before = snapshot(out / PERIOD)
    ledger_before = pl.read_parquet(out / PERIOD / "ledger.parquet")

    report = county_rerun(county=county, period=PERIOD, out=str(out), field_visits=str(sheet))

    after = snapshot(out / PERIOD)
    workbooks = {k for k in before if k.startswith("counties/")}
    changed = {k for k in workbooks if before[k] != after.get(k)}
    assert changed == {k for k in workbooks if k.startswith(f"counties/{county}_")}
    ledger_after = pl.read_parquet(out / PERIOD / "ledger.parquet")
    others = pl.col("residence_county") != county
    assert ledger_after.filter(others).equals(ledger_before.filter(others))
    assert report["county"] == county


def test_validate_flow_publishes_the_liaison_reports_alone(
    prefect_harness, stage_cache, extracts_root, tmp_path
):
    report = validate_extracts(extracts=str(extracts_root / "2026H2"), out=str(tmp_path))
    folder = tmp_path / "validation"
    assert (folder / "index.html").is_file()
    assert (folder / "quarantine.parquet").is_file()
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".")) == ["validation"]
    assert report["stages"]["ingest_and_validate"]["counts"]["validation_reports"] > 0


def test_a_missing_required_source_fails_the_run_clearly(
    prefect_harness, stage_cache, extracts_root, tmp_path
):
    extracts = tmp_path / "extracts"
    shutil.copytree(extracts_root / PERIOD, extracts)
    for path in extracts.glob("residence_permits*"):
        path.unlink()
    with pytest.raises(pipeline.PipelineError) as err:
        semiannual_ledger(period=PERIOD, extracts=str(extracts), out=str(tmp_path / "out"))
    assert err.value.code == "missing_source"
    assert "residence_permits" in err.value.en
    assert not (tmp_path / "out" / PERIOD).exists()
