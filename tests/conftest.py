"""Hermetic tests: ops keeps its cache and lock in $XDG_CACHE_HOME, so point that into tmp."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _private_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    cache = tmp_path_factory.mktemp("xdg-cache")
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    return cache


@pytest.fixture(autouse=True)
def _no_secret_from_another_test() -> None:
    """Each test is a process that starts again: no secret remembered by an earlier one."""
    from checks import secrets

    secrets.forget_all()


@pytest.fixture(scope="session")
def prometheus(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A real Prometheus with backfilled data of known counts. Without the binaries the
    tests skip, except in CI (CI set), where they fail: CI must run them."""
    import os

    import promserver

    try:
        promserver.binaries()
    except promserver.Missing as e:
        if os.environ.get("CI"):
            pytest.fail(str(e))
        pytest.skip(str(e))
    server = promserver.start(tmp_path_factory.mktemp("prometheus"))
    yield server
    promserver.stop(server)
