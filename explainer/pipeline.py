"""The build pipeline end to end: load -> resolve -> render -> write."""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import functools
import gc
import itertools
import time
import traceback
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from . import search
from .incremental import Changes, Rendered, digesting, file_digest, render_all, render_changes, site_wide_paths
from .load import Content, Theme, load_content, load_theme, reload_content
from .markup import MarkdownRenderer, keep_conversions, kept_conversions
from .model import Site
from .parallel import File
from .problems import ContentError, Problem
from .progress import Progress
from .render import (
    Renderers,
    make_environment,
    markdown_renderers,
    site_file_pieces,
    site_pages,
    stream_site,
    template_cache,
)
from .resolve import Resolution, resolution, resolve
from .write import OutputChangedError, Staged, check_output, discard, stage_files, update_site, write_site

if TYPE_CHECKING:
    import jinja2  # imported by rendering, once Pagefind has started


@dataclass(frozen=True)
class Built:
    """What a build produced."""

    site: Site
    files: int
    bytes: int
    paths: frozenset[str] = frozenset()  # every file written


def check(content: Path, shown: str | None = None, base_url: str | None = None) -> Site:
    """Load and resolve a content folder; raises ContentError listing every problem."""
    return resolve(load_content(content, shown), base_url)


def build(
    content: Path,
    out: Path,
    templates: Path,
    *,
    shown: str | None = None,
    base_url: str | None = None,
    progress: Progress | None = None,
    cache: Path | None = None,
) -> Built:
    """Build the site from `content` into `out`; nothing is written unless every step succeeds.

    `cache` is a folder where compiled templates, search indexes and Markdown conversions are kept from one
    build to the next.
    """
    if progress:
        progress.begin("check", 0)
    check_output(out, _protected(content, templates))
    site = check(content, shown, base_url)
    return_freed_memory()
    written = write_site(out, built_files(site, load_theme(templates), progress, cache))
    if progress:
        progress.finish()
    return Built(site, written.files, written.bytes, written.paths)


SEARCH_ROOT = "../"  # the search documents' links are not searched: any root does; the note pages' is kept


def return_freed_memory() -> None:
    """Hand back to the system the memory freed but kept by C's allocator (glibc's), where there is such a call.

    Reading and resolving free the content's text and work once the model is made, in pieces
    among what is kept: glibc keeps those pages, and a 10,000-article build would render, and
    run Pagefind beside it, holding 180 MB it no longer uses.
    """
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):  # not glibc: nothing to do
        return
    trim(0)


def built_files(
    site: Site, theme: Theme, progress: Progress | None = None, cache: Path | None = None
) -> Iterator[tuple[str, bytes | Iterable[bytes]]]:
    """Every file of the built site as it is made (not held): pages, data files and assets, then the search index.

    Pagefind starts on the search documents first and makes the index while the pages are
    rendered; a failure or an early stop stops it too. `cache` is a folder where compiled
    templates, search indexes and the search documents' Markdown conversions are kept for the next build.
    """
    markdown_by_root = markdown_renderers(site)
    # The search documents convert Markdown before Pagefind can start: what an earlier build converted is known.
    markdown = markdown_by_root(SEARCH_ROOT)
    conversions_file = kept_conversions(cache, markdown)
    # The documents are written for Pagefind as they are made, and not held: Pagefind reads them from its folder.
    with search.start_index(search.search_input(site, markdown, held=False), cache=cache) as indexing:
        # Jinja is imported and the templates compiled once Pagefind is at work.
        renderers = Renderers(make_environment(theme, template_cache(cache)), markdown_by_root)
        if progress:
            progress.begin("pages", len(site_pages(site)))
        for path, data in stream_site(site, theme, renderers=renderers, beside_index=indexing.running):
            if progress and path.endswith(".html"):
                progress.advance()
            indexing.advance()  # a large site's next part starts as soon as the one before is done
            yield path, data
        if conversions_file is not None:
            keep_conversions(conversions_file, markdown)  # after the pages: it is no longer in the way
        if progress:
            progress.begin("search", 0)
        yield from indexing.files().items()


