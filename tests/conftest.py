"""Shared fixtures: small content trees written into tmp_path."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"
SHARED = ROOT.parent / "shared"

# A small, valid content tree: two articles, two notes, one topic. Tests change one file at a time.
SAMPLE: dict[str, str] = {
    "site.yml": """\
        title: Sample explainer
        description: A small explainer used by the tests.
        language: en
        """,
    "articles/alpha.md": """\
        ---
        title: Jets fly sixty sorties
        outlet: Alpha News
        published: 2015-10-04
        ---
        Russian jets have flown “more than 60 sorties” since September 30, the general said.

        ## Strikes

        The strikes hit Idlib. The strikes hit Idlib again on Sunday.
        """,
    "articles/beta.md": """\
        ---
        title: Ministry counts the sorties
        outlet: Beta Daily
        published: 2015-10-05
        ---
        Jets flew over 60 sorties, the ministry said.

        Officials said the targets were terrorists.
        """,
    "notes/andrei-kartapolov.md": """\
        ---
        title: Andrei Kartapolov
        kind: person
        aliases: [Andre Kartapolov]
        summary: A Russian general who briefed journalists.
        ---
        He spoke about the campaign in [[idlib]].
        """,
    "notes/idlib.md": """\
        ---
        title: Idlib
        kind: place
        summary: A province in north-western Syria.
        ---
        A province; see [[andrei-kartapolov|the general]].
        """,
    "annotations/sorties.yml": """\
        title: Counting the sorties
        summary: What each source says about the *sorties*.
        annotations:
          - id: sixty-sorties
            relation: corroborates
            comment: Both give the same figure.
            notes: [andrei-kartapolov]
            passages:
              - article: alpha
                quote: more than 60 sorties
              - article: beta
                quote: over 60 sorties
          - id: idlib-strikes
            relation: context
            notes: [idlib]
            passages:
              - article: alpha
                quote: The strikes hit Idlib
                occurrence: 1
        """,
}

ContentMaker = Callable[..., Path]


def read_tree(folder: Path) -> dict[str, bytes | None]:
    """Every file's bytes and every folder (None), by path: two equal trees hold the same files and folders."""
    return {p.relative_to(folder).as_posix(): None if p.is_dir() else p.read_bytes() for p in sorted(folder.rglob("*"))}


def write_tree(root: Path, files: Mapping[str, str | bytes | None]) -> Path:
    """Write files (dedented text, or bytes as they are) under root; None leaves a file out."""
    for relative, body in files.items():
        if body is None:
            continue
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(body, bytes):
            path.write_bytes(body)
        else:
            path.write_text(textwrap.dedent(body), encoding="utf-8")
    return root


@pytest.fixture
def make_content(tmp_path: Path) -> ContentMaker:
    """Write the sample tree with some files replaced (or removed with None) and return its folder."""

    def make(changes: Mapping[str, str | bytes | None] | None = None, name: str = "content") -> Path:
        files: dict[str, str | bytes | None] = {**SAMPLE, **(changes or {})}
        return write_tree(tmp_path / name, files)

    return make


# Module scope: Playwright's sync API keeps an event loop running while it is open, which other
# modules' asyncio code (the preview's WebSocket tests) must not find.
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium (Debian's, driven by Playwright) per browser test module."""
    # Imported here: browser_support imports this module, and Playwright may not be installed yet.
    from .browser_support import CHROMIUM_ARGS, missing_tools
    from .tools import CHROMIUM

    problem = missing_tools()
    if problem:
        pytest.fail(problem, pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(autouse=True)
def _cache_in_a_temporary_folder(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Builds run by the tests keep their cache (cli.cache_folder) in a folder of the test session, not the user's."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "cache"))


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    """A fresh browser context (its own cookies, storage and cache) for one test, closed after it."""
    opened = browser.new_context()
    yield opened
    opened.close()
