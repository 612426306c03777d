"""The ``taizhang`` command line: generate, validate, run, rerun-county, demo.

Each command runs the same Prefect flows the deployments run, with Prefect in
ephemeral mode: no server to set up, its database under ``./.prefect/`` (or
``PREFECT_HOME``), analytics off and the temporary server's harmless
"database is locked" noise silenced. ``--no-prefect`` runs the same stages
without Prefect at all.

Expected errors (a missing source, a bad period, an empty folder, a stage not
built yet) end with a bilingual message and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

EXIT_EXPECTED_ERROR = 2
DEMO_CHILDREN = 3000
DEMO_SEED = 20260630
DEMO_PERIODS = ("2026H1", "2026H2")


def configure_prefect_environment(project_dir: Path | None = None) -> None:
    """Ephemeral Prefect with a project-local home, set before Prefect is imported.

    Only unset variables are filled in, so an operator pointing the CLI at a
    real server (``PREFECT_API_URL``) or another home keeps their choice.
    """
    home = (project_dir or Path.cwd()) / ".prefect"
    defaults = {
        "PREFECT_HOME": str(home),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        # The temporary server's periodic services log "database is locked"
        # tracebacks that the Prefect maintainers call harmless (PrefectHQ/prefect#18934).
        "PREFECT_SERVER_LOGGING_LEVEL": "CRITICAL",
        "PREFECT_LOGGING_LEVEL": "WARNING",
        # A first start on a fresh home runs the database migrations (can take a while on 2 cores).
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
    }
    for name, value in defaults.items():
        os.environ.setdefault(name, value)


class _DropLockedNoise(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            text += str(record.exc_info[1])
        return "database is locked" not in text


class _DropExpectedErrors(logging.Filter):
    """Prefect logs a failed run with a traceback; for an expected error the CLI's own message is enough."""

    def filter(self, record: logging.LogRecord) -> bool:
        from taizhang.pipeline import PipelineError

        if record.exc_info and isinstance(record.exc_info[1], PipelineError):
            return False
        text = record.getMessage()
        return not any(name in text for name in ("PipelineError", "StageUnavailable"))


def _quiet_logs() -> None:
    for name in ("prefect", "prefect.server", "prefect.client", "sqlalchemy", "uvicorn", "httpx"):
        logging.getLogger(name).addFilter(_DropLockedNoise())
    for name in ("prefect.flow_runs", "prefect.task_runs", "prefect.flow_engine", "prefect.task_engine"):
        logging.getLogger(name).addFilter(_DropExpectedErrors())


def _console() -> Any:
    from rich.console import Console

    return Console(stderr=False, highlight=False)


# --------------------------------------------------------------------------- commands


def _progress() -> Any:
    from taizhang import progress

    bar = progress.RichProgress()
    return bar, progress.reporting(bar)


def _with_progress(fn: Callable[[], Any]) -> Any:
    bar, ctx = _progress()
    with bar, ctx:
        return fn()


def cmd_generate(args: argparse.Namespace) -> int:
    from taizhang import pipeline

    try:
        generate = importlib.import_module("taizhang.generate").generate
    except (ModuleNotFoundError, AttributeError):
        raise pipeline.StageUnavailable("generate", "taizhang.generate.generate") from None
    periods = [pipeline.parse_period(p) for p in args.periods.split(",") if p.strip()]
    started = time.perf_counter()
    marks = False if getattr(args, "no_marks", False) else None
    generate(Path(args.out), args.children, args.seed, [str(p) for p in periods], args.noise, marks=marks)
    _console().print(
        f"已生成样例数据 Generated sample extracts for {', '.join(map(str, periods))} "
        f"in [bold]{args.out}[/bold] ({time.perf_counter() - started:.1f} s)"
    )
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from taizhang import pipeline

    pipeline.check_extracts_folder(Path(args.extracts))
    if args.no_prefect:
        outcome = _with_progress(lambda: pipeline.validate_only(Path(args.extracts), Path(args.out)))
        folder = outcome.out_dir
    else:
        from flows.validate_extracts import validate_extracts

        _with_progress(lambda: validate_extracts(extracts=args.extracts, out=args.out))
        folder = Path(args.out) / "validation"
    index = folder / "index.html"
    _console().print(
        f"校验报告 Validation reports: [bold]{folder}[/bold]"
        + (f"\n  打开 open: {index}" if index.is_file() else "")
    )
    return 0


