"""The runtime install holds only runtime dependencies: requirements.lock pins exactly
what pyproject.toml's dependencies need; test and lint tools are in requirements-dev.lock,
the client generator in requirements-tools.lock (its own venv)."""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]


def _pins(name: str) -> dict[str, str]:
    pins = {}
    for line in (ROOT / name).read_text().splitlines():
        if "==" in line and not line.startswith("#"):
            package, version = line.split("==", 1)
            pins[canonicalize_name(package)] = version.strip()
    return pins


def _runtime_closure() -> set[str]:
    environment = default_environment()
    seen: dict[str, set[str]] = {}
    todo = [("convention-service", frozenset())]
    while todo:
        name, extras = todo.pop()
        for text in metadata.requires(name) or []:
            requirement = Requirement(text)
            if requirement.marker and not any(
                requirement.marker.evaluate({**environment, "extra": extra})
                for extra in ("", *extras)
            ):
                continue
            dependency = canonicalize_name(requirement.name)
            if dependency not in seen or not requirement.extras <= seen[dependency]:
                seen.setdefault(dependency, set()).update(requirement.extras)
                todo.append((dependency, frozenset(seen[dependency])))
    return set(seen)


def test_the_runtime_lock_pins_exactly_the_runtime_dependencies():
    assert set(_pins("requirements.lock")) == _runtime_closure()


def test_the_dev_lock_adds_the_test_tools_on_top_of_the_runtime_lock():
    text = (ROOT / "requirements-dev.lock").read_text()
    assert re.search(r"^-r requirements\.lock$", text, re.MULTILINE)
    dev, runtime = _pins("requirements-dev.lock"), _pins("requirements.lock")
    assert {"pytest", "ruff", "schemathesis", "import-linter", "aiosmtpd"} <= set(dev)
    assert not set(dev) & set(runtime)


def test_the_generator_has_its_own_lock_and_venv():
    assert "openapi-python-client" in _pins("requirements-tools.lock")
    makefile = (ROOT / "Makefile").read_text()
    assert "-r requirements-dev.lock" in makefile and "-r requirements-tools.lock" in makefile


def test_the_image_installs_the_runtime_lock_only():
    dockerfile = "\n".join(line for line in (ROOT / "deploy" / "Dockerfile").read_text()
                           .splitlines() if not line.lstrip().startswith("#"))
    assert "requirements.lock" in dockerfile
    assert "requirements-dev.lock" not in dockerfile
    assert "requirements-tools.lock" not in dockerfile
