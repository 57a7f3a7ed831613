"""Every Python example in the README runs, unchanged, against a real ``wanstack serve`` (fake
engines: the examples are about the API, not the pictures), with the environment the README
tells the reader to set."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.processes import Launcher, Server
from wanstack.catalog.registry import MODELS

README = Path(__file__).resolve().parents[2] / "README.md"
EXAMPLES = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)


@pytest.fixture(scope="module")
def server(wanstack_module_launcher: Launcher) -> Server:
    return wanstack_module_launcher.start(
        "readme", {"WANSTACK_ENGINES": json.dumps(dict.fromkeys(MODELS, "fake"))}
    )


def test_there_is_an_example_for_every_served_model() -> None:
    for model in MODELS:
        assert any(f'"{model}"' in example for example in EXAMPLES), model


@pytest.mark.parametrize("index", range(len(EXAMPLES)))
def test_the_readme_example_runs(server: Server, tmp_path: Path, index: int) -> None:
    script = tmp_path / "example.py"
    script.write_text(EXAMPLES[index])
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DASHSCOPE_", "WANSTACK_"))}
    env.update(
        DASHSCOPE_HTTP_BASE_URL=server.api_base,
        DASHSCOPE_API_KEY=server.api_key,
        NO_PROXY="127.0.0.1",
    )
    done = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert out.startswith("200"), out
    assert "FAILED" not in out and "http://127.0.0.1" in out, out
