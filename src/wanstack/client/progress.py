"""What the client commands show while they work, on stderr.

On a terminal, one live line is redrawn in place (status, or a bar with counts and ETA) and
messages scroll above it; elsewhere (a log file, a pipe, CI) every message is a plain line and the
live line is printed when it changes, at most every :data:`PLAIN_EVERY_S` seconds, so logs stay
readable for thousands of lines.
"""

from __future__ import annotations

import time
from typing import TextIO

#: the shortest gap between two redraws on a terminal
TTY_EVERY_S = 0.1
#: the shortest gap between two status lines elsewhere
PLAIN_EVERY_S = 5.0
BAR_WIDTH = 24


class Display:
    """A live status line and messages on one stream."""

    def __init__(self, stream: TextIO, *, tty: bool | None = None) -> None:
        self._stream = stream
        self.tty = stream.isatty() if tty is None else tty
        self._live = ""
        self._shown = ""
        self._last = 0.0

    def message(self, text: str) -> None:
        """A line that stays."""
        if self.tty and self._shown:
            self._stream.write("\r\x1b[K")
        self._stream.write(text + "\n")
        if self.tty and self._live:
            self._stream.write(self._live)
        self._stream.flush()

    def due(self) -> bool:
        """Whether a new live line would be drawn now."""
        every = TTY_EVERY_S if self.tty else PLAIN_EVERY_S
        return time.monotonic() - self._last >= every

    def status(self, text: str, *, force: bool = False) -> None:
        """The live line; drawn now when it changed and enough time passed (or ``force``)."""
        self._live = text
        now = time.monotonic()
        every = TTY_EVERY_S if self.tty else PLAIN_EVERY_S
        if text == self._shown or (not force and now - self._last < every):
            return
        self._last = now
        self._shown = text
        if self.tty:
            self._stream.write("\r\x1b[K" + text)
        else:
            self._stream.write(text + "\n")
        self._stream.flush()

    def close(self) -> None:
        """End the live line (the cursor goes to a fresh line on a terminal)."""
        if self.tty and self._shown:
            self._stream.write("\n")
            self._stream.flush()
        self._shown = self._live = ""


def bar(
    total: int, *, done: int, failed: int, running: int, waiting: int, eta_s: float | None
) -> str:
    """``[=====>      ] 18/40  done 17  failed 1  running 4  waiting 18  ETA 0:12``"""
    finished = done + failed
    filled = BAR_WIDTH * finished // total if total else BAR_WIDTH
    arrow = ">" if 0 < filled < BAR_WIDTH else ""
    body = ("=" * filled + arrow).ljust(BAR_WIDTH)[:BAR_WIDTH]
    eta = "--:--" if eta_s is None else clock(eta_s)
    return (
        f"[{body}] {finished}/{total}  done {done}  failed {failed}  "
        f"running {running}  waiting {waiting}  ETA {eta}"
    )


def clock(seconds: float) -> str:
    """``0:12``, ``12:03``, ``1:02:03``"""
    whole = max(round(seconds), 0)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