@dataclass(frozen=True)
class PreviewState:
    """What the preview keeps from one build to the next."""

    content: Content | None = None  # what was read last, so a change re-reads only its files
    theme: Theme | None = None  # the templates and assets read last
    rendered: Rendered | None = None  # the last good build: what the output folder holds
    searched: str | None = None  # the fingerprint of what the search index in the output folder was made from
    resolution: Resolution | None = None  # the last resolve: the next one redoes only what changed since
    markdown: MarkdownRenderer | None = None  # the search documents' converter, kept while the notes' titles are


@dataclass(frozen=True)
class PreviewBuild:
    """One preview build: the state to continue from, and what it did or what is wrong."""

    state: PreviewState
    site: Site | None  # None when the build failed
    problems: tuple[Problem, ...]  # why it failed (content or templates); () when it succeeded
    rendered: tuple[str, ...] = ()  # pages rendered
    written: tuple[str, ...] = ()  # files written (new or changed)
    removed: tuple[str, ...] = ()  # files deleted
    full: bool = False  # every file was written (the first build, or the folder had changed)
    seconds: tuple[tuple[str, float], ...] = ()  # time per step
    interrupted: bool = False  # preview_index left the search index for later, as it was asked to


def preview_build(
    state: PreviewState,
    content: Path,
    out: Path,
    templates: Path,
    changed: Collection[Path],
    *,
    shown: str,
    base_url: str | None,
    origin: str | None,
    writing: AbstractContextManager[Any] | None = None,
    search_now: bool = True,
    cache: Path | None = None,
) -> PreviewBuild:
    """Bring the preview's output up to date after `changed` files changed (all of them on the first build).

    Re-reads only changed content files, resolves, renders only the pages the change affects (all
    of them when a template changed) and writes only files whose bytes changed. On problems it
    writes nothing and keeps the last good build. `writing` is held while files are written (a
    server reading the folder then never sees half an update). Raises OutputRefusedError for a
    folder that is not ours. Then it brings the search index up to date (preview_index), unless
    `search_now` is False: the caller then runs preview_index itself, e.g. once browsers reloaded,
    and the site-wide files (data files, sitemap) wait for it too. `cache` is where the search
    index's parts are kept between builds (see search.start_index).
    """
    import jinja2

    writing = writing or contextlib.nullcontext()
    marks = [("", time.perf_counter())]

    def lap(step: str) -> None:
        marks.append((step, time.perf_counter()))

    root = content.resolve()
    edited = [path for path in changed if path.resolve().is_relative_to(root)]
    loaded = (
        state.content
        if state.content is not None and not edited
        else reload_content(state.content, content, edited, shown)
    )
    theme_changed = state.theme is None or any(path.resolve().is_relative_to(templates.resolve()) for path in changed)
    theme = state.theme
    resolved = state.resolution
    try:
        if theme is None or theme_changed:
            theme = load_theme(templates)
        lap("read")
        resolved = resolution(loaded, base_url, resolved)
        if resolved.site is None:
            raise ContentError(resolved.problems)
        site = served_site(resolved.site, origin)
        lap("resolve")
    except ContentError as error:
        failed = dataclasses.replace(state, content=loaded, theme=theme, resolution=resolved)
        return PreviewBuild(failed, None, error.problems)
    except (OSError, UnicodeDecodeError) as error:
        # No theme kept: the next build reads the templates again, until they can be read.
        unread = dataclasses.replace(state, content=loaded, theme=None)
        return PreviewBuild(unread, None, (Problem(str(templates), 0, f"cannot read the templates: {error}"),))
    kept = dataclasses.replace(state, content=loaded, theme=theme, resolution=resolved)
    try:
        if state.rendered is not None:
            previous = state.rendered
            # The changed files are written beside their places, STAGED_BYTES at a time; then all renamed into place.
            staged: dict[str, Staged] = {}

            def stage(files: Iterator[tuple[str, bytes]]) -> None:
                for batch in _batches(files, STAGED_BYTES):
                    pieces = ((path, (data,)) for path, data in batch)
                    staged.update((file.path, file) for file in stage_files(out, pieces, previous.digests.keys()))

            try:
                # Without search_now, the site-wide files wait for preview_index too: the pages come first.
                rendered, changes = _keeping_index(
                    previous, *render_changes(previous, site, theme, stage, site_wide=search_now)
                )
                lap("render")
                with writing:
                    update_site(out, staged, changes.removed, previous.digests.keys())
                staged.clear()  # each is in its place now
                lap("write")
                built = PreviewBuild(
                    dataclasses.replace(kept, rendered=rendered),
                    site,
                    (),
                    changes.rendered,
                    tuple(sorted(changes.written)),
                    changes.removed,
                    seconds=_steps(marks),
                )
                return _then_index(built, out, writing, cache) if search_now else built
            except OutputChangedError:
                pass  # someone else wrote into the folder, or removed it: write the whole site
            finally:
                discard(staged.values(), out)  # those not renamed into place (a template failed)
        check_output(out, _protected(content, templates))
        fresh, source = _search_source(PreviewState(loaded, theme, resolution=resolved), site)
        # Pagefind makes the index while the pages are rendered, as in `build`.
        with _IndexBeside(source, cache) as indexing:
            # Rendered and written together; only the swap into place waits for the server's readers.
            rendered = render_all(
                site, theme, lambda files: write_site(out, indexing.advancing(files), swapping=writing)
            )
            lap("render and write")
            fresh = dataclasses.replace(fresh, rendered=rendered)
            made = indexing.files()
            if made is not None:
                fresh = _write_index(fresh, out, writing, made, search.fingerprint(source)).state
                lap("search")
    except jinja2.TemplateError as error:
        return PreviewBuild(kept, None, (template_problem(error, templates),))
    assert fresh.rendered is not None
    built = PreviewBuild(
        fresh,
        site,
        (),
        tuple(rendered.reads),
        tuple(sorted(fresh.rendered.digests)),
        (),
        full=True,
        seconds=_steps(marks),
    )
    return _then_index(built, out, writing, cache) if search_now else built


