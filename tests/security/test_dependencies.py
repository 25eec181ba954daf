"""Dependencies and code: bandit finds nothing, and no installed package lacks a known fix.

The online audit is ``pip-audit`` in ``.ci/run``; from this workplace it reaches no
vulnerability service (see ASVS.md, V14.2.1), so the suite also checks offline that every
package the app runs on is at least at the release that fixed each advisory listed below.
"""

from __future__ import annotations

import subprocess
import sys
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]

#: package -> (first release with the fix, the advisories it fixes). Add a line when an
#: advisory is published for a package the app runs on; never lower a floor.
FIXED_IN: dict[str, tuple[str, str]] = {
    "flask": ("3.1.1", "CVE-2023-30861, CVE-2025-47278"),
    "werkzeug": ("3.1.4", "CVE-2024-34069, CVE-2024-49766, CVE-2024-49767, CVE-2025-66221"),
    "jinja2": ("3.1.6", "CVE-2024-22195, CVE-2024-34064, CVE-2024-56201, CVE-2024-56326, "
                        "CVE-2025-27516"),
    "gunicorn": ("23.0.0", "CVE-2024-1135, CVE-2024-6827"),
    "pyyaml": ("5.4", "CVE-2020-14343"),
    "pydantic": ("2.4.0", "CVE-2024-3772"),
    "babel": ("2.9.1", "CVE-2021-42771"),
    "pymdown-extensions": ("10.0", "CVE-2023-32309"),
    "sqlalchemy": ("1.3.0", "CVE-2019-7164, CVE-2019-7548"),
    "mako": ("1.2.2", "CVE-2022-40023"),
    "pillow": ("11.3.0", "CVE-2024-28219, CVE-2025-48379"),
}


def runtime_packages() -> dict[str, str]:
    """Every package installed for ``live-academy`` to run (its requirements, recursively)."""
    found: dict[str, str] = {}
    pending = ["live-academy"]
    while pending:
        name = canonicalize_name(pending.pop())
        if name in found:
            continue
        distribution = metadata.distribution(name)
        found[name] = distribution.version
        for line in distribution.requires or []:
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                pending.append(requirement.name)
    return found


def test_runtime_dependencies_carry_every_known_security_fix() -> None:
    installed = runtime_packages()
    assert {"flask", "werkzeug", "jinja2", "sqlalchemy"} <= installed.keys()
    behind = [f"{name} {installed[name]} < {fixed} ({advisories})"
              for name, (fixed, advisories) in FIXED_IN.items()
              if name in installed and Version(installed[name]) < Version(fixed)]
    assert not behind, "upgrade (and raise the floor in pyproject.toml): " + "; ".join(behind)


def test_bandit_finds_nothing_in_the_application() -> None:
    """``[tool.bandit]`` in pyproject.toml says which checks are left to ruff, and why."""
    result = subprocess.run(
        [sys.executable, "-m", "bandit", "-c", "pyproject.toml", "-r", "academy", "-q",
         "-f", "txt"],
        cwd=ROOT, capture_output=True, text=True, check=False, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
