"""Helpers for the preview tests: run `python build.py serve` in a subprocess and talk to it over HTTP."""

from __future__ import annotations

import http.client
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .conftest import ROOT

STARTUP_SECONDS = 60
WAIT_SECONDS = 30  # generous: a loaded machine is slow, and waiting longer never makes a test pass wrongly


@dataclass
class Preview:
    """A running preview: its address, and everything it has printed so far."""

    process: subprocess.Popen[str]
    port: int
    lines: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        """The server's root, without a trailing slash."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def output(self) -> str:
        """What it printed, stdout and stderr together."""
        return "".join(self.lines)

    def wait_for_output(self, needle: str, seconds: float = WAIT_SECONDS) -> None:
        """Wait until the server has printed `needle`."""
        deadline = time.monotonic() + seconds
        while needle not in self.output:
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"the preview never printed {needle!r}; it printed:\n{self.output}")
            time.sleep(0.05)


def free_port() -> int:
    """A port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def preview(content: Path, out: Path, *options: str, script: Path = ROOT / "build.py") -> Iterator[Preview]:
    """Start the preview on a free port, wait until it serves, and stop it afterwards."""
    port = free_port()
    command = [sys.executable, str(script), "serve", "--content", str(content), "--out", str(out), "--port", str(port)]
    process = subprocess.Popen([*command, *options], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    running = Preview(process, port)
    # Read the output as it comes: a full pipe would block the server.
    reader = threading.Thread(target=lambda: running.lines.extend(iter(process.stdout.readline, "")), daemon=True)  # type: ignore[union-attr]
    reader.start()
    try:
        running.wait_for_output("Serving http", STARTUP_SECONDS)
        yield running
    finally:
        process.terminate()
        process.wait(timeout=30)
        reader.join(timeout=5)


def fetch(url: str) -> tuple[int, str]:
    """GET a URL: (status, body), for error statuses too."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8")


def wait_until(url: str, accept: Callable[[int, str], bool], seconds: float = WAIT_SECONDS) -> tuple[int, str]:
    """Fetch a URL until `accept(status, body)`; return that answer, or fail with the last one."""
    deadline = time.monotonic() + seconds
    status, body = 0, ""
    while time.monotonic() < deadline:
        try:
            status, body = fetch(url)
            if accept(status, body):
                return status, body
        except OSError:
            pass
        time.sleep(0.05)
    raise AssertionError(f"{url} never gave the expected answer; last: {status} {body[:300]!r}")


def raw_get(port: int, path: str) -> tuple[int, bytes]:
    """GET a path sent exactly as given (no normalising of '..' or %-escapes): (status, body)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.putrequest("GET", path, skip_accept_encoding=True)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def save(path: Path, old: str, new: str) -> None:
    """Replace text in a file (it must be there), as an editor's save does."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} is not in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")
