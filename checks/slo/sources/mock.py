"""Deterministic synthetic metrics, for demos and the sample project.

The same project, seed, SLO and day always give the same counts, whatever the
machine or the Python version (the numbers come from SHA-256, not from
``random``). Weeks listed in ``bad_weeks`` have one bad day (the Wednesday)
that fails every SLO for the week. It has no labels: an SLO with ``group_by``
is refused.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence

from checks.dates import DAY, week_of
from checks.slo import groups, timeslices
from checks.slo.compute import Counts
from checks.slo.model import Slo


class MockSource:
    name = "mock"

    def __init__(
        self, project: str, seed: str | None = None, bad_weeks: Sequence[str] = ()
    ) -> None:
        self.seed = seed or project
        self.bad_weeks = set(bad_weeks)

    def measure(self, slo: Slo, windows: Sequence[tuple[dt.datetime, dt.datetime]]) -> list[Counts]:
        return [self.counts(slo, start, end) for start, end in windows]

    def measure_all(
        self, slos: Sequence[Slo], windows: Sequence[tuple[dt.datetime, dt.datetime]]
    ) -> list[list[Counts]]:
        groups.refuse(slos, self.name, "its numbers have no labels")
        timeslices.refuse(slos, self.name, "its numbers are daily counts, without slices")
        return [self.measure(slo, windows) for slo in slos]

    def counts(self, slo: Slo, start: dt.datetime, end: dt.datetime) -> Counts:
        good = total = 0
        day = start
        while day < end:
            g, t = self.day(slo, day)
            good, total = good + g, total + t
            day += DAY
        return Counts(good, total)

    def day(self, slo: Slo, day: dt.datetime) -> tuple[int, int]:
        """Good and total events on one UTC day."""
        draws = _draws(f"{self.seed}/{slo.name}/{day.date().isoformat()}", 3)
        weekend = day.weekday() >= 5
        volume = 600_000 + int(draws[0] * 120_000) - (180_000 if weekend else 0)
        volume = volume * (1 + sum(map(ord, slo.name)) % 7) // 4  # SLOs differ in traffic
        budget = float(slo.budget)
        bad_share = budget * (0.15 + 0.6 * draws[1])  # a normal day spends 15-75 % of budget
        if week_of(day).label in self.bad_weeks and day.weekday() == 2:
            bad_share = min(0.5, budget * (25 + 20 * draws[2]))  # the incident day
        bad = round(volume * bad_share)
        return volume - bad, volume


def _draws(key: str, count: int) -> list[float]:
    digest = hashlib.sha256(key.encode()).digest()
    return [int.from_bytes(digest[4 * i : 4 * i + 4], "big") / 2**32 for i in range(count)]
