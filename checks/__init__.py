"""Operations Protocol: checks for docs-as-code operations records."""

from __future__ import annotations

__version__ = "0.3.0"
