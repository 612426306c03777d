"""prefect.yaml: every entrypoint imports, every schedule is a valid cron in Asia/Shanghai."""

from __future__ import annotations

import importlib
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from cronsim import CronSim
from prefect.client.schemas.schedules import CronSchedule

from flows.semiannual_ledger import period_for_run_date

ROOT = Path(__file__).resolve().parents[2]
CONFIG = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))
DEPLOYMENTS = {d["name"]: d for d in CONFIG["deployments"]}


@pytest.mark.parametrize("name", sorted(DEPLOYMENTS))
def test_entrypoint_imports_a_flow_with_the_documented_parameters(name):
    deployment = DEPLOYMENTS[name]
    path, func = deployment["entrypoint"].split(":")
    assert (ROOT / path).is_file()
    module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
    flow = getattr(module, func)
    assert hasattr(flow, "deploy"), f"{deployment['entrypoint']} is not a Prefect flow"
    params = set(flow.parameters.properties)
    required = set(flow.parameters.required or [])
    # A required parameter given a null default would make the server reject the deployment
    # (its schema is enforced), so it is left out and asked for at run time.
    assert not required & set(deployment["parameters"])
    assert set(deployment["parameters"]) | required == params
    assert deployment["work_pool"]["name"] == "taizhang-pool"


def test_pull_step_sets_the_working_directory():
    steps = [next(iter(step)) for step in CONFIG["pull"]]
    assert steps == ["prefect.deployments.steps.set_working_directory"]


def test_only_the_half_yearly_deployment_is_scheduled():
    assert [n for n, d in DEPLOYMENTS.items() if d.get("schedules")] == ["semiannual"]


def test_schedules_are_valid_crons_in_shanghai_firing_in_january_and_july():
    months = set()
    for schedule in DEPLOYMENTS["semiannual"]["schedules"]:
        assert schedule["timezone"] == "Asia/Shanghai"
        CronSchedule(cron=schedule["cron"], timezone=schedule["timezone"])  # raises on an invalid cron
        start = datetime(2026, 11, 28, tzinfo=ZoneInfo("Asia/Shanghai"))
        fires = CronSim(schedule["cron"], start)
        first, second = next(fires), next(fires)
        assert first.day <= 10, "the run comes early in the month, after the extracts arrive"
        assert (second - first).days >= 360, "each schedule fires once a year"
        months.add(first.month)
    assert months == {1, 7}


@pytest.mark.parametrize(
    ("run_date", "period"),
    [
        (date(2027, 1, 5), "2026H2"),
        (date(2026, 7, 5), "2026H1"),
        (date(2026, 6, 30), "2025H2"),
        (date(2026, 12, 31), "2026H1"),
    ],
)
def test_period_defaults_to_the_last_half_year_that_ended(run_date, period):
    assert str(period_for_run_date(run_date)) == period
