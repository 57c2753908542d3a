# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import hashlib

from ansible_collections.mcpmesh.platform.plugins.module_utils._artifacts import forbidden_digest_hits
from ansible_collections.mcpmesh.platform.plugins.module_utils._digests import digests


def test_each_secret_is_trimmed_hashed_and_measured_in_utf8_bytes():
    assert digests([" abc \n", "é"]) == [
        {"sha256": hashlib.sha256(b"abc").hexdigest(), "length": 3},
        {"sha256": hashlib.sha256("é".encode()).hexdigest(), "length": 2},
    ]


def test_empty_and_duplicate_secrets_are_left_out():
    assert digests(["", None, "  ", "k", "k "]) == [{"sha256": hashlib.sha256(b"k").hexdigest(), "length": 1}]
    assert digests(None) == [] and digests("x") == digests(["x"])


def test_the_validator_finds_a_secret_by_its_digest():
    secret = "fake-licence-0b7e44c1"
    assert forbidden_digest_hits(f"values:\n  licence: {secret}\n", digests([secret])) == [1]
    assert forbidden_digest_hits("values: {}\n", digests([secret])) == []
