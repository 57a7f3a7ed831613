"""``wanstack models recommend | check | pull``: the real command, run as a process."""

from __future__ import annotations

import json
import re
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from tests.support.processes import Deployment, wanstack_command

IMAGE_MODELS = ("wanx-x-painting", "wanx-background-generation-v2", "wan2.6-image")


def models(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    deployment = Deployment(tmp_path / "data", env or {})
    done = subprocess.run(
        wanstack_command("models", *args),
        env={**deployment.env(), "HF_HUB_OFFLINE": "0"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return done.returncode, done.stdout, done.stderr


def test_recommend_lists_weights_licences_and_vram(tmp_path: Path) -> None:
    code, out, err = models(tmp_path, "recommend")
    assert code == 0, err
    for model in IMAGE_MODELS:
        rows = [line for line in out.splitlines() if line.startswith(model + " ")]
        assert rows, model
        assert "Apache-2.0" in rows[0]  # commercially usable weights first
        assert all(re.search(r"~\d+ GB$", row) for row in rows)
    assert "Non-Commercial" in out
    # the configuration printed at the end is valid JSON naming each model's first choice
    engines = re.search(r"WANSTACK_ENGINES='(.*)'", out)
    options = re.search(r"WANSTACK_ENGINE_OPTIONS='(.*)'", out)
    assert engines and options
    assert json.loads(engines.group(1)) == dict.fromkeys(
        (*IMAGE_MODELS, "wan2.6-t2v", "wan2.6-i2v", "wanx2.1-vace-plus"), "diffusers"
    )
    assert json.loads(options.group(1))["wanx-background-generation-v2"]["control"] == "inpaint"

    code, out, err = models(tmp_path, "recommend", "--model", "wan2.6-image", "--json")
    assert code == 0, err
    rows = json.loads(out)
    assert {r["model"] for r in rows} == {"wan2.6-image"}
    assert [r["commercial"] for r in rows] == sorted((r["commercial"] for r in rows), reverse=True)
    assert {"repo", "pipeline", "licence", "vram_gb", "options"} <= set(rows[0])

    code, _, err = models(tmp_path, "recommend", "--model", "wanx-v9")
    assert code == 2 and "unknown model 'wanx-v9'" in err


def test_check_loads_each_configured_model_and_runs_a_step(
    tmp_path: Path, tiny_weights: Callable[[str], Path]
) -> None:
    klein = str(tiny_weights("flux2_klein"))
    env = {
        "WANSTACK_ENGINES": json.dumps(dict.fromkeys(IMAGE_MODELS, "diffusers")),
        "WANSTACK_ENGINE_OPTIONS": json.dumps(
            {
                "wanx-x-painting": {"weights": klein, "max_sequence_length": 32},
                "wanx-background-generation-v2": {
                    "weights": str(tiny_weights("sdxl_inpaint")),
                    "controlnet": str(tiny_weights("sdxl_inpaint_controlnet") / "controlnet"),
                    "control": "inpaint",
                },
                "wan2.6-image": {"weights": klein, "max_sequence_length": 32},
            }
        ),
    }
    code, out, err = models(tmp_path, "check", env=env)
    print(f"\n{out}")
    assert code == 0, out + err
    lines = out.strip().splitlines()
    assert sorted(line.split(":")[0] for line in lines) == sorted(IMAGE_MODELS)
    pattern = r": ok, loaded in \d+\.\d\d s, 1 output\(s\) in \d+\.\d\d s, peak RSS \d+ MiB$"
    assert all(re.search(pattern, line) for line in lines), lines
    assert "StableDiffusionXLControlNetInpaintPipeline" in out
    assert "Flux2KleinInpaintPipeline" in out and "Flux2KleinPipeline" in out
    assert "loaded from" in err  # the engines' own load log

    # models named on the command line; the classic family checks too, and the wider
    # catalogue's models run their seed model's sample request
    code, out, err = models(
        tmp_path, "check", "wan2.6-t2v", "wan2.2-t2i-flash", "wanx2.1-kf2v-plus"
    )
    assert code == 0, out + err
    assert re.search(r"^wan2\.6-t2v: classic .*: ok, loaded in", out, re.MULTILINE)
    assert re.search(r"^wan2\.2-t2i-flash: classic .*: ok", out, re.MULTILINE)
    assert re.search(r"^wanx2\.1-kf2v-plus: classic .*: ok", out, re.MULTILINE)


def test_check_names_what_fails(tmp_path: Path, tiny_weights: Callable[[str], Path]) -> None:
    missing = tmp_path / "models" / "qwen-image"
    env = {
        "WANSTACK_ENGINES": json.dumps({"wan2.6-image": "diffusers", "wanx-x-painting": "fake"}),
        "WANSTACK_ENGINE_OPTIONS": json.dumps({"wan2.6-image": {"weights": str(missing)}}),
    }
    code, out, err = models(tmp_path, "check", env=env)
    assert code == 1, out + err
    failed = next(line for line in out.splitlines() if line.startswith("wan2.6-image"))
    assert "FAILED" in failed and str(missing) in failed
    assert re.search(r"^wanx-x-painting: fake .*: ok", out, re.MULTILINE)

    bad = {**env, "WANSTACK_ENGINE_OPTIONS": json.dumps({"wan2.6-image": {"stepz": 1}})}
    code, out, err = models(tmp_path, "check", env=bad)
    assert code == 1, out + err
    assert re.search(
        r"^wan2\.6-image: diffusers: FAILED: WANSTACK_ENGINE_OPTIONS\['wan2\.6-image'\]"
        r": unknown option\(s\) \['stepz'\]",
        out,
        re.MULTILINE,
    ), out

    unknown = {**env, "WANSTACK_ENGINES": json.dumps({"wan9": "diffusers"})}
    code, out, err = models(tmp_path, "check", env=unknown)
    assert code == 2 and "WANSTACK_ENGINES names an unknown model 'wan9'" in err


def test_pull_says_plainly_when_the_hub_cannot_be_reached(tmp_path: Path) -> None:
    started = time.monotonic()
    env = {"HF_ENDPOINT": "http://127.0.0.1:9"}  # nothing listens there
    target = tmp_path / "klein"
    code, out, err = models(
        tmp_path, "pull", "black-forest-labs/FLUX.2-klein-4B", "--to", str(target), env=env
    )
    took = time.monotonic() - started
    print(f"\n  exit {code} after {took:.1f} s: {err.strip()}")
    assert code == 1 and out == ""
    assert "cannot download black-forest-labs/FLUX.2-klein-4B from the Hugging Face hub" in err
