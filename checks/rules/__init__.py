"""The operating rules: pure functions over a project's records, judged as of a date.

Each rule is a module of :mod:`checks.rules.plugins` with a ``check(records, settings,
as_of) -> list[Finding]`` function; adding one is adding a file. ``records.py`` reads the
records, ``facts.py`` says what they mean on a date, ``criteria.py`` gives the steady-state
verdict from the same facts.
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib
import pkgutil
from collections.abc import Callable

from checks.findings import Finding
from checks.rules.records import Records
from checks.rules.settings import Settings

Rule = Callable[[Records, Settings, dt.date], list[Finding]]


@functools.cache
def rules() -> dict[str, Rule]:
    """Every rule module in checks/rules/plugins/, by name."""
    from checks.rules import plugins

    found: dict[str, Rule] = {}
    for info in sorted(pkgutil.iter_modules(plugins.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{plugins.__name__}.{info.name}")
        found[info.name.replace("_", "-")] = module.check
    return found


def judge(records: Records, settings: Settings, as_of: dt.date) -> list[Finding]:
    """Every rule's findings for one project."""
    return [f for rule in rules().values() for f in rule(records, settings, as_of)]
