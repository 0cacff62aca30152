"""The live preview: serves the built site and rebuilds when content changes."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from explainer.serve import port_is_free

from .conftest import ROOT


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read().decode("utf-8")


def _wait_for(url: str, needle: str, seconds: float = 20) -> str:
    deadline = time.monotonic() + seconds
    last = ""
    while time.monotonic() < deadline:
        try:
            last = _fetch(url)
            if needle in last:
                return last
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{needle!r} never appeared at {url}; last page began {last[:200]!r}")


def test_serves_the_site_and_rebuilds_after_an_edit(make_content, tmp_path: Path) -> None:
    content = make_content()
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, str(ROOT / "build.py"), "serve", "--content", str(content), "--out", str(tmp_path / "out"),
         "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip
    try:
        page = f"http://127.0.0.1:{port}/articles/beta.html"
        _wait_for(page, "Ministry counts the sorties")
        article = content / "articles" / "beta.md"
        article.write_text(article.read_text().replace("Ministry counts the sorties", "Ministry recounts"))
        _wait_for(page, "Ministry recounts")
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_a_taken_port_is_refused_with_the_next_free_one(make_content, tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert not port_is_free("127.0.0.1", port)
        result = subprocess.run(
            [sys.executable, str(ROOT / "build.py"), "serve", "--content", str(make_content()),
             "--out", str(tmp_path / "out"), "--port", str(port)],
            capture_output=True, text=True, timeout=30, check=False,
        )  # fmt: skip
    assert result.returncode == 1
    assert f"port {port} on 127.0.0.1 is already in use; try --port " in result.stderr
