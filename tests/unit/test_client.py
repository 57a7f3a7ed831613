"""The pure pieces of ``wanstack run`` / ``wanstack batch`` (:mod:`wanstack.client`): routing
against the catalog it may not import, value parsing, Retry-After, result shapes, manifests and
the batch journal on a temporary folder."""

from __future__ import annotations

import json
from email.utils import formatdate
from pathlib import Path
from time import time

import httpx
import pytest

from wanstack.catalog.registry import ALIASES, MODELS, SYNC_ENDPOINTS
from wanstack.client.dashscope import Connection, retry_after
from wanstack.client.endpoints import SERVICES, endpoint_for, normalise
from wanstack.client.errors import ApiError, UsageError
from wanstack.client.journal import Journal
from wanstack.client.manifest import load
from wanstack.client.results import item_failures, result_files
from wanstack.client.run import parse_pairs, parse_value
from wanstack.client.uploads import local_file


@pytest.mark.parametrize("model", sorted({*MODELS, *ALIASES}))
def test_every_served_model_is_routed_to_an_async_endpoint_it_serves(model: str) -> None:
    spec = MODELS[ALIASES.get(model, model)]
    path = endpoint_for(model)
    assert path.startswith(SERVICES)
    endpoint = path.removeprefix(SERVICES)
    assert endpoint in spec.endpoints and endpoint not in SYNC_ENDPOINTS, (model, endpoint)


def test_dashscope_routes_of_the_sdk() -> None:
    assert endpoint_for("wanx-x-painting") == SERVICES + "image2image/image-synthesis"
    assert endpoint_for("wan2.2-kf2v-flash") == SERVICES + "image2video/video-synthesis"
    assert endpoint_for("wan2.6-image") == SERVICES + "image-generation/generation"
    assert endpoint_for("some-future-t2i") == SERVICES + "text2image/image-synthesis"


def test_endpoint_override_forms() -> None:
    for given in (
        "image2image/image-synthesis",
        "/services/aigc/image2image/image-synthesis/",
        "/api/v1/services/aigc/image2image/image-synthesis",
    ):
        assert normalise(given) == SERVICES + "image2image/image-synthesis"
    with pytest.raises(UsageError, match="synchronously"):
        normalise("multimodal-generation/generation")
    with pytest.raises(UsageError, match="--endpoint"):
        normalise("image-synthesis")


def test_values_are_json_when_they_parse() -> None:
    assert parse_value("2") == 2 and parse_value("true") is True
    assert parse_value('["a.png", "b.png"]') == ["a.png", "b.png"]
    assert parse_value("1024*1024") == "1024*1024"
    assert parse_value("NaN") == "NaN" and parse_value("") == ""
    assert parse_value('"42"') == "42"
    assert parse_pairs(["prompt=a=b", "n=2"], "--input") == {"prompt": "a=b", "n": 2}
    with pytest.raises(UsageError, match="key=value"):
        parse_pairs(["prompt"], "--input")
    with pytest.raises(UsageError, match="twice"):
        parse_pairs(["n=1", "n=2"], "--param")


def test_connection_reads_the_sdk_variables_and_flags_win() -> None:
    env = {"DASHSCOPE_HTTP_BASE_URL": "http://h:1/api/v1/", "DASHSCOPE_API_KEY": "sk-env"}
    conn = Connection.resolve(env)
    assert (conn.base_url, conn.api_key) == ("http://h:1/api/v1", "sk-env")
    assert Connection.resolve(env, api_key="sk-flag").api_key == "sk-flag"
    assert Connection.resolve({"DASHSCOPE_API_KEY": "k"}).base_url.startswith("https://dashscope")
    assert "sk-env" not in repr(conn)
    with pytest.raises(UsageError, match="DASHSCOPE_API_KEY"):
        Connection.resolve({})
    with pytest.raises(UsageError, match="base URL"):
        Connection.resolve({"DASHSCOPE_API_KEY": "k"}, base_url="localhost:8000")


def test_retry_after_forms() -> None:
    def told(**headers: str) -> float | None:
        return retry_after(httpx.Response(429, headers=headers))

    assert told() is None and told(**{"Retry-After": "soon"}) is None
    assert told(**{"Retry-After": "2"}) == 2.0
    assert told(**{"retry-after-ms": "1500", "Retry-After": "9"}) == 1.5
    later = told(**{"Retry-After": formatdate(time() + 30, usegmt=True)})
    assert later is not None and 27 <= later <= 31
    assert told(**{"Retry-After": "100000"}) == 120.0  # capped


