"""Helpers for the browser tests: build a site, serve it under a sub-path, record what a page does, run axe.

Nothing here imports Playwright, so the module loads (and the tests fail with a clear message)
where Playwright is not installed yet.
"""

from __future__ import annotations

import functools
import http.server
import io
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from explainer.cli import main as cli_main

from .conftest import TEMPLATES
from .tools import AXE_JS, CHROMIUM, INSTALL_HINT

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# The relations, by the name in a mark's class (rel-<name>), with the word(s) a reader sees.
RELATION_WORDS = {
    "same-event": "same event",
    "same-statement": "same statement",
    "corroborates": "corroborates",
    "contradicts": "contradicts",
    "differs": "differs",
    "context": "context",
    "correction": "correction",
}

# Page kinds: a name, and where its page is: a fixed file, or the first (in name order) of a folder's
# pages whose names match a pattern (a folder's index.html is not one of its pages).
PAGE_KINDS = {
    "index": "index.html",
    "article": "articles/*.html",
    "note": "notes/*.html",
    "topic": "topics/*.html",
    "compare": "compare/*--*.html",
    "404": "404.html",
    "sources": "sources.html",
    "notes-index": "notes.html",
    "compare-index": "compare/index.html",
}
# Pages being added: tested when a build has them.
OPTIONAL_KINDS = {"sources", "notes-index", "compare-index"}

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
AXE_RUN = f"async () => await axe.run(document, {{runOnly: {AXE_TAGS!r}}})"
BLOCKING_IMPACTS = ("serious", "critical")


def build(content: Path, out: Path, base_url: str | None = None) -> Path:
    """Build a site with the command line, in-process; fail with its messages when it does not build."""
    args = ["build", "--content", str(content), "--out", str(out)]
    if base_url:
        args += ["--base-url", base_url]
    stdout, stderr = io.StringIO(), io.StringIO()
    code = cli_main(args, templates=TEMPLATES, stdout=stdout, stderr=stderr)
    assert code == 0, f"building {content} failed with status {code}:\n{stderr.getvalue()}{stdout.getvalue()}"
    return out


def page_of_kind(site: Path, kind: str) -> str | None:
    """The site-relative path of one page of a kind, or None when the build has none."""
    where = PAGE_KINDS[kind]
    if "*" not in where:
        return where if (site / where).is_file() else None
    pages = sorted(p.relative_to(site).as_posix() for p in site.glob(where) if p.name != "index.html")
    return pages[0] if pages else None


def missing_tools() -> str | None:
    """Why the browser tests cannot run here, or None when Chromium, Playwright and axe-core are all present."""
    if not CHROMIUM.exists():
        return f"Chromium is not at {CHROMIUM}: {INSTALL_HINT}"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return f"Playwright is not installed: {INSTALL_HINT}"
    if not AXE_JS.is_file():
        return f"axe-core is not at {AXE_JS}: {INSTALL_HINT}"
    return None


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Serves files quietly; a missing file under a site's folder gets that site's 404.html, as hosts do."""

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        parts = urlsplit(self.path).path.strip("/").split("/")
        page = Path(self.directory, parts[0], "404.html") if code == 404 and parts[0] else None
        if page is None or not page.is_file():
            super().send_error(code, message, explain)
            return
        body = page.read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


@contextmanager
def serve(folder: Path) -> Iterator[str]:
    """Serve a folder on 127.0.0.1 on a free port, in a thread; yield its URL (ending in /)."""
    handler = functools.partial(_Handler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="site-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@dataclass
class Recorder:
    """Everything a page asks for and complains about, from the moment it is attached."""

    allowed: str  # every request must start with this (the site's folder, over http or file)
    requests: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    script_errors: list[str] = field(default_factory=list)  # uncaught errors and console errors from scripts
    expected_statuses: dict[str, int] = field(default_factory=dict)  # URL -> an error status that is the point

    def attach(self, page: Any) -> Recorder:
        page.on("request", self._request)
        page.on("requestfailed", lambda r: self.problems.append(f"request failed: {r.url} ({r.failure})"))
        page.on("response", self._response)
        page.on("console", self._console)
        page.on("pageerror", self._page_error)
        return self

    def _page_error(self, error: Any) -> None:
        self.problems.append(f"uncaught JavaScript error: {error}")
        self.script_errors.append(self.problems[-1])

    def _request(self, request: Any) -> None:
        url = request.url
        self.requests.append(url)
        if url.startswith(self.allowed) or url.startswith(("data:", "blob:")):
            return
        host = urlsplit(url).hostname
        allowed_host = urlsplit(self.allowed).hostname
        if host != allowed_host:
            self.problems.append(f"request to another host ({host or urlsplit(url).scheme}): {url}")
        else:
            self.problems.append(f"request outside the site's folder {self.allowed}: {url}")

    def _response(self, response: Any) -> None:
        if response.status >= 400 and self.expected_statuses.get(response.url) != response.status:
            self.problems.append(f"HTTP {response.status} for {response.url}")

    def _console(self, message: Any) -> None:
        if message.type != "error":
            return
        url = (message.location or {}).get("url", "")
        if message.text.startswith("Failed to load resource"):
            if url in self.expected_statuses:
                return
            # Chromium asks for /favicon.ico when a page declares no icon, at a moment of its own choosing;
            # the load test checks deterministically that every page declares one instead.
            if urlsplit(url).path == "/favicon.ico":
                return
        self.problems.append(
            f"console error: {message.text} (at {url or '?'}:{(message.location or {}).get('lineNumber', '?')})"
        )
        # Chromium logs every failed load as a console error too; the other lists cover those.
        if not message.text.startswith("Failed to load resource"):
            self.script_errors.append(self.problems[-1])

    def report(self, what: str, problems: list[str] | None = None) -> str:
        """A failure message listing every problem (or those given)."""
        problems = self.problems if problems is None else problems
        lines = "\n".join(f"  - {p}" for p in problems)
        return f"{what}: {len(problems)} problem(s):\n{lines}"


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Inject axe-core into a loaded page, run it, and return its violations."""
    page.add_script_tag(content=AXE_JS.read_text(encoding="utf-8"))
    return page.evaluate(AXE_RUN)["violations"]


def describe_violations(violations: list[dict[str, Any]], targets: int = 5) -> str:
    """One line per violation: rule id, impact, how many elements, and the first few target selectors."""
    lines = []
    for violation in violations:
        nodes = violation["nodes"]
        shown = ", ".join(" ".join(map(str, node["target"])) for node in nodes[:targets])
        more = f", … {len(nodes) - targets} more" if len(nodes) > targets else ""
        lines.append(
            f"  - {violation['id']} ({violation['impact']}): {violation['help']}; "
            f"{len(nodes)} element(s): {shown}{more}"
        )
    return "\n".join(lines)
