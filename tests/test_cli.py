"""The command line an operator types: clear messages and exit codes for expected errors."""

from __future__ import annotations

import pytest

from taizhang import cli, prefect_setup


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["run", "--extracts", "{tmp}/none", "--period", "2026H1", "--out", "{tmp}/out"], "does not exist"),
        (["run", "--extracts", "{tmp}/empty", "--period", "2026H1", "--out", "{tmp}/out"], "no CSV or XLSX"),
        (["run", "--extracts", "{tmp}/empty", "--period", "2026H3", "--out", "{tmp}/out"], "2026H1"),
        (["validate", "--extracts", "{tmp}/none", "--out", "{tmp}/out"], "does not exist"),
        (["rerun-county", "--county", "220102", "--period", "26H1", "--out", "{tmp}/out"], "2026H2"),
        (["rerun-county", "--county", "999999", "--period", "2026H1", "--out", "{tmp}/out"], "county"),
    ],
)
def test_expected_errors_exit_2_with_a_bilingual_message_and_no_traceback(
    tmp_path, capsys, monkeypatch, argv, words
):
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / ".prefect"))
    (tmp_path / "empty").mkdir()
    code = cli.main([a.replace("{tmp}", str(tmp_path)) for a in argv])
    err = capsys.readouterr().err
    assert code == cli.EXIT_EXPECTED_ERROR
    assert words in err
    assert "错误" in err and "Error:" in err
    assert "Traceback" not in err
    assert not (tmp_path / "out" / "2026H1").exists()


def test_rerun_of_a_period_never_run_says_to_run_it_first(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / ".prefect"))
    code = cli.main(
        ["rerun-county", "--county", "220102", "--period", "2026H1", "--out", str(tmp_path), "--no-prefect"]
    )
    assert code == cli.EXIT_EXPECTED_ERROR
    assert "taizhang run" in capsys.readouterr().err


def test_every_documented_command_is_there():
    parser = cli.build_parser()
    for argv in (
        [
            "generate",
            "--out",
            "d",
            "--children",
            "10",
            "--seed",
            "1",
            "--periods",
            "2026H1,2026H2",
            "--noise",
            "heavy",
        ],
        ["validate", "--extracts", "e", "--out", "o"],
        ["run", "--extracts", "e", "--period", "2026H1", "--out", "o", "--previous", "o/2025H2"],
        [
            "rerun-county",
            "--county",
            "220102",
            "--period",
            "2026H1",
            "--out",
            "o",
            "--field-visits",
            "f.xlsx",
        ],
        ["demo"],
    ):
        assert parser.parse_args(argv).func is not None


def test_prefect_runs_ephemeral_with_a_project_local_home(tmp_path, monkeypatch):
    for name in ("PREFECT_HOME", "PREFECT_SERVER_ANALYTICS_ENABLED"):
        monkeypatch.delenv(name, raising=False)
    prefect_setup.configure_prefect_environment(tmp_path)
    import os

    assert os.environ["PREFECT_HOME"] == str(tmp_path / ".prefect")
    assert os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] == "false"
    monkeypatch.setenv("PREFECT_HOME", "/srv/elsewhere")
    prefect_setup.configure_prefect_environment(tmp_path)
    assert os.environ["PREFECT_HOME"] == "/srv/elsewhere"


@pytest.mark.parametrize("command", [None, "generate", "validate", "run", "rerun-county", "demo"])
def test_help_of_every_command_and_option_is_in_chinese_and_english(command, capsys):
    import re

    argv = [command, "--help"] if command else ["--help"]
    with pytest.raises(SystemExit) as done:
        cli.main(argv)
    assert done.value.code == 0
    text = capsys.readouterr().out
    assert "选项 options" in text and "显示本说明并退出 / show this help and exit" in text
    parser = cli.build_parser()
    actions = (
        parser._actions if command is None else parser._subparsers._group_actions[0].choices[command]._actions
    )
    for action in actions:
        if action.help and action.help != "==SUPPRESS==":
            assert re.search(r"[\u4e00-\u9fff]", action.help) and re.search(r"[A-Za-z]{3}", action.help), (
                action.help
            )


def test_generate_and_demo_default_to_the_half_years_that_have_ended(monkeypatch):
    from datetime import date

    class Today(date):
        @classmethod
        def today(cls):
            return date(2026, 12, 5)

    monkeypatch.setattr(cli, "date", Today)
    assert cli.default_periods() == ["2025H2", "2026H1"]
    assert (
        cli.build_parser().parse_args(["generate", "--out", "d", "--children", "1", "--seed", "1"]).periods
        is None
    )


def test_generate_offers_the_generators_name_styles_and_defaults_to_the_pools(tmp_path):
    from taizhang.generate.names import NAME_STYLES

    args = ["generate", "--out", str(tmp_path / "x"), "--children", "1", "--seed", "1"]
    assert cli.build_parser().parse_args(args).names == "pooled"
    for style in NAME_STYLES:
        assert cli.build_parser().parse_args([*args, "--names", style]).names == style
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args([*args, "--names", "rare"])


def test_validate_exits_2_and_names_each_file_it_could_not_read(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / ".prefect"))
    extracts = tmp_path / "extracts"
    extracts.mkdir()
    (extracts / "vaccination.xlsx").write_bytes(b"PK\x03\x04 not really a workbook " * 20)
    code = cli.main(["validate", "--extracts", str(extracts), "--out", str(tmp_path / "out"), "--no-prefect"])
    captured = capsys.readouterr()
    assert code == cli.EXIT_EXPECTED_ERROR
    assert (
        "vaccination.xlsx" in captured.err
        and "无法读取" in captured.err
        and "could not be read" in captured.err
    )
    assert "Traceback" not in captured.err
    index = (tmp_path / "out" / "validation" / "index.html").read_text(encoding="utf-8")
    assert "data-status='unreadable'" in index
    page = (tmp_path / "out" / "validation" / "vaccination.html").read_text(encoding="utf-8")
    assert "所有检查均通过" not in page and "文件无法读取" in page
