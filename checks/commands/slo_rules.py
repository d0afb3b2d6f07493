"""``ops slo rules --project P [--out FILE]``: Prometheus rules from the project's SLOs."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from checks.errors import EXIT_OK, OpsError
from checks.project import Project
from checks.slo.rules import Definition, Pair

# Options of the weekly report that mean nothing for rules (dest -> as typed).
REPORT_ONLY = {
    "week": "--week",
    "weeks": "--weeks",
    "source": "--source",
    "as_of": "--as-of",
    "post": "--post",
    "strict": "--strict",
    "format": "--format",
}


def refuse_report_options(args: argparse.Namespace) -> None:
    """``rules`` takes --project and --out; a report's option with it is a mistake."""
    given = [option for dest, option in REPORT_ONLY.items() if getattr(args, dest, None)]
    if given:
        raise OpsError(
            f"{given[0]} is an option of the weekly report, not of ops slo rules "
            "(which takes --project and --out)"
        )


def run(args: argparse.Namespace) -> int:
    from checks import project as projects
    from checks.slo import rules

    refuse_report_options(args)
    root = Path(args.root)
    project = projects.load(root, args.project)
    definitions, pairs = load(root, project)
    text = rules.generate(project.slug, definitions, pairs)
    if args.out is None:
        sys.stdout.write(text)
        return EXIT_OK
    _write(root, args.out, text)
    return EXIT_OK


def load(root: Path, project: Project) -> tuple[list[Definition], tuple[Pair, ...]]:
    """The project's SLOs (project.yaml's and OpenSLO's) with where each is defined, and the
    alerts' pairs of windows from slo_alerts."""
    from checks import document
    from checks.slo import openslo, rules, weekly

    slos = weekly.all_slos(root, project)
    rel = f"ops/{project.slug}/project.yaml"
    doc = document.parse_yaml_file(document.read_text(root / rel))  # load() has read it
    entries = project.data.get("slos", [])
    mine = {  # name -> (line, runbook)
        entry["name"]: (doc.line(["slos", index, "name"]), entry.get("runbook"))
        for index, entry in enumerate(entries)
    }
    theirs = openslo.origins(root, project.slug) if len(slos) > len(entries) else {}
    definitions = []
    for slo in slos:
        if slo.name in mine:
            line, runbook = mine[slo.name]
            definitions.append(Definition(slo, rel, line, runbook))
        else:
            origin = theirs[slo.name]
            own = rules.policy_pairs(origin.conditions) if origin.conditions else None
            definitions.append(Definition(slo, origin.path, origin.line, origin.runbook, own))
    pairs = rules.pairs(project.data.get("slo_alerts"), lambda keys: (rel, doc.line(keys)))
    return definitions, pairs


def _write(root: Path, out: str, text: str) -> None:
    from checks import atomic, outputs

    if out == "-":
        raise OpsError("--out -: leave --out out to print the rules")
    outputs.check_target(out, root, f"--out {out}")
    try:
        atomic.write_bytes(Path(out), text.encode("utf-8"))
    except OSError as e:
        raise OpsError(
            f"--out {out}: cannot write it ({e.strerror or e}); check that its folder can be "
            "written and that the path is a file"
        ) from None
