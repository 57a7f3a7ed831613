"""The files a finished task produced, found in its output whatever the model's shape, and saved.

* images: ``results[].url`` (an item carrying ``code``/``message`` instead failed on its own);
* titled backgrounds: also ``text_results.urls[].url``, the pictures without their text layers;
* videos: ``video_url``;
* chat-shaped image models: ``choices[].message.content[].image``.

Files are named by their place in the output (``1.png``, ``2.png``, ``1-no-text.png``,
``video.mp4``), behind an optional prefix; the suffix comes from the URL or the content type.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wanstack.client.dashscope import DashScopeClient


@dataclass(frozen=True, slots=True)
class ResultFile:
    url: str
    #: the file name without its suffix
    stem: str


def result_files(output: Mapping[str, Any]) -> list[ResultFile]:
    """Every file URL of a task's ``output``, each once, in the order of the output."""
    found: list[ResultFile] = []
    seen: set[str] = set()

    def add(url: object, stem: str) -> None:
        if isinstance(url, str) and url and url not in seen:
            seen.add(url)
            found.append(ResultFile(url, stem))

    results = output.get("results")
    if isinstance(results, list):
        for index, item in enumerate(results, start=1):
            if isinstance(item, dict):
                add(item.get("url"), str(index))
    text_results = output.get("text_results")
    if isinstance(text_results, dict) and isinstance(text_results.get("urls"), list):
        params = text_results.get("params")
        for index, item in enumerate(text_results["urls"]):
            sample = index
            if isinstance(params, list) and index < len(params) and isinstance(params[index], dict):
                sample = int(params[index].get("sample_idx", index))
            if isinstance(item, dict):
                add(item.get("url"), f"{sample + 1}-no-text")
    add(output.get("video_url"), "video")
    choices = output.get("choices")
    if isinstance(choices, list):
        count = 0
        for choice in choices:
            message = choice.get("message") if isinstance(choice, dict) else None
            content = message.get("content") if isinstance(message, dict) else None
            for part in content if isinstance(content, list) else []:
                if isinstance(part, dict) and isinstance(part.get("image"), str):
                    count += 1
                    add(part["image"], f"image-{count}")
    return found


def item_failures(output: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(code, message)`` of each output item that failed while others succeeded."""
    results = output.get("results")
    if not isinstance(results, list):
        return []
    return [
        (str(item.get("code")), str(item.get("message") or ""))
        for item in results
        if isinstance(item, dict) and item.get("code") and not item.get("url")
    ]


async def save_results(
    client: DashScopeClient, output: Mapping[str, Any], folder: Path, prefix: str = ""
) -> list[Path]:
    """Download every result file of ``output`` into ``folder``; the paths written."""
    await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
    paths = []
    for item in result_files(output):
        paths.append(await client.download(item.url, folder / f"{prefix}{item.stem}"))
    return paths
