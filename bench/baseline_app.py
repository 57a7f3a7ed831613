"""The baseline of ``bench/api_bench.py``: a bare FastAPI app with the shapes of wanstack's
submit and query routes, served exactly as ``wanstack serve`` serves its app (one process,
``uvicorn.run`` with ``log_config=None`` and ``access_log=False``, loop and HTTP parser left on
``auto``), so the ratio measures wanstack's own work per request and nothing else.

    .venv/bin/python bench/baseline_app.py --port 8100

* ``POST /submit`` reads and parses the JSON body and answers a small JSON (task id, status).
* ``GET /query/{task_id}`` answers a small JSON (what a task query returns, without a database).
"""

from __future__ import annotations

import argparse
import json
import uuid

from fastapi import FastAPI, Request
from starlette.responses import Response


class JSONBytes(Response):
    media_type = "application/json"

    def render(self, content: object) -> bytes:
        return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode()


app = FastAPI(title="baseline", docs_url=None, redoc_url=None, openapi_url=None)


@app.post("/submit")
async def submit(request: Request) -> Response:
    body = json.loads(await request.body())
    return JSONBytes(
        {
            "output": {"task_status": "PENDING", "task_id": str(uuid.uuid4())},
            "request_id": str(uuid.uuid4()),
            "model": body.get("model"),
        }
    )


@app.get("/query/{task_id}")
async def query(task_id: str) -> Response:
    return JSONBytes(
        {
            "request_id": str(uuid.uuid4()),
            "output": {
                "task_id": task_id,
                "task_status": "PENDING",
                "submit_time": "2026-11-21 12:00:00.000",
            },
        }
    )


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8100)
    args = parser.parse_args()
    # The same call as wanstack.cli._serve (minus the graceful-shutdown timeout, irrelevant here).
    uvicorn.run(app, host=args.host, port=args.port, log_config=None, access_log=False)


if __name__ == "__main__":
    main()
