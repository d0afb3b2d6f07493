"""Secrets: read from the environment, and only from there; never printed, never written.

Every secret ops uses (a token, a password, a webhook URL) is read through :func:`env`, which
remembers its value; :func:`redact` takes every remembered value out of a text, and the
output layer (:func:`checks.findings.printable`) applies it to everything ops prints. A server
that repeats the token in an error body, or a URL with a password in it, cannot carry a secret
into a message.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from urllib.parse import unquote, urlsplit

REDACTED = "[redacted]"
MIN_LENGTH = 4  # shorter values would redact ordinary words
_known: set[str] = set()
_lock = threading.Lock()


def env(name: str, environ: Mapping[str, str] = os.environ) -> str | None:
    """The secret in the environment variable ``name`` (None when unset or empty), remembered
    so that no message or file ever shows it. A secret URL (a webhook) is secret whole: its
    path and query are remembered too."""
    value = environ.get(name, "").strip()
    if not value:
        return None
    remember(value)
    if "://" in value:
        try:
            url = urlsplit(value)
        except ValueError:
            return value
        remember(url.path.rstrip("/"), url.query)
    return value


def url_credentials(url: str) -> None:
    """Remember the user name and password of a URL that is not itself secret (a Prometheus
    URL with basic auth in it)."""
    try:
        parts = urlsplit(url)
        found = [parts.password or "", parts.username or ""]
    except ValueError:
        return
    remember(*found, *(unquote(p) for p in found))


def remember(*values: str) -> None:
    """Treat each value as secret from now on."""
    with _lock:
        _known.update(v for v in values if len(v) >= MIN_LENGTH)


def redact(text: str) -> str:
    """``text`` with every remembered secret replaced by [redacted]."""
    if not _known:
        return text
    for secret in sorted(_known, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


def forget_all() -> None:
    """For tests: a process that starts again."""
    with _lock:
        _known.clear()
