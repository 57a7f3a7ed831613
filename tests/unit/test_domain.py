"""The documented state machine and the code's TRANSITIONS are the same."""

from __future__ import annotations

import re
from pathlib import Path

from wanstack.domain import FINAL_STATUSES, TRANSITIONS, TaskStatus

DOC = Path(__file__).parents[2] / "docs" / "task-lifecycle.md"


def test_transition_table_matches_the_document() -> None:
    rows = re.findall(
        r"^\| (PENDING|RUNNING) \| (\w+) \| ([^|]+?) \|", DOC.read_text(), flags=re.MULTILINE
    )
    documented = {(TaskStatus(a), TaskStatus(b), cause.strip()) for a, b, cause in rows}
    assert documented == set(TRANSITIONS)


def test_final_states_have_no_way_out() -> None:
    assert all(src not in FINAL_STATUSES for src, _, _ in TRANSITIONS)
    assert TaskStatus.UNKNOWN not in {s for t in TRANSITIONS for s in t[:2]}
