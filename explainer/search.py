"""Search: the Pagefind index of the site's articles, notes and topics (path -> bytes, under pagefind/).

What is searched is written for the index from the site's model, not taken from the pages: each
article, note and topic becomes a small search document holding only its searched text.
Pagefind's time and memory grow with the HTML it parses, not with the words it keeps, and a
page's margin notes, links and lists are most of its bytes and none of its searched words (for
1,000 articles: documents of 14 MB instead of pages of 82 MB, indexed in 3 s instead of 14 s, in
half the memory).

- An article: its title, outlet, author and date; its paragraphs (subheadings at their anchors,
  `para-<n>`); then a section per annotated passage, headed by the passage's words at the
  passage's anchor (`p-<passage id>`), holding its annotation's comment.
- A note: its title, kind, summary, other names, date and text.
- A topic: its title and summary; then a section per annotation at its anchor (`ann-<id>`):
  its relation and passages' words as heading, and its comment.

Pagefind makes every heading with an id a sub-result whose address is that anchor, so a search
for words of a comment or a passage leads to the exact passage.

Pagefind's command-line program indexes the documents, written to a temporary folder, in a
process of its own: start_index starts it before the pages are rendered, and IndexJob.files
collects the index after, so both go on at once. Pagefind holds a whole index in memory while it
makes it (about a third of a megabyte per article), so a large site is indexed in parts of at
most PART_DOCUMENTS documents, one after the other, each a Pagefind index of its own in a folder
of pagefind/ that the search page merges into the first (Pagefind's mergeIndex); PARTS_FILE lists
them. A build with a cache folder keeps the parts of the last few indexes there, each under a
digest of what it was made from, so that a part whose documents did not change (a new stylesheet,
the same content built again, an edit to documents in another part) is taken from there instead
of running Pagefind on it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

from markupsafe import Markup

from .cache import keep, private_folder, read_kept
from .markup import MarkdownRenderer
from .model import Site
from .problems import ContentError, Problem
from .render import RELATION_LABELS, article_path, format_date, note_path, topic_path

INDEX_FOLDER = "pagefind"
PARTS_FILE = "parts.json"  # in INDEX_FOLDER: the folders of the parts after the first, for the search page
PART_DOCUMENTS = 1000  # documents per index: Pagefind needs about 350 MB for 1,000 documents (articles of 800 words)
# Pagefind's ready-made interfaces and its highlighting script: the search page has its own.
UNUSED = ("pagefind-ui.", "pagefind-modular-ui.", "pagefind-component-ui.", "pagefind-highlight.")
# The search page loads Pagefind's script, and Pagefind starts its worker, from the first part only.
FIRST_PART_ONLY = ("pagefind.js", "pagefind-worker.js")
TIMEOUT = 600.0  # seconds for one part: 2,000 documents index in well under a minute
INSTALL_HINT = "install the requirements: python -m pip install -r requirements.txt"
DOCUMENTS_FOLDER = "documents"  # in a part's temporary folder: the search documents, at their pages' paths
OUTPUT_FOLDER = "index"  # in a part's temporary folder: what Pagefind makes
LOG_FILE = "pagefind.log"  # in a part's temporary folder: what Pagefind printed
INTERRUPTION_POLL = 0.05  # seconds between asking whether to give up, while Pagefind runs


class SearchError(ContentError):
    """Pagefind could not make the search index; reported like content problems, all at once."""


class IndexInterruptedError(Exception):
    """Making the index was given up when asked to (Pagefind stopped, its folder removed)."""


@dataclass(frozen=True)
class SearchInput:
    """Everything the index is made from: equal inputs give byte-identical indexes."""

    language: str
    # (page path, its search document's HTML), in site order: held, or each made as it is read (search_input).
    documents: Collection[tuple[str, str]]
    text_length: int = 0  # about how long the documents' text is, in characters (0: not known)


def indexed_pages(site: Site) -> list[str]:
    """The paths of the pages that are searched: articles, notes and topics, in site order."""
    return [
        *(article_path(slug) for slug in site.articles),
        *(note_path(slug) for slug in site.notes),
        *(topic_path(slug) for slug in site.topics),
    ]


def is_index_file(path: str) -> bool:
    """True for a file of the search index (what make_index makes)."""
    return path.startswith(INDEX_FOLDER + "/")


def search_input(site: Site, markdown: Callable[[str], Markup] | None = None, held: bool = True) -> SearchInput:
    """What the index of `site` is made from: the search document of every searched page.

    `markdown` converts the comments, summaries and notes' text (the pages' own converter, so that
    each is converted once); links in it are not searched, so where they lead does not matter.
    Unless `held`, each document is made as it is read, and not kept: a build reads them once, to
    write them for Pagefind, and a large site's documents (134 MB for 10,000 articles) are then
    never all in memory.
    """
    markdown = markdown or MarkdownRenderer("", {slug: note.title for slug, note in site.notes.items()})
    documents = _Documents(site, markdown)
    length = sum(len(article.text) for article in site.articles.values())
    length += sum(len(note.body) for note in site.notes.values())
    length += sum(len(annotation.comment) for annotation in site.annotations.values())
    return SearchInput(site.config.language, tuple(documents) if held else documents, length)


@dataclass(frozen=True)
class _Documents(Collection[tuple[str, str]]):
    """The search documents of a site, made each time they are read."""

    site: Site
    markdown: Callable[[str], Markup]

    def __len__(self) -> int:
        return len(self.site.articles) + len(self.site.notes) + len(self.site.topics)

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return zip(indexed_pages(self.site), _documents(self.site, self.markdown), strict=True)

    def __contains__(self, item: object) -> bool:
        return any(document == item for document in self)


def _documents(site: Site, markdown: Callable[[str], Markup]) -> Iterator[str]:
    """The search documents of the articles, notes and topics, in the order of indexed_pages."""
    for slug, article in site.articles.items():
        byline = ", ".join(part for part in (article.outlet, article.author, format_date(article.published)) if part)
        parts = [f"<h1>{escape(article.title)}</h1>\n<p>{escape(byline)}</p>\n"]
        for paragraph in article.paragraphs:
            words = escape(article.text[paragraph.start : paragraph.end])
            parts.append(
                f'<h2 id="para-{paragraph.number}">{words}</h2>\n' if paragraph.heading else f"<p>{words}</p>\n"
            )
        for passage_id in site.passages_by_article[slug]:
            passage = site.passages[passage_id]
            annotation = site.annotations[passage.annotation]
            heading = f"{quoted(passage.exact, 100)} (annotated: {RELATION_LABELS[annotation.relation][0]})"
            comment = markdown(annotation.comment) if annotation.comment else ""
            parts.append(f'<section><h2 id="p-{escape(passage.id)}">{escape(heading)}</h2>{comment}</section>\n')
        yield _page(site, article.title, parts)
    for note in site.notes.values():
        facts = [note.kind.capitalize() if note.kind else "Note", note.summary, ", ".join(note.aliases)]
        facts.append(format_date(note.date))
        parts = [f"<h1>{escape(note.title)}</h1>\n"]
        parts.extend(f"<p>{escape(fact)}</p>\n" for fact in facts if fact)
        parts.append(markdown(note.body))
        yield _page(site, note.title, parts)
    for topic in site.topics.values():
        parts = [f"<h1>{escape(topic.title)}</h1>\n", markdown(topic.summary) if topic.summary else ""]
        for annotation_id in topic.annotations:
            annotation = site.annotations[annotation_id]
            quotes = "; ".join(quoted(passage.exact, 100) for passage in annotation.passages)
            heading = f"{RELATION_LABELS[annotation.relation][0]}: {quotes}"
            comment = markdown(annotation.comment) if annotation.comment else ""
            parts.append(f'<section><h2 id="ann-{escape(annotation.id)}">{escape(heading)}</h2>{comment}</section>\n')
        yield _page(site, topic.title, parts)


def _page(site: Site, title: str, parts: Sequence[str]) -> str:
    return (
        f'<!DOCTYPE html>\n<html lang="{escape(site.config.language)}"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title></head>\n<body><main>\n{''.join(parts)}</main></body></html>\n"
    )


def quoted(text: str, limit: int) -> str:
    """Words in quotation marks (unless they already start with one), clipped at a word when longer than `limit`."""
    if len(text) > limit:
        text = text[:limit].rsplit(" ", 1)[0] + "…"
    return text if text[:1] in "\"“‘'" else f"“{text}”"


def part_folder(number: int) -> str:
    """The folder of an index's part (from 0) within the site: the first is INDEX_FOLDER, the others in it."""
    return INDEX_FOLDER if number == 0 else f"{INDEX_FOLDER}/part-{number + 1}"