STAGED_BYTES = 256 << 20  # changed files held before they are written beside their places (a template change: all)
# Files made one at a time between renders were slower on this machine's disk: every page of 1,000 articles took
# 9.0-12.0 s, against 7.0-7.3 s with every page held; in bursts of this size, 7.2-10.1 s (noisy runs, on a disk
# later found to slow down for minutes after files are deleted: docs/performance.md, Measuring). Batches also
# bound the memory a template change holds.


def _batches(files: Iterable[tuple[str, bytes]], limit: int) -> Iterator[list[tuple[str, bytes]]]:
    """`files` in lists of about `limit` bytes (the last one shorter), each made as the files come."""
    batch: list[tuple[str, bytes]] = []
    size = 0
    for path, data in files:
        batch.append((path, data))
        size += len(data)
        if size >= limit:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


class _IndexBeside:
    """Pagefind making the index while a full preview build renders the pages.

    A failure is not the build's: the index is then left for preview_index, which tries again and
    says what is wrong.
    """

    def __init__(self, source: search.SearchInput, cache: Path | None) -> None:
        try:
            self._job: search.IndexJob | None = search.start_index(source, cache=cache)
        except search.SearchError:
            self._job = None

    def __enter__(self) -> _IndexBeside:
        return self

    def __exit__(self, *_: object) -> None:
        if self._job is not None:
            self._job.stop()

    def advancing(self, files: Iterable[File]) -> Iterator[File]:
        """`files`, passed on as they come; meanwhile each part starts once the one before is done."""
        for file in files:
            if self._job is not None:
                try:
                    self._job.advance()
                except search.SearchError:
                    self._job.stop()
                    self._job = None
            yield file

    def files(self) -> dict[str, bytes] | None:
        """The index's files, once Pagefind is done; None when it failed."""
        if self._job is None:
            return None
        try:
            return self._job.files()
        except search.SearchError:
            return None


