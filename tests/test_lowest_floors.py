"""constraints/lowest.txt (what .ci/lowest installs) pins every runtime dependency at its declared floor."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FLOOR = re.compile(r"^([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?\s*(?:[^,]*,\s*)*?>=\s*([^,;\s]+)")


def canonical(name: str) -> str:
    """PEP 503 name normalisation."""
    return re.sub(r"[-_.]+", "-", name).lower()


def declared_floors() -> dict[str, str]:
    floors = {}
    for dependency in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]:
        found = FLOOR.match(dependency)
        assert found, f"{dependency!r} declares no >= floor"
        floors[canonical(found.group(1))] = found.group(2)
    return floors


def pinned() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "constraints" / "lowest.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, _, exact = line.partition("==")
            assert exact, f"{line!r} is not an exact pin"
            pins[canonical(name)] = exact.strip()
    return pins


def test_every_runtime_dependency_is_pinned_at_its_floor():
    assert pinned() == declared_floors()
