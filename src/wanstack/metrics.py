"""Prometheus metrics. Counters and histograms are per process; task counts come from the
database at scrape time, so every process reports the same queue depth."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

TASKS_FINISHED = Counter(
    "wanstack_tasks_finished_total", "Tasks finished by this process", ["model", "status"]
)
TASK_DURATION = Histogram(
    "wanstack_task_duration_seconds",
    "Time from claim to finish of one attempt",
    ["model", "status"],
    buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800),
)
TASKS = Gauge("wanstack_tasks", "Stored tasks by model and status", ["model", "status"])
QUEUE_DEPTH = Gauge("wanstack_queue_depth", "Tasks waiting for a worker (PENDING)")
TASKS_UNSERVED = Gauge(
    "wanstack_tasks_unserved",
    "PENDING tasks of a model that no live worker serves (they wait until one starts)",
    ["model"],
)
WORKERS = Gauge("wanstack_workers", "Registered worker processes by state (live, dead)", ["state"])
REQUESTS = Counter(
    "wanstack_http_requests_total", "HTTP requests answered", ["method", "route", "status"]
)
