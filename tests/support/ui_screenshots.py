"""Screenshots of a Veille run in Prefect's UI, in headless Chromium, at the
widths users have (1366 and 1600 px): `.venv/bin/python -m
tests.support.ui_screenshots OUT_DIR` (needs Debian's `chromium`).

It starts `prefect server start` (with its UI) on a free loopback port, runs
`veille ingest seeds` against it, and saves the run's page, its artifacts
and the Artifacts page as PNG files in OUT_DIR, to be looked at.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.support.paths import REPO, SEEDS
from tests.support.prefect_api import PrefectServer

WIDTHS = (1366, 1600)


def main(out: Path) -> None:
    chromium = shutil.which("chromium")
    if chromium is None:
        sys.exit("ui_screenshots: no chromium (Debian: apt-get install chromium)")
    out.mkdir(parents=True, exist_ok=True)
    home = out / "prefect-home"
    home.mkdir(exist_ok=True)
    server = PrefectServer(home)
    try:
        env = {**os.environ, "PREFECT_API_URL": server.api, "PREFECT_HOME": str(home)}
        veille = Path(sys.executable).with_name("veille")
        argv = [veille, "ingest", SEEDS, "--db", out / "veille.duckdb", "--workers", "1"]
        subprocess.run(argv, env=env, cwd=REPO, check=True, capture_output=True)
        ui = server.api.removesuffix("/api")
        pages = {"artifacts": f"{ui}/artifacts"}
        for artifact in server.post("/artifacts/filter", {"limit": 50, "offset": 0}):
            pages[f"artifact-{artifact['key']}"] = f"{ui}/artifacts/artifact/{artifact['id']}"
        for run in server.post("/flow_runs/filter", {"limit": 5, "offset": 0}):
            pages[f"run-{run['name']}"] = f"{ui}/runs/flow-run/{run['id']}"
        for name, url in pages.items():
            for width in WIDTHS:
                png = out / f"{name}-{width}.png"
                subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                                f"--window-size={width},1000", "--virtual-time-budget=15000",
                                f"--screenshot={png}", url], capture_output=True, timeout=120)  # fmt: skip
                print(png)
    finally:
        server.stop()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("ui-screenshots"))
