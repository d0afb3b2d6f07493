"""The fast validator (jsonschema-rs) and the reference (python-jsonschema) judge alike.

ops validate trusts jsonschema-rs to say "valid" and asks python-jsonschema
why only when it says "invalid": so on every document they must agree.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from checks import document, kinds, schemas
from checks.document import DocumentError
from checks.validation.schema_errors import non_finite

REPO = Path(__file__).parent.parent


def _documents() -> list[tuple[str, str, dict[str, Any]]]:
    found = []
    for path in sorted([*REPO.glob("ops/*/*/*.md"), *REPO.glob("tests/data/**/ops/*/*/*.md")]):
        kind = kinds.BY_FOLDER.get(path.parent.name)
        if kind is None:
            continue
        try:
            data = document.parse_front_matter(document.read_text(path)).data
        except DocumentError:
            continue
        found.append((path.relative_to(REPO).as_posix(), kind.schema, data))
    for path in sorted(
        [*REPO.glob("ops/*/project.yaml"), *REPO.glob("tests/data/**/project.yaml")]
    ):
        try:
            data = document.parse_yaml_file(document.read_text(path)).data
        except DocumentError:
            continue
        found.append((path.relative_to(REPO).as_posix(), kinds.PROJECT_SCHEMA, data))
    return found


DOCUMENTS = _documents()
MUTATIONS = {
    "drop": lambda d, k: d.pop(k),
    "number": lambda d, k: d.__setitem__(k, 42),
    "bad-date": lambda d, k: d.__setitem__(k, "2026-02-30"),
    "bad-instant": lambda d, k: d.__setitem__(k, "2026-11-23T24:00:00Z"),
    "nan": lambda d, k: d.__setitem__(k, float("nan")),
    "empty-list": lambda d, k: d.__setitem__(k, []),
    "null": lambda d, k: d.__setitem__(k, None),
}


def agree(schema: str, data: Any) -> bool:
    fast = schemas.fast_validator(schema).is_valid(data)
    reference = not any(True for _ in schemas.validator(schema).iter_errors(data))
    return fast == (reference and not non_finite(data))


def test_there_are_documents_to_compare() -> None:
    assert len(DOCUMENTS) > 60


@pytest.mark.parametrize(("rel", "schema", "data"), [pytest.param(*d, id=d[0]) for d in DOCUMENTS])
def test_validators_agree_on_each_document(rel: str, schema: str, data: dict[str, Any]) -> None:
    assert agree(schema, data)


@pytest.mark.parametrize("mutation", list(MUTATIONS))
def test_validators_agree_on_broken_documents(mutation: str) -> None:
    disagreements = []
    for rel, schema, data in DOCUMENTS:
        for key in list(data):
            broken = copy.deepcopy(data)
            MUTATIONS[mutation](broken, key)
            items = broken.get("action_items") or broken.get("findings") or broken.get("updates")
            if isinstance(items, list) and items and isinstance(items[0], dict):
                MUTATIONS[mutation](items[0], next(iter(items[0])))
            if not agree(schema, broken):
                disagreements.append(f"{rel}: {key}")
    assert disagreements == []
