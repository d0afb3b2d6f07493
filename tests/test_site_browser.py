"""ops site in a real browser: Debian's headless Chromium, from file://, with axe-core.

The site of a small repository (checkout passes 2026-W47, payments fails it; tests/browser.py)
is built once; every page is loaded. Without Chromium or axe-core these tests skip, except in CI
(CI set), where they fail. Screenshots go to test-artifacts/site/ ($OPS_TEST_ARTIFACTS).
"""

from __future__ import annotations

import html.parser
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import browser
import pytest


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = browser.make_repository(tmp_path_factory.mktemp("repository"))
    return browser.build_site(root, tmp_path_factory.mktemp("out") / "_site")


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    browser.require()
    with browser.chromium() as running:
        yield running


def pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


PAGE_TYPES = {
    "overview": "index.html",
    "project": "payments/index.html",
    "report": "payments/slo/2026-W47.html",
    "postmortem": "checkout/postmortems/2026-10-27-INC-2026-037.html",
}


class _Ids(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.ids.update(v for k, v in attrs if k == "id" and v)


def ids(path: Path) -> set[str]:
    parser = _Ids()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.ids


def test_every_page_loads_without_a_console_error(site: Path, chromium: Any) -> None:
    context = chromium.new_context()  # the pages' own CSP in force
    problems: list[str] = []
    page = context.new_page()
    page.on("console", lambda m: m.type == "error" and problems.append(f"{page.url}: {m.text}"))
    page.on("pageerror", lambda e: problems.append(f"{page.url}: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"{page.url}: failed {r.url}"))
    loaded = 0
    for path in pages(site):
        response = page.goto(path.as_uri())
        assert response is None or response.ok, path
        assert page.locator("h1").count() >= 1, path
        loaded += 1
    context.close()
    assert problems == []
    assert loaded > 20  # the overview, 2 projects, their 16 reports and 6 postmortems


def test_every_internal_link_resolves(site: Path, chromium: Any) -> None:
    context = chromium.new_context()
    page = context.new_page()
    broken: list[str] = []
    checked = 0
    for path in pages(site):
        page.goto(path.as_uri())
        hrefs: list[str] = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
        for href in hrefs:
            parts = urlsplit(href)
            if parts.scheme != "file":
                continue
            target = Path(unquote(parts.path))
            checked += 1
            if not target.is_file():
                broken.append(f"{path.relative_to(site)}: {href}")
            elif parts.fragment and unquote(parts.fragment) not in ids(target):
                broken.append(f"{path.relative_to(site)}: {href} (no such anchor)")
    context.close()
    assert broken == []
    assert checked > 100


def test_the_charts_have_a_point_per_weekly_report(site: Path, chromium: Any) -> None:
    weeks = len(list((site / "payments" / "slo").glob("*.html")))
    context = chromium.new_context()
    page = context.new_page()
    page.goto((site / "payments" / "index.html").as_uri())
    charts = page.locator("svg.chart")
    assert charts.count() == 6  # 3 SLOs, an SLI and a budget chart each
    for index in range(charts.count()):
        assert charts.nth(index).locator("circle.point").count() == weeks == 8
    # 2026-W43 and 2026-W47 failed: a cross and a label on each, on every chart
    assert page.locator("svg.chart .fail-mark").count() == 2 * 6
    assert page.locator("svg.chart .fail-label").count() == 2 * 6
    page.goto((site / "payments" / "slo" / "2026-W47.html").as_uri())
    daily = page.locator("svg.chart")
    assert daily.count() == 3  # the report's three Mermaid blocks
    for index in range(daily.count()):
        assert daily.nth(index).locator("circle.point").count() == 7
    assert page.locator("pre code.language-mermaid").count() == 0
    context.close()


def test_the_overview_shows_the_failing_project_failing(site: Path, chromium: Any) -> None:
    context = chromium.new_context()
    page = context.new_page()
    page.goto((site / "index.html").as_uri())
    rows = page.locator("table.overview tbody tr")
    assert rows.count() == 2
    checkout, payments = rows.nth(0).inner_text(), rows.nth(1).inner_text()
    assert "Checkout Service" in checkout and "PASS" in checkout and "FAIL" not in checkout
    assert "Payments" in payments and "FAIL" in payments
    headline = page.locator("p.headline").inner_text()
    assert "FAIL in 2026-W47: Payments." in headline
    context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize(
    "viewport",
    [pytest.param(browser.DESKTOP, id="desktop"), pytest.param(browser.PHONE, id="phone")],
)
@pytest.mark.parametrize("kind", list(PAGE_TYPES))
def test_axe_finds_nothing_serious(
    site: Path, chromium: Any, kind: str, scheme: str, viewport: dict[str, int]
) -> None:
    context = chromium.new_context(color_scheme=scheme, viewport=viewport, bypass_csp=True)
    page = context.new_page()
    page.goto((site / PAGE_TYPES[kind]).as_uri())
    violations = browser.axe(page)
    context.close()
    serious = [
        f"{v['id']} ({v['impact']}): {v['help']}: "
        + "; ".join(n["target"][0] if n["target"] else "?" for n in v["nodes"][:5])
        for v in violations
        if v["impact"] in ("serious", "critical")
    ]
    assert serious == []


@pytest.mark.parametrize(
    ("name", "path", "scheme", "viewport"),
    [
        ("overview", "index.html", "light", browser.DESKTOP),
        ("overview-dark-phone", "index.html", "dark", browser.PHONE),
        ("project", "payments/index.html", "light", browser.DESKTOP),
        ("project-dark-phone", "payments/index.html", "dark", browser.PHONE),
        ("report", "payments/slo/2026-W47.html", "light", browser.DESKTOP),
    ],
)
def test_screenshots_are_kept(
    site: Path, chromium: Any, name: str, path: str, scheme: str, viewport: dict[str, int]
) -> None:
    context = chromium.new_context(color_scheme=scheme, viewport=viewport)
    page = context.new_page()
    page.goto((site / path).as_uri())
    shot = browser.artifacts() / f"{name}.png"
    page.screenshot(path=str(shot), full_page=True)
    context.close()
    assert shot.stat().st_size > 10_000
    assert re.fullmatch(r"[a-z-]+\.png", shot.name)


# --- a hostile repository: extreme numbers, bidi controls, pathological nesting ---------------

RLO = "\u202e"
TINY_AXIS = '"SLI (%)" 0 --> 0.' + "0" * 322 + "5"  # 5e-324


@pytest.fixture(scope="module")
def odd_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("odd")
    folder = browser.copy_sample(root, "extreme", "Extreme")
    browser.copy_sample(root, "plain", "Plain")
    for report in (folder / "slo").glob("*.md"):
        text = re.sub(r"error_budget_remaining: [-0-9.]+", "error_budget_remaining: 1.0e-322",
                      report.read_text())  # fmt: skip
        report.write_text(re.sub(r'"SLI \(%\)" [0-9.]+ --> [0-9.]+', TINY_AXIS, text, count=1))
    incident = folder / "incidents" / "INC-2026-037.md"
    incident.write_text(
        incident.read_text().replace("title: Orders", f"title: {RLO}gnorw yrevE Orders", 1)
    )
    postmortem = folder / "postmortems" / "2026-10-27-INC-2026-037.md"
    deep = "".join(f"{'  ' * i}- item {i}\n" for i in range(700)) + "\n" + "> " * 20_000 + "q\n"
    postmortem.write_text(postmortem.read_text() + f"\n## Deep\n\n{deep}\n{RLO}tail\n")
    return browser.build_site(root, tmp_path_factory.mktemp("odd-out") / "_site")


def test_extreme_numbers_draw_without_a_console_error(odd_site: Path, chromium: Any) -> None:
    context = chromium.new_context()
    problems: list[str] = []
    page = context.new_page()
    page.on("console", lambda m: m.type == "error" and problems.append(f"{page.url}: {m.text}"))
    page.on("pageerror", lambda e: problems.append(f"{page.url}: {e}"))
    for path in ("extreme/index.html", "extreme/slo/2026-W43.html"):
        page.goto((odd_site / path).as_uri())
        assert page.locator("svg.chart").count() in (3, 6), path
    context.close()
    assert problems == []


def test_bidi_controls_in_records_are_isolated(odd_site: Path, chromium: Any) -> None:
    """Every element holding record text with U+202E is isolated, so that the override ends
    with it (the rest of the sentence keeps its order)."""
    context = chromium.new_context()
    page = context.new_page()
    checked = 0
    for path in ("extreme/index.html", "extreme/postmortems/2026-10-27-INC-2026-037.html"):
        page.goto((odd_site / path).as_uri())
        holders: list[list[str]] = page.evaluate(
            """rlo => {
                const out = [];
                const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
                for (let n = walk.nextNode(); n; n = walk.nextNode()) {
                    if (!n.data.includes(rlo)) continue;
                    const el = n.parentElement;
                    out.push([el.tagName, getComputedStyle(el).unicodeBidi]);
                }
                return out;
            }""",
            RLO,
        )
        assert holders, path
        assert [h for h in holders if h[0] != "BDI" and h[1] != "isolate"] == [], path
        checked += len(holders)
    context.close()
    assert checked >= 2


def test_pathological_nesting_is_flattened(odd_site: Path, chromium: Any) -> None:
    import time

    context = chromium.new_context(bypass_csp=True)
    page = context.new_page()
    started = time.monotonic()
    page.goto((odd_site / "extreme/postmortems/2026-10-27-INC-2026-037.html").as_uri())
    page.screenshot(path=str(browser.artifacts() / "deep-nesting.png"), full_page=True)
    assert time.monotonic() - started < 15
    depth = page.evaluate(
        "() => Math.max(...[...document.querySelectorAll('li, blockquote')].map(e => {"
        " let d = 0; for (let p = e; p; p = p.parentElement) if (/^(UL|OL|BLOCKQUOTE)$/"
        ".test(p.tagName)) d++; return d; }))"
    )
    assert depth <= 32
    serious = [v["id"] for v in browser.axe(page) if v["impact"] in ("serious", "critical")]
    context.close()
    assert serious == []


@pytest.mark.parametrize("kind", list(PAGE_TYPES))
def test_every_landmark_is_named_once(site: Path, chromium: Any, kind: str) -> None:
    context = chromium.new_context(bypass_csp=True)
    page = context.new_page()
    page.goto((site / PAGE_TYPES[kind]).as_uri())
    violations = [v["id"] for v in browser.axe(page)]
    context.close()
    assert "landmark-unique" not in violations
