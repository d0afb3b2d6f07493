"""Where the counts come from. Each source answers ``counts(slo, start, end)``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Protocol

from checks.slo.groups import Measured
from checks.slo.model import Slo

Window = tuple[dt.datetime, dt.datetime]


class Source(Protocol):
    name: str

    def measure(self, slo: Slo, windows: Sequence[Window]) -> Sequence[Measured]:
        """Good and total events in each window [start, end), per group with group_by."""
        ...

    def measure_all(
        self, slos: Sequence[Slo], windows: Sequence[Window]
    ) -> Sequence[Sequence[Measured]]:
        """``measure`` for each SLO (a source may ask for them all at once)."""
        ...
