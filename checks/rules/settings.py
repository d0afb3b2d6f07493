"""The project's operating settings, with the defaults the design states."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from checks.dates import Week, as_date, week_of
from checks.kinds import DEFAULT_THRESHOLD
from checks.project import Project

DEFAULT_DEPENDENCY_DAYS = 14
DEFAULT_SECURITY_DAYS = 7
DEFAULT_SLA = {"critical": 14, "high": 14}
DEFAULT_DUE_BUSINESS_DAYS = 5
DEFAULT_STEADY_WEEKS = 4
DEFAULT_MAX_OPEN_DAYS = 14
WARN_DAYS_BEFORE_STALE = 2  # a log (or an open incident) due within this many days: a warning
WARN_DAYS_BEFORE_EXPIRY = 7  # an exception expiring within this many days is a warning


@dataclass(frozen=True)
class Settings:
    slug: str
    scale: tuple[str, ...]
    timezone: dt.tzinfo
    dependency_days: int
    security_days: int
    sla: dict[str, int]
    threshold: str
    due_business_days: dict[str, int]
    steady_weeks: int
    max_open_days: int = DEFAULT_MAX_OPEN_DAYS
    # the day the project started (project.yaml since:): nothing before it is asked for
    since: dt.date | None = None
    # (name, objective in percent, group_by labels) of every SLO the project defines
    # (project.yaml and OpenSLO), in order; None when they cannot be read (validate says why)
    slos: tuple[tuple[str, Decimal, tuple[str, ...]], ...] | None = None

    def sla_days(self, severity: str) -> int | None:
        """Days to fix a finding of this severity; unknown counts as high until triaged."""
        if severity in self.sla:
            return self.sla[severity]
        if severity == "unknown":
            return self.sla.get("high")
        return None

    def needs_postmortem(self, severity: str) -> bool:
        if severity not in self.scale or self.threshold not in self.scale:
            return False
        return self.scale.index(severity) <= self.scale.index(self.threshold)

    def postmortem_due_days(self, severity: str) -> int:
        return self.due_business_days.get(severity, DEFAULT_DUE_BUSINESS_DAYS)

    def first_week(self) -> Week | None:
        """The first ISO week the project is judged on: the first that starts on or after
        ``since`` (a week it started in the middle of is not asked for), or None without it."""
        if self.since is None:
            return None
        week = week_of(self.since)
        return week if week.start.date() == self.since else week.next()


def load(root: Path, project: Project) -> Settings:
    """The settings, with the SLOs of project.yaml and of ops/<project>/openslo/ (read here)."""
    from checks.errors import OpsError
    from checks.slo.weekly import all_slos

    try:
        defined: tuple[tuple[str, Decimal, tuple[str, ...]], ...] | None = tuple(
            (slo.name, slo.objective, slo.group_by) for slo in all_slos(root, project)
        )
    except OpsError:  # a broken OpenSLO file: validate reports it, the gate's rule `valid` too
        defined = None
    return of(project, defined)


def of(
    project: Project, slos: tuple[tuple[str, Decimal, tuple[str, ...]], ...] | None = None
) -> Settings:
    data: dict[str, Any] = project.data
    cadence = data.get("cadence", {})
    postmortem = data.get("postmortem", {})
    sla = data.get("vulnerability_sla_days")
    return Settings(
        slug=project.slug,
        scale=project.severity_scale,
        timezone=ZoneInfo(project.timezone),
        dependency_days=cadence.get("dependency_log_days", DEFAULT_DEPENDENCY_DAYS),
        security_days=cadence.get("security_log_days", DEFAULT_SECURITY_DAYS),
        sla={**DEFAULT_SLA, **(sla if isinstance(sla, dict) else {})},
        threshold=postmortem.get("required_at_or_above", DEFAULT_THRESHOLD),
        due_business_days=dict(postmortem.get("due_business_days", {})),
        steady_weeks=data.get("steady_state", {}).get(
            "slo_consecutive_weeks", DEFAULT_STEADY_WEEKS
        ),
        max_open_days=data.get("incidents", {}).get("max_open_days", DEFAULT_MAX_OPEN_DAYS),
        slos=slos,
        since=as_date(data.get("since")),
    )
