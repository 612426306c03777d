"""The ``taizhang`` command line: generate, validate, run, rerun-county, rotate-key, demo.

Where a Prefect server is configured (``PREFECT_API_URL``), each command
runs the same Prefect flows the deployments run, so the run shows there.
Without one, Prefect could only run a flow against a temporary server it
starts for the command (about 15 s on 2 cores) and keeps nothing of, so the
commands run the same stage functions directly and do not import Prefect at
all; ``--no-prefect`` asks for that with a server too. Prefect's settings are
filled in for the flows all the same (``taizhang.prefect_setup``): its database under ``./.prefect/`` (or
``PREFECT_HOME``), analytics off and the temporary server's harmless
"database is locked" noise silenced.

Expected errors (a missing source, a bad period, an empty folder, no key or a
wrong one, a busy output folder, a full or read-only disk) end with a
bilingual message and exit code 2, never a traceback. The process creates
files for its owner only (umask 077) and masks personal values in every log
record and uncaught error (``taizhang.logmask``).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from taizhang.period import Period

EXIT_EXPECTED_ERROR = 2
DEMO_CHILDREN = 3000
DEMO_SEED = 20260630
DEMO_PERIOD_COUNT = 2  # the demo runs the latest half-years that have ended, oldest first


def _console() -> Any:
    from rich.console import Console

    return Console(stderr=False, highlight=False)


# --------------------------------------------------------------------------- commands


def _progress(label: str = "") -> Any:
    from taizhang import progress

    bar = progress.RichProgress(label)
    return bar, progress.reporting(bar)


def _with_progress(fn: Callable[[], Any], label: str = "") -> Any:
    bar, ctx = _progress(label)
    with bar, ctx:
        return fn()


def default_periods(count: int = DEMO_PERIOD_COUNT) -> list[str]:
    """The latest half-years that have ended, oldest first (a running half-year has no full extracts)."""
    from taizhang.period import latest_ended

    return [str(p) for p in latest_ended(count, date.today())]


def cmd_generate(args: argparse.Namespace) -> int:
    from taizhang.generate import generate
    from taizhang.period import Period

    texts = args.periods.split(",") if args.periods else default_periods()
    periods = [Period.of(p) for p in texts if p.strip()]
    started = time.perf_counter()
    marks = False if getattr(args, "no_marks", False) else None
    generate(
        Path(args.out),
        args.children,
        args.seed,
        [str(p) for p in periods],
        args.noise,
        marks=marks,
        names=getattr(args, "names", "pooled"),
    )
    _console().print(
        f"已生成样例数据 Generated sample extracts for {', '.join(map(str, periods))} "
        f"in [bold]{args.out}[/bold] ({time.perf_counter() - started:.1f} s)"
    )
    return 0


def _unreadable_message(folder: Path) -> str | None:
    """The files the reports marked unreadable, as a bilingual line per file, or None."""
    from expectations.report import unreadable_files

    bad = unreadable_files(folder)
    if not bad:
        return None
    lines = [f"  - {u['file']}（{u['source']}）：{u['reason']}" for u in bad]
    return (
        f"错误：{len(bad)} 个文件无法读取，其数据未能校验：\n"
        + "\n".join(lines)
        + "\n请按报告修正后重新报送，再运行一次校验。"
        + f"\nError: {len(bad)} received file(s) could not be read; "
        "fix them as the report says and validate again."
    )


def _as_flow(no_prefect: bool) -> bool:
    """Whether a command runs as a Prefect flow.

    Only when a Prefect server is configured (``PREFECT_API_URL``), so the run shows there.
    Without one, Prefect would start a temporary server for the command (about 15 s on 2 cores)
    and keep nothing of it, so the stages run directly: a liaison's or county analyst's check
    takes seconds, and a run resumes from its own stage cache all the same.
    """
    return not no_prefect and bool(os.environ.get("PREFECT_API_URL"))


def cmd_validate(args: argparse.Namespace) -> int:
    from taizhang.stage_cache import check_extracts_folder

    check_extracts_folder(Path(args.extracts))
    if not _as_flow(args.no_prefect):
        from taizhang import pipeline

        outcome = _with_progress(lambda: pipeline.validate_only(Path(args.extracts), Path(args.out)))
        folder = outcome.out_dir
    else:
        from flows.validate_extracts import validate_extracts

        _with_progress(lambda: validate_extracts(extracts=args.extracts, out=args.out))
        folder = Path(args.out) / "validation"
    index = folder / "index.html"
    _console().print(
        f"校验报告 Validation reports: [bold]{folder}[/bold]"
        + (f"\n  在浏览器中打开 open in a browser: {index}" if index.is_file() else "")
        + "\n  每个数据源一页，附件 <来源>_待修正行.csv 列出要修正的行 "
        "(one page per source; <source>_待修正行.csv lists the rows to fix)"
    )
    problem = _unreadable_message(folder)
    if problem:
        print(problem, file=sys.stderr)
        return EXIT_EXPECTED_ERROR
    return 0


def _run(extracts: str, period: Period, out: str, previous: str | None, no_prefect: bool) -> dict:
    if not _as_flow(no_prefect):
        from expectations import validation_process

        validation_process.start_early(Path(extracts))  # unless ingest comes from the cache, it validates
        from taizhang import pipeline

        return _with_progress(
            lambda: pipeline.run_period(
                Path(extracts), period, Path(out), Path(previous) if previous else None
            ),
            str(period),
        ).report
    from flows.semiannual_ledger import semiannual_ledger

    return _with_progress(
        lambda: semiannual_ledger(period=str(period), extracts=extracts, out=out, previous=previous),
        str(period),
    )


def _what_to_open(period_dir: Path) -> list[str]:
    """The files a person opens after a run, each with what it is for, in both languages."""
    items = [
        ("各县台账 county workbooks (Excel)", period_dir / "counties"),
        ("全省汇总 province summary (Excel)", period_dir / "province_summary.xlsx"),
        ("全省汇总网页 province summary page", period_dir / "province_summary.html"),
        ("数据校验报告 validation reports for department liaisons", period_dir / "validation" / "index.html"),
        ("关联复核页 linkage review page for the operator", period_dir / "linkage_review.html"),
    ]
    return [f"  - {label}: {path}" for label, path in items if path.exists()]


def _print_outputs(period_dir: Path) -> None:
    from taizhang import run_report

    totals = run_report.ledger_totals(period_dir / "ledger.parquet")
    _console().print(
        f"输出 Outputs: [bold]{period_dir}[/bold]\n"
        f"  流动儿童 migrant children: {totals['children']:,}; "
        f"疑似孤儿 suspected orphans: {totals['suspected_orphan']:,}; "
        f"疑似事实无人抚养 suspected de facto unsupported: {totals['suspected_unsupported']:,}; "
        f"县 counties: {totals['counties']}\n"
        "请打开 Open:\n" + "\n".join(_what_to_open(period_dir))
    )


def _print_file_errors(errors_json: Path) -> None:
    """Name each file the run could not read, with its reason (file names and headers only, no value)."""
    if not errors_json.is_file():
        return
    from rich.markup import escape

    from taizhang import sealed

    errors = sealed.read_json(errors_json)  # the run's state is sealed working data
    for e in errors:
        if isinstance(e, dict) and e.get("file") and e.get("code") != "unknown_file":
            _console().print(
                f"[yellow]未读取 not read[/yellow]: {escape(str(e['file']))} ({escape(str(e.get('code')))})\n"
                f"  {escape(str(e.get('message_zh')))}\n  {escape(str(e.get('message_en')))}",
                highlight=False,
            )


def cmd_run(args: argparse.Namespace) -> int:
    from taizhang.period import Period
    from taizhang.stage_cache import check_extracts_folder

    period = Period.of(args.period)
    check_extracts_folder(Path(args.extracts))
    _run(args.extracts, period, args.out, args.previous, args.no_prefect)
    _print_file_errors(Path(args.out) / str(period) / "state" / "errors.json")
    _print_outputs(Path(args.out) / str(period))
    return 0


def cmd_rerun_county(args: argparse.Namespace) -> int:
    from taizhang import county_rerun as rerun
    from taizhang.period import Period
    from taizhang.pipeline import is_complete_period_dir

    the_period = Period.of(args.period)
    period = str(the_period)
    rerun.check_county(args.county)
    if not is_complete_period_dir(Path(args.out) / period):
        rerun.rerun_county(args.county, the_period, Path(args.out))  # raises the "run it first" error
    if not _as_flow(args.no_prefect):
        _with_progress(
            lambda: rerun.rerun_county(
                args.county,
                the_period,
                Path(args.out),
                Path(args.field_visits) if args.field_visits else None,
            ),
            f"{period} {args.county}",
        )
    else:
        from flows.county_rerun import county_rerun

        _with_progress(
            lambda: county_rerun(
                county=args.county, period=period, out=args.out, field_visits=args.field_visits
            ),
            f"{period} {args.county}",
        )
    workbooks = sorted((Path(args.out) / period / "counties").glob(f"{args.county.strip()}_*.xlsx"))
    if workbooks:
        _console().print(f"已重算 Rebuilt county {args.county} of {period}: [bold]{workbooks[0]}[/bold]")
    else:
        _console().print(
            f"已重算 Rebuilt county {args.county} of {period}: 本县没有流动儿童、变动或待核实事项，"
            "不生成台账 (no migrant child, change or review item: no workbook written)"
        )
    return 0


def cmd_rotate_key(args: argparse.Namespace) -> int:
    from taizhang import rotation
    from taizhang.stage_cache import cache_root_for

    outs = [Path(o) for o in args.out]
    caches = [cache_root_for(o) for o in outs]
    extra = [c for c in caches if not any(c.is_relative_to(o) for o in outs)]
    result = rotation.rotate(outs, [c for c in dict.fromkeys(extra) if c.is_dir()])
    console = _console()
    for folder, count in result.resealed.items():
        console.print(f"已重新加密 Re-encrypted {count} 个文件 files in [bold]{folder}[/bold]")
    if result.key_origin == "environment":
        console.print(
            f"密钥已轮换 Key rotated: {result.old_id} → {result.new_id}. "
            f"请立即把 TAIZHANG_KEY 换成 TAIZHANG_NEW_KEY 的值 Now set TAIZHANG_KEY to the value of "
            "TAIZHANG_NEW_KEY wherever it is configured."
        )
    else:
        console.print(f"密钥已轮换 Key rotated: {result.old_id} → {result.new_id} ({result.key_origin})")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Sample extracts for the latest two ended half-years into ./demo, both runs, and what to open."""
    from taizhang import run_report
    from taizhang.errors import PipelineError
    from taizhang.period import Period

    root = Path(args.dir)
    extracts_root = root / "extracts"
    out = root / "out"
    periods = default_periods()
    gen = argparse.Namespace(
        out=str(extracts_root),
        children=args.children,
        seed=DEMO_SEED,
        periods=",".join(periods),
        noise="default",
    )
    cmd_generate(gen)
    started = time.perf_counter()
    for period in periods:
        folder = extracts_root / period
        if not folder.is_dir():
            raise PipelineError(
                "extracts_missing",
                f"样例数据缺少 {folder}。",
                f"the generated sample has no folder {folder}.",
            )
        _run(str(folder), Period.of(period), str(out), None, args.no_prefect)
    console = _console()
    console.rule("taizhang demo")
    console.print(
        f"样例数据 Sample extracts: {extracts_root}  (用时 took {time.perf_counter() - started:.0f} s)"
    )
    for period in periods:
        period_dir = out / period
        totals = run_report.ledger_totals(period_dir / "ledger.parquet")
        console.print(
            f"\n[bold]{period}[/bold]（{period_dir}）: {totals['children']:,} 名流动儿童 migrant children, "
            f"{totals['suspected_orphan']:,} 疑似孤儿 suspected orphans, "
            f"{totals['suspected_unsupported']:,} 疑似事实无人抚养 suspected de facto unsupported, "
            f"{totals['counties']} 个县（市、区）counties\n" + "\n".join(_what_to_open(period_dir))
        )
    console.print(
        "\n下一步 Next: 在浏览器中打开上面的网页，在 Excel 中打开台账；README.md 说明如何用真实数据运行 "
        "(open the pages in a browser and the workbooks in Excel; "
        "README.md explains how to run on real extracts)."
    )
    return 0