def preview_index(
    state: PreviewState,
    out: Path,
    *,
    writing: AbstractContextManager[Any] | None = None,
    interrupted: Callable[[], bool] | None = None,
    cache: Path | None = None,
) -> PreviewBuild:
    """Bring what a build may leave for later up to date: the site-wide files, then the search index.

    The site-wide files (data files, sitemap) are made again and written when their bytes changed.
    Pagefind runs only when a search document changed (a template change never changes one).
    Only files whose bytes changed are written, through update_site, with `writing` held. A
    Pagefind failure is reported as a problem. `interrupted`, asked before each step and while
    Pagefind runs, can have the rest left for later (another save is waiting for its build): the
    state then says the index is still to be made, and the result is marked `interrupted`. Parts of
    the index kept in `cache` (a folder) are not made again.
    """
    rendered = state.rendered
    if rendered is None:
        return PreviewBuild(state, None, ())
    if interrupted is not None and interrupted():
        return PreviewBuild(state, rendered.site, (), interrupted=True)
    started = time.perf_counter()
    written: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    data_step: tuple[tuple[str, float], ...] = ()
    if not rendered.site_wide:
        try:
            refreshed, written, removed = _update_site_wide(rendered, out, writing, interrupted)
        except OutputChangedError:
            # Someone else wrote into the folder: the next build writes the whole site.
            return PreviewBuild(dataclasses.replace(state, searched=None), rendered.site, ())
        except _InterruptedError:
            return PreviewBuild(state, rendered.site, (), interrupted=True)
        state = dataclasses.replace(state, rendered=refreshed)
        data_step = (("data", time.perf_counter() - started),)
    indexed = _index(state, out, writing, interrupted, cache)
    if not indexed.interrupted:  # when it is, the next build is waiting
        # A full garbage collection of a large site's model takes a quarter of a second: have it now,
        # after the reload, rather than in the middle of the next save's rebuild.
        gc.collect()
    return dataclasses.replace(
        indexed,
        written=tuple(sorted({*written, *indexed.written})),
        removed=removed + indexed.removed,
        seconds=(*data_step, *indexed.seconds),
    )


class _InterruptedError(Exception):
    """A step was given up because `interrupted` said so."""


def _update_site_wide(
    rendered: Rendered,
    out: Path,
    writing: AbstractContextManager[Any] | None,
    interrupted: Callable[[], bool] | None,
) -> tuple[Rendered, tuple[str, ...], tuple[str, ...]]:
    """Write the site-wide files (data files, sitemap) whose bytes changed: the new state, what was written, removed.

    Each file is written beside its place as it is made, never held whole, and those that changed
    are renamed into place together, with `writing` held. `interrupted` is asked between pieces:
    when it says so, _InterruptedError is raised, nothing having changed in the output folder.
    """
    digests = dict(rendered.digests)
    made = site_file_pieces(rendered.site, [page.path for page in rendered.pages])
    pieces = (
        (path, digesting(_asking(interrupted, data), functools.partial(digests.__setitem__, path)))
        for path, data in made
    )
    previous = rendered.digests.keys()
    changed: dict[str, Staged] = {}
    try:
        for file in stage_files(out, pieces, previous):
            if digests[file.path] == rendered.digests.get(file.path):
                discard([file], out)
            else:
                changed[file.path] = file
        gone = site_wide_paths(rendered, search.is_index_file) - digests.keys()
        removed = tuple(sorted(gone))
        if changed or removed:
            with writing or contextlib.nullcontext():
                update_site(out, changed, removed, previous)
        written = tuple(sorted(changed))
        changed.clear()  # each is in its place now
    finally:
        discard(changed.values(), out)  # those not renamed into place
    for path in removed:
        del digests[path]
    return dataclasses.replace(rendered, digests=digests, site_wide=True), written, removed


def _asking(interrupted: Callable[[], bool] | None, pieces: Iterable[bytes]) -> Iterator[bytes]:
    """`pieces`, until `interrupted` says to give up: then _InterruptedError."""
    for piece in pieces:
        if interrupted is not None and interrupted():
            raise _InterruptedError
        yield piece


def _index(
    state: PreviewState,
    out: Path,
    writing: AbstractContextManager[Any] | None,
    interrupted: Callable[[], bool] | None = None,
    cache: Path | None = None,
) -> PreviewBuild:
    """Bring the search index in the output up to date with the pages the last build wrote (unless interrupted)."""
    rendered = state.rendered
    assert rendered is not None
    started = time.perf_counter()
    state, source = _search_source(state, rendered.site)
    searched = search.fingerprint(source)
    if searched == state.searched:
        return PreviewBuild(state, rendered.site, ())
    try:
        files = search.make_index(source, cache=cache, interrupted=interrupted)
    except search.SearchError as error:
        return PreviewBuild(state, None, error.problems)
    except search.IndexInterruptedError:
        return PreviewBuild(state, rendered.site, (), interrupted=True)
    indexed = _write_index(state, out, writing, files, searched)
    return dataclasses.replace(indexed, seconds=(("search", time.perf_counter() - started),))


