"""Rows read, quarantined and lost for each kind of damage, from the damage bench's mutation layer.

    uv run python benchmarks/bench_damage.py [--children 120] [--seed 7] [--out results/damage.json]

Clean extracts of every source are generated once; each kind of damage of
``tests/ingest/damage/mutations.py`` is applied to the middle row of every
source, in UTF-8, UTF-8 with BOM, GB18030 (CSV kinds) and XLSX, and the
damaged file is read alone. Per kind, summed over sources and formats:

- ``rows``: rows a person counts in the damaged file;
- ``read``: rows ingest accounted for (staged or quarantined);
- ``quarantined``: of those, quarantined;
- ``damaged_quarantined``: rows the damage made that were quarantined with a
  reason the bench expects;
- ``clean_kept``: clean rows found at their number with the values they have
  when the file is read undamaged;
- ``lost``: rows - read; ``shifted``: clean rows not where they belong.

Prints a JSON object and a Markdown table; no cell value.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from taizhang.generate import generate  # noqa: E402
from taizhang.ingest import read_extracts  # noqa: E402
from tests.ingest.damage import mutations as m  # noqa: E402
from tests.ingest.damage.conftest import PERIOD, _table  # noqa: E402


def _fates(folder: Path, source: str, fmt: str, data: bytes) -> dict[int, tuple]:
    for old in folder.iterdir():
        old.unlink()
    (folder / f"{source}.{'xlsx' if fmt == 'xlsx' else 'csv'}").write_bytes(data)
    result = read_extracts(folder)
    staged = result.staged[source]
    values = [c for c in staged.columns if c not in ("source", "file", "row_number")]
    fates = {r[0]: ("staged", *r[1:]) for r in staged.select("row_number", *values).iter_rows()}
    q = result.quarantine.filter(pl.col("source") == source)
    fates.update({n: ("quarantined", c) for n, c in q.select("row_number", "reason_code").iter_rows()})
    return fates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=120)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        generate(root / "gen", children=args.children, seed=args.seed, periods=[PERIOD], marks=False)
        truth = pl.read_parquet(root / "gen" / "truth" / PERIOD / "records.parquet")
        tables: dict[str, m.Table] = {}
        for path in sorted((root / "gen" / PERIOD).iterdir(), key=lambda p: -p.stat().st_size):
            source = next(iter(truth.filter(pl.col("file") == path.name)["source"]), None)
            if source is not None and source not in tables:
                bad = truth.filter((pl.col("file") == path.name) & pl.col("unreadable"))["row_number"]
                tables[source] = _table(path, set(bad.to_list()))
        folder = root / "read"
        folder.mkdir()
        totals: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for source, table in sorted(tables.items()):
            for fmt in m.FORMATS:
                doc = m.clean(table)
                clean = _fates(folder, source, fmt, m.render(doc, fmt))
                for kind, damage in m.kinds_for(fmt).items():
                    damaged = damage(doc, len(doc.lines) // 2)
                    expected = m.expected_rows(damaged, fmt)
                    fates = _fates(folder, source, fmt, m.render(damaged, fmt))
                    t = totals[kind]
                    t["files"] += 1
                    t["rows"] += len(expected)
                    t["read"] += sum(1 for i in range(1, len(expected) + 1) if i in fates)
                    t["quarantined"] += sum(1 for f in fates.values() if f[0] == "quarantined")
                    for i, line in enumerate(expected, start=1):
                        fate = fates.get(i)
                        if line.origin is None:
                            good = fate is not None and fate[0] == "quarantined" and fate[1] in line.codes
                            t["damaged_rows"] += 1
                            t["damaged_quarantined"] += int(good)
                        else:
                            t["clean_rows"] += 1
                            kept = fate == clean.get(line.origin + 1)
                            t["clean_kept"] += int(kept)
                            t["shifted"] += int(fate is not None and not kept)
                    t["lost"] += len(expected) - sum(1 for i in range(1, len(expected) + 1) if i in fates)
    keys = ("files", "rows", "read", "quarantined", "damaged_rows", "damaged_quarantined")
    keys += ("clean_rows", "clean_kept", "lost", "shifted")
    report = {kind: {k: v.get(k, 0) for k in keys} for kind, v in totals.items()}
    print(json.dumps(report, ensure_ascii=False, indent=2))
    print(
        "\n| damage | files | rows | read | quarantined | damaged rows quarantined | clean rows kept "
        "| lost | shifted |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for kind, t in report.items():
        print(
            f"| {kind} | {t['files']} | {t['rows']} | {t['read']} | {t['quarantined']} | "
            f"{t['damaged_quarantined']}/{t['damaged_rows']} | {t['clean_kept']}/{t['clean_rows']} | "
            f"{t['lost']} | {t['shifted']} |"
        )
    if args.out:
        args.out.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
