"""Module sizes of the ``wanstack`` package: a line per module over ``--over`` lines, then the
median, 90th percentile and largest module (migrations excluded). Exit status 1 when a module is
over ``--limit`` (500): split it along the lines it already draws.

    .venv/bin/python scripts/module_sizes.py            # the table and the summary
    .venv/bin/python scripts/module_sizes.py --all      # every module
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "wanstack"


def sizes() -> dict[str, int]:
    """Lines per module, by path relative to ``src/wanstack`` (migrations excluded)."""
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel.startswith("db/migrations/"):
            continue
        out[rel] = len(path.read_text().splitlines())
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=500)
    parser.add_argument("--over", type=int, default=300, help="list modules over this size")
    parser.add_argument("--all", action="store_true", help="list every module")
    args = parser.parse_args()
    table = sizes()
    lines = sorted(table.values())
    for name, count in sorted(table.items(), key=lambda item: -item[1]):
        if args.all or count > args.over:
            print(f"{count:6d}  {name}")
    p90 = lines[max(0, round(0.9 * len(lines)) - 1)]
    print(
        f"{len(lines)} modules: median {statistics.median(lines):.0f} lines, "
        f"p90 {p90}, max {lines[-1]} (limit {args.limit})"
    )
    over = [name for name, count in table.items() if count > args.limit]
    if over:
        print("over the limit: " + ", ".join(over), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
