"""Pooled random identifiers are well-formed and do not repeat."""

from __future__ import annotations

import uuid

from wanstack.ident import new_seed, new_uuid, random_bytes


def test_uuids_are_version_4_and_unique() -> None:
    ids = [new_uuid() for _ in range(5000)]  # crosses several pool refills
    assert len(set(ids)) == len(ids)
    assert all(uuid.UUID(i).version == 4 for i in ids)


def test_seeds_are_in_dashscope_range() -> None:
    seeds = [new_seed() for _ in range(2000)]
    assert all(0 <= s < 2147483647 for s in seeds)
    assert len(set(seeds)) > 1990


def test_random_bytes_lengths() -> None:
    assert len(random_bytes(1)) == 1
    assert len(random_bytes(4096)) == 4096
    assert random_bytes(16) != random_bytes(16)
