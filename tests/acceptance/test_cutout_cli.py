"""``wanstack cutout``: the real command, run as a process, on real image files."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
from bench.cutout_data import PHOTOS, make_photo
from PIL import Image


def _run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "WANSTACK_DATA_DIR": str(tmp_path / "data")}
    return subprocess.run(
        [sys.executable, "-m", "wanstack", "cutout", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _photo(
    tmp_path: Path, name: str = "green mug on white", size: int = 400
) -> tuple[Path, np.ndarray]:
    rgb, truth = make_photo(next(p for p in PHOTOS if p.name == name), size)
    path = tmp_path / "photo.jpg"
    Image.fromarray(rgb).save(path, quality=92)
    return path, truth


def test_a_jpeg_photo_gives_an_rgba_cutout(tmp_path: Path) -> None:
    photo, truth = _photo(tmp_path)
    out = tmp_path / "cutout.png"
    res = _run(tmp_path, str(photo), "-o", str(out))
    assert res.returncode == 0, res.stderr
    assert res.stdout == "" and res.stderr == ""
    with Image.open(out) as img:
        assert img.format == "PNG" and img.mode == "RGBA"
        assert img.size == (400, 400)
        rgba = np.asarray(img)
    ours, true = rgba[..., 3] > 127, truth > 0.5
    assert (ours & true).sum() / (ours | true).sum() > 0.97
    with Image.open(photo) as img:
        original = np.asarray(img.convert("RGB"))
    opaque = rgba[..., 3] == 255
    assert np.array_equal(rgba[..., :3][opaque], original[opaque])  # product pixels as shot
    assert not (tmp_path / "data").exists()  # no database, no data folder


def test_size_shrinks_the_photo_first(tmp_path: Path) -> None:
    photo, _ = _photo(tmp_path, "blue bottle on white", 600)
    out = tmp_path / "small.png"
    res = _run(tmp_path, str(photo), "-o", str(out), "--size", "256")
    assert res.returncode == 0, res.stderr
    with Image.open(out) as img:
        assert img.size == (256, 256) and img.mode == "RGBA"
        alpha = np.asarray(img)[..., 3]
    assert alpha[0, 0] == 0 and alpha[150, 128] == 255  # paper gone, bottle kept


def test_a_photo_taken_sideways_is_cut_upright(tmp_path: Path) -> None:
    """Phones store pixels sideways with an EXIF orientation; the cutout is upright."""
    rgb, _ = make_photo(next(p for p in PHOTOS if p.name == "navy box on beige"), 300)
    stored = np.ascontiguousarray(np.rot90(rgb, k=-1))  # what the sensor wrote
    exif = Image.Exif()
    exif[0x0112] = 8  # rotate 90° counter-clockwise to view
    photo = tmp_path / "sideways.jpg"
    Image.fromarray(stored).save(photo, quality=92, exif=exif)
    out = tmp_path / "cutout.png"
    res = _run(tmp_path, str(photo), "-o", str(out))
    assert res.returncode == 0, res.stderr
    with Image.open(out) as img:
        assert img.size == (rgb.shape[1], rgb.shape[0])


def test_a_cutout_is_refused(tmp_path: Path) -> None:
    rgba = np.zeros((64, 64, 4), np.uint8)
    rgba[16:48, 16:48] = 200
    subject = tmp_path / "cutout.png"
    Image.fromarray(rgba, "RGBA").save(subject)
    out = tmp_path / "again.png"
    res = _run(tmp_path, str(subject), "-o", str(out))
    assert res.returncode == 2
    assert "already has transparent pixels" in res.stderr
    assert not out.exists()


def test_an_empty_photo_finds_no_product(tmp_path: Path) -> None:
    photo = tmp_path / "wall.png"
    Image.fromarray(np.full((120, 160, 3), 231, np.uint8)).save(photo)
    out = tmp_path / "none.png"
    res = _run(tmp_path, str(photo), "-o", str(out))
    assert res.returncode == 1
    assert "found no product" in res.stderr
    assert not out.exists()


def test_unreadable_input_and_bad_size_are_refused(tmp_path: Path) -> None:
    bogus = tmp_path / "not-an-image.jpg"
    bogus.write_text("hello")
    res = _run(tmp_path, str(bogus), "-o", str(tmp_path / "x.png"))
    assert res.returncode == 2
    assert "cannot read" in res.stderr
    photo, _ = _photo(tmp_path)
    res = _run(tmp_path, str(photo), "-o", str(tmp_path / "x.png"), "--size", "4")
    assert res.returncode == 2
    assert "--size must be at least 16" in res.stderr
