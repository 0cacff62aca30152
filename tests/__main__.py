"""`python -m tests`: install what the tests need, then run the whole suite and the linter."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from .tools import install

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    """Install test requirements and tools, run pytest and ruff; return the first failing status."""
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    pip.append("--root-user-action=ignore")
    subprocess.run([*pip, "-r", str(ROOT / "requirements-dev.txt")], check=True)
    # Chromium (apt-get, when root), axe-core and vnu.jar (npm, into .test-tools/): see tests/tools.py.
    install()
    tests = subprocess.run([sys.executable, "-m", "pytest", *sys.argv[1:]], cwd=ROOT, check=False)
    lint = subprocess.run([sys.executable, "-m", "ruff", "check", "."], cwd=ROOT, check=False)
    return tests.returncode or lint.returncode


if __name__ == "__main__":
    sys.exit(main())