def make_index(
    source: SearchInput,
    binary: Path | None = None,
    timeout: float = TIMEOUT,
    cache: Path | None = None,
    interrupted: Callable[[], bool] | None = None,
) -> dict[str, bytes]:
    """Run Pagefind over the documents and wait for it; raises SearchError, naming what failed, when it cannot.

    While Pagefind runs, `interrupted` is asked every INTERRUPTION_POLL seconds whether to give
    up; when it says so, Pagefind is stopped and IndexInterruptedError raised.
    """
    with start_index(source, binary, timeout, cache=cache) as job:
        return job.files(interrupted)


def start_index(
    source: SearchInput,
    binary: Path | None = None,
    timeout: float = TIMEOUT,
    part_documents: int | None = None,
    cache: Path | None = None,
) -> IndexJob:
    """Write the documents to a temporary folder and start Pagefind on the first part; IndexJob.files finishes.

    The documents are read once, and held only until their part is complete, which then asks the
    cache before anything of it is written. With `cache` (a folder, see cache.private_folder), a
    part made before from the very same documents, by the same Pagefind with the same settings, is
    taken from there instead, and a part made now is kept there for next time.
    """
    program = binary or _binary()
    part_documents = part_documents or PART_DOCUMENTS
    # Pagefind refuses to make an index of nothing: a site with nothing to search has no index.
    parts = -(-len(source.documents) // part_documents)
    expected = TEMPORARY_BYTES_PER_CHARACTER * source.text_length
    job = IndexJob(program, None, source.language, parts, timeout, expected_bytes=expected)
    try:
        cache = private_folder(cache)
        held: list[tuple[str, str]] = []
        for path, html in source.documents:
            held.append((path, html))
            if len(held) == part_documents:
                job.add_part(held, cache)
                held = []
        if held:
            job.add_part(held, cache)
        if job.folder is None:  # every part was kept: still clear away the folders of killed builds
            _remove_abandoned(temporary_base(expected))
        job.start_next()
    except BaseException:
        job.stop()
        raise
    return job


TEMPORARY_PREFIX = "explainer-search-"  # then the build's process id: explainer-search-<pid>-<random>
# Pagefind's documents and its output came to 4.2 bytes per character of the texts searched (1,000 articles).
TEMPORARY_BYTES_PER_CHARACTER = 5
MEMORY_FOLDER = Path("/dev/shm")  # Linux's file system in memory, for every user: its files never reach a disk
MEMORY_FOLDER_BYTES = 128 << 20  # the most Pagefind's work may take there (about 6,000 articles of 800 words)


def temporary_folder(expected_bytes: int = 0) -> Path:
    """A new private folder for Pagefind's work (and the folders of killed builds, left behind, are removed)."""
    base = temporary_base(expected_bytes)
    _remove_abandoned(base)
    try:
        return Path(tempfile.mkdtemp(prefix=f"{TEMPORARY_PREFIX}{os.getpid()}-", dir=base))
    except OSError as error:
        raise _error(f"cannot make a temporary folder for Pagefind: {error.strerror or error}") from None


def temporary_base(expected_bytes: int) -> Path:
    """Where Pagefind's temporary folder is made: in memory for a small site, unless told otherwise.

    Pagefind's thousands of small files, made and read once, are made in the folder of a file
    system in memory when there is one with room to spare (four times what the work is expected
    to take) and the work is small (MEMORY_FOLDER_BYTES): on a disk each file may cost a
    millisecond. A folder named by TMPDIR, TEMP or TMP is always used.
    """
    memory = MEMORY_FOLDER
    named = any(os.environ.get(name) for name in ("TMPDIR", "TEMP", "TMP"))
    if not named and 0 < expected_bytes <= MEMORY_FOLDER_BYTES:
        with contextlib.suppress(OSError):
            if (
                memory.is_dir()
                and os.access(memory, os.W_OK | os.X_OK)
                and shutil.disk_usage(memory).free >= 4 * expected_bytes
            ):
                return memory
    return Path(tempfile.gettempdir())


def _remove_abandoned(base: Path) -> None:
    """Remove this user's temporary folders of builds whose process is gone (killed: it could not remove them)."""
    if os.name != "posix":  # process ids are asked about with kill(pid, 0), which only POSIX leaves harmless
        return
    try:
        entries = list(os.scandir(base))
    except OSError:
        return
    for entry in entries:
        pid = entry.name.removeprefix(TEMPORARY_PREFIX).split("-", 1)[0]
        if not entry.name.startswith(TEMPORARY_PREFIX) or not pid.isdigit() or _running(int(pid)):
            continue
        with contextlib.suppress(OSError):
            if entry.is_dir(follow_symlinks=False) and entry.stat(follow_symlinks=False).st_uid == os.getuid():  # ours
                shutil.rmtree(entry.path, ignore_errors=True)


def _running(pid: int) -> bool:
    """True unless no process has this id (one of another user's is running too)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


@dataclass
class IndexJob:
    """Pagefind making an index, part after part, in processes of its own; `files` waits for it and collects it.

    The temporary folder holds one folder per part: its documents, Pagefind's output and log.
    `advance`, called while the pages are rendered, starts each part as soon as the one
    before is done. A job is ended by `files` or `stop` (as a context manager, on leaving it): the
    folder is removed and a Pagefind still running is stopped.
    """

    binary: Path
    folder: Path | None  # None until a part is written; stays None when every part is kept from earlier builds
    language: str
    parts: int
    timeout: float
    expected_bytes: int = 0  # about how much room the documents and Pagefind's output take
    _added: int = 0  # how many parts add_part was given
    _made: list[int] = field(default_factory=list)  # the parts Pagefind makes, in order (the others were kept)
    _keep_in: dict[int, Path] = field(default_factory=dict)  # where to keep each part made, for the next build
    _running: subprocess.Popen[bytes] | None = None
    _started: float = 0.0
    _next: int = 0  # in _made: the next part to start
    _collected: dict[str, bytes] = field(default_factory=dict)

    def __enter__(self) -> IndexJob:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    def add_part(self, documents: Sequence[tuple[str, str]], cache: Path | None = None) -> None:
        """The next part's documents: taken from `cache` if it kept that part, else written for Pagefind to make."""
        number = self._added
        self._added += 1
        if cache is not None:
            digest = _Fingerprint(self.language, len(documents))
            for path, html in documents:
                digest.add(path, html)
            kept = cache / f"{KEPT_PREFIX}{_index_key(digest, self.language, self.binary)}{KEPT_SUFFIX}"
            earlier = _read_kept(kept)
            if earlier is not None:
                self._collect(number, earlier)
                return
            self._keep_in[number] = kept
        self.write_part(number, documents)
        self._made.append(number)

    def write_part(self, number: int, documents: Sequence[tuple[str, str]]) -> None:
        """Write a part's documents in its folder, for Pagefind (the temporary folder is made with the first)."""
        if self.folder is None:
            self.folder = temporary_folder(self.expected_bytes)
        folder = self._part(number) / DOCUMENTS_FOLDER
        try:
            for path, html in documents:
                file = folder / path
                file.parent.mkdir(parents=True, exist_ok=True)
                file.write_text(html, encoding="utf-8")
        except OSError as error:
            raise _error(f"cannot write the search documents in {self.folder}: {error.strerror or error}") from None

    def start_next(self) -> None:
        """Start Pagefind on the next part it makes, if any is left."""
        if self._next == len(self._made):
            self._running = None
            return
        part = self._part(self._made[self._next])
        self._next += 1
        command = [str(self.binary), *_arguments(self.language)]
        # Pagefind reads settings from its working folder and from PAGEFIND_* variables: it gets neither.
        environment = {name: value for name, value in os.environ.items() if not name.startswith("PAGEFIND_")}
        with open(part / LOG_FILE, "wb") as log:
            try:
                self._running = subprocess.Popen(
                    command, cwd=part, env=environment, stdin=subprocess.DEVNULL, stdout=log, stderr=log
                )
            except OSError as error:
                raise _error(f"cannot run Pagefind ({self.binary}): {error}; {INSTALL_HINT}") from None
        self._started = time.monotonic()

    @property
    def running(self) -> bool:
        """Whether Pagefind is at work (not when the index was kept from an earlier build, nor once it is done)."""
        return self._running is not None

    def advance(self) -> None:
        """Without waiting: when the running part is done, collect it and start the next (call it often)."""
        if self._running is not None and self._running.poll() is not None:
            self._finish_part()
            self.start_next()

    def files(self, interrupted: Callable[[], bool] | None = None) -> dict[str, bytes]:
        """Wait for every part, and return the index's files; raises SearchError when Pagefind failed.

        With `interrupted`, asked while waiting: IndexInterruptedError once it says to give up.
        """
        try:
            while self._running is not None:
                self._finish_part(interrupted)
                self.start_next()
            if self.parts:
                self._collected[f"{INDEX_FOLDER}/{PARTS_FILE}"] = _parts_file(self.parts)
            return dict(sorted(self._collected.items()))
        finally:
            self.stop()

    def _finish_part(self, interrupted: Callable[[], bool] | None = None) -> None:
        """Wait for the running part (asking `interrupted`, when given, whether to give up), and collect its files."""
        process = self._running
        assert process is not None
        number = self._made[self._next - 1]
        part = self._part(number)
        deadline = self._started + self.timeout
        while True:
            if interrupted is not None and interrupted():
                raise IndexInterruptedError
            left = max(0.0, deadline - time.monotonic())
            try:
                status = process.wait(left if interrupted is None else min(left, INTERRUPTION_POLL))
                break
            except subprocess.TimeoutExpired:
                if time.monotonic() >= deadline:
                    raise _error(f"Pagefind did not finish within {self.timeout:g} s and was stopped") from None
        if status != 0:
            printed = (part / LOG_FILE).read_text("utf-8", "replace").strip()
            raise _error(f"Pagefind failed (exit status {status})" + (f": {printed}" if printed else ""))
        output = part / OUTPUT_FOLDER
        if not output.is_dir():
            raise _error("Pagefind finished without making an index")
        made = {}
        for file in sorted(output.rglob("*")):
            name = file.relative_to(output).as_posix()
            if file.is_symlink() or not (file.is_file() or file.is_dir()):
                raise _error(f"Pagefind made something that is not a file: {name!r}")
            if file.is_file() and not name.startswith(UNUSED):
                made[name] = file.read_bytes()
        self._collect(number, made)
        if number in self._keep_in:
            _keep(self._keep_in[number], made, KEPT_INDEXES * self.parts)  # the parts of the last few indexes

    def _collect(self, number: int, made: Mapping[str, bytes]) -> None:
        """Take a part's files (by their paths in the part) into the index, in the part's folder."""
        prefix = part_folder(number)
        for name, data in made.items():
            if not (number and name in FIRST_PART_ONLY):
                self._collected[f"{prefix}/{name}"] = data

    def _part(self, number: int) -> Path:
        """A part's folder in the temporary folder: its documents, Pagefind's output and log."""
        assert self.folder is not None, "a part is written before it is made, and a kept index has no parts"
        return self.folder / str(number)

    def stop(self) -> None:
        """Stop Pagefind if it is still running, and remove the temporary folder."""
        process, self._running = self._running, None
        if process is not None and process.poll() is None:
            process.kill()
            process.wait()
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)


