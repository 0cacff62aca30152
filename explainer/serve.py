"""Preview: build, serve the site with live reload, and rebuild when content, templates or code change.

The web server (Tornado, on the main thread) only answers requests; builds run on the watch
loop's thread (preview.py), which hands each result to the server with `add_callback`. The
server then tells the browsers to reload, over livereload's WebSocket protocol and with its
livereload.js client, but without its Server: that one builds on the server's only thread,
ignores changes within 3 s of a reload and answers a missing page with a bare "404: Not Found".

Each page is served with the number of the build it comes from (livereload.js sends it back,
as `snipver`, when it connects): a page from an older build is told to reload at once, so a
build that finishes while a page is loading is never missed.
"""

from __future__ import annotations

import contextlib
import errno
import html
import ipaddress
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
import webbrowser
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import unquote, urlsplit

from livereload.handlers import LiveReloadJSHandler
from tornado.ioloop import IOLoop
from tornado.web import Application, RequestHandler
from tornado.websocket import WebSocketClosedError, WebSocketHandler

from . import pipeline
from .preview import watch
from .problems import Problem, report_lines
from .watch import take
from .write import OutputRefusedError, check_output

PROTOCOL = "http://livereload.com/protocols/official-7"
RELOAD = {"command": "reload", "path": "*", "liveCSS": False, "liveImg": False}
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
    ".json": "application/json",
    ".jsonld": "application/ld+json",
    ".xml": "application/xml",
    ".txt": "text/plain; charset=utf-8",
}


@dataclass(frozen=True)
class Served:
    """What the server shows: the last good build's files, and the problems of the last build if it failed."""

    build: str  # changes whenever what the browsers show changes
    base_path: str  # the site's path on the server: '/' or, from base_url, e.g. '/repo/'
    paths: frozenset[str]  # the files of the last good build
    problems: tuple[str, ...] = ()  # `check`'s lines for the last build, when it failed


