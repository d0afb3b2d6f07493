from __future__ import annotations

from checks.main import main

if __name__ == "__main__":
    raise SystemExit(main())
