"""The programs the browser and HTML tests use: where they live, and how `python -m tests` installs them.

- Chromium: Debian's package, at /usr/bin/chromium (installed with apt-get when missing and we are root).
  Playwright (requirements-dev.txt) drives it; its wheel ships its own driver, and we never run
  `playwright install` nor download a browser.
- axe-core and the Nu HTML Checker (vnu.jar, from the npm package vnu-jar): installed with npm into
  the git-ignored folder .test-tools/ at exact versions.

Why npm for axe-core rather than a copy in tests/vendor/: npm is needed anyway for vnu-jar, so both
tools are pinned in one place (NPM_PACKAGES below) and upgraded by changing one number; npm checks
each tarball against the registry's integrity hash; and the repository does not carry (and review)
650 kB of minified third-party code, whose MPL-2.0 licence file travels with the package.

Only this standard-library module is imported before the test requirements are installed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".test-tools"  # git-ignored
MODULES = CACHE / "node_modules"

CHROMIUM = Path("/usr/bin/chromium")
# Exact versions, so every run tests against the same rules.
NPM_PACKAGES = {"axe-core": "4.14.1", "vnu-jar": "26.9.27"}
AXE_JS = MODULES / "axe-core" / "axe.min.js"
VNU_JAR = MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"

INSTALL_HINT = "run `python -m tests` once (as root it also installs Chromium with apt-get)"


def installed_version(package: str) -> str | None:
    """The version of an npm package in the cache folder, or None when it is not there."""
    try:
        return json.loads((MODULES / package / "package.json").read_text(encoding="utf-8"))["version"]
    except (OSError, ValueError, KeyError):
        return None


def npm_tools_ready() -> bool:
    """Whether every pinned npm package is in the cache folder at its pinned version."""
    pinned = all(installed_version(name) == version for name, version in NPM_PACKAGES.items())
    return pinned and AXE_JS.is_file() and VNU_JAR.is_file()


def install_system_packages() -> None:
    """apt-get install Chromium (and a Java runtime for vnu.jar) when missing and we are root."""
    wanted = []
    if not CHROMIUM.exists():
        wanted.append("chromium")
    if shutil.which("java") is None:
        wanted.append("default-jre-headless")
    if not wanted:
        return
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        print(f"tests: not installing {', '.join(wanted)} (needs root and apt-get): the browser/HTML tests will say so")
        return
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    print(f"tests: apt-get install {' '.join(wanted)}", flush=True)
    subprocess.run(["apt-get", "update", "-q"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-q", *wanted], check=True, env=env)


def install_npm_tools() -> None:
    """npm install axe-core and vnu-jar into .test-tools/ unless they are already there at the pinned versions."""
    if npm_tools_ready():
        return
    npm = shutil.which("npm")
    if npm is None:
        print("tests: npm is not installed, so axe-core and vnu.jar are not: the browser/HTML tests will say so")
        return
    CACHE.mkdir(exist_ok=True)
    # The cache folder's own package.json lists the pins (and stops npm looking in a parent folder).
    manifest = {"private": True, "description": "explainer test tools (tests/tools.py)", "dependencies": NPM_PACKAGES}
    (CACHE / "package.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    specs = " ".join(f"{name}@{version}" for name, version in NPM_PACKAGES.items())
    print(f"tests: npm install {specs} into {CACHE.relative_to(ROOT)}/", flush=True)
    # --ignore-scripts: vnu-jar's postinstall script would download a Java runtime; we use the system's.
    subprocess.run([npm, "install", "--ignore-scripts", "--no-audit", "--no-fund"], check=True, cwd=CACHE)
    if not npm_tools_ready():
        raise SystemExit(f"tests: npm did not install {specs} into {CACHE}")


def install() -> None:
    """Everything the browser and HTML-validity tests need beyond requirements-dev.txt; quick when done."""
    install_system_packages()
    install_npm_tools()
