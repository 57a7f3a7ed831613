"""Finding the vocabulary's words in a prompt.

Matching is longest-first over the whole prompt: Chinese words are found as substrings (Chinese
has no spaces), English words and phrases only at word boundaries. A claimed span is never
matched again, so ``桃花`` wins over ``花`` and ``city lights`` over ``city``. Colour words also
match with a lightness modifier in front (``浅粉色``, ``light pink``, ``deep red``). Also here: the
distance words, stopwords, and the words that match nothing (:attr:`SceneSpec.unknown`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from wanstack.engines.classic.scene.concepts import CONCEPTS, Concept
from wanstack.engines.classic.scene.spec import RGB

_DISTANCE_WORDS = {
    "远处": "horizon",
    "远方": "horizon",
    "远景": "horizon",
    "背后": "horizon",
    "后面": "horizon",
    "in the distance": "horizon",
    "distant": "horizon",
    "far away": "horizon",
    "far": "horizon",
    "behind": "horizon",
    "近处": "frame",
    "前景": "frame",
    "周围": "frame",
    "旁边": "ground",
    "foreground": "frame",
    "around": "frame",
    "beside": "ground",
    "next to": "ground",
}
_LIGHTEN = {"浅": 0.45, "淡": 0.5, "light": 0.45, "pale": 0.5, "pastel": 0.55, "soft": 0.3}
_DARKEN = {"深": 0.45, "暗": 0.5, "dark": 0.45, "deep": 0.35}
_EN_STOP = frozenset(
    re.findall(
        r"\S+",
        """a an the with and of on in at by for to from under over near into onto some very is are
        it its this that these those as or plus few many lots lot like style styled look looking
        theme themed tone toned vibe vibes feel has have full made""",
    )
)
_ZH_STOP = frozenset("的和与及在有上中里下一个些很非常带着是了把被之等或为以及并且还也都很多")
_CLAUSE = re.compile(r"[,，。;；!！?？、\n|/]")
_CJK = re.compile(r"[\u3400-\u9fff]")
_EN_TOKEN = re.compile(r"[a-z0-9]+(?: [a-z0-9]+)*")


def _is_cjk(word: str) -> bool:
    return _CJK.search(word) is not None


class _Lexicon:
    """All trigger words, longest first, with their concepts.

    Colour words also get virtual entries with a lightness modifier in front (浅粉色, light pink,
    deep red), so that the longest-first rule keeps them whole."""

    def __init__(self, concepts: Iterable[Concept]) -> None:
        entries: dict[str, tuple[Concept, str]] = {}
        for c in concepts:
            for w in c.words:
                entries.setdefault(w, (c, ""))
        for c in concepts:
            if c.kind != "color":
                continue
            for w in c.words:
                for mod in (*_LIGHTEN, *_DARKEN):
                    if _is_cjk(mod) != _is_cjk(w):
                        continue
                    entries.setdefault((mod + w) if _is_cjk(w) else f"{mod} {w}", (c, mod))
        self.entries = sorted(
            ((w, c, mod) for w, (c, mod) in entries.items()), key=lambda e: (-len(e[0]), e[0])
        )
        self.patterns: dict[str, re.Pattern[str]] = {
            w: re.compile(r"(?<![a-z0-9])" + re.escape(w) + r"(?![a-z0-9])")
            for w, _, _ in self.entries
            if not _is_cjk(w)
        }

    def match(self, text: str) -> list[tuple[int, int, Concept, str]]:
        """Non-overlapping (start, end, concept, modifier) matches, longest words first."""
        taken = bytearray(len(text))
        found: list[tuple[int, int, Concept, str]] = []
        for w, c, mod in self.entries:
            if w not in text:
                continue
            if _is_cjk(w):
                spans = []
                start = text.find(w)
                while start != -1:
                    spans.append((start, start + len(w)))
                    start = text.find(w, start + len(w))
            else:
                spans = [m.span() for m in self.patterns[w].finditer(text)]
            for a, b in spans:
                if not any(taken[a:b]):
                    taken[a:b] = b"\x01" * (b - a)
                    found.append((a, b, c, mod))
        found.sort(key=lambda f: f[0])
        return found


_LEXICON = _Lexicon(CONCEPTS)


def _normalise(prompt: str) -> str:
    text = prompt.lower().replace("-", " ").replace("_", " ")
    text = re.sub(r"[ \t]+", " ", text)
    return text


def _shade(rgb: RGB, mod: str) -> RGB:
    if mod in _LIGHTEN:
        t = _LIGHTEN[mod]
        return tuple(round(v + (255 - v) * t) for v in rgb)  # type: ignore[return-value]
    if mod in _DARKEN:
        t = _DARKEN[mod]
        return tuple(round(v * (1 - t)) for v in rgb)  # type: ignore[return-value]
    return rgb


def _unknown_words(text: str, spans: list[tuple[int, int]]) -> list[str]:
    mask = [False] * len(text)
    for a, b in spans:
        for i in range(a, b):
            mask[i] = True
    for w in _DISTANCE_WORDS:
        for m in re.finditer(re.escape(w), text):
            for i in range(*m.span()):
                mask[i] = True
    rest = "".join(" " if mask[i] else ch for i, ch in enumerate(text))
    unknown: list[str] = []
    for chunk in re.split(r"[^\w\u3400-\u9fff]+", rest):
        if not chunk:
            continue
        for part in re.findall(r"[\u3400-\u9fff]+|[a-z0-9]+", chunk):
            if _is_cjk(part):
                part = "".join(ch for ch in part if ch not in _ZH_STOP)
                if part and part not in unknown:
                    unknown.append(part)
            elif part not in _EN_STOP and not part.isdigit() and part not in unknown:
                unknown.append(part)
    return unknown
