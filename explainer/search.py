"""Search: the Pagefind index of the rendered pages, made in memory (path -> bytes, under pagefind/).

Searched: every article, note and topic page (its <main>); not the lists, the side-by-side pages
(they repeat the articles' text) or the 404 page. On an article page, the margin notes are not
searched as they are shown: each annotated passage becomes a section of the page's searched text
instead, headed by the passage's words, holding its annotation's comment, with the passage's
anchor (`p-<passage id>`) as the heading's id. Pagefind makes every such heading a sub-result
whose address is the passage itself, so a search for words of a comment or a passage leads to
the exact passage. (A custom record per passage would do the same, but the index of 1,000
articles then has 20,000 more files and takes about twice as long to make.)

Pagefind's binary runs as a service that takes pages over a pipe and hands the index files back.
The pagefind package's own Python client for it is not used: it reads one answer per tenth of a
second (13.5 s just to send the Syria site's 133 pages; this module makes the whole index in
0.6 s), and it hangs for good when the answer holding the index is over its 2 MiB limit on a read
from the pipe (the index of 1,000 articles is 12.5 MB). This module speaks the same protocol
(base64-encoded JSON messages, each followed by a comma), with a thread writing the requests while
the answers are read, so neither pipe can fill up and stall the other.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import itertools
import json
import subprocess
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path, PurePosixPath
from typing import IO, Any

from .markup import MarkdownRenderer
from .model import Site
from .problems import ContentError, Problem
from .render import RELATION_LABELS, article_path, site_pages

INDEX_FOLDER = "pagefind"
INDEXED_KINDS = ("article", "note", "topic")
# Not searched as a page's own text: an article's margin notes (each passage's annotation is a
# section of its own instead), what a capture left out (a site's furniture), hints and links
# repeated on every page, and what screen readers skip too (the relations' symbols).
EXCLUDED = (".margin-notes", ".omitted", ".hint", ".in-original", '[aria-hidden="true"]')
# Pagefind's ready-made interfaces and its highlighting script: the search page has its own.
UNUSED = ("pagefind-ui.", "pagefind-modular-ui.", "pagefind-component-ui.", "pagefind-highlight.")
TIMEOUT = 600.0  # seconds: 1,000 articles index in well under a minute
INSTALL_HINT = "install the requirements: python -m pip install -r requirements.txt"
END_OF_MAIN = b"</main>"


class SearchError(ContentError):
    """Pagefind could not make the search index; reported like content problems, all at once."""


@dataclass(frozen=True)
class SearchInput:
    """Everything the index is made from: equal inputs give byte-identical indexes."""

    language: str
    pages: tuple[tuple[str, bytes], ...]  # (path, HTML) of every searched page, in site order
    passages: Mapping[str, str]  # article page path -> the HTML of its passages' sections


def indexed_pages(site: Site) -> list[str]:
    """The paths of the pages that are searched: articles, notes and topics."""
    return [page.path for page in site_pages(site) if page.kind in INDEXED_KINDS]


def is_index_file(path: str) -> bool:
    """True for a file of the search index (what index_files makes)."""
    return path.startswith(INDEX_FOLDER + "/")


def search_input(site: Site, pages: Mapping[str, bytes]) -> SearchInput:
    """What the index of `site` is made from, given (at least) every searched page's HTML."""
    return SearchInput(
        site.config.language, tuple((path, pages[path]) for path in indexed_pages(site)), passage_sections(site)
    )


def passage_sections(site: Site) -> dict[str, str]:
    """For each article page, a searched section per annotated passage, in text order: its words and its comment."""
    markdown = MarkdownRenderer("", {slug: note.title for slug, note in site.notes.items()})
    sections: dict[str, str] = {}
    for slug, passage_ids in site.passages_by_article.items():
        parts = []
        for passage_id in passage_ids:
            passage = site.passages[passage_id]
            annotation = site.annotations[passage.annotation]
            relation = RELATION_LABELS[annotation.relation][0]
            heading = f"{quoted(passage.exact, 100)} (annotated: {relation})"
            comment = markdown(annotation.comment) if annotation.comment else ""
            parts.append(f'<section><h2 id="p-{escape(passage.id)}">{escape(heading)}</h2>{comment}</section>\n')
        if parts:
            sections[article_path(slug)] = "".join(parts)
    return sections


