"""Submission tokens: who may send entries to ``POST /api/submissions``.

A token is shown once, when created; only its SHA-256 is kept, in ``<data dir>/tokens.json``
(outside git with the rest of ``.kb/``), so a copy of the data folder does not leak a
usable token. A token is long and random, so a plain hash is enough (no salt or slow hash:
there is no password to guess). Revoked tokens stay listed so the record of who sent what
keeps its names.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from kb import documents
from kb.errors import TokenError

TOKENS_FILE = "tokens.json"
PREFIX = "kbt_"  # recognisable in a leaked config file or a log
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
# What a token may do: a contributor sends entries and sees their own; a reviewer also
# sees every pending submission and approves or rejects them.
ROLES = ("contributor", "reviewer")


@dataclass
class TokenRecord:
    name: str
    sha256: str
    created: str
    revoked: str | None = None
    role: str = "contributor"  # tokens made before roles existed were all contributors'

    def public(self) -> dict[str, str | None]:
        """What `kb token list` shows: never the hash, let alone the token."""
        return {"name": self.name, "role": self.role, "created": self.created, "revoked": self.revoked}


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _path(data_dir: Path) -> Path:
    return data_dir / TOKENS_FILE


def load(data_dir: Path) -> list[TokenRecord]:
    path = _path(data_dir)
    if not path.exists():
        return []
    try:
        raw = documents.parse_json(documents.read_text(path, documents.STATE_LIMITS))
        return [TokenRecord(**item) for item in raw["tokens"]]
    except (documents.DocumentError, OSError, ValueError, KeyError, TypeError) as exc:
        raise TokenError(f"{path} is damaged ({exc}); restore it or remove it and create the tokens again") from None


def _save(data_dir: Path, records: list[TokenRecord]) -> None:
    from kb.files import write_atomic

    write_atomic(_path(data_dir), json.dumps({"tokens": [asdict(r) for r in records]}, indent=2) + "\n")


@contextmanager
def _locked(data_dir: Path) -> Iterator[None]:
    """Serialise read-modify-write: two `kb token create` at once must not drop one."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with open(data_dir / ".tokens.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def create(data_dir: Path, name: str, role: str = "contributor") -> str:
    """A new token for ``name``; the token itself is returned once and never stored."""
    if role not in ROLES:
        raise TokenError(f"'{role}' is not a role; use one of {', '.join(ROLES)}")
    if not NAME.match(name):
        raise TokenError(f"'{name}' is not a token name: use letters, digits, '.', '_', '@' or '-' (at most 64)")
    with _locked(data_dir):
        records = load(data_dir)
        if any(r.name == name for r in records):
            raise TokenError(f"a token named '{name}' already exists (names stay unique, even once revoked); choose another name")
        token = PREFIX + secrets.token_urlsafe(32)
        records.append(TokenRecord(name, digest(token), _now(), role=role))
        _save(data_dir, records)
    return token


def revoke(data_dir: Path, name: str) -> TokenRecord:
    from kb.errors import did_you_mean

    with _locked(data_dir):
        records = load(data_dir)
        for record in records:
            if record.name == name:
                if record.revoked is None:
                    record.revoked = _now()
                    _save(data_dir, records)
                return record
    raise TokenError(f"no token named '{name}'{did_you_mean(name, [r.name for r in records])}")


def holder(data_dir: Path, token: str) -> TokenRecord | None:
    """The live token ``token`` is (its name and role), or None (unknown or revoked).

    Read on every request, so a revocation takes effect at once without a restart.
    """
    wanted = digest(token)
    for record in load(data_dir):
        if hmac.compare_digest(record.sha256, wanted):
            return None if record.revoked else record
    return None


def identify(data_dir: Path, token: str) -> str | None:
    """The name of the live token ``token`` is, or None."""
    record = holder(data_dir, token)
    return record.name if record else None


def invite_link(base_url: str, token: str) -> str:
    """Where a contributor opens kb's form with their token. After ``#``, the token never
    reaches a server or its logs; the page keeps it in the tab and clears the address."""
    return f"{base_url.rstrip('/')}/contribute/#token={token}"
