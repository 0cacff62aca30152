"""Preview: build, serve the output folder with live reload, and rebuild when files change."""

from __future__ import annotations

import errno
import socket
from pathlib import Path
from typing import TextIO

from . import pipeline
from .problems import ContentError, report_lines
from .write import OutputRefusedError


def port_is_free(host: str, port: int) -> bool:
    """True when nothing listens on host:port yet."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
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
) -> int:
    """Build once, then serve `out` on host:port and rebuild on every change to content or templates."""
    from livereload import Server

    if not port_is_free(host, port):
        free = next((p for p in range(port + 1, port + 50) if port_is_free(host, p)), None)
        hint = f"; try --port {free}" if free else ""
        print(f"python build.py: port {port} on {host} is already in use{hint}", file=stderr)
        return 1

    def rebuild() -> bool:
        try:
            built = pipeline.build(content, out, templates, shown=shown, base_url=base_url)
        except ContentError as error:
            print("\n".join(report_lines(error.problems)) + "; still serving the last good build", file=stderr)
            return False
        print(f"Rebuilt {out}: {built.files} files.", file=stdout, flush=True)
        return True

    try:
        rebuild()
    except OutputRefusedError as refused:
        print(f"python build.py: {refused}", file=stderr)
        return 1
    out.mkdir(parents=True, exist_ok=True)
    server = Server()
    for folder in (content, templates):
        server.watch(str(folder), rebuild)
    print(f"Serving {out} at http://{host}:{port}/ (Ctrl+C to stop)", file=stdout, flush=True)
    server.serve(root=str(out), host=host, port=port, restart_delay=0)
    return 0
