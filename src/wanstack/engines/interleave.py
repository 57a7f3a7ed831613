"""wan2.6-image's interleave mode (text and images alternate), for every engine family.

A diffusion model writes no captions, so the text of each step is made here, the same way for
every engine: a prompt of several clauses (split at sentence ends and at 然后/接着/最后/之后,
then/next/finally) gets one step per clause, up to ``max_images``; a one-clause prompt gets
``max_images`` steps, either at successive times of day (when the engine says the scene suits
it) or as successive variations. Each step says what to draw (``clause``, ``words``) and its
caption, "第1步：…" for Chinese prompts and "Step 1: …" otherwise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Successive times of day for an outdoor scene: (Chinese, English, a scene word for it).
TIMES = (
    ("清晨", "morning", "清晨"),
    ("正午", "midday", "晴天"),
    ("黄金时刻", "golden hour", "黄金时刻"),
    ("日落", "sunset", "日落"),
    ("夜晚", "night", "夜晚"),
)
_CJK = re.compile(r"[\u3400-\u9fff]")
_CLAUSES = re.compile(r"[。；;！!？?\n]+|，?(?:然后|接着|最后|之后)|,?\s*\b(?:then|next|finally)\b")


@dataclass(frozen=True, slots=True)
class Step:
    """One step of an interleaved answer."""

    index: int  #: 0-based
    clause: str | None  #: this step's own clause, when the prompt has several
    words: str  #: extra scene words for this step ("" when none): its clause or time of day
    time_of_day: int | None  #: index into :data:`TIMES` when the steps follow the day
    caption: str  #: the text shown before the image


def clauses(prompt: str) -> list[str]:
    """The prompt's clauses, in order."""
    parts = [c.strip(" ，,、.") for c in _CLAUSES.split(prompt)]
    return [c for c in parts if c]


def short(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def plan(prompt: str, max_images: int, *, by_time: bool) -> list[Step]:
    """The steps of an interleaved answer to ``prompt`` (at least one)."""
    zh = bool(_CJK.search(prompt))
    found = clauses(prompt)
    several = len(found) > 1
    count = min(max_images, len(found)) if several else max_images
    steps = []
    for index in range(max(1, count)):
        words, topic, when = "", short(prompt), None
        if several:
            words = topic = short(found[index])
        elif by_time:
            when = index % len(TIMES)
            zh_time, en_time, words = TIMES[when]
            topic = f"{zh_time}，{topic}" if zh else f"{en_time}, {topic}"
        caption = f"第{index + 1}步：{topic}" if zh else f"Step {index + 1}: {topic}"
        steps.append(Step(index, found[index] if several else None, words, when, caption))
    return steps
