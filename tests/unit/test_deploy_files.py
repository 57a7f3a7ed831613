"""The deployment files run what the cluster test runs.

``deploy/compose.yaml`` and ``deploy/k8s/*.yaml`` cannot be started here (no base image can be
pulled), so this checks them against :mod:`tests.support.cluster`, the table that
``tests/acceptance/test_cluster.py`` starts its processes from: the same commands (the API's
listen address aside), every setting the cluster needs, the same value for the settings that
must match, nothing the test only sets for speed, and a GPU for the video worker.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.cluster import (
    DEPLOY_SETTINGS,
    MIGRATE,
    ROLES,
    SITE_SETTINGS,
    TEST_SETTINGS,
    VIDEO_MODELS,
    strip_listen_address,
)
from wanstack.catalog.registry import MODELS

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
#: service or Deployment name → the role of the table it plays
K8S_NAMES = {
    "wanstack-api": "api",
    "wanstack-worker-images": "worker-images",
    "wanstack-worker-video": "worker-video",
}


def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    return data["services"]  # type: ignore[no-any-return]


def k8s_docs() -> list[dict[str, Any]]:
    return [
        doc
        for path in sorted((DEPLOY / "k8s").glob("*.yaml"))
        for doc in yaml.safe_load_all(path.read_text())
        if doc
    ]


def check_env(role: str, env: dict[str, str]) -> None:
    """Every site setting, the role's fixed settings with the test's values, nothing else but
    what a deployment may add, and no test-only speed-ups."""
    spec = ROLES[role]
    assert set(SITE_SETTINGS) <= set(env), (role, set(SITE_SETTINGS) - set(env))
    extra = set(env) - set(SITE_SETTINGS) - set(spec.env) - set(DEPLOY_SETTINGS)
    assert not extra, (role, extra)
    for name, value in spec.env.items():
        assert json.loads(env[name]) == json.loads(value), (role, name)
    for name in set(TEST_SETTINGS) - set(DEPLOY_SETTINGS):
        assert name not in env, (role, name)
    assert "fake" not in env.get("WANSTACK_ENGINES", ""), role
    if role == "worker-video":  # the GPU group runs on diffusers weights
        engines = json.loads(env["WANSTACK_ENGINES"])
        assert engines == dict.fromkeys(VIDEO_MODELS, "diffusers")
        options = json.loads(env["WANSTACK_ENGINE_OPTIONS"])
        assert set(options) == set(VIDEO_MODELS) and all("weights" in o for o in options.values())
    else:  # CPU: the classic engines, the default
        assert "WANSTACK_ENGINES" not in env, role


def test_the_cluster_table_names_real_models_and_covers_both_groups() -> None:
    served = [m for spec in ROLES.values() for m in spec.models]
    assert len(served) == len(set(served))  # each model in one group
    assert set(served) <= set(MODELS)
    assert set(VIDEO_MODELS) <= set(served)


@pytest.mark.parametrize("service", ["migrate", "api", "worker-images", "worker-video"])
def test_compose_runs_the_tested_commands_and_settings(service: str) -> None:
    spec = compose()[service]
    if service == "migrate":
        assert spec["command"] == ["wanstack", *MIGRATE]
        assert set(SITE_SETTINGS) <= set(spec["environment"])
        assert spec["depends_on"]["postgres"]["condition"] == "service_healthy"
        return
    command = [str(a) for a in spec["command"]]
    assert strip_listen_address(command) == ["wanstack", *ROLES[service].args]
    check_env(service, {k: str(v) for k, v in spec["environment"].items()})
    assert spec["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def test_compose_has_postgres_s3_and_a_gpu_for_the_video_worker() -> None:
    services = compose()
    assert services["postgres"]["image"].startswith("postgres:")
    s3 = services["s3"]
    assert s3["image"].startswith("chrislusf/seaweedfs:") and s3["command"][0] == "mini"
    # the bucket the processes use is the one the S3 server creates
    bucket = services["api"]["environment"]["WANSTACK_STORAGE_URL"].split("/")[2]
    assert f"-bucket={bucket}" in s3["command"]
    devices = services["worker-video"]["deploy"]["resources"]["reservations"]["devices"]
    assert devices == [{"driver": "nvidia", "count": 1, "capabilities": ["gpu"]}]
    assert "deploy" not in services["worker-images"]
    images = {name: s.get("image") for name, s in services.items()}
    assert images["worker-video"] == "wanstack:cuda"
    assert {images[n] for n in ("migrate", "api", "worker-images")} == {"wanstack:cpu"}
    assert services["migrate"]["build"]["dockerfile"] == "deploy/Dockerfile"
    assert services["worker-video"]["build"]["dockerfile"] == "deploy/Dockerfile.cuda"


def test_dockerfiles_install_the_package_on_the_named_bases() -> None:
    cpu = (DEPLOY / "Dockerfile").read_text()
    cuda = (DEPLOY / "Dockerfile.cuda").read_text()
    assert "\nFROM python:3.11-slim\n" in cpu and "RUN pip install . " in cpu
    assert "\nFROM nvidia/cuda:" in cuda and "pip install '.[gpu]'" in cuda
    for text in (cpu, cuda):  # compose and Kubernetes give whole commands
        assert not any(line.startswith("ENTRYPOINT") for line in text.splitlines())


def test_kubernetes_runs_the_tested_commands_and_settings() -> None:
    docs = k8s_docs()
    by_kind: dict[str, dict[str, dict[str, Any]]] = {}
    for doc in docs:
        by_kind.setdefault(doc["kind"], {})[doc["metadata"]["name"]] = doc
    shared = set(by_kind["ConfigMap"]["wanstack"]["data"])
    shared |= set(by_kind["Secret"]["wanstack"]["stringData"])
    assert set(by_kind["Deployment"]) == set(K8S_NAMES)
    for name, role in K8S_NAMES.items():
        pod = by_kind["Deployment"][name]["spec"]["template"]["spec"]
        (container,) = pod["containers"]
        assert strip_listen_address(container["command"]) == ["wanstack", *ROLES[role].args]
        refs = {next(iter(ref.values()))["name"] for ref in container["envFrom"]}
        assert refs == {"wanstack"}
        env = dict.fromkeys(shared, "")
        env.update({e["name"]: e["value"] for e in container.get("env", [])})
        check_env(role, env)
        gpus = container.get("resources", {}).get("limits", {}).get("nvidia.com/gpu")
        assert gpus == (1 if role == "worker-video" else None), name
    (job,) = by_kind["Job"].values()
    (container,) = job["spec"]["template"]["spec"]["containers"]
    assert container["command"] == ["wanstack", *MIGRATE]
    service = by_kind["Service"]["wanstack-api"]
    api_labels = by_kind["Deployment"]["wanstack-api"]["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= api_labels.items()