KEPT_PREFIX, KEPT_SUFFIX = "search-", ".index"  # the names of the index parts kept in the cache folder
KEPT_INDEXES = 4  # the cache folder keeps as many parts as this many indexes of the site have: the most recently used
_KEPT_HEADER = b"explainer search part 1\n"  # an index part's files, by their paths within the part


def fingerprint(source: SearchInput) -> str:
    """A digest of everything the index is made from: equal digests, byte-identical indexes (from one Pagefind)."""
    digest = _Fingerprint(source.language, len(source.documents))
    for path, html in source.documents:
        digest.add(path, html)
    return digest.hexdigest()


class _Fingerprint:
    """The fingerprint of search documents, taken one document at a time."""

    def __init__(self, language: str, documents: int) -> None:
        self._digest = hashlib.sha256(f"{language}\0{documents}".encode())

    def add(self, path: str, html: str) -> None:
        self._digest.update(f"\0{len(path)}:{path}\0{len(html)}:".encode())
        self._digest.update(html.encode("utf-8"))

    def hexdigest(self) -> str:
        return self._digest.hexdigest()


def _index_key(documents: _Fingerprint, language: str, binary: Path) -> str:
    """What an index part is made from, as a digest: its documents, Pagefind (its binary, as installed) and settings."""
    try:
        installed = binary.stat()
        identity = (str(binary.resolve()), installed.st_size, installed.st_mtime_ns)
    except OSError:
        identity = (str(binary), 0, 0)
    made_by = repr((identity, _arguments(language), documents.hexdigest()))
    return hashlib.sha256(made_by.encode("utf-8")).hexdigest()


