"""Every page the build writes is valid HTML, by the Nu HTML Checker (vnu.jar, the W3C validator's engine).

Two sites are built once for this module, the repository's content/ and the SAMPLE of conftest.py,
and the checker runs once per site over all its HTML files. vnu.jar comes from the npm package
vnu-jar, which `python -m tests` installs into .test-tools/ (see tests/tools.py).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from .browser_support import build
from .conftest import ROOT, SAMPLE, write_tree
from .tools import INSTALL_HINT, VNU_JAR

SHOWN = 20


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    sample = write_tree(tmp_path_factory.mktemp("sample-content"), SAMPLE)
    return {
        "syria": build(ROOT / "content", tmp_path_factory.mktemp("syria") / "site"),
        "sample": build(sample, tmp_path_factory.mktemp("sample") / "site"),
    }


def nu_check(files: list[Path]) -> list[dict]:
    """Run vnu.jar once over the files; return its messages (errors only)."""
    java = shutil.which("java")
    if java is None:
        pytest.skip("java is not installed, and the Nu HTML Checker (vnu.jar) runs on Java")
    assert VNU_JAR.is_file(), f"the Nu HTML Checker is not at {VNU_JAR}: {INSTALL_HINT}"
    run = subprocess.run(
        [java, "-jar", str(VNU_JAR), "--errors-only", "--format", "json", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    try:
        # The JSON report goes to stderr; the exit status is 1 when there are errors, so it is not checked.
        return json.loads(run.stderr)["messages"]
    except (ValueError, KeyError):
        pytest.fail(f"vnu.jar exited {run.returncode} without a JSON report:\n{run.stderr[-2000:]}", pytrace=False)


def describe(message: dict, site: Path) -> str:
    path = Path(unquote(urlsplit(message.get("url", "")).path))
    where = path.relative_to(site).as_posix() if path.is_relative_to(site) else (message.get("url") or "?")
    line = message.get("lastLine", "?")
    extract = " ".join(message.get("extract", "").split())
    return f"  - {where}:{line}: {message.get('message', '').strip()}" + (f" [{extract[:100]}]" if extract else "")


@pytest.mark.parametrize("site_name", ["syria", "sample"])
def test_every_page_is_valid_html(built: dict[str, Path], site_name: str):
    site = built[site_name]
    files = sorted(site.rglob("*.html"))
    assert len(files) >= 6, f"the {site_name} build has only {len(files)} HTML files"
    errors = [m for m in nu_check(files) if m.get("type") in ("error", "non-document-error")]
    lines = "\n".join(describe(m, site) for m in errors[:SHOWN])
    more = f"\n  … and {len(errors) - SHOWN} more" if len(errors) > SHOWN else ""
    assert not errors, (
        f"Nu HTML Checker: {len(errors)} error(s) in the {site_name} site's {len(files)} pages:\n{lines}{more}"
    )
