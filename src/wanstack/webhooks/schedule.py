"""When a failed delivery is tried again: exponential backoff with jitter, for over a day.

The default waits 5 s, 30 s, 2 min, 10 min, 30 min, 1 h, 2 h, 3 h, then 4 h six times between
attempts: 15 attempts over about 30.7 h, at least 27.6 h with the jitter at its shortest, so a
receiver that is down for up to 24 hours still gets every event. Each wait is scaled by a
random factor in ``[1 - jitter, 1 + jitter]`` so that the deliveries a long outage piled up do
not all come back at the same second. ``WANSTACK_WEBHOOK_RETRY_SCHEDULE`` replaces the waits
(tests use a few seconds).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

HOUR = 3600.0
#: seconds to wait after attempt 1, 2, … before the next one
DEFAULT_DELAYS: tuple[float, ...] = (
    5.0,
    30.0,
    120.0,
    600.0,
    1800.0,
    HOUR,
    2 * HOUR,
    3 * HOUR,
    *(4 * HOUR,) * 6,
)
DEFAULT_JITTER = 0.1


@dataclass(frozen=True, slots=True)
class RetrySchedule:
    """The waits between attempts; after the last wait's attempt fails, the delivery fails."""

    delays_s: tuple[float, ...] = DEFAULT_DELAYS
    jitter: float = DEFAULT_JITTER

    def __post_init__(self) -> None:
        if not self.delays_s or any(d <= 0 for d in self.delays_s):
            raise ValueError("a retry schedule is one or more waits, each over 0 seconds")
        if not 0 <= self.jitter < 1:
            raise ValueError("jitter must be within [0, 1)")

    @property
    def attempts(self) -> int:
        """How many attempts a delivery gets in all."""
        return len(self.delays_s) + 1

    def shortest_span_s(self) -> float:
        """The least time between the first and the last attempt (jitter at its lowest)."""
        return sum(self.delays_s) * (1 - self.jitter)

    def next_delay_ms(self, attempts_made: int, rng: random.Random) -> int | None:
        """Milliseconds to wait after ``attempts_made`` failed attempts (≥ 1), or None when
        that was the last one."""
        if attempts_made < 1:
            raise ValueError("attempts_made counts attempts already made: at least 1")
        if attempts_made > len(self.delays_s):
            return None
        factor = rng.uniform(1 - self.jitter, 1 + self.jitter)
        return max(1, round(self.delays_s[attempts_made - 1] * 1000 * factor))
