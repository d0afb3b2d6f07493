"""OpenSLO v1 SLO + SLI documents in ops/<project>/openslo/, mapped onto the same SLOs."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from checks.errors import OpsError
from checks.main import main
from checks.slo import openslo
from checks.slo.model import Slo, TimeWindow

PROJECT_YAML = """\
project: shop
name: Shop
owners: ["@sre"]
timezone: UTC
metrics:
  source: mock
"""

OPENSLO = """\
# Checkout availability, as the platform team's OpenSLO tooling writes it.
apiVersion: openslo/v1
kind: Service
metadata:
  name: checkout
spec:
  description: The checkout API
---
apiVersion: openslo/v1
kind: SLI
metadata:
  name: checkout-errors
spec:
  ratioMetric:
    counter: true
    bad:
      metricSource:
        type: Prometheus
        spec:
          query: sum(increase(http_requests_total{code=~"5.."}[{{window}}]))
    total:
      metricSource:
        type: Prometheus
        spec:
          query: sum(increase(http_requests_total[{{window}}]))
---
apiVersion: openslo/v1
kind: SLO
metadata:
  name: availability
spec:
  description: Requests that did not fail
  service: checkout
  indicatorRef: checkout-errors
  budgetingMethod: Occurrences
  timeWindow:
    - duration: 28d
      isRolling: true
  objectives:
    - displayName: good
      target: 0.999
---
apiVersion: openslo/v1
kind: SLO
metadata:
  name: payments
spec:
  budgetingMethod: Occurrences
  indicator:
    metadata:
      name: payments-ok
    spec:
      ratioMetric:
        good:
          metricSource:
            type: prometheus
            spec:
              query: sum(increase(payments_total{outcome="ok"}[{{window}}]))
        total:
          metricSource:
            type: prometheus
            spec:
              query: sum(increase(payments_total[{{window}}]))
  objectives:
    - targetPercent: 99.5
