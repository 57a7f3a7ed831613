"""bench/gpu_bench.py runs its whole code path on CPU at a tiny scale (the full-size run needs a
GPU): every workload is built from its configuration, fed inputs of its shape and timed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_gpu_bench_runs_tiny_on_cpu(tmp_path: Path) -> None:
    rows_file = tmp_path / "rows.json"
    done = subprocess.run(
        [
            sys.executable,
            "bench/gpu_bench.py",
            "--tiny",
            "--repeats",
            "1",
            "--json",
            str(rows_file),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    workloads = [
        w["name"] for w in json.loads((ROOT / "bench" / "gpu_models.json").read_text())["workloads"]
    ]
    rows = json.loads(rows_file.read_text())
    assert [(r["workload"], r["variant"]) for r in rows] == [
        (name, variant) for name in workloads for variant in ("plain", "compile")
    ]
    assert all(r["s"] > 0 for r in rows)
    assert (
        "| workload | variant | s / step | peak GB | published (card) | ours / published |"
        in done.stdout
    )
    assert "CPU (tiny configs)" in done.stdout
