# SPDX-License-Identifier: GPL-3.0-or-later
# Note that this module_utils is PRIVATE to the collection. It can change at any time.
"""Secrets as digests: what the roles give validate_artifacts' forbidden_digests instead of the secrets.

No Ansible imports: tests import it directly.
"""
from __future__ import annotations

import hashlib


def digests(secrets) -> list[dict]:
    """[{sha256, length}] for each non-empty secret (trimmed, UTF-8), without duplicates, in order."""
    if isinstance(secrets, (str, bytes)) or secrets is None:
        secrets = [secrets]
    out, seen = [], set()
    for secret in secrets:
        if secret is None:
            continue
        data = secret if isinstance(secret, bytes) else str(secret).strip().encode("utf-8")
        if not data:
            continue
        entry = (hashlib.sha256(data).hexdigest(), len(data))
        if entry not in seen:
            seen.add(entry)
            out.append({"sha256": entry[0], "length": entry[1]})
    return out
