"""The demo's `npx`: `npx playwright test` as the plan runs it (b-e2e), against the demo's dashboard stand-in.

    python -m cockpit.demo.npx playwright test     (the demo's `bin/npx` runs this; never by hand)

No browser and no Node: each page of the bundled runbook is really fetched under
`PLAYWRIGHT_BASE_URL` (the environment's app URL, which the step sets) and reported as
Playwright's list reporter would, one line per test; the exit code is 1 when any failed, so
the demo's trouble keys (the API slow or failing) make the step fail for real. It runs in the
directory the plan `cd`s into, which must hold the dashboard's package.json, like the real one.
"""

from __future__ import annotations

import os
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

TIMEOUT = 10.0  # seconds per page, as Playwright's default navigation timeout is per test


def pages() -> list[tuple[str, str]]:
    """(path, title) of the bundled runbook's dashboard pages."""
    from cockpit.runbook import load_runbook

    return [(page.path, page.title) for page in load_runbook(environ={}).pages]


def visit(url: str) -> tuple[bool, str]:
    """(loaded, why not) for one page: a 200 within TIMEOUT."""
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as response:
            return response.status == 200, "" if response.status == 200 else f"HTTP {response.status}"
    except urllib.error.HTTPError as error:
        return False, f"HTTP {error.code}"
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        return False, f"{type(reason).__name__}: {reason}"


def main(argv: list[str]) -> int:
    if argv[:2] != ["playwright", "test"]:
        print(f"demo npx: only `npx playwright test` is here, not `npx {' '.join(argv)}`", file=sys.stderr)
        return 127
    if not Path("package.json").exists():
        print(f"Error: no package.json in {os.getcwd()}: run it in apps/admin-dashboard", file=sys.stderr)
        return 1
    base = os.environ.get("PLAYWRIGHT_BASE_URL", "").rstrip("/")
    if not base:
        print("Error: PLAYWRIGHT_BASE_URL is not set", file=sys.stderr)
        return 1
    found = pages()
    print(f"Running {len(found)} tests using 1 worker ({base})", flush=True)
    failed = 0
    for number, (path, title) in enumerate(found, 1):
        began = time.monotonic()
        ok, why = visit(base + path)
        took = (time.monotonic() - began) * 1000
        spec = path.strip("/").replace("/", "-") + ".spec.ts"
        print(f"  {'✓' if ok else '✘'}  {number} [chromium] › {spec} › {title} loads ({took:.0f}ms)" + (f": {why}" if why else ""), flush=True)
        failed += not ok
    print(f"  {len(found) - failed} passed" + (f", {failed} failed" if failed else ""), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
