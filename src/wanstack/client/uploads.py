"""Local files in a request's input, sent through DashScope's temporary-file flow as the official
SDK sends them (``dashscope/utils/oss_utils.py``).

``GET /uploads?action=getPolicy&model=M`` gives an OSS POST policy; each file is posted to its
``upload_host`` as a form (``OSSAccessKeyId``, ``Signature``, ``policy``, ``key`` =
``<upload_dir>/<file name>``, ``x-oss-object-acl``, ``x-oss-forbid-overwrite``,
``success_action_status`` 200, ``x-oss-content-type``, then ``file``) and the input value becomes
``oss://<key>``; the submit then carries ``X-DashScope-OssResourceResolve: enable``.

Which values are files: a ``file://`` URI (a missing file is an error naming the field), or a
string that is the path of an existing file (relative paths from the folder given, as the SDK
takes them from the working folder), anywhere in the input (lists, messages, ``media`` items),
except under text fields such as ``prompt``: a prompt that happens to name a file stays a prompt.
One policy serves the files of one request, as in SDK 2.0.2, until a file name repeats (the policy
forbids overwriting) or it has served :data:`FILES_PER_POLICY`; a file already uploaded for the
same model in this run is not sent again.
"""

from __future__ import annotations

import asyncio
import mimetypes
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from wanstack.client.dashscope import DashScopeClient
from wanstack.client.errors import ApiError, UsageError

#: input fields whose text is never a file name
TEXT_KEYS = frozenset(
    {
        "prompt",
        "negative_prompt",
        "text",
        "title",
        "sub_title",
        "subtitle",
        "function",
        "role",
        "type",
        "style",
        "template",
        "size",
    }
)
#: files one policy serves (wanstack admits 16; the SDK's largest request has 12 media fields)
FILES_PER_POLICY = 12
#: a policy lives 300 s; one older than this is not used for another file
POLICY_MAX_AGE_S = 240.0
MAX_PATH_CHARS = 4096


def local_file(value: str, base: Path, where: str) -> Path | None:
    """The local file ``value`` names, or None when it is text, a URL, a ``data:`` URI or an
    ``oss://`` key; a ``file://`` URI of a missing file is a :class:`UsageError`."""
    if value[:7].lower() == "file://":
        parts = urlsplit(value)
        path = Path(unquote(parts.netloc + parts.path)).expanduser()
        path = path if path.is_absolute() else base / path
        if not path.is_file():
            raise UsageError(f"{where}: no such file: {path}")
        return path
    if not value or len(value) > MAX_PATH_CHARS or "\n" in value or "\x00" in value:
        return None
    if "://" in value or value[:5].lower() == "data:":
        return None
    path = Path(value).expanduser()
    path = path if path.is_absolute() else base / path
    try:
        return path if path.is_file() else None
    except OSError:  # a name too long for the file system is text
        return None


@dataclass
class _Policy:
    data: dict[str, Any]
    fetched: float = field(default_factory=time.monotonic)
    names: set[str] = field(default_factory=set)

    def admits(self, name: str) -> bool:
        return (
            name not in self.names
            and len(self.names) < FILES_PER_POLICY
            and time.monotonic() - self.fetched < POLICY_MAX_AGE_S
        )


@dataclass
class Prepared:
    """An input with its local files replaced by ``oss://`` keys."""

    input: Any
    #: an ``oss://`` key is in it (uploaded now or given): the submit needs the resolve header
    oss: bool = False
    #: (field, local path, oss key) for each file uploaded for it
    uploads: list[tuple[str, Path, str]] = field(default_factory=list)
    #: oss keys given to :meth:`Uploader.prepare` to use again, by field
    reused: dict[str, str] = field(default_factory=dict)

    @property
    def keys(self) -> dict[str, str]:
        """The ``oss://`` key of each uploaded field."""
        return {where: key for where, _, key in self.uploads}