def _read_kept(file: Path) -> dict[str, bytes] | None:
    """An index part kept by _keep, or None when there is none or it is not whole (then Pagefind makes it again)."""
    data = read_kept(file)
    if data is None or not data.startswith(_KEPT_HEADER):
        return None
    files: dict[str, bytes] = {}
    at = len(_KEPT_HEADER)
    try:
        while at < len(data):
            end = data.index(b"\n", at)
            sizes = data[at:end].split(b" ")
            path_size, size = int(sizes[0]), int(sizes[1])
            path = data[end + 1 : end + 1 + path_size].decode("utf-8")
            start = end + 1 + path_size
            names = path.split("/")
            if len(sizes) != 2 or start + size > len(data) or "" in names or ".." in names or "." in names:
                return None
            files[path] = data[start : start + size]
            at = start + size
    except (ValueError, IndexError, UnicodeDecodeError):
        return None
    return files


def _keep(file: Path, files: Mapping[str, bytes], count: int) -> None:
    """Keep an index part in the cache folder for the next build, and only the `count` most recently used parts."""
    parts = [_KEPT_HEADER]
    for path, data in files.items():
        name = path.encode("utf-8")
        parts += [f"{len(name)} {len(data)}\n".encode(), name, data]
    keep(file, b"".join(parts), count)


