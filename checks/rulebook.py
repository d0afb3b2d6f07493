"""Every rule a finding can name, with what it checks and what to do: the one home of the text
SARIF's rules carry (``--format sarif``) and the titles of the annotations (``--format github``).

A finding's ``rule`` is the key. ``ops validate`` names the check that failed (``schema``,
``sections``, ...); ``ops gate`` judges the operating rules (docs/rules.md) and shows validate's
findings under ``valid``; ``ops evidence verify`` names ``evidence``. tests/test_formats.py
checks that every rule the code can name is here.
"""

from __future__ import annotations

from typing import NamedTuple


class Rule(NamedTuple):
    id: str
    name: str  # PascalCase, as SARIF tools show a rule
    summary: str  # one sentence: what it checks
    help: str  # Markdown: what to do


_VALIDATE = "Run `ops validate` on the file for every problem with its line."
_GATE = "Run `ops gate --project P` to see every rule's findings; docs/rules.md explains each."

RULES: dict[str, Rule] = {
    r.id: r
    for r in (
        Rule(
            "schema",
            "Schema",
            "A record's front matter matches the JSON Schema of its kind (schemas/).",
            "Fix the field the message names; `docs/reference/` lists every field of every "
            f"kind with its type and meaning. {_VALIDATE}",
        ),
        Rule(
            "parse",
            "Parse",
            "A record can be read: UTF-8 text with YAML front matter between `---` lines.",
            "Save the file as UTF-8 and fix the YAML at the line named (an unclosed quote, a "
            "tab for indentation, a duplicate key). `ops new KIND` writes a correct skeleton.",
        ),
        Rule(
            "content",
            "Content",
            "A record holds none of its template's placeholders once it is published.",
            "Write the sections the message names, or keep the record a draft until they are "
            "written.",
        ),
        Rule(
            "sections",
            "Sections",
            "A record has every section its template requires, in the template's order.",
            "Add the missing heading from `templates/` (or the team's templates folder in "
            "`.ops.yaml`); sections marked optional there may be left out.",
        ),
        Rule(
            "place",
            "Place",
            "A record lives where its kind and date say: `ops/<project>/<kind folder>/<name>.md`.",
            "Move or rename the file as the message says; `ops new` writes new records in the "
            "right place.",
        ),
        Rule(
            "layout",
            "Layout",
            "The tree under `ops/` holds projects with a `project.yaml`, plain files, no links.",
            "Add the project's `project.yaml` (`ops init --project P`), replace a symlink with "
            "the file, or remove what does not belong under `ops/`.",
        ),
        Rule(
            "report",
            "Report",
            "A weekly SLO report agrees with itself: its verdict follows from its SLIs.",
            "Write the report again with `ops slo --project P --week W` instead of editing it "
            "by hand.",
        ),
        Rule(
            "chronology",
            "Chronology",
            "Dates of things that happened are not after the date judged, and follow each "
            "other in order.",
            "Correct the date the message names (a team east of UTC may have written "
            "tomorrow's date); an incident resolves after it starts, a fix after the discovery.",
        ),
        Rule(
            "exception",
            "Exception",
            "An accepted vulnerability has an exception approved by an owner, within the "
            "longest time the project allows.",
            "Have one of the project's owners approve it, and shorten it to at most "
            "`vulnerability_exception_max_days`.",
        ),
        Rule(
            "reference",
            "Reference",
            "A reference to another record (an incident's postmortem, a retro's source) "
            "points to one that exists.",
            "Correct the id or path, or add the record it refers to.",
        ),
        Rule(
            "severity",
            "Severity",
            "A severity is one of the project's levels (`severity_levels` in project.yaml).",
            "Use one of the levels project.yaml lists, or add the level there.",
        ),
        Rule(
            "unique",
            "Unique",
            "An id (an incident, an action item, a finding) is used once in its project.",
            "Give one of the two records a new id; the message names both.",
        ),
        Rule(
            "openslo",
            "OpenSLO",
            "An OpenSLO file under `ops/<project>/openslo/` defines SLOs `ops slo` can measure.",
            "Fix the field the message names; docs/slo.md shows the accepted forms.",
        ),
        Rule(
            "input",
            "Input",
            "A path given on the command line can be read.",
            "Check the path and its permissions.",
        ),
        Rule(
            "metaschema",
            "Metaschema",
            "A schema is valid JSON Schema (`ops check-schemas`).",
            "Fix the schema at the line named; it must be valid against its `$schema`.",
        ),
        Rule(
            "ref",
            "SchemaRef",
            "A schema's `$ref` points to a schema that exists.",
            "Correct the reference, or add the schema it names to `schemas/`.",
        ),
        Rule(
            "valid",
            "Valid",
            "Every record of the project passes `ops validate`: what validate rejects, the gate "
            "rejects.",
            _VALIDATE,
        ),
        Rule(
            "cadence",
            "Cadence",
            "The newest dependency and security logs are no older than the project's cadence.",
            "Add the log the message names (`ops new security-log --project P` or "
            f"`ops new dependency-log --project P`). {_GATE}",
        ),
        Rule(
            "vulnerability-sla",
            "VulnerabilitySla",
            "No vulnerability stays open past its SLA (14 days for critical and high by "
            "default), counted from its first discovery.",
            "Fix the finding and mark it fixed in a new security log, or accept the risk with "
            f"an exception an owner approves. {_GATE}",
        ),
        Rule(
            "postmortem",
            "Postmortem",
            "Every incident at or above the severity threshold has a published postmortem by "
            "its due date.",
            "Write it with `ops new postmortem --project P --incident ID` and publish it. " + _GATE,
        ),
        Rule(
            "action-items",
            "ActionItems",
            "No action item of a postmortem or retro is open past its due date.",
            "Close the item (with the date it was closed), or agree a new due date and record "
            f"why. {_GATE}",
        ),
        Rule(
            "backlog-link",
            "BacklogLink",
            "Every action item of a published postmortem or a held retro links to its backlog "
            "issue (`tracker`).",
            "Add the issue's URL as `tracker`, or run `ops followups --project P` to open the "
            f"issues. {_GATE}",
        ),
        Rule(
            "slo-reports",
            "SloReports",
            "Every complete week since the first has a weekly SLO report.",
            f"Write the missing week with `ops slo --project P --week W`. {_GATE}",
        ),
        Rule(
            "incidents",
            "Incidents",
            "No incident stays open or mitigated longer than `incidents.max_open_days`.",
            f"Resolve the incident, or record why it stays open. {_GATE}",
        ),
        Rule(
            "evidence",
            "Evidence",
            "The evidence trail in `evidence/phase6/` is valid and only grows: a change adds "
            "runs in `pending/`, and the default branch folds them.",
            "Do not edit `run.log`, `manifest.json` or `validation.md` by hand; run "
            "`ops evidence verify` for the details, and `ops evidence fold` on the default branch.",
        ),
    )
}


def describe(rule: str) -> Rule:
    """The rule a finding names; one this book does not know (a newer ops wrote it) is shown by
    its id alone, never refused."""
    return RULES.get(rule) or Rule(rule, rule, f"The `{rule}` check of ops.", _VALIDATE)