class Uploader:
    """Uploads the local files of requests; one per client, shared by every request of a run."""

    def __init__(self, client: DashScopeClient) -> None:
        self._client = client
        self._done: dict[tuple[str, str, int, int], asyncio.Future[str]] = {}

    async def prepare(
        self,
        model: str,
        value: Any,
        base: Path,
        where: str = "input",
        reuse: Mapping[str, str] | None = None,
    ) -> Prepared:
        """A copy of ``value`` (a request's ``input``) ready to submit for ``model``. ``reuse``
        maps fields to the ``oss://`` keys an earlier attempt uploaded for them: a request sent
        again must be the same bytes for its ``Idempotency-Key`` to find its first task."""
        prepared = Prepared(input=None, reused=dict(reuse or {}))
        policy: list[_Policy] = []  # this request's current policy, fetched on first use
        prepared.input = await self._walk(model, value, "", where, base, prepared, policy)
        return prepared

    async def _walk(
        self,
        model: str,
        value: Any,
        key: str,
        where: str,
        base: Path,
        prepared: Prepared,
        policy: list[_Policy],
    ) -> Any:
        if isinstance(value, dict):
            return {
                k: await self._walk(model, v, str(k), f"{where}.{k}", base, prepared, policy)
                for k, v in value.items()
            }
        if isinstance(value, list):
            return [
                await self._walk(model, v, key, f"{where}[{i}]", base, prepared, policy)
                for i, v in enumerate(value)
            ]
        if not isinstance(value, str) or key in TEXT_KEYS:
            return value
        if value[:6].lower() == "oss://":
            prepared.oss = True
            return value
        if where in prepared.reused:
            prepared.oss = True
            prepared.uploads.append((where, Path(value), prepared.reused[where]))
            return prepared.reused[where]
        path = local_file(value, base, where)
        if path is None:
            return value
        oss_key = await self._upload(model, path, where, policy)
        prepared.oss = True
        prepared.uploads.append((where, path, oss_key))
        return oss_key

    async def _upload(self, model: str, path: Path, where: str, policy: list[_Policy]) -> str:
        cache_key = await asyncio.to_thread(_identity, model, path)
        earlier = self._done.get(cache_key)
        if earlier is None:  # the first request to need this file uploads it, the others wait
            earlier = asyncio.ensure_future(self._send(model, path, where, policy))
            self._done[cache_key] = earlier
        try:
            return await asyncio.shield(earlier)
        except Exception:
            if self._done.get(cache_key) is earlier:
                del self._done[cache_key]  # a failed upload is tried again by the next request
            raise

    async def _send(self, model: str, path: Path, where: str, policy: list[_Policy]) -> str:
        name = path.name
        if not policy or not policy[0].admits(name):
            policy[:] = [_Policy(await self._client.upload_policy(model))]
        data = policy[0].data
        try:
            fields = {
                "OSSAccessKeyId": str(data["oss_access_key_id"]),
                "Signature": str(data["signature"]),
                "policy": str(data["policy"]),
                "key": f"{data['upload_dir']}/{name}",
                "x-oss-object-acl": str(data["x_oss_object_acl"]),
                "x-oss-forbid-overwrite": str(data["x_oss_forbid_overwrite"]),
                "success_action_status": "200",
                "x-oss-content-type": mimetypes.guess_type(name)[0] or "application/octet-stream",
            }
            host = str(data["upload_host"])
        except KeyError as exc:
            raise ApiError(200, "InvalidResponse", f"the upload policy lacks {exc}") from exc
        policy[0].names.add(name)
        try:
            await self._client.post_form(host, fields, name, path)
        except ApiError as exc:
            raise ApiError(
                exc.status, exc.code, f"{where}: uploading {path}: {exc.message}"
            ) from exc
        return "oss://" + fields["key"]


def _identity(model: str, path: Path) -> tuple[str, str, int, int]:
    """A file as uploaded for a model: the same path, size and time are the same upload."""
    stat = path.stat()
    return (model, str(path.resolve()), stat.st_size, stat.st_mtime_ns)