# --------------------------------------------------------------------------- parser


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """Keeps the bilingual descriptions' line breaks and shows each option's default."""


def _bilingual_help(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser._optionals.title = "选项 options"
    parser.add_argument("-h", "--help", action="help", help="显示本说明并退出 / show this help and exit")
    return parser


def _sub(sub: Any, name: str, zh: str, en: str, epilog: str = "") -> argparse.ArgumentParser:
    return _bilingual_help(
        sub.add_parser(
            name,
            help=f"{zh} / {en}",
            description=f"{zh}\n{en}",
            epilog=epilog,
            formatter_class=_Formatter,
            add_help=False,
        )
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="taizhang",
        description=(
            "吉林省流动儿童台账：校验各部门数据、关联儿童记录、生成各县台账。\n"
            "Jilin migrant-children ledger: validate extracts, link records, build county ledgers."
        ),
        epilog=(
            "先试一试 Try it first: taizhang demo\n"
            "每个命令的说明 Help on a command: taizhang <命令 command> --help"
        ),
        formatter_class=_Formatter,
        add_help=False,
    )
    _bilingual_help(parser)
    sub = parser.add_subparsers(
        dest="command", required=True, metavar="<命令 command>", title="命令 commands"
    )

    g = _sub(
        sub,
        "generate",
        "生成带真值的样例数据（演示、测试、基准）",
        "synthetic extracts with ground truth (demo, tests, benchmarks)",
    )
    g.add_argument("--out", required=True, help="写入样例数据的文件夹 / folder to write the extracts into")
    g.add_argument(
        "--children", type=int, required=True, help="模拟的儿童人数 / number of children to simulate"
    )
    g.add_argument(
        "--seed",
        type=int,
        required=True,
        help="随机种子，相同种子生成相同文件 / random seed (same seed, same files)",
    )
    g.add_argument(
        "--periods",
        default=None,
        help="逗号分隔的半年度，默认为最近两个已结束的半年度 / comma-separated half-years "
        "(default: the two latest half-years that have ended)",
    )
    g.add_argument(
        "--noise",
        choices=("default", "heavy"),
        default="default",
        help="数据的杂乱程度 / how messy the extracts are (default: default)",
    )
    g.add_argument(
        "--no-marks",
        action="store_true",
        help="不加空行、合计行、带注释的表头、标题行和多余工作表（记录本身相同）/ "
        "no junk rows, annotated headers, titles or extra sheets (the same records otherwise)",
    )
    g.add_argument(
        "--names",
        choices=("pooled", "varied"),
        default="pooled",
        help="名字的取法：pooled 取自小名字库（同名同生日者多，检验关联难例），varied 由常用字组成"
        "（同名者少得多，更接近全省实际，用于规模测试）/ how given names are drawn: pooled from small "
        "pools (many namesakes: linkage's hard case), varied from common characters (far fewer "
        "namesakes, nearer a province's: for scale runs) (default: pooled)",
    )
    g.set_defaults(func=cmd_generate)

    v = _sub(
        sub,
        "validate",
        "为各部门联络员生成数据校验报告（不生成台账）",
        "validation reports for department liaisons (no ledger)",
        "有文件无法读取时退出码为 2 / exits with code 2 when a received file could not be read",
    )
    v.add_argument(
        "--extracts", required=True, help="各部门数据文件所在文件夹 / folder with the extract files"
    )
    v.add_argument(
        "--out",
        required=True,
        help="输出文件夹，报告在 <out>/validation/ / output root; reports in <out>/validation/",
    )
    v.set_defaults(func=cmd_validate, validates="only")

    r = _sub(sub, "run", "生成一个半年度的台账", "build one half-year's ledger")
    r.add_argument(
        "--extracts", required=True, help="各部门数据文件所在文件夹 / folder with the extract files"
    )
    r.add_argument(
        "--period", required=True, help="半年度，如 2026H1（上半年）/ half-year, e.g. 2026H1 or 2026H2"
    )
    r.add_argument(
        "--out",
        required=True,
        help="输出文件夹，结果在 <out>/<period>/ / output root; results in <out>/<period>/",
    )
    r.add_argument(
        "--previous",
        help="上一半年度的结果文件夹（默认取 --out 中最近的更早期次）/ previous half-year's folder "
        "(default: the latest earlier one in --out)",
    )
    r.set_defaults(func=cmd_run, validates="beside")

    c = _sub(
        sub,
        "rerun-county",
        "重算一个县已完成期次的台账（不重新关联全省）",
        "rebuild one county's outputs of a finished half-year (the province is not relinked)",
    )
    c.add_argument(
        "--county", required=True, help="6 位县级区划代码，如 220102 / 6-digit county code, e.g. 220102"
    )
    c.add_argument("--period", required=True, help="半年度，如 2026H1 / half-year, e.g. 2026H1")
    c.add_argument("--out", required=True, help="含 <period>/ 的输出文件夹 / output root holding <period>/")
    c.add_argument(
        "--field-visits",
        help="该县更正后的走访表（XLSX 或 CSV）/ the county's corrected field-visit sheet (XLSX or CSV)",
    )
    c.set_defaults(func=cmd_rerun_county)

    k = _sub(
        sub,
        "rotate-key",
        "用新密钥重新加密输出文件夹中的工作数据",
        "re-encrypt the working data of output folders with a new key",
    )
    k.add_argument(
        "--out",
        required=True,
        action="append",
        help="要重新加密的输出文件夹（可重复）/ output root to re-encrypt (repeat for several)",
    )
    k.set_defaults(func=cmd_rotate_key)

    d = _sub(
        sub,
        "demo",
        "生成最近两个已结束半年度的样例数据，逐期运行并汇总",
        "sample extracts for the two latest half-years that have ended, both runs, a summary",
    )
    d.add_argument("--dir", default="demo", help="演示文件夹 / demo folder (default: ./demo)")
    d.add_argument(
        "--children",
        type=int,
        default=DEMO_CHILDREN,
        help=f"模拟的儿童人数 / children to simulate (default: {DEMO_CHILDREN})",
    )
    d.set_defaults(func=cmd_demo)

    for p in (v, r, c, d):
        p.add_argument(
            "--no-prefect",
            action="store_true",
            help="不经 Prefect 直接运行（未设 PREFECT_API_URL 时亦然）/ run the stages directly, "
            "without Prefect (as without PREFECT_API_URL)",
        )
    return parser


def _start_validation_workers(args: argparse.Namespace) -> None:
    """For ``validate`` and ``run``, start the validation workers before anything else.

    Their import of Great Expectations (2-3 s of a core) is the longest fixed cost of a small
    command, and it starts about 0.35 s sooner here than after this process has imported polars
    and set up logging. A run starts them again for extracts it generates itself (``demo``, see
    :func:`_run`); a start is a no-op once workers wait.
    """
    validates = getattr(args, "validates", None)
    if validates and not _as_flow(args.no_prefect) and Path(args.extracts).is_dir():
        from expectations import validation_process

        validation_process.start_early(Path(args.extracts), validate_only=validates == "only")


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # Everything this process creates is its owner's only (outputs, cache, Prefect's home).
    os.umask(0o077)
    _start_validation_workers(args)
    from taizhang import prefect_setup

    prefect_setup.configure_prefect_environment()
    from taizhang import logmask

    logmask.install()
    prefect_setup.quiet_prefect_logs()
    from taizhang.errors import PipelineError

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
