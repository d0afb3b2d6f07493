"""Which reader reads a file: the tool named by --from, and JSON or CSV by the file's first
character. Opening the file is here too: a regular file, read once, as a stream."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import IO

from checks.errors import OpsError
from checks.importers.incidents import (
    incidentio_csv,
    incidentio_json,
    opsgenie_csv,
    opsgenie_json,
    pagerduty_csv,
    pagerduty_json,
)
from checks.importers.incidents.model import Imported

Reader = Callable[[IO[bytes], str], Iterator[Imported]]
# --from -> (its API's JSON, its CSV export)
TOOLS: dict[str, tuple[ModuleType, ModuleType]] = {
    "pagerduty": (pagerduty_json, pagerduty_csv),
    "opsgenie": (opsgenie_json, opsgenie_csv),
    "incident-io": (incidentio_json, incidentio_csv),
}
_SNIFF = 4096


def reader(tool: str, head: bytes) -> Reader:
    """The reader for ``tool``'s file that starts with ``head``."""
    json_module, csv_module = TOOLS[tool]
    first = head.removeprefix(b"\xef\xbb\xbf").lstrip()[:1]
    module = json_module if first in (b"{", b"[") else csv_module
    read: Reader = module.read
    return read


def read_all(tool: str, path: str, shown: str) -> list[Imported]:
    """Every incident of the file at ``path``, read as ``tool``'s format (OpsError if not)."""
    try:
        with open(path, "rb") as stream:
            mode = os.fstat(stream.fileno()).st_mode
            if not stat.S_ISREG(mode):
                raise OpsError("is not a regular file; name the exported file", path=shown)
            head = stream.read(_SNIFF)
            stream.seek(0)
            return list(reader(tool, head)(stream, shown))
    except FileNotFoundError:
        raise OpsError("no such file", path=shown) from None
    except IsADirectoryError:
        raise OpsError("is a directory; name the exported file", path=shown) from None
    except OSError as e:
        raise OpsError(f"cannot read: {e.strerror or e}", path=shown) from None
