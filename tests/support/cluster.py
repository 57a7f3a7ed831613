"""The cluster's processes in one table, shared by the cluster acceptance test
(``tests/acceptance/test_cluster.py``, which starts them) and the deployment files' test
(``tests/unit/test_deploy_files.py``, which checks that ``deploy/compose.yaml`` and the
Kubernetes manifests run the same commands with the same settings).

* :data:`MIGRATE`: the one-off ``wanstack migrate`` before anything else starts.
* :data:`ROLES`: each long-running process: its arguments after ``wanstack`` and the settings
  whose values are the same in the test and in every deployment file.
* :data:`SITE_SETTINGS`: what every process needs, with values per site (addresses, secrets).
* :data:`TEST_SETTINGS`: what only the test sets (fake engines with a delay, short polls and
  leases so that a killed worker's task runs again within seconds).
* :data:`DEPLOY_SETTINGS`: what only a deployment file may add (real engines and weights,
  the address clients reach, logs).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

#: The CPU group: the classic image models (the t2i family by two of its members).
IMAGE_MODELS = (
    "wanx-x-painting",
    "wanx-background-generation-v2",
    "wan2.6-image",
    "wan2.2-t2i-flash",
    "wanx2.1-t2i-turbo",
)
#: The GPU group: the video models, one video at a time.
VIDEO_MODELS = ("wan2.6-t2v", "wan2.6-i2v")

#: ``wanstack migrate``: run once, before the API and the workers start.
MIGRATE = ("migrate",)


@dataclass(frozen=True)
class Role:
    """One kind of long-running process of the cluster."""

    name: str
    #: the arguments after ``wanstack``; the API's ``--host``/``--port`` are the site's
    args: tuple[str, ...]
    #: settings with one value everywhere (the test and every deployment file)
    env: Mapping[str, str] = field(default_factory=dict)
    #: the models it runs (none: the API)
    models: tuple[str, ...] = ()


ROLES: dict[str, Role] = {
    "api": Role("api", ("serve", "--workers", "0")),
    "worker-images": Role(
        "worker-images",
        ("worker", "--models", ",".join(IMAGE_MODELS), "--concurrency", "4"),
        models=IMAGE_MODELS,
    ),
    "worker-video": Role(
        "worker-video",
        ("worker", "--models", ",".join(VIDEO_MODELS), "--concurrency", "1"),
        env={"WANSTACK_MODEL_CONCURRENCY": json.dumps(dict.fromkeys(VIDEO_MODELS, 1))},
        models=VIDEO_MODELS,
    ),
}

#: Every process of the cluster gets these; the values are the site's.
SITE_SETTINGS = (
    "WANSTACK_DATABASE_URL",
    "WANSTACK_STORAGE_URL",
    "WANSTACK_S3_ENDPOINT_URL",
    "WANSTACK_SECRET_KEY",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_REGION",
)

#: The fake engines' delay per task: long enough that a SIGKILL lands mid-run.
FAKE_DELAY_S = 0.6

#: Only the test sets these (a deployment runs the real engines with the default timings).
TEST_SETTINGS = {
    "WANSTACK_ENGINES": json.dumps(dict.fromkeys(IMAGE_MODELS + VIDEO_MODELS, "fake")),
    "WANSTACK_ENGINE_OPTIONS": json.dumps({"fake": {"delay": FAKE_DELAY_S}}),
    "WANSTACK_POLL_SECONDS": "0.2",
    "WANSTACK_LEASE_SECONDS": "3",
    "WANSTACK_WORKER_HEARTBEAT_SECONDS": "1",
}

#: Only a deployment file may add these: real engines and their weights, where clients reach
#: the API and the bucket, the data folder and the log format.
DEPLOY_SETTINGS = (
    "WANSTACK_ENGINES",
    "WANSTACK_ENGINE_OPTIONS",
    "WANSTACK_PUBLIC_URL",
    "WANSTACK_S3_PUBLIC_ENDPOINT_URL",
    "WANSTACK_DATA_DIR",
    "WANSTACK_LOG_JSON",
    "HF_HOME",
)


def strip_listen_address(args: list[str]) -> list[str]:
    """``args`` without ``--host X`` and ``--port N`` (where the API listens is the site's)."""
    out: list[str] = []
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg in ("--host", "--port"):
            skip = True
        else:
            out.append(arg)
    return out
