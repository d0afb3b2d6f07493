"""The schemas themselves: meta-valid Draft 2020-12, refs resolve locally, formats enforced."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from checks import schemas
from checks.main import main

SCHEMA_DIR = Path(__file__).parent.parent / "schemas"
SCHEMA_FILES = sorted(SCHEMA_DIR.glob("*.schema.json"))
EXPECTED = {
    "action-item",
    "common",
    "dependency-log",
    "incident",
    "manifest",
    "manifest-shard",
    "openslo",
    "postmortem",
    "project",
    "retro",
    "run-log-entry",
    "security-log",
    "settings",
    "slo-report",
}


def test_every_document_kind_has_a_schema() -> None:
    assert {p.name.removesuffix(".schema.json") for p in SCHEMA_FILES} == EXPECTED


@pytest.mark.parametrize("path", [pytest.param(p, id=p.name) for p in SCHEMA_FILES])
def test_schema_is_meta_valid_draft_2020_12(path: Path) -> None:
    schema = json.loads(path.read_text(encoding="utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    # no $id: each $ref names a sibling file, which check-jsonschema and editors resolve
    # from the file's own place (a checkout, or the installed package) without a network
    assert "$id" not in schema
    assert schema.get("title") and schema.get("description")
    Draft202012Validator.check_schema(schema)


def test_check_schemas_command_passes_on_the_shipped_schemas(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["check-schemas", *map(str, SCHEMA_FILES)]) == 0
    assert capsys.readouterr().out == "14 schemas checked: all valid\n"


@pytest.mark.parametrize(
    ("schema", "instance", "valid"),
    [
        pytest.param("common.schema.json#/$defs/date", "2026-02-28", True, id="date-ok"),
        pytest.param("common.schema.json#/$defs/date", "2026-02-30", False, id="date-feb-30"),
        pytest.param("common.schema.json#/$defs/date", "2026-2-3", False, id="date-short"),
        pytest.param(
            "common.schema.json#/$defs/instant", "2026-11-23T06:00:00Z", True, id="instant-ok"
        ),
        pytest.param(
            "common.schema.json#/$defs/instant", "2026-11-23T25:00:00Z", False, id="instant-hour-25"
        ),
        pytest.param(
            "common.schema.json#/$defs/instant",
            "2026-11-23T06:00:00+01:00",
            False,
            id="instant-not-utc",
        ),
        pytest.param("common.schema.json#/$defs/instant", "not a time", False, id="instant-text"),
        pytest.param(
            "common.schema.json#/$defs/url", "https://github.com/a/b/issues/1", True, id="url-ok"
        ),
        pytest.param(
            "common.schema.json#/$defs/url", "github.com/a/b/issues/1", False, id="url-no-scheme"
        ),
        pytest.param("common.schema.json#/$defs/slug", "checkout", True, id="slug-ok"),
        pytest.param("common.schema.json#/$defs/slug", "../..", False, id="slug-dots"),
        pytest.param("common.schema.json#/$defs/iso-week", "2026-W53", True, id="week-53"),
        pytest.param("common.schema.json#/$defs/iso-week", "2026-W54", False, id="week-54"),
    ],
)
def test_formats_are_really_enforced(schema: str, instance: str, valid: bool) -> None:
    """The base jsonschema install accepts any string as a date-time; ours does not."""
    validator = Draft202012Validator(
        {"$ref": schema},
        registry=schemas.registry(),
        format_checker=schemas.validator("common.schema.json").format_checker,
    )
    assert validator.is_valid(instance) is valid


def test_refs_never_reach_the_network() -> None:
    """A $ref to a schema we do not ship fails to resolve instead of being fetched."""
    from referencing.exceptions import Unresolvable

    resolver = schemas.registry().resolver()
    with pytest.raises(Unresolvable):
        resolver.lookup("https://json-schema.org/draft-07/schema")


def test_finding_severities_are_the_schemas() -> None:
    """One order of finding severities: the schema's enum, most severe first, is the order the
    SLA keeps a finding's highest severity in; vulnerability_sla_days takes the same names."""
    from checks.kinds import FINDING_SEVERITIES

    log = json.loads((SCHEMA_DIR / "security-log.schema.json").read_text(encoding="utf-8"))
    finding = log["properties"]["findings"]["items"]["properties"]
    assert tuple(finding["severity"]["enum"]) == FINDING_SEVERITIES
    project = json.loads((SCHEMA_DIR / "project.schema.json").read_text(encoding="utf-8"))
    assert tuple(project["properties"]["vulnerability_sla_days"]["properties"]) == (
        FINDING_SEVERITIES
    )


def test_check_jsonschema_resolves_the_refs_offline(tmp_path: Path) -> None:
    """What a team runs by hand or in its own pre-commit: check-jsonschema with our schema file
    resolves its $refs to common.schema.json beside it, with every proxy pointing nowhere."""
    import os
    import subprocess
    import sys

    cli = Path(sys.executable).parent / "check-jsonschema"
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_text(
        'project: payments\nname: Payments\nowners: ["@ana"]\ntimezone: UTC\n', encoding="utf-8"
    )
    bad.write_text(
        'project: Payments\nname: Payments\nowners: ["@ana"]\ntimezone: UTC\n', encoding="utf-8"
    )
    nowhere = "http://127.0.0.1:9"  # the discard port: any fetch fails at once
    env = {**os.environ, "HTTP_PROXY": nowhere, "HTTPS_PROXY": nowhere, "NO_PROXY": ""}
    schema = str(SCHEMA_DIR / "project.schema.json")

    def run(path: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(cli), "--schemafile", schema, str(path)],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )

    ok = run(good)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "validation done" in ok.stdout
    rejected = run(bad)
    assert rejected.returncode == 1, rejected.stdout + rejected.stderr
    assert "$.project: 'Payments' does not match" in rejected.stdout