def index_files(site: Site, pages: Mapping[str, bytes], binary: Path | None = None) -> dict[str, bytes]:
    """The search index of `site`, given (at least) every searched page's HTML: path -> bytes, under pagefind/."""
    return make_index(search_input(site, pages), binary)


def make_index(source: SearchInput, binary: Path | None = None, timeout: float = TIMEOUT) -> dict[str, bytes]:
    """Run Pagefind over the pages; raises SearchError, naming what failed, when it cannot."""
    config = {
        "root_selector": "main",
        "exclude_selectors": list(EXCLUDED),
        "force_language": source.language,
        "keep_index_url": True,
        "write_playground": False,
    }
    problems = [
        Problem(path, 0, "the page has no </main>, after which its passages' sections are searched")
        for path, html in source.pages
        if path in source.passages and END_OF_MAIN not in html
    ]
    if problems:
        raise SearchError(problems)

    def payload(path: str, html: bytes) -> dict[str, Any]:
        sections = source.passages.get(path)
        if sections:
            end = html.rindex(END_OF_MAIN)
            html = html[:end] + sections.encode("utf-8") + html[end:]
        return {"type": "AddFile", "url": f"/{path}", "file_path": None, "file_contents": html.decode("utf-8")}

    requests = [(path, functools.partial(payload, path, html)) for path, html in source.pages]
    files = _run_service(binary or _binary(), config, requests, timeout)
    index: dict[str, bytes] = {}
    for name, content in sorted(files.items()):
        parts = PurePosixPath(name).parts
        if not parts or PurePosixPath(name).is_absolute() or ".." in parts:
            raise _error(f"Pagefind made a file outside its folder: {name!r}")
        if not name.startswith(UNUSED):
            index[f"{INDEX_FOLDER}/{name}"] = content
    return index


def quoted(text: str, limit: int) -> str:
    """Words in quotation marks (unless they already start with one), clipped at a word when longer than `limit`."""
    if len(text) > limit:
        text = text[:limit].rsplit(" ", 1)[0] + "…"
    return text if text[:1] in "\"“‘'" else f"“{text}”"


def _binary() -> Path:
    """Where Pagefind's binary is: the pagefind package finds the one its [bin] extra installed."""
    try:
        from pagefind.service import get_executable
    except ImportError:
        raise _error(f"the pagefind package is not installed; {INSTALL_HINT}") from None
    found = get_executable()
    if found is None:
        raise _error(f"Pagefind's binary is not installed; {INSTALL_HINT}")
    return found


