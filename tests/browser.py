"""The site tests' helpers: a small repository with one project that passes and one that fails,
and a real browser, Debian's headless Chromium driven by Playwright, with axe-core read from
disk.

axe-core comes from the npm registry, pinned and checked against its sha512 integrity:
``python tests/browser.py fetch-axe`` (what ``make services`` runs) fetches its package (the
tarball npm would fetch) and puts axe.min.js in tests/.cache/
(git-ignored). Without Chromium, Playwright or axe-core the browser tests skip, except in CI
(CI set), where they fail: CI must run them.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import os
import re
import shutil
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("OPS_CHROMIUM", "/usr/bin/chromium")
AXE_VERSION = "4.14.1"
AXE_INTEGRITY = (  # npm's dist.integrity of the tarball
    "sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37Ogud"
    "VGtQ=="
)
REGISTRY = "https://registry.npmjs.org"
MAX_TARBALL = 20 * 1024 * 1024
AXE = REPO / "tests" / ".cache" / f"axe-core-{AXE_VERSION}" / "axe.min.js"
# Without the background-networking flags Chromium reaches out at start (this machine's closed
# network refuses it, and the tests must not depend on it); --no-sandbox: root in CI.
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AS_OF = "2026-11-24"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


# --- the fixture repository --------------------------------------------------------------------


def copy_sample(root: Path, slug: str, name: str, bad_weeks: str = '"2026-W43"') -> Path:
    """The sample project ops/checkout as ops/<slug>, named ``name``; its mock source fails
    ``bad_weeks``."""
    folder = root / "ops" / slug
    shutil.copytree(REPO / "ops" / "checkout", folder)
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            for prefix in ("project: ", "ops/", "--project "):
                text = text.replace(f"{prefix}checkout", f"{prefix}{slug}")
            if path.name == "project.yaml":
                text = text.replace("name: Checkout Service", f"name: {name}")
                text = text.replace('bad_weeks: ["2026-W43"]', f"bad_weeks: [{bad_weeks}]")
            path.write_text(text, encoding="utf-8")
    return folder


def make_repository(root: Path) -> Path:
    """ops/checkout (the sample, with the report of 2026-W47: PASS) and ops/payments (a copy
    whose mock source makes 2026-W47 FAIL), as of AS_OF."""
    from checks.main import main

    copy_sample(root, "checkout", "Checkout Service")
    copy_sample(root, "payments", "Payments", '"2026-W43", "2026-W47"')
    for slug in ("checkout", "payments"):
        code = main(["--root", str(root), "slo", "--project", slug, "--as-of", AS_OF])
        assert code == 0, f"ops slo --project {slug} exited {code}"
    return root


def build_site(root: Path, out: Path) -> Path:
    from checks.main import main

    code = main(["--root", str(root), "site", "--as-of", AS_OF, "--out", str(out), "--quiet"])
    assert code == 0, f"ops site exited {code}"
    return out


# --- the browser -----------------------------------------------------------------------------


def missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[dev]')"
    if not os.access(CHROMIUM, os.X_OK):
        return f"{CHROMIUM} is missing (apt-get install chromium; make services does)"
    if not AXE.is_file():
        return f"{AXE} is missing (python tests/browser.py fetch-axe; make services does)"
    return None


def require() -> None:
    """Skip without a browser, but fail in CI."""
    import pytest

    why = missing()
    if why is None:
        return
    if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
        pytest.fail(f"the browser tests must run in CI: {why}")
    pytest.skip(why)


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium (Playwright gives it a fresh profile, deleted after)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


def artifacts() -> Path:
    """Where screenshots go: $OPS_TEST_ARTIFACTS, or test-artifacts/site (git-ignored)."""
    folder = Path(os.environ.get("OPS_TEST_ARTIFACTS") or REPO / "test-artifacts" / "site")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def axe(page: Any) -> list[dict[str, Any]]:
    """axe-core's violations on the page (the context must bypass the page's CSP)."""
    page.add_script_tag(path=str(AXE))
    result: dict[str, Any] = page.evaluate(
        "async () => await axe.run(document, {resultTypes: ['violations']})"
    )
    violations: list[dict[str, Any]] = result["violations"]
    return violations


# --- fetching axe-core -------------------------------------------------------------------------


def integrity(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def fetch_axe() -> int:
    """axe-core AXE_VERSION's package from the npm registry (the tarball npm itself would
    fetch: dist.tarball), checked against its pinned integrity, into AXE. No npm needed."""
    if AXE.is_file():
        return 0
    import urllib.request

    url = f"{REGISTRY}/axe-core/-/axe-core-{AXE_VERSION}.tgz"
    try:
        with urllib.request.urlopen(url, timeout=120) as answer:
            data = answer.read(MAX_TARBALL + 1)
    except OSError as e:
        print(f"browser.py: cannot fetch {url}: {e}", file=sys.stderr)
        return 2
    if len(data) > MAX_TARBALL or integrity(data) != AXE_INTEGRITY:
        print(
            f"browser.py: axe-core {AXE_VERSION} from {url} does not match its pinned integrity "
            f"({integrity(data)[:30]}...); refusing it",
            file=sys.stderr,
        )
        return 2
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        member = archive.extractfile("package/axe.min.js")
        if member is None:
            print("browser.py: the axe-core package holds no axe.min.js", file=sys.stderr)
            return 2
        script = member.read()
    if not re.search(rb"axe v?" + AXE_VERSION.encode(), script[:500]):
        print("browser.py: package/axe.min.js does not say its version", file=sys.stderr)
        return 2
    AXE.parent.mkdir(parents=True, exist_ok=True)
    partial = AXE.with_suffix(".tmp")
    partial.write_bytes(script)
    partial.replace(AXE)
    print(f"axe-core {AXE_VERSION} ({AXE_INTEGRITY[:20]}...) in {AXE.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    if sys.argv[1:] != ["fetch-axe"]:
        print("usage: python tests/browser.py fetch-axe", file=sys.stderr)
        raise SystemExit(2)
    raise SystemExit(fetch_axe())