def test_which_answers_settle_a_line() -> None:
    assert ApiError(400, "InvalidParameter", "parameters.n").refusal
    assert ApiError(404, "ModelNotFound", "").refusal
    for transient in (ApiError(429, "Throttling.RateQuota", ""), ApiError(503, "X", "")):
        assert not transient.refusal and not transient.fatal  # a new run sends it again
    assert ApiError(401, "InvalidApiKey", "").fatal and not ApiError(401, "x", "").refusal
    assert ApiError(400, "Arrearage", "").fatal  # the account, not the line


def test_result_files_of_every_output_shape() -> None:
    images = {"results": [{"url": "http://h/a.png"}, {"code": "X", "message": "m"}]}
    assert [(f.url, f.stem) for f in result_files(images)] == [("http://h/a.png", "1")]
    assert item_failures(images) == [("X", "m")]
    titled = {
        "results": [{"url": "u1"}, {"url": "u2"}],
        "text_results": {"urls": [{"url": "t2"}], "params": [{"sample_idx": 1, "layers": []}]},
    }
    assert [f.stem for f in result_files(titled)] == ["1", "2", "2-no-text"]
    assert [f.stem for f in result_files({"video_url": "v"})] == ["video"]
    chat = {
        "choices": [{"message": {"content": [{"text": "a"}, {"image": "i1"}, {"image": "i2"}]}}]
    }
    assert [(f.url, f.stem) for f in result_files(chat)] == [("i1", "image-1"), ("i2", "image-2")]


def test_local_files_and_what_stays_text(tmp_path: Path) -> None:
    (tmp_path / "a.png").write_bytes(b"x")
    assert local_file("a.png", tmp_path, "input.x") == tmp_path / "a.png"
    assert local_file(f"file://{tmp_path / 'a.png'}", Path("/"), "input.x") == tmp_path / "a.png"
    for text in ("http://h/a.png", "data:image/png;base64,AA", "oss://k/a.png", "b.png", ""):
        assert local_file(text, tmp_path, "input.x") is None
    with pytest.raises(UsageError, match=r"input\.x: no such file"):
        local_file("file:///no/such.png", tmp_path, "input.x")


def test_manifest_lines_are_checked_before_anything_runs(tmp_path: Path) -> None:
    path = tmp_path / "m.jsonl"
    good = json.dumps({"model": "m", "input": {"prompt": "p"}})
    path.write_text(f"# c\n\n{good}\n{{oops\n{json.dumps({'model': 'm'})}\n")
    with pytest.raises(UsageError) as info:
        load(path)
    assert "line 4: not JSON" in str(info.value) and "line 5: 'input'" in str(info.value)
    path.write_text(f"# c\n\n{good}\n")
    manifest = load(path)
    assert [r.line for r in manifest.requests] == [3] and manifest.base == tmp_path
    with pytest.raises(UsageError, match="--template is for a folder"):
        load(path, tmp_path / "t.json")


def test_the_journal_resumes_cuts_a_torn_record_and_refuses_another_manifest(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    with Journal(out, "a" * 64, 2) as journal:
        key = journal.key_for(3)
        journal.submitting(3, key, {"input.x": "oss://k/x.png"})
        journal.submitted(3, "task-1")
        journal.submitting(4, journal.key_for(4), {})
        with pytest.raises(UsageError, match="another wanstack batch"):
            Journal(out, "a" * 64, 2).__enter__()
    with (out / "state.jsonl").open("a") as f:
        f.write('{"line": 4, "event": "submi')  # the crash came mid-write
    with Journal(out, "a" * 64, 2) as journal:
        assert journal.resumed
        assert journal.state(3).task_id == "task-1" and journal.key_for(3) == key
        assert journal.state(3).uploads == {"input.x": "oss://k/x.png"}
        assert journal.state(4).key is not None and journal.state(4).task_id is None
        journal.refused(4, "InvalidParameter", "bad")
    assert (out / "state.jsonl").read_text().endswith('"message":"bad"}\n')
    with Journal(out, "a" * 64, 2) as journal:
        assert journal.state(4).status == "REFUSED"
    with pytest.raises(UsageError, match="another manifest"):
        Journal(out, "b" * 64, 2).__enter__()
    with Journal(tmp_path / "other", "a" * 64, 2) as other:
        assert other.key_for(3) != key  # a new batch of the same manifest makes new tasks