def _run_service(
    binary: Path,
    config: Mapping[str, Any],
    requests: Sequence[tuple[str, Callable[[], dict[str, Any]]]],
    timeout: float,
) -> dict[str, bytes]:
    """Start Pagefind's service, make one index, send it every request, and return the index's files.

    `requests` are (the page it is about, a function making it): made as they are sent, so the
    whole encoded site is never in memory at once. A failing request is a problem at its page.
    """
    try:
        process = subprocess.Popen(
            [str(binary), "--service"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
    except OSError as error:
        raise _error(f"cannot run Pagefind ({binary}): {error}; {INSTALL_HINT}") from None
    stdin, stdout, stderr = process.stdin, process.stdout, process.stderr
    assert stdin is not None and stdout is not None and stderr is not None
    said: list[bytes] = []
    drain = threading.Thread(target=lambda: said.append(stderr.read()), daemon=True)
    drain.start()
    expired = threading.Event()

    def expire() -> None:
        expired.set()
        process.kill()

    timer = threading.Timer(timeout, expire)  # a Pagefind that hangs must not hang the build
    timer.daemon = True  # nor keep a program that is ending waiting for it
    timer.start()
    writer = None
    finished = False
    try:
        answers = _answers(stdout)
        _send(stdin, [_message(0, {"type": "NewIndex", "config": dict(config)})])
        first = next(answers, None)
        if first is None:
            raise _error(_stopped(process, said, drain, expired, timeout, "before it started an index"))
        if first["payload"].get("type") != "NewIndex":
            raise _error(f"Pagefind could not start an index: {first['payload'].get('message', first)}")
        index_id = first["payload"]["index_id"]
        last = len(requests) + 1
        messages = itertools.chain(
            (_message(n, {**make(), "index_id": index_id}) for n, (_, make) in enumerate(requests, 1)),
            [_message(last, {"type": "GetFiles", "index_id": index_id})],
        )
        writer = threading.Thread(target=_send, args=(stdin, messages), daemon=True)
        writer.start()
        problems: list[Problem] = []
        for answer in answers:
            number, payload = answer.get("message_id"), answer["payload"]
            if payload.get("type") == "Error":
                about = requests[number - 1][0] if isinstance(number, int) and 0 < number < last else INDEX_FOLDER
                problems.append(Problem(about, 0, f"Pagefind could not index it: {payload.get('message')}"))
            if number == last:
                break
        else:
            raise _error(_stopped(process, said, drain, expired, timeout, "before it made the index"))
        finished = True
        if problems:
            raise SearchError(problems)
        return {file["path"]: base64.b64decode(file["content"]) for file in payload["files"]}
    except (KeyError, TypeError, ValueError) as error:  # ValueError: also bad JSON and bad base64
        raise _error(f"Pagefind answered something unreadable: {error!r}") from None
    finally:
        timer.cancel()
        _close(process, writer, drain, finished)


def _error(message: str) -> SearchError:
    return SearchError([Problem(INDEX_FOLDER, 0, message)])


def _message(number: int, payload: Mapping[str, Any]) -> bytes:
    return base64.b64encode(json.dumps({"message_id": number, "payload": payload}).encode("utf-8")) + b","


def _send(stream: IO[bytes], messages: Iterable[bytes]) -> None:
    """Write messages to Pagefind; a closed pipe means it stopped, which the reader reports."""
    try:
        for message in messages:
            stream.write(message)
        stream.flush()
    except (OSError, ValueError):
        pass


def _answers(stream: IO[bytes]) -> Iterator[dict[str, Any]]:
    """Pagefind's answers as they arrive, until it stops."""
    pending: list[bytes] = []
    while chunk := stream.read1(1 << 20):  # type: ignore[attr-defined]
        *complete, rest = chunk.split(b",")
        for piece in complete:
            pending.append(piece)
            yield json.loads(base64.b64decode(b"".join(pending)))
            pending = []
        pending.append(rest)


def _stopped(
    process: subprocess.Popen[bytes],
    said: list[bytes],
    drain: threading.Thread,
    expired: threading.Event,
    timeout: float,
    when: str,
) -> str:
    """Why Pagefind stopped answering: it ran out of time, or it exited (with what it printed)."""
    if expired.is_set():
        return f"Pagefind did not finish within {timeout:g} s and was stopped"
    code = process.wait()
    drain.join(timeout=5)
    printed = b"".join(said).decode("utf-8", "replace").strip()
    return f"Pagefind stopped {when} (exit status {code})" + (f": {printed}" if printed else "")


def _close(
    process: subprocess.Popen[bytes], writer: threading.Thread | None, drain: threading.Thread, finished: bool
) -> None:
    """Let Pagefind's service end (it ends when its input does); stop it at once when it did not finish."""
    if not finished:
        process.kill()  # first: the writer may be blocked on a full pipe that nobody reads any more
    if writer is not None:
        writer.join(timeout=10)
    with contextlib.suppress(OSError):
        process.stdin.close()  # type: ignore[union-attr]
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    drain.join(timeout=10)
    process.stdout.close()  # type: ignore[union-attr]
    process.stderr.close()  # type: ignore[union-attr]