def _run(extracts: str, period: str, out: str, previous: str | None, no_prefect: bool) -> dict:
    from taizhang import pipeline

    if no_prefect:
        return _with_progress(
            lambda: pipeline.run_period(
                Path(extracts), period, Path(out), Path(previous) if previous else None
            )
        ).report
    from flows.semiannual_ledger import semiannual_ledger

    return _with_progress(
        lambda: semiannual_ledger(period=period, extracts=extracts, out=out, previous=previous)
    )


def _print_outputs(period_dir: Path) -> None:
    from taizhang import run_report

    totals = run_report.ledger_totals(period_dir / "ledger.parquet")
    _console().print(
        f"输出 Outputs: [bold]{period_dir}[/bold]\n"
        f"  流动儿童 migrant children: {totals['children']:,}; "
        f"疑似孤儿 suspected orphans: {totals['suspected_orphan']:,}; "
        f"疑似事实无人抚养 suspected de facto unsupported: {totals['suspected_unsupported']:,}; "
        f"县 counties: {totals['counties']}"
    )


def _print_file_errors(errors_json: Path) -> None:
    """Name each file the run could not read, with its reason (file names and headers only, no value)."""
    if not errors_json.is_file():
        return
    from rich.markup import escape

    errors = json.loads(errors_json.read_text(encoding="utf-8"))
    for e in errors:
        if isinstance(e, dict) and e.get("file") and e.get("code") != "unknown_file":
            _console().print(
                f"[yellow]未读取 not read[/yellow]: {escape(str(e['file']))} ({escape(str(e.get('code')))})\n"
                f"  {escape(str(e.get('message_zh')))}\n  {escape(str(e.get('message_en')))}",
                highlight=False,
            )


def cmd_run(args: argparse.Namespace) -> int:
    from taizhang import pipeline

    period = str(pipeline.parse_period(args.period))
    pipeline.check_extracts_folder(Path(args.extracts))
    _run(args.extracts, period, args.out, args.previous, args.no_prefect)
    _print_file_errors(Path(args.out) / period / "state" / "errors.json")
    _print_outputs(Path(args.out) / period)
    return 0


