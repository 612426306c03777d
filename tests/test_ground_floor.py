"""The ground floor imports no stage, and no earlier stage imports the emit stage."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GROUND = (
    "taizhang/parsers",
    "taizhang/masking.py",
    "taizhang/charts.py",
    "taizhang/ages.py",
    "data_contracts",
)
STAGES = ("taizhang.ingest", "expectations", "transforms", "matchers", "taizhang.rules", "taizhang.emit")


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def _files(*places: str) -> list[Path]:
    out: list[Path] = []
    for place in places:
        p = ROOT / place
        out.extend(sorted(p.rglob("*.py")) if p.is_dir() else [p])
    return out


def _under(module: str, packages: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


def test_the_ground_floor_imports_no_stage() -> None:
    files = _files(*GROUND)
    assert len(files) > 5
    offending = {str(f.relative_to(ROOT)): sorted(m for m in _imports(f) if _under(m, STAGES)) for f in files}
    assert {f: m for f, m in offending.items() if m} == {}


def test_no_stage_before_emit_imports_emit() -> None:
    files = _files("transforms", "taizhang/ingest", "taizhang/rules", "matchers", "expectations")
    assert len(files) > 20
    offending = {
        str(f.relative_to(ROOT)): sorted(m for m in _imports(f) if _under(m, ("taizhang.emit",)))
        for f in files
    }
    assert {f: m for f, m in offending.items() if m} == {}