def port_is_free(host: str, port: int) -> bool:
    """True when nothing listens on host:port yet."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        if os.name != "nt":
            # As the server binds: connections closed a moment ago (TIME_WAIT) do not make the port taken.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise
    return True


def serve(
    content: Path,
    out: Path,
    templates: Path,
    *,
    shown: str,
    base_url: str | None,
    host: str,
    port: int,
    stdout: TextIO,
    stderr: TextIO,
    open_browser: bool = False,
    code: Path | None = None,
    cache: Path | None = None,
) -> int:
    """Build, then serve the site on host:port, rebuilding when content, templates or (when given) `code` change.

    A change to `code` restarts the whole program (after checking that the new code imports),
    so it runs the new code; only the command line should pass it. `cache` is a folder where the
    search index's parts are kept, as command-line builds keep them: a part whose documents did not
    change is not made again.
    """
    if not port_is_free(host, port):
        print(_port_taken(host, port), file=stderr)
        return 1
    try:
        check_output(out, {"content folder": content, "templates folder": templates, "home folder": Path.home()})
    except OutputRefusedError as refused:
        print(f"python build.py: {refused}", file=stderr)
        return 1
    origin = f"http://{_url_host(host)}:{port}"
    roots = [content, templates, *([code] if code else [])]
    writing = threading.Lock()
    restart = threading.Event()
    # The watch thread's own state: the last build, and what is wrong now (in the content or in the code).
    state = pipeline.PreviewState()
    base_path = "/"
    content_problems: tuple[Problem, ...] = ()
    code_problems: tuple[Problem, ...] = ()
    builds = 1

    def build(changed: set[Path]) -> bool:
        """Build after `changed` changed and say how it went; return whether any file was written or removed."""
        nonlocal state, base_path, content_problems
        started = time.perf_counter()
        try:
            result = pipeline.preview_build(
                state,
                content,
                out,
                templates,
                changed,
                shown=shown,
                base_url=base_url,
                origin=origin,
                writing=writing,
                search_now=False,  # index() does it (and the data files), once the browsers have been told to reload
                cache=cache,
            )
        except OutputRefusedError as refused:
            result = pipeline.PreviewBuild(state, None, (Problem(str(out), 0, str(refused)),))
        except Exception as error:  # a bug must not stop the preview: say so, and keep serving
            traceback.print_exc(file=stderr)
            result = pipeline.PreviewBuild(state, None, (Problem("explainer", 0, f"internal error: {error!r}"),))
        state = result.state
        if result.problems:
            print("\n".join(report_lines(result.problems)), file=stderr)
            print(f"Still serving the last good build of {out}; fix the problems and save.", file=stderr, flush=True)
        else:
            fixed = "The problems are fixed. " if content_problems else ""
            print(fixed + _summary(result, out, time.perf_counter() - started), file=stdout, flush=True)
            assert result.site is not None
            base_path = urlsplit(result.site.config.base_url).path or "/"
        content_problems = result.problems
        return bool(result.written or result.removed)

    def index(interrupted: Callable[[], bool] | None = None) -> bool:
        """Bring the data files and search index up to date with the last build; return whether any file changed.

        When `interrupted` says so, the search index is left for after the next build.
        """
        nonlocal state
        started = time.perf_counter()
        try:
            result = pipeline.preview_index(state, out, writing=writing, interrupted=interrupted, cache=cache)
        except Exception:  # a bug must not stop the preview: say so, and keep serving
            traceback.print_exc(file=stderr)
            return False
        state = result.state
        if result.problems:
            print("\n".join(report_lines(result.problems)), file=stderr)
            print("The search index could not be updated; searches use the last one.", file=stderr, flush=True)
        elif result.interrupted:
            print("Saved again: the search index is updated after the next build.", file=stdout, flush=True)
        elif result.written or result.removed:
            print(
                f"Updated the data files and search index in {time.perf_counter() - started:.2f} s: "
                f"{len(result.written)} files written, {len(result.removed)} removed.",
                file=stdout,
                flush=True,
            )
        return bool(result.written or result.removed)

    def now(build_number: int) -> Served:
        """What to serve, after the last build."""
        problems = content_problems + code_problems
        paths = frozenset(state.rendered.digests) if state.rendered else frozenset()
        return Served(
            f"{os.getpid()}-{build_number}", base_path, paths, tuple(report_lines(problems)) if problems else ()
        )

    def rebuild(changed: set[Path], interrupted: Callable[[], bool]) -> None:
        """After files changed (on the watch thread): build, and reload the browsers if what they show changed.

        The search index is made after the reload, and left for later when `interrupted` says a
        file changed again: the next build then comes at once, not after Pagefind.
        """
        nonlocal code_problems, builds
        before = now(builds)
        code_changed = {path for path in changed if code and path.resolve().is_relative_to(code.resolve())}
        if code is not None and code_changed:
            code_problems = tuple(_code_problems(code))
            if not code_problems:
                print("The code changed: restarting the preview.", file=stdout, flush=True)
                restart.set()
                loop.add_callback(loop.stop)
                return
            print("\n".join(report_lines(code_problems)), file=stderr, flush=True)
        wrote = build(changed - code_changed) if changed - code_changed else False
        if wrote or now(builds) != before:
            builds += 1
            loop.add_callback(live.publish, now(builds))
        # After the reload, not before it: on a large site the data files and the search index take
        # longer than the pages a small change affects. Also when no page changed: the data may have.
        if not content_problems and index(interrupted):
            loop.add_callback(live.show, now(builds))

    baseline = take(roots, exclude=[out])
    build(set())
    index()
    served = now(builds)
    live = _Live(served)
    settings: dict[str, Any] = {"live": live, "out": out.resolve(), "writing": writing, "port": port}
    app = Application(
        [
            (r"/livereload", _ReloadSocket, {"live": live}),
            (r"/livereload\.js", LiveReloadJSHandler),
            (r"/.*", _SiteHandler, settings),
        ],
        log_function=lambda handler: None,
    )
    try:
        server = app.listen(port, address=host)
    except OSError as error:
        if error.errno != errno.EADDRINUSE:
            raise
        print(_port_taken(host, port), file=stderr)
        return 1
    loop = IOLoop.current()  # `rebuild` uses it, from the watch thread started below
    for number in (signal.SIGINT, signal.SIGTERM):
        # Stop cleanly: the watch thread finishes the build it is writing.
        with contextlib.suppress(NotImplementedError):  # Windows has no such handlers: Ctrl+C interrupts
            loop.asyncio_loop.add_signal_handler(number, loop.stop)  # type: ignore[attr-defined]
    stop = threading.Event()
    watcher = threading.Thread(
        target=watch,
        args=(roots, rebuild, stop, baseline),
        kwargs={"exclude": [out]},
        name="explainer-watch",
        daemon=True,
    )
    watcher.start()
    url = f"{origin}{served.base_path}"
    watched = ", ".join(str(root) for root in roots)
    print(f"Serving {url} (Ctrl+C to stop); watching {watched}", file=stdout, flush=True)
    if not _is_loopback(host):
        print(f"Note: --host {host} lets other machines see the preview.", file=stdout, flush=True)
    if open_browser:
        threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()
    with contextlib.suppress(KeyboardInterrupt):
        loop.start()
    stop.set()
    server.stop()
    watcher.join(timeout=10)
    if restart.is_set():
        stdout.flush()
        stderr.flush()
        os.execv(sys.executable, [sys.executable, *sys.orig_argv[1:]])
    print("Stopped.", file=stdout, flush=True)
    return 0


class _Live:
    """What the server shows now, and the browsers waiting for a reload (used on the server's thread only)."""

    def __init__(self, served: Served) -> None:
        self.served = served
        self.sockets: set[_ReloadSocket] = set()

    def show(self, served: Served) -> None:
        """Serve files that changed without changing the pages (the search index): no browser reloads."""
        self.served = served

    def publish(self, served: Served) -> None:
        """Show a new build (or its problems) and reload every connected browser."""
        self.served = served
        for browser in list(self.sockets):
            browser.reload()


class _ReloadSocket(WebSocketHandler):
    """livereload's protocol, version 7: a hello each way, then 'reload' commands from the server."""

    def initialize(self, live: _Live) -> None:
        self.live = live

    def on_message(self, message: str | bytes) -> None:
        try:
            command = json.loads(message)
        except ValueError:
            return
        if not isinstance(command, dict) or command.get("command") != "hello":
            return
        self.write_message({"command": "hello", "protocols": [PROTOCOL], "serverName": "explainer"})
        self.live.sockets.add(self)
        if str(command.get("snipver")) != self.live.served.build:
            self.reload()  # the page came from an older build than the one in place now

    def reload(self) -> None:
        """Tell this browser to reload its page."""
        try:
            self.write_message(RELOAD)
        except WebSocketClosedError:  # the browser went away meanwhile
            self.live.sockets.discard(self)

    def on_close(self) -> None:
        self.live.sockets.discard(self)


class _SiteHandler(RequestHandler):
    """The site, under its base path: files of the last good build, its 404 page, or the build's problems."""

    def initialize(self, live: _Live, out: Path, writing: threading.Lock, port: int) -> None:
        self.live = live
        self.out = out
        self.writing = writing
        self.port = port

    def get(self) -> None:
        self._answer()

    def head(self) -> None:
        self._answer()

    def _answer(self) -> None:
        served = self.live.served
        raw = self.request.path
        self.set_header("Cache-Control", "no-store")
        if site_path(raw.removeprefix("/")) is None:
            self.set_status(400)
            self.set_header("Content-Type", "text/plain; charset=utf-8")
            self.finish("400: refused: the path leaves the site's folder or is malformed\n")
            return
        if not raw.startswith(served.base_path):
            if raw in ("/", served.base_path.rstrip("/")):
                self.redirect(served.base_path)
            else:
                self._missing(served)
            return
        key = site_path(raw[len(served.base_path) :])
        if key is None or key not in served.paths:
            if key is not None and any(path.startswith(key + "/") for path in served.paths):
                self.redirect(raw + "/")  # a folder: its index page, with relative links that work
            else:
                self._missing(served)
            return
        if served.problems and key.endswith(".html"):
            self._problems(served)
            return
        body = self._read(key)
        if body is None:
            self._missing(served)
            return
        self._send(200, key, body, served)

    def _read(self, key: str) -> bytes | None:
        path = (self.out / key).resolve()
        if not path.is_relative_to(self.out):
            return None
        with self.writing:  # never half an update
            try:
                return path.read_bytes()
            except OSError:
                return None

    def _missing(self, served: Served) -> None:
        if served.problems:
            self._problems(served)
            return
        page = self._read("404.html") if "404.html" in served.paths else None
        self._send(404, "404.html", page or b"<!DOCTYPE html><title>Not found</title><h1>Not found</h1>\n", served)

    def _problems(self, served: Served) -> None:
        self._send(500, "problems.html", problems_page(served.problems), served)

    def _send(self, status: int, key: str, body: bytes, served: Served) -> None:
        suffix = Path(key).suffix
        self.set_status(status)
        self.set_header("Content-Type", CONTENT_TYPES.get(suffix, "application/octet-stream"))
        self.set_header("X-Content-Type-Options", "nosniff")
        if suffix == ".html":
            body = inject(body, reload_script(self.port, served.build))
        self.finish(body)  # Tornado sends no body for HEAD


def site_path(path: str) -> str | None:
    """The file a URL path (relative to the site's base, still %-encoded) names, or None to refuse it.

    Refused: '.' and '..' segments, and segments whose decoding holds a slash, a backslash or a NUL
    (so '%2e%2e', '%2f' and the like cannot climb out either), or that are not UTF-8.
    """
    parts = []
    for part in path.split("/"):
        try:
            decoded = unquote(part, errors="strict")
        except UnicodeDecodeError:
            return None
        if decoded in (".", "..") or any(c in decoded for c in "/\\\x00"):
            return None
        parts.append(decoded)
    key = "/".join(parts)
    return key + "index.html" if key == "" or key.endswith("/") else key


def reload_script(port: int, build: str) -> bytes:
    """The script tag that loads livereload.js, telling it the page's build (as snipver)."""
    # mindelay: after a restart, browsers reconnect within a quarter of a second, not livereload.js's default 1 s.
    query = f"port={port}&amp;mindelay=250&amp;maxdelay=5000&amp;snipver={build}"
    return f'<script src="/livereload.js?{query}"></script>'.encode()


def inject(page: bytes, script: bytes) -> bytes:
    """The page with the script at the end of its head (or at its end, when it has no head)."""
    if b"</head>" in page:
        return page.replace(b"</head>", script + b"</head>", 1)
    return page + script


def problems_page(lines: Sequence[str]) -> bytes:
    """The page shown instead of the site while the last build failed: every problem, as `check` prints them."""
    items = "".join(f"<li><code>{html.escape(line)}</code></li>\n" for line in lines[:-1])
    summary = html.escape(lines[-1]) if lines else ""
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Build failed: {summary}</title>
<style>
body {{ font: 16px/1.5 system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; padding: 0 1rem; }}
h1 {{ color: #a40000; }} ul {{ padding-left: 1.2rem; }} li {{ margin: .4rem 0; }}
code {{ white-space: pre-wrap; word-break: break-word; }}
@media (prefers-color-scheme: dark) {{ body {{ background: #1b1b1b; color: #eee; }} h1 {{ color: #ff8a80; }} }}
</style>
</head>
<body>
<main>
<h1>The site could not be built</h1>
<p><strong>{summary}</strong>. This page goes back to the site by itself once they are fixed;
until then the last good build stays in place.</p>
<ul>
{items}</ul>
</main>
</body>
</html>
""".encode()


def _summary(result: pipeline.PreviewBuild, out: Path, seconds: float) -> str:
    steps = ", ".join(f"{step} {took:.2f} s" for step, took in result.seconds)
    what = "Built" if result.full else "Rebuilt"
    return (
        f"{what} {out} in {seconds:.2f} s ({steps}): {len(result.rendered)} pages rendered, "
        f"{len(result.written)} files written, {len(result.removed)} removed."
    )


def _code_problems(code: Path) -> list[Problem]:
    """Why the changed code would not run (it is imported in a new interpreter first), or nothing."""
    check = subprocess.run(
        [sys.executable, "-c", f"import {code.name}.cli, {code.name}.serve"],
        cwd=code.resolve().parent,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if check.returncode == 0:
        return []
    lines = check.stderr.strip().splitlines() or ["the code does not import"]
    where = re.findall(r'File "([^"]+)", line (\d+)', check.stderr)
    path, line = (str(code.resolve().parent / where[-1][0]), int(where[-1][1])) if where else (str(code), 0)
    return [Problem(path, line, f"the changed code does not run: {lines[-1]}")]


def _port_taken(host: str, port: int) -> str:
    free = next((p for p in range(port + 1, port + 50) if port_is_free(host, p)), None)
    hint = f"; try --port {free}" if free else ""
    return f"python build.py: port {port} on {host} is already in use{hint}"


def _url_host(host: str) -> str:
    """The host as a URL names it; a wildcard address is reached at the loopback one."""
    if host in ("", "0.0.0.0"):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"