"""


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / "ops/shop/openslo").mkdir(parents=True)
    (tmp_path / "ops/shop/project.yaml").write_text(PROJECT_YAML, encoding="utf-8")
    (tmp_path / "ops/shop/openslo/checkout.yaml").write_text(OPENSLO, encoding="utf-8")
    return tmp_path


def test_slo_and_sli_documents_become_slos(repo: Path) -> None:
    assert openslo.load(repo, "shop") == [
        Slo(
            "availability",
            Decimal("99.9"),
            total="sum(increase(http_requests_total[{{window}}]))",
            bad='sum(increase(http_requests_total{code=~"5.."}[{{window}}]))',
            description="Requests that did not fail",
            time_window=TimeWindow(rolling="28d"),
        ),
        Slo(
            "payments",
            Decimal("99.5"),
            total="sum(increase(payments_total[{{window}}]))",
            good='sum(increase(payments_total{outcome="ok"}[{{window}}]))',
        ),
    ]


def test_ops_slo_reports_them(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--root", str(repo), "slo", "--project", "shop", "--week", "2026-W47"]) == 0
    text = (repo / "ops/shop/slo/2026-W47.md").read_text(encoding="utf-8")
    assert "  - name: availability\n    objective: 99.9\n" in text
    assert "  - name: payments\n    objective: 99.5\n" in text


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ("indicatorRef: checkout-errors", "indicatorRef: nowhere"),
            "checkout.yaml:34: indicatorRef 'nowhere' names no SLI document in ops/shop/openslo/",
        ),
        (
            (
                "budgetingMethod: Occurrences\n  timeWindow",
                "budgetingMethod: Weekly\n  timeWindow",
            ),
            "checkout.yaml:35: $.spec.budgetingMethod: 'Weekly' is not one of: Occurrences, "
            "Timeslices, RatioTimeslices",
        ),
        (
            (
                "query: sum(increase(http_requests_total[{{window}}]))",
                "query: sum(rate(x[5m])) / 2",
            ),
            "checkout.yaml:25: 'sum(rate(x[5m])) / 2' needs the {{window}} placeholder, or to "
            "be written as rate(<selector>[<range>]) (in sum(...) if need be) for ops to count "
            "the window's events: it has more after character 17",
        ),
        (
            ("    - targetPercent: 99.5", "    - targetPercent: 100"),
            "checkout.yaml:65: $.spec.objectives[0].targetPercent: 100 is greater than or equal to "
            "the maximum of 100",
        ),
        (
            ("apiVersion: openslo/v1\nkind: SLI", "apiVersion: openslo/v2\nkind: SLI"),
            "checkout.yaml:9: $.apiVersion: must be 'openslo/v1', not 'openslo/v2'",
        ),
    ],
)
def test_problems_name_the_file_and_line(
    repo: Path, change: tuple[str, str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = repo / "ops/shop/openslo/checkout.yaml"
    path.write_text(OPENSLO.replace(*change), encoding="utf-8")
    with pytest.raises(OpsError) as caught:
        openslo.load(repo, "shop")
    assert message in str(caught.value)
    assert main(["--root", str(repo), "slo", "--project", "shop", "--week", "2026-W47"]) == 2
    assert "Traceback" not in capsys.readouterr().err
    assert not (repo / "ops/shop/slo").exists()
    # ops validate (and so the gate) says the same before the weekly job meets it
    assert main(["--root", str(repo), "validate", "--no-cache"]) == 1
    out = capsys.readouterr().out
    assert f"ops/shop/openslo/{message}" in out
    assert out.endswith("2 documents checked: 1 error in 1 file\n")


def test_a_name_used_twice_is_refused(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "ops/shop/project.yaml").write_text(
        PROJECT_YAML
        + "slos:\n  - name: payments\n    objective: 99\n    sli:\n      ratio:\n"
        + "        good: a[{{window}}]\n        total: b[{{window}}]\n",
        encoding="utf-8",
    )
    assert main(["--root", str(repo), "slo", "--project", "shop", "--week", "2026-W47"]) == 2
    message = (
        "ops/shop/openslo/checkout.yaml:46: the SLO name 'payments' is used twice "
        "(ops/shop/project.yaml:8); rename one: a report measures each SLO once"
    )
    assert message in capsys.readouterr().err
    assert main(["--root", str(repo), "validate"]) == 1
    assert message in capsys.readouterr().out


def test_validate_reports_every_broken_file(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = repo / "ops/shop/openslo"
    (folder / "a.yaml").write_text("apiVersion: openslo/v2\nkind: SLO\n", encoding="utf-8")
    (folder / "b.yaml").write_text("key: [unclosed\n", encoding="utf-8")
    assert main(["--root", str(repo), "validate", str(folder / "b.yaml")]) == 1
    out = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in out[:-1]] == ["ops/shop/openslo/b.yaml"]
    assert out[-1] == "1 document checked: 1 error in 1 file"
    assert main(["--root", str(repo), "validate"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[:-1] == [
        "ops/shop/openslo/a.yaml:1: $.apiVersion: must be 'openslo/v1', not 'openslo/v2'",
        "ops/shop/openslo/a.yaml:1: $.metadata: missing required key 'metadata'",
        "ops/shop/openslo/a.yaml:1: $.spec: missing required key 'spec'",
        "ops/shop/openslo/b.yaml:2: YAML syntax error: did not find expected ',' or ']'",
    ]
    assert out[-1] == "4 documents checked: 4 errors in 2 files"


def test_every_document_of_a_file_is_checked(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A broken document does not hide the next one's problems, and an SLO whose SLI is the
    broken one is not also told that its indicatorRef names nothing."""
    text = OPENSLO.replace("  ratioMetric:\n    counter: true", "  ratioMetrics:\n    counter: 1")
    text = text.replace("    - targetPercent: 99.5", "    - targetPercent: 100")
    (repo / "ops/shop/openslo/checkout.yaml").write_text(text, encoding="utf-8")
    assert main(["--root", str(repo), "validate", "--no-cache"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert [line.split(": ")[0] for line in out[:-1]] == [
        "ops/shop/openslo/checkout.yaml:13",
        "ops/shop/openslo/checkout.yaml:65",
    ]
    assert "indicatorRef" not in "\n".join(out)


@pytest.mark.parametrize(
    "separator",
    ["---\r\n", "--- # the next document\n", "---  \t\n"],
    ids=["crlf", "comment", "blanks"],
)
def test_document_separators(repo: Path, separator: str) -> None:
    text = OPENSLO.replace("---\n", separator)
    if "\r" in separator:
        text = text.replace("\n", "\r\n").replace("\r\r\n", "\r\n")
    (repo / "ops/shop/openslo/checkout.yaml").write_bytes(text.encode())
    assert [slo.name for slo in openslo.load(repo, "shop")] == ["availability", "payments"]


def test_a_file_of_too_many_documents_is_refused_quickly(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    many = "apiVersion: openslo/v1\nkind: Service\nmetadata: {name: s}\nspec: {}\n---\n" * 10_000
    (repo / "ops/shop/openslo/many.yaml").write_text(many, encoding="utf-8")
    assert main(["--root", str(repo), "validate"]) == 1
    assert (
        f"ops/shop/openslo/many.yaml:{5 * openslo.MAX_DOCUMENTS}: holds more than "
        f"{openslo.MAX_DOCUMENTS} YAML documents; split it into several files"
    ) in capsys.readouterr().out


def test_objectives_are_written_as_percentages(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = repo / "ops/shop/openslo/checkout.yaml"
    path.write_text(OPENSLO.replace("target: 0.999", "target: 0.9"), encoding="utf-8")
    argv = ["--root", str(repo), "slo", "--project", "shop", "--week", "2026-W47"]
    assert main([*argv, "--format", "markdown"]) == 0
    out = capsys.readouterr().out
    assert "| availability | 90.0 % |" in out
    assert "E+" not in out + (repo / "ops/shop/slo/2026-W47.md").read_text(encoding="utf-8")


def test_a_document_may_start_on_its_separators_line(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--- {apiVersion: ...}``: YAML lets a document's content follow its marker; its lines
    count from the marker's line."""
    flow = (
        "--- {apiVersion: openslo/v1, kind: Service, metadata: {name: cart}, spec: {}}\n"
        "--- {apiVersion: openslo/v1, kind: Service, metadata: {name: 3}, spec: {}}\n"
    )
    (repo / "ops/shop/openslo/checkout.yaml").write_text(OPENSLO + flow, encoding="utf-8")
    assert main(["--root", str(repo), "validate", "--no-cache"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("ops/shop/openslo/checkout.yaml:67: $.metadata.name: ")
    assert "1 error in 1 file" in out
    assert [slo.name for slo in openslo.read(repo, "shop").slos] == ["availability", "payments"]


def test_the_schema_says_what_ops_does_with_budgeting_methods_and_policies() -> None:
    """Its descriptions are the reference's (docs/reference/openslo.md): ops measures the
    three budgeting methods and writes alert policies as rules."""
    import json

    path = Path(__file__).parent.parent / "schemas/openslo.schema.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    assert "and an Occurrences budget" not in schema["description"]
    policy = schema["$defs"]["alert-policy-spec"]["description"]
    assert "ops does not read it" not in policy and "ops slo rules writes" in policy
    assert "refuses to measure the other two" not in path.read_text(encoding="utf-8")
