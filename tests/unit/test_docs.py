"""Docs that cannot drift: the source tree in docs/architecture.md is the package's files, the
README's model table is what the registries serve, docs/configuration.md names every setting and
diffusers option, and docs/gpu.md every recommended set of weights."""

from __future__ import annotations

import re
from pathlib import Path

from wanstack.catalog.registry import MODELS
from wanstack.config import Settings
from wanstack.engines.registry import available

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "wanstack"
BRANCH = re.compile(r"^((?:│   |    )*)(?:├── |└── )(\S+)")


def documented_tree() -> set[str]:
    """Paths named in the ``src/wanstack/`` block of docs/architecture.md."""
    text = (ROOT / "docs" / "architecture.md").read_text()
    block = text.split("```\nsrc/wanstack/\n", 1)[1].split("```", 1)[0]
    stack: list[str] = []
    paths = set()
    for line in block.splitlines():
        m = BRANCH.match(line)
        if not m:
            continue
        depth = len(m.group(1)) // 4
        name = m.group(2)
        stack = stack[:depth]
        if name.endswith("/"):
            stack.append(name.rstrip("/"))
            paths.add("/".join(stack) + "/")
        else:
            paths.add("/".join([*stack, name]))
    return paths


def package_modules() -> set[str]:
    out = set()
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel.startswith("db/migrations/") or rel == "__init__.py":
            continue
        out.add(rel)
    return out


def test_the_source_tree_in_the_docs_is_the_package() -> None:
    documented = documented_tree()
    modules = package_modules()
    named_files = {p for p in documented if not p.endswith("/")}
    missing = sorted(m for m in modules if m not in named_files and not m.endswith("__init__.py"))
    assert not missing, f"modules missing from docs/architecture.md: {missing}"
    stale = sorted(
        p
        for p in documented
        if not (PACKAGE / p.rstrip("/")).exists() and not p.startswith("db/migrations")
    )
    assert not stale, f"docs/architecture.md names files that do not exist: {stale}"
    folders = {p.rsplit("/", 1)[0] + "/" for p in modules if "/" in p}
    assert folders <= {p for p in documented if p.endswith("/")}, folders - documented


def readme_models() -> dict[str, tuple[str, str]]:
    """``{model: (endpoints cell, engines cell)}`` from the README's model table."""
    rows = {}
    for line in (ROOT / "README.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0].startswith("`") and not cells[0].startswith("`GET"):
            for model in re.findall(r"`([^`]+)`", cells[0]):
                rows[model] = (cells[2], cells[3])
    return rows


def test_the_readme_model_table_is_what_is_served() -> None:
    rows = readme_models()
    assert set(rows) == set(MODELS), (sorted(rows), sorted(MODELS))
    for model, (endpoints, engines) in rows.items():
        for endpoint in MODELS[model].endpoints:
            assert endpoint in endpoints, (model, endpoint, endpoints)
        listed = set(re.findall(r"`([a-z]+)`", engines))
        assert listed == set(available(model)), (model, listed, available(model))


def test_every_setting_is_documented() -> None:
    text = (ROOT / "docs" / "configuration.md").read_text()
    documented = set(re.findall(r"`(WANSTACK_[A-Z0-9_]+)`", text))
    settings = {f"WANSTACK_{name.upper()}" for name in Settings.model_fields}
    assert settings <= documented, sorted(settings - documented)


def test_every_diffusers_option_is_documented() -> None:
    from wanstack.engines.diffusers.background import DiffusersBackground
    from wanstack.engines.diffusers.common import ENGINE_KEYS
    from wanstack.engines.diffusers.image import DiffusersImage
    from wanstack.engines.diffusers.inpaint import DiffusersInpaint
    from wanstack.engines.diffusers.options import COMMON_KEYS
    from wanstack.engines.diffusers.vace import DiffusersVace
    from wanstack.engines.diffusers.video import DiffusersImageToVideo, DiffusersTextToVideo

    text = (ROOT / "docs" / "configuration.md").read_text()
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", text, re.MULTILINE))
    keys = set(COMMON_KEYS | ENGINE_KEYS)
    engines = (DiffusersInpaint, DiffusersBackground, DiffusersImage)
    for engine in (*engines, DiffusersTextToVideo, DiffusersImageToVideo, DiffusersVace):
        keys |= set(engine.extra_keys) | set(engine.numbers)
    assert keys <= documented, sorted(keys - documented)


def test_the_gpu_guide_lists_every_recommended_weights() -> None:
    from wanstack.engines.diffusers.recommended import WEIGHTS

    text = (ROOT / "docs" / "gpu.md").read_text()
    for weights in WEIGHTS:
        assert f"`{weights.repo}`" in text, weights.repo
        assert f"`{weights.pipeline}`" in text, weights.pipeline