def _arguments(language: str) -> list[str]:
    """Pagefind's command-line arguments, in a part's folder."""
    return [
        "--site",
        DOCUMENTS_FOLDER,
        "--output-path",
        OUTPUT_FOLDER,
        "--root-selector",
        "main",
        "--force-language",
        language,
        "--keep-index-url",
    ]


def _parts_file(parts: int) -> bytes:
    """The list of the parts the search page merges into the first: their folders relative to the first's."""
    later = [part_folder(number).removeprefix(INDEX_FOLDER + "/") + "/" for number in range(1, parts)]
    return (json.dumps(later) + "\n").encode("utf-8")


def _binary() -> Path:
    """Where Pagefind's binary is: PAGEFIND_BINARY_PATH, or the one the pagefind package's [bin] extra installed.

    As the pagefind package finds it, without importing its client (which takes longer than the
    Syria site takes to index).
    """
    named = os.environ.get("PAGEFIND_BINARY_PATH")
    if named is not None:
        return Path(named)
    try:
        from pagefind_bin import get_executable
    except ImportError:
        try:
            from pagefind.service import get_executable
        except ImportError:
            raise _error(f"the pagefind package is not installed; {INSTALL_HINT}") from None
    try:
        found = get_executable()
    except FileNotFoundError:
        found = None
    if found is None:
        raise _error(f"Pagefind's binary is not installed; {INSTALL_HINT}")
    return Path(found)


def _error(message: str) -> SearchError:
    return SearchError([Problem(INDEX_FOLDER, 0, message)])
