"""The README's integration walk-throughs (section "The integrations, step by step") are
extracted from the README and run, as written, against a live uvicorn: a command that
rots fails here (R-ACC-4, R-ACC-8, R-STO-2, R-ACC-6, R-BIL-2)."""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess

import pytest

from tests.processes import REPO, UvicornProcess, service_env

BLOCK = re.compile(r"^```sh walkthrough\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def walkthroughs() -> list[str]:
    return BLOCK.findall((REPO / "README.md").read_text())


def test_the_readme_has_the_four_integration_walkthroughs():
    text = (REPO / "README.md").read_text()
    for title in ("### Ticketing tool", "### Moodle plugin", "### Schooling office (CSV",
                  "### Région's IT"):
        assert title in text
    assert len(walkthroughs()) == 5  # the shared set-up and one per integration


@pytest.mark.skipif(shutil.which("jq") is None or shutil.which("curl") is None,
                    reason="the walk-throughs use curl and jq (Debian: apt install curl jq)")
def test_the_readme_walkthroughs_run_against_a_live_server(databases, key_file, tmp_path):
    url = asyncio.run(databases.fresh())
    env = service_env(url, key_file)
    with UvicornProcess(env, tmp_path / "uvicorn.log") as server:
        script = "set -euo pipefail\n" + "\n".join(walkthroughs())
        done = subprocess.run(
            ["bash", "-c", script], cwd=REPO, capture_output=True, text=True, timeout=600,
            env={**env, "BASE": server.base_url, "TMPDIR": str(tmp_path)},
        )
    output = done.stdout
    assert done.returncode == 0, f"{output}\n{done.stderr[-4000:]}"
    # Ticketing: the school codes, then the request received, then fulfilled with a uid.
    assert "prefms-ifsi" in output.splitlines()
    assert re.search(r"^UT-2026-12-0042 received due \d{4}-\d\d-\d\d$", output, re.MULTILINE)
    assert re.search(r"^UT-2026-12-0042 fulfilled uid [a-z]{3}\d{4}[a-z]$", output, re.MULTILINE)
    # Moodle plugin: accepted, read back at level warning, access allowed.
    assert '"status":"accepted"' in output
    assert "ifms-rodez 37000000000 bytes, level warning" in output
    assert re.search(r"^access of [a-z]{3}\d{4}[a-z]: allowed=true \(active\)$", output,
                     re.MULTILINE)
    # Schooling office: both CSV rows enrolled and read back.
    assert "22507431 ifms-rodez enrolled 2025-09-15" in output
    assert "22507432 ifms-albi enrolled 2025-09-16" in output
    # Region: the issued statement counts the two students at 22 EUR, 304, PDF and CSV.
    assert "issued 2025-2026-v1: 2 students, 44.00 EUR" in output
    assert "2025-2026-v1 issued 4400 cents" in output
    assert "unchanged: 304" in output
    assert "%PDF" in output
