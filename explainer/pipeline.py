"""The build pipeline end to end: load -> resolve -> render -> write."""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import time
import traceback
from collections.abc import Collection
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2

from .incremental import Rendered, render_all, render_changes
from .load import Content, Theme, load_content, load_theme, reload_content
from .model import Site
from .problems import ContentError, Problem
from .render import render_site
from .resolve import resolve
from .write import OutputChangedError, check_output, update_site, write_site


@dataclass(frozen=True)
class Built:
    """What a build produced."""

    site: Site
    files: int
    bytes: int


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
) -> Built:
    """Build the site from `content` into `out`; nothing is written unless every step succeeds."""
    check_output(out, _protected(content, templates))
    site = check(content, shown, base_url)
    files = render_site(site, load_theme(templates))
    written = write_site(out, files)
    return Built(site, len(files), written)


@dataclass(frozen=True)
class PreviewState:
    """What the preview keeps from one build to the next."""

    content: Content | None = None  # what was read last, so a change re-reads only its files
    theme: Theme | None = None  # the templates and assets read last
    rendered: Rendered | None = None  # the last good build: what the output folder holds


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
) -> PreviewBuild:
    """Bring the preview's output up to date after `changed` files changed (all of them on the first build).

    Re-reads only changed content files, resolves, renders only the pages the change affects (all
    of them when a template changed) and writes only files whose bytes changed. On problems it
    writes nothing and keeps the last good build. `writing` is held while files are written (a
    server reading the folder then never sees half an update). Raises OutputRefusedError for a
    folder that is not ours.
    """
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
    try:
        if theme is None or theme_changed:
            theme = load_theme(templates)
        lap("read")
        site = served_site(resolve(loaded, base_url), origin)
        lap("resolve")
    except ContentError as error:
        return PreviewBuild(dataclasses.replace(state, content=loaded, theme=theme), None, error.problems)
    except (OSError, UnicodeDecodeError) as error:
        # No theme kept: the next build reads the templates again, until they can be read.
        unread = PreviewState(loaded, None, state.rendered)
        return PreviewBuild(unread, None, (Problem(str(templates), 0, f"cannot read the templates: {error}"),))
    kept = PreviewState(loaded, theme, state.rendered)
    try:
        if state.rendered is not None:
            rendered, changes = render_changes(state.rendered, site, theme)
            lap("render")
            try:
                with writing:
                    update_site(out, changes.files, changes.removed, state.rendered.digests.keys())
                lap("write")
                return PreviewBuild(
                    PreviewState(loaded, theme, rendered),
                    site,
                    (),
                    changes.rendered,
                    tuple(sorted(changes.files)),
                    changes.removed,
                    seconds=_steps(marks),
                )
            except OutputChangedError:
                pass  # someone else wrote into the folder, or removed it: write the whole site
        check_output(out, _protected(content, templates))
        rendered, files = render_all(site, theme)
        lap("render")
        with writing:
            write_site(out, files)
        lap("write")
    except jinja2.TemplateError as error:
        return PreviewBuild(kept, None, (template_problem(error, templates),))
    return PreviewBuild(
        PreviewState(loaded, theme, rendered),
        site,
        (),
        tuple(rendered.reads),
        tuple(sorted(files)),
        (),
        full=True,
        seconds=_steps(marks),
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
