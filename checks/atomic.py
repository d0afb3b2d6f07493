"""Atomic writes: a temporary file in the same folder, then a rename (or a link)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from checks.errors import OpsError


def _temp_beside(path: Path, data: bytes, durable: bool = True) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            if durable:
                os.fsync(f.fileno())
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return tmp


def write_bytes(path: Path, data: bytes, *, durable: bool = True) -> bool:
    """Replace ``path`` atomically; returns False (and writes nothing) when unchanged.

    ``durable=False`` skips the fsync, for files whose loss after a power cut costs
    nothing but time (a cache): readers still see the old file or the new one whole.
    """
    if _current(path, len(data)) == data:
        return False
    tmp = _temp_beside(path, data, durable)
    try:
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o7777)
        else:
            os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return True


def _current(path: Path, size: int) -> bytes | None:
    """The file's bytes when it might equal ``size`` bytes of new data; None when it is missing,
    larger, or a link (replaced, never followed). A pipe or a folder there is refused."""
    from checks.document import DocumentError, read_file

    try:
        return read_file(path, size)[0]
    except FileNotFoundError:
        return None
    except DocumentError as e:
        if e.reason in ("large", "link"):  # larger than the new bytes, or a link: replaced
            return None
        raise OpsError(f"{e.message}; ops writes a regular file here", path=str(path)) from None


def create_bytes(path: Path, data: bytes, *, display: str | None = None) -> None:
    """Create ``path`` atomically; refuse (OpsError) when it already exists."""
    tmp = _temp_beside(path, data)
    try:
        os.chmod(tmp, 0o644)
        os.link(tmp, path)  # fails if path exists: never overwrites
    except FileExistsError:
        raise OpsError(
            "already exists; refusing to overwrite it (edit it, or choose another date or id)",
            path=display or str(path),
        ) from None
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
