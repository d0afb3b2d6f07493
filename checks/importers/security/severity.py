"""Each tool's severity scale, and CVSS scores, mapped to the log's: critical, high, medium,
low, unknown. The value the tool wrote is kept beside it (``source_severity``)."""

from __future__ import annotations

import math

ORDER = ("critical", "high", "medium", "low", "unknown")

# Words the tools use (compared in lower case): GitHub and npm say moderate, Grype says
# negligible, npm has info; UNKNOWN, none and empty values are unknown.
WORDS = {
    "critical": "critical",
    "high": "high",
    "important": "high",  # Red Hat's scale, in Trivy's vendor severities
    "medium": "medium",
    "moderate": "medium",
    "low": "low",
    "negligible": "low",
    "info": "low",
    "informational": "low",
    "unknown": "unknown",
    "none": "unknown",
    "": "unknown",
}


def from_word(word: object) -> str | None:
    """The severity of a tool's word, or None for a word no tool uses."""
    if not isinstance(word, str):
        return None
    return WORDS.get(word.strip().lower())


def from_score(score: float) -> str:
    """CVSS v3/v4 bands: 9.0-10 critical, 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low; 0 or
    no score is unknown (CVSS's "none" rates nothing, it is no triage)."""
    if not math.isfinite(score) or score <= 0 or score > 10:
        return "unknown"
    if score >= 9.0:
        return "critical"
    if score >= 7.0:
        return "high"
    if score >= 4.0:
        return "medium"
    return "low"


def score_of(value: object) -> float | None:
    """A CVSS base score written as a number or a numeric string, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    try:  # ijson gives decimal.Decimal
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def rank(severity: str) -> int:
    """0 for critical ... 4 for unknown: sorts most severe first."""
    return ORDER.index(severity) if severity in ORDER else len(ORDER)


def more_severe(a: str, b: str) -> bool:
    """Whether ``a`` is more severe than ``b`` (unknown is the least)."""
    return rank(a) < rank(b)
