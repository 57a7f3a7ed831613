"""The GPU tier (tests/gpu) dry-run on CPU with tiny pipelines named as the recommended repos,
so its tests are known to work before anyone runs them on a GPU with real weights."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_gpu_tier_runs_on_tiny_pipelines(
    tmp_path: Path, tiny_weights: Callable[[str], Path]
) -> None:
    weights = tmp_path / "weights"
    weights.mkdir()
    links = {
        "FLUX.2-klein-4B": tiny_weights("flux2_klein"),
        "stable-diffusion-xl-base-1.0": tiny_weights("sdxl"),
        "EcomXL_controlnet_inpaint": tiny_weights("sdxl_inpaint_controlnet") / "controlnet",
        "Wan2.2-TI2V-5B-Diffusers": tiny_weights("wan22_ti2v"),
        "Wan2.1-VACE-1.3B-diffusers": tiny_weights("wan21_vace"),
    }
    for name, target in links.items():
        (weights / name).symlink_to(target)
    env = {
        **os.environ,
        "WANSTACK_TEST_WEIGHTS": str(weights),
        "WANSTACK_TEST_ON_CPU": "1",
        "WANSTACK_TEST_OUT": str(tmp_path / "sheets"),
        "WANSTACK_TEST_OPTIONS": json.dumps(
            {"steps": 2, "max_pixels": 64 * 64, "max_sequence_length": 32, "device": "cpu"}
        ),
    }
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/gpu"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    summary = done.stdout.strip().splitlines()[-1]
    print(f"\n  {summary}")
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    # x-painting, 2 × background, 2 × image, t2v and i2v on TI2V-5B, vace on VACE-1.3B, cancel
    assert "9 passed" in summary
    sheets = sorted(p.name for p in (tmp_path / "sheets").iterdir())
    assert sheets == [
        "background-FLUX.2-klein-4B.png",
        "background-stable-diffusion-xl-base-1.0.png",
        "image-FLUX.2-klein-4B.png",
        "image-stable-diffusion-xl-base-1.0.png",
        "vace-Wan2.1-VACE-1.3B-diffusers.png",
        "wan2.6-i2v-Wan2.2-TI2V-5B-Diffusers.png",
        "wan2.6-t2v-Wan2.2-TI2V-5B-Diffusers.png",
        "x-painting-FLUX.2-klein-4B.png",
    ]