def _search_source(state: PreviewState, site: Site) -> tuple[PreviewState, search.SearchInput]:
    """What the index of `site` is made from, with the state keeping the converter that made it."""
    titles = {slug: note.title for slug, note in site.notes.items()}
    markdown = state.markdown
    if markdown is None or markdown.note_titles != titles:  # titles are the text of [[links]]: convert anew
        markdown = MarkdownRenderer("", titles)
        state = dataclasses.replace(state, markdown=markdown)
    return state, search.search_input(site, markdown)


def _write_index(
    state: PreviewState,
    out: Path,
    writing: AbstractContextManager[Any] | None,
    files: Mapping[str, bytes],
    searched: str,
) -> PreviewBuild:
    """Write the index `files` made from the documents whose fingerprint is `searched`, where their bytes changed."""
    rendered = state.rendered
    assert rendered is not None
    changed = {path: data for path, data in files.items() if rendered.digests.get(path) != file_digest(data)}
    removed = tuple(sorted(path for path in rendered.digests if search.is_index_file(path) and path not in files))
    try:
        with writing or contextlib.nullcontext():
            update_site(out, changed, removed, rendered.digests.keys())
    except OutputChangedError:
        # Someone else wrote into the folder: the next build writes the whole site, then indexes it again.
        return PreviewBuild(dataclasses.replace(state, searched=None), rendered.site, ())
    digests = {path: digest for path, digest in rendered.digests.items() if path not in removed}
    digests.update((path, file_digest(data)) for path, data in changed.items())
    return PreviewBuild(
        dataclasses.replace(state, rendered=dataclasses.replace(rendered, digests=digests), searched=searched),
        rendered.site,
        (),
        written=tuple(sorted(changed)),
        removed=removed,
    )


def _then_index(
    built: PreviewBuild, out: Path, writing: AbstractContextManager[Any], cache: Path | None
) -> PreviewBuild:
    """A build followed by preview_index, as one: what both wrote, and the index's problems if it failed."""
    indexed = preview_index(built.state, out, writing=writing, cache=cache)
    return dataclasses.replace(
        built,
        state=indexed.state,
        site=indexed.site and built.site,
        problems=indexed.problems,
        written=tuple(sorted({*built.written, *indexed.written})),
        removed=built.removed + indexed.removed,
        seconds=built.seconds + indexed.seconds,
    )


def _keeping_index(previous: Rendered, rendered: Rendered, changes: Changes) -> tuple[Rendered, Changes]:
    """Keep the search index's files, which rendering does not make (preview_index replaces them)."""
    index = {path: digest for path, digest in previous.digests.items() if search.is_index_file(path)}
    removed = tuple(path for path in changes.removed if path not in index)
    return (
        dataclasses.replace(rendered, digests={**rendered.digests, **index}),
        dataclasses.replace(changes, removed=removed),
    )


def served_site(site: Site, origin: str | None) -> Site:
    """The site as the preview at `origin` serves it: a known base_url keeps its path on the preview's host.

    So the preview's links behave as the published site's do (under the same path), and its
    404 page and other absolute links point at the preview rather than the published site.
    """
    if origin is None or not site.config.base_url:
        return site
    path = urlsplit(site.config.base_url).path or "/"
    config = dataclasses.replace(site.config, base_url=origin.rstrip("/") + path)
    return dataclasses.replace(site, config=config)


def template_problem(error: jinja2.TemplateError, templates: Path) -> Problem:
    """A template error as a problem: at its template and line when Jinja knows them."""
    import jinja2

    if isinstance(error, jinja2.TemplateSyntaxError) and error.name:
        return Problem(str(templates / error.name), error.lineno, f"template syntax error: {error.message}")
    lines = [frame.lineno for frame in traceback.extract_tb(error.__traceback__) if frame.filename == "<template>"]
    where = f" (line {lines[-1]} of a template)" if lines else ""
    return Problem(str(templates), 0, f"template error: {error}{where}")


def _protected(content: Path, templates: Path) -> dict[str, Path]:
    return {"content folder": content, "templates folder": templates, "home folder": Path.home()}


def _steps(marks: list[tuple[str, float]]) -> tuple[tuple[str, float], ...]:
    """The time each step took, from the moments each ended (the first mark is the start)."""
    return tuple((step, end - start) for (_, start), (step, end) in itertools.pairwise(marks))
