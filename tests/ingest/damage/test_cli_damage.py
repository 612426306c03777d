"""What the operator sees when extracts arrive damaged: the run goes on, or stops naming file and reason.

Never a traceback, never a cell value, in the terminal.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest

from taizhang import cli

from .conftest import PERIOD, cell_values


def _damage_residence_permits(folder: Path) -> None:
    path = folder / "residence_permits.csv"
    lines = path.read_bytes().split(b"\n")
    lines[3] = b'"' + lines[3]  # a stray quote
    lines[5] = b"\x00\x00" + lines[5]  # NUL bytes
    lines.insert(7, b"")  # a blank row
    lines[9] = lines[9] + b",\xe5\x90\x88\xe8\xae\xa1"  # a field too many
    path.write_bytes(b"\n".join(lines)[:-40])  # cut inside the last row


def _cell_values(tables) -> set[str]:
    return {v for t in tables.values() for v in cell_values(t)}


def _leaks(text: str, tables) -> list[str]:
    return sorted(v for v in _cell_values(tables) if v in text)


def _run(argv: list[str], tmp_path: Path, capsys, monkeypatch) -> tuple[int, str]:
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / ".prefect"))
    code = cli.main(argv)
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_a_run_with_damaged_but_readable_files_goes_on(
    generated, clean_tables, tmp_path, capsys, monkeypatch
) -> None:
    extracts = tmp_path / "extracts"
    shutil.copytree(generated / PERIOD, extracts)
    _damage_residence_permits(extracts)
    # A second vaccination file whose header is no vaccination header: named, and the run goes on.
    (extracts / "vaccination_补充.csv").write_bytes("编号,接种记录\n1,乙肝\n".encode())
    out = tmp_path / "out"
    code, text = _run(
        ["run", "--extracts", str(extracts), "--period", PERIOD, "--out", str(out), "--no-prefect"],
        tmp_path,
        capsys,
        monkeypatch,
    )
    assert code == 0, text
    assert (out / PERIOD / "ledger.parquet").is_file()
    assert "vaccination_补充.csv (unmatched_headers)" in text and "接种记录" in text
    q = pl.read_parquet(out / PERIOD / "quarantine.parquet").filter(pl.col("file") == "residence_permits.csv")
    assert {"bad_quote", "control_characters", "empty_row", "ragged_row", "truncated_row"} <= set(
        q["reason_code"].to_list()
    )
    assert "Traceback" not in text
    assert _leaks(text, clean_tables) == []


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("child_health.csv", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8, "binary_garbage"),
        ("child_health.csv", b"", "empty_file"),
    ],
)
def test_an_unreadable_required_source_stops_the_run_naming_file_and_reason(
    generated, clean_tables, tmp_path, capsys, monkeypatch, name, content, code
) -> None:
    extracts = tmp_path / "extracts"
    shutil.copytree(generated / PERIOD, extracts)
    for path in extracts.glob("child_health*"):
        path.unlink()
    (extracts / name).write_bytes(content)
    out = tmp_path / "out"
    exit_code, text = _run(
        ["run", "--extracts", str(extracts), "--period", PERIOD, "--out", str(out), "--no-prefect"],
        tmp_path,
        capsys,
        monkeypatch,
    )
    assert exit_code == cli.EXIT_EXPECTED_ERROR
    assert name in text and code in text
    assert "missing" not in text.lower()
    assert "Traceback" not in text
    assert not (out / PERIOD).exists()


def test_validate_reports_damaged_files_without_a_traceback_or_a_value(
    generated, clean_tables, tmp_path, capsys, monkeypatch
) -> None:
    extracts = tmp_path / "extracts"
    shutil.copytree(generated / PERIOD, extracts)
    _damage_residence_permits(extracts)
    (extracts / "vaccination_坏.csv").write_bytes(b"\x00\x01\x02\x03" * 500)
    code, text = _run(
        ["validate", "--extracts", str(extracts), "--out", str(tmp_path / "out"), "--no-prefect"],
        tmp_path,
        capsys,
        monkeypatch,
    )
    assert code in (0, cli.EXIT_EXPECTED_ERROR)
    assert "Traceback" not in text
    assert _leaks(text, clean_tables) == []
    q = pl.read_parquet(tmp_path / "out" / "validation" / "quarantine.parquet")
    assert q.filter(pl.col("file") == "residence_permits.csv").height >= 5
