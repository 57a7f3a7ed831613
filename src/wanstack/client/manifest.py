"""What ``wanstack batch`` runs: a JSONL manifest, or a folder of images and a template.

* A JSONL file: one request body a line (``{"model": …, "input": {…}, "parameters": {…}}``);
  blank lines and lines starting with ``#`` are skipped; a request is known by its line number in
  the file, so ``DIR/7/`` holds the results of line 7. Relative file paths in inputs are taken
  from the manifest's folder.
* A folder: its images (by name, not recursing, hidden files skipped), each put into the template
  (a JSON body) wherever a string holds ``{image}``; request *n* is the *n*-th image.

Every line is checked before anything is sent: one bad line refuses the whole manifest, naming it,
so a batch never starts half-valid. :attr:`Manifest.sha256` identifies the manifest (the file's
bytes; for a folder, the template and each image's name and size), so a resumed batch can refuse
one that changed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wanstack.client.errors import UsageError

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff"})
PLACEHOLDER = "{image}"
#: errors listed before the rest are counted
SHOWN_ERRORS = 5


@dataclass(frozen=True, slots=True)
class Request:
    """One request of a batch."""

    line: int
    body: dict[str, Any]
    #: the image a folder request was made from ("" for a JSONL line)
    source: str = ""

    @property
    def model(self) -> str:
        return str(self.body["model"])


@dataclass(frozen=True, slots=True)
class Manifest:
    path: Path
    requests: tuple[Request, ...]
    sha256: str
    #: where relative file paths in inputs are taken from
    base: Path


def load(path: Path, template: Path | None = None) -> Manifest:
    """The manifest at ``path``; :class:`UsageError` naming each bad line."""
    if path.is_dir():
        if template is None:
            raise UsageError(
                f"{path} is a folder: give --template FILE, a JSON body using {{image}}"
            )
        return _folder(path, template)
    if template is not None:
        raise UsageError("--template is for a folder of images; a JSONL manifest holds the bodies")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read the manifest {path}: {exc.strerror or exc}") from exc
    requests: list[Request] = []
    errors: list[str] = []
    for number, line in enumerate(raw.splitlines(), start=1):
        text = line.strip()
        if not text or text.startswith(b"#"):
            continue
        try:
            body = json.loads(text)
        except (ValueError, UnicodeDecodeError) as exc:
            errors.append(f"line {number}: not JSON ({exc})")
            continue
        problem = check_body(body)
        if problem:
            errors.append(f"line {number}: {problem}")
            continue
        requests.append(Request(number, body))
    _refuse(path, errors)
    if not requests:
        raise UsageError(f"{path} holds no request (one JSON body a line)")
    digest = hashlib.sha256(raw).hexdigest()
    return Manifest(path, tuple(requests), digest, path.resolve().parent)


def check_body(body: object) -> str | None:
    """What is wrong with a request body, or None."""
    if not isinstance(body, dict):
        return "must be a JSON object with 'model' and 'input'"
    model = body.get("model")
    if not isinstance(model, str) or not model.strip():
        return "'model' must be a non-empty string"
    if not isinstance(body.get("input"), dict):
        return "'input' must be an object"
    if "parameters" in body and not isinstance(body["parameters"], dict):
        return "'parameters' must be an object"
    return None


def _folder(folder: Path, template_path: Path) -> Manifest:
    try:
        template_raw = template_path.read_bytes()
        template = json.loads(template_raw)
    except OSError as exc:
        raise UsageError(f"cannot read --template {template_path}: {exc.strerror or exc}") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise UsageError(f"--template {template_path} is not JSON: {exc}") from exc
    problem = check_body(template)
    if problem:
        raise UsageError(f"--template {template_path}: {problem}")
    if PLACEHOLDER not in json.dumps(template, ensure_ascii=False):
        raise UsageError(f"--template {template_path} has no {PLACEHOLDER} to put each image in")
    images = sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in IMAGE_SUFFIXES
    )
    if not images:
        raise UsageError(
            f"{folder} holds no image ({', '.join(sorted(IMAGE_SUFFIXES))}) to run the template on"
        )
    digest = hashlib.sha256(b"wanstack-batch-folder\n" + template_raw)
    requests = []
    for number, image in enumerate(images, start=1):
        digest.update(f"\n{image.name}\t{image.stat().st_size}".encode())
        body = _substitute(template, str(image.resolve()))
        requests.append(Request(number, body, image.name))
    return Manifest(folder, tuple(requests), digest.hexdigest(), folder.resolve())


def _substitute(value: Any, image: str) -> Any:
    if isinstance(value, str):
        return value.replace(PLACEHOLDER, image)
    if isinstance(value, list):
        return [_substitute(v, image) for v in value]
    if isinstance(value, dict):
        return {k: _substitute(v, image) for k, v in value.items()}
    return value


def _refuse(path: Path, errors: list[str]) -> None:
    if not errors:
        return
    shown = errors[:SHOWN_ERRORS]
    more = len(errors) - len(shown)
    tail = f"\n  … and {more} more" if more else ""
    raise UsageError(f"{path} is not a valid manifest:\n  " + "\n  ".join(shown) + tail)
