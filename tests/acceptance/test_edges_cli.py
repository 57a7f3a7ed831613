"""``wanstack edges``: the real command, run as a process, on real PNG files."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
from PIL import Image


def _run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "WANSTACK_DATA_DIR": str(tmp_path / "data")}
    return subprocess.run(
        [sys.executable, "-m", "wanstack", "edges", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _cutout(size: int = 160) -> np.ndarray:
    img = np.zeros((size, size + 40, 4), np.uint8)
    cv2.circle(img, (size // 2 + 20, size // 2), size // 3, (200, 80, 40, 255), -1)
    cv2.circle(img, (size // 2 + 20, size // 2), size // 8, (30, 30, 160, 255), -1)
    return img


def test_rgba_png_gives_edge_png(tmp_path: Path) -> None:
    subject = tmp_path / "subject.png"
    Image.fromarray(_cutout()).save(subject)
    out = tmp_path / "edges.png"
    res = _run(tmp_path, str(subject), "-o", str(out), "--detail", "0.6")
    assert res.returncode == 0, res.stderr
    assert res.stdout == ""
    with Image.open(out) as img:
        assert img.format == "PNG"
        assert img.mode == "RGBA"
        assert img.size == (200, 160)
        edge = np.asarray(img)
    src = _cutout()
    assert np.array_equal(edge[:, :, 3], src[:, :, 3])
    assert np.all(edge[:, :, :3][src[:, :, 3] <= 50] == 0)
    assert edge[:, :, 0].max() > 150  # lines are drawn
    assert edge[80, 100, 0] < 10  # the centre of the inner disc is flat
    assert not (tmp_path / "data").exists()  # no database, no data folder


def test_rgb_png_is_refused(tmp_path: Path) -> None:
    subject = tmp_path / "photo.png"
    Image.fromarray(np.full((32, 32, 3), 128, np.uint8)).save(subject)
    out = tmp_path / "edges.png"
    res = _run(tmp_path, str(subject), "-o", str(out))
    assert res.returncode == 2
    assert "needs an RGBA image with a transparent background" in res.stderr
    assert res.stdout == ""
    assert not out.exists()


def test_unreadable_input_is_refused(tmp_path: Path) -> None:
    bogus = tmp_path / "not-an-image.png"
    bogus.write_text("hello")
    res = _run(tmp_path, str(bogus), "-o", str(tmp_path / "edges.png"))
    assert res.returncode == 2
    assert "cannot read" in res.stderr
