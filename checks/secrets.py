"""Secrets: read from the environment, and only from there; never printed, never written.

Every secret ops uses (a token, a password, a webhook URL) is read through :func:`env`, which
remembers its value; :func:`redact` takes every remembered value out of a text, and the
output layer (:func:`checks.findings.printable`) applies it to everything ops prints. A server
that repeats the token in an error body, or a URL with a password in it, cannot carry a secret
into a message: not as it is, nor percent-encoded, base64-encoded or JSON-escaped, nor split
by line breaks or spaces.
"""

from __future__ import annotations

import base64
import json
import os
import re
import threading
from collections.abc import Mapping
from urllib.parse import quote, quote_plus, unquote, urlsplit

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
    """Treat each value as secret from now on, and the forms a server may echo it in."""
    with _lock:
        for value in values:
            if len(value) < MIN_LENGTH:
                continue
            _known.update(v for v in _forms(value) if len(v) >= MIN_LENGTH)
        global _pattern
        _pattern = None


def _forms(value: str) -> set[str]:
    raw = value.encode("utf-8", "surrogateescape")
    return {
        value,
        quote(value, safe=""),
        quote_plus(value, safe=""),
        json.dumps(value, ensure_ascii=True)[1:-1],
        base64.b64encode(raw).decode("ascii").rstrip("="),
        base64.urlsafe_b64encode(raw).decode("ascii").rstrip("="),
    }


_pattern: re.Pattern[str] | None = None


def _compiled() -> re.Pattern[str]:
    """One expression for every form of every secret, longest first; spaces and line breaks
    may stand between their characters (an echo wrapped or split across lines)."""
    global _pattern
    with _lock:
        if _pattern is None:
            forms = sorted(_known, key=len, reverse=True)
            _pattern = re.compile("|".join(r"\s*".join(map(re.escape, f)) for f in forms))
        return _pattern


def redact(text: str) -> str:
    """``text`` with every remembered secret replaced by [redacted]."""
    if not _known:
        return text
    return _compiled().sub(REDACTED, text)


def excerpt(text: str, limit: int = 200) -> str:
    """What a server said, on one line, at most ``limit`` characters, with every secret taken
    out before it is cut (a cut through a token would leave its first characters)."""
    longest = max((len(k) for k in _known), default=0)
    window = redact(text[: 2 * limit + 4 * longest + 64])
    flat = " ".join(window.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def forget_all() -> None:
    """For tests: a process that starts again."""
    global _pattern
    with _lock:
        _known.clear()
        _pattern = None