def cmd_rerun_county(args: argparse.Namespace) -> int:
    from taizhang import pipeline

    period = str(pipeline.parse_period(args.period))
    pipeline.check_county(args.county)
    if not pipeline.is_complete_period_dir(Path(args.out) / period):
        pipeline.rerun_county(args.county, period, Path(args.out))  # raises the "run it first" error
    if args.no_prefect:
        _with_progress(
            lambda: pipeline.rerun_county(
                args.county, period, Path(args.out), Path(args.field_visits) if args.field_visits else None
            )
        )
    else:
        from flows.county_rerun import county_rerun

        _with_progress(
            lambda: county_rerun(
                county=args.county, period=period, out=args.out, field_visits=args.field_visits
            )
        )
    workbooks = sorted((Path(args.out) / period / "counties").glob(f"{args.county.strip()}_*.xlsx"))
    where = workbooks[0] if workbooks else Path(args.out) / period / "counties"
    _console().print(f"已重算 Rebuilt county {args.county} of {period}: [bold]{where}[/bold]")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Sample extracts for two half-years into ./demo, both runs, and a summary for a new user."""
    from taizhang import pipeline, run_report

    root = Path(args.dir)
    extracts_root = root / "extracts"
    out = root / "out"
    gen = argparse.Namespace(
        out=str(extracts_root),
        children=args.children,
        seed=DEMO_SEED,
        periods=",".join(DEMO_PERIODS),
        noise="default",
    )
    cmd_generate(gen)
    started = time.perf_counter()
    for period in DEMO_PERIODS:
        folder = extracts_root / period
        if not folder.is_dir():
            raise pipeline.PipelineError(
                "extracts_missing",
                f"样例数据缺少 {folder}。",
                f"the generated sample has no folder {folder}.",
            )
        _run(str(folder), period, str(out), None, args.no_prefect)
    console = _console()
    console.rule("taizhang demo")
    for period in DEMO_PERIODS:
        totals = run_report.ledger_totals(out / period / "ledger.parquet")
        console.print(
            f"[bold]{period}[/bold]: {totals['children']:,} 名流动儿童 migrant children, "
            f"{totals['suspected_orphan']:,} 疑似孤儿 suspected orphans, "
            f"{totals['suspected_unsupported']:,} 疑似事实无人抚养 suspected de facto unsupported, "
            f"{totals['counties']} 个县（市、区）counties"
        )
    last = out / DEMO_PERIODS[-1]
    console.print(
        f"\n样例数据 Sample extracts: {extracts_root}\n"
        f"输出 Outputs: {out}  (用时 took {time.perf_counter() - started:.0f} s)\n"
        f"  - 全省台账 province ledger: {last / 'ledger.parquet'}\n"
        f"  - 各县台账 county workbooks (Excel): {last / 'counties'}\n"
        f"  - 疑似标记与依据 flags with evidence: {last / 'flags.parquet'}\n"
        f"  - 数据校验报告 validation reports for department liaisons: {last / 'validation' / 'index.html'}\n"
        f"  - 运行报告 run report: {last / 'run_report.json'}\n"
        "下一步 Next: README.md 说明如何用真实数据运行 explains how to run on real extracts."
    )
    return 0


# --------------------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="taizhang",
        description="吉林省流动儿童台账 Jilin migrant-children ledger: validate extracts, build ledgers.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    g = sub.add_parser("generate", help="synthetic extracts with ground truth (demo, tests, benchmarks)")
    g.add_argument("--out", required=True, help="folder to write the extracts into")
    g.add_argument("--children", type=int, required=True, help="number of children to simulate")
    g.add_argument("--seed", type=int, required=True, help="random seed (same seed, same files)")
    g.add_argument(
        "--periods", default="2026H1,2026H2", help="comma-separated half-years (default 2026H1,2026H2)"
    )
    g.add_argument(
        "--noise", choices=("default", "heavy"), default="default", help="how messy the extracts are"
    )
    g.add_argument(
        "--no-marks",
        action="store_true",
        help="no junk rows, annotated headers, titles or extra sheets (the same records otherwise)",
    )
    g.set_defaults(func=cmd_generate)

    v = sub.add_parser("validate", help="liaison validation reports for an extracts folder")
    v.add_argument("--extracts", required=True, help="folder with the departments' extract files")
    v.add_argument("--out", required=True, help="output root; reports go to <out>/validation/")
    v.set_defaults(func=cmd_validate)

    r = sub.add_parser("run", help="build one half-year's ledger")
    r.add_argument("--extracts", required=True, help="folder with the departments' extract files")
    r.add_argument("--period", required=True, help="half-year, e.g. 2026H1 or 2026H2")
    r.add_argument("--out", required=True, help="output root; the ledger goes to <out>/<period>/")
    r.add_argument("--previous", help="previous half-year's folder (default: latest earlier one in --out)")
    r.set_defaults(func=cmd_run)

    c = sub.add_parser("rerun-county", help="rebuild one county's outputs of a finished half-year")
    c.add_argument("--county", required=True, help="6-digit county code, e.g. 220102")
    c.add_argument("--period", required=True, help="half-year, e.g. 2026H1")
    c.add_argument("--out", required=True, help="output root holding <period>/")
    c.add_argument("--field-visits", help="corrected field-visit sheet for this county (XLSX or CSV)")
    c.set_defaults(func=cmd_rerun_county)

    d = sub.add_parser("demo", help="sample extracts for two half-years into ./demo, run both, summarise")
    d.add_argument("--dir", default="demo", help="demo folder (default ./demo)")
    d.add_argument(
        "--children", type=int, default=DEMO_CHILDREN, help=f"children to simulate (default {DEMO_CHILDREN})"
    )
    d.set_defaults(func=cmd_demo)

    for p in (v, r, c, d):
        p.add_argument("--no-prefect", action="store_true", help="run the stages directly, without Prefect")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_prefect_environment()
    _quiet_logs()
    from taizhang.pipeline import PipelineError

    try:
        return args.func(args)
    except PipelineError as exc:
        print(f"错误：{exc.zh}\nError: {exc.en}", file=sys.stderr)
        return EXIT_EXPECTED_ERROR
    except KeyboardInterrupt:
        print("已中断 Interrupted; nothing half-written was published.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
