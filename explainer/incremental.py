"""Incremental rendering: after a change, render again only the pages the change affects.

Every page is rendered with a view of the Site that records what the page reads: a value by key
(an article, a note, the passages of one article, ...), the order of a mapping's keys, or a whole
mapping; Markdown records the notes its [[links]] name, whose titles it shows. After a change, the
old and new Site are compared item by item, and a page is rendered again when something it read
changed. The page's bytes are then what a full build gives, because everything a page is made from
comes through that view (or is the page's own path, or the theme, whose change renders everything).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from .load import Theme
from .model import Site
from .render import Page, Renderers, make_renderers, render_page, site_file_pieces, site_files, site_pages
from .resolve import WIKI_LINK

if TYPE_CHECKING:
    import jinja2

Read = tuple[Any, ...]  # ('config',) | (field, 'key', key) | (field, 'order') | (field, 'all')
MAPPINGS = tuple(f.name for f in dataclasses.fields(Site) if f.name != "config")
PAGE_KEYS = frozenset({"articles", "notes", "topics", "pairs"})  # the Site's mappings whose keys name pages
_MISSING = object()


@dataclass(frozen=True)
class Rendered:
    """What the last good render left: the site and theme it came from, what each page read, every file's digest."""

    site: Site
    theme: Theme
    env: jinja2.Environment  # made for `theme`: the next render reuses its compiled templates
    reads: Mapping[str, frozenset[Read]]  # page path -> what rendering it read
    digests: Mapping[str, bytes]  # every file of the build -> a digest of its bytes
    pages: tuple[Page, ...]  # every page of the site (render.site_pages), for the next render to reuse
    site_wide: bool = True  # the site-wide files in `digests` are those of `site` (False: they are still to make)


@dataclass(frozen=True)
class Changes:
    """What a render changed: files new or different, files gone, and the pages it rendered."""

    written: tuple[str, ...]  # files new or different, handed to render_changes' `write`
    removed: tuple[str, ...]
    rendered: tuple[str, ...]


@dataclass(frozen=True)
class SiteDiff:
    """Which parts of the Site differ between two builds."""

    config: bool
    keys: Mapping[str, frozenset[Any]]  # mapping field -> keys whose value differs (or that came or went)
    order: frozenset[str]  # mapping fields whose keys differ in order or membership

    def touches(self, reads: frozenset[Read]) -> bool:
        """True when a page that read `reads` may render differently now."""
        return not reads.isdisjoint(self.changed_reads)

    @functools.cached_property
    def changed_reads(self) -> frozenset[Read]:
        """Every read that sees a difference: a page is touched when it made one of them (a few set lookups)."""
        changed: set[Read] = {("config",)} if self.config else set()
        for name, keys in self.keys.items():
            if keys or name in self.order:
                changed.add((name, "all"))
            if name in self.order:
                changed.add((name, "order"))
            changed.update((name, "key", key) for key in keys)
        return frozenset(changed)

    @property
    def empty(self) -> bool:
        """True when the two sites are the same."""
        return not self.config and not self.order and not any(self.keys.values())


def render_all(
    site: Site, theme: Theme, write: Callable[[Iterator[tuple[str, bytes | Iterator[bytes]]]], object]
) -> Rendered:
    """Render every file of the site (the same bytes as render.render_site), recording what each page read.

    Each file is handed to `write` as it is made, never all held at once: at 10,000 articles they
    come to 2.6 GB. `write` must take them all.
    """
    renderers = make_renderers(site, theme)
    reads: dict[str, frozenset[Read]] = {}
    known: dict[Read, Read] = {}
    digests: dict[str, bytes] = {}
    pages = tuple(site_pages(site))

    def made() -> Iterator[tuple[str, bytes | Iterator[bytes]]]:
        for page in pages:
            data, reads[page.path] = _render_tracked(site, page, renderers, known)
            digests[page.path] = file_digest(data)
            yield page.path, data
        for path, pieces in site_file_pieces(site, [page.path for page in pages]):
            yield path, digesting(pieces, functools.partial(digests.__setitem__, path))
        for path, data in theme.assets.items():
            digests[path] = file_digest(data)
            yield path, data

    write(made())
    return Rendered(site, theme, renderers.env, reads, digests, pages)


def render_changes(
    previous: Rendered,
    site: Site,
    theme: Theme,
    write: Callable[[Iterator[tuple[str, bytes]]], object],
    site_wide: bool = True,
) -> tuple[Rendered, Changes]:
    """Render what changed since `previous`: pages whose reads changed, new pages, and the site-wide files.

    Each file whose bytes changed is handed to `write` as soon as it is made, never all held at
    once (after a template change that is every page); `write` must take them all. With
    `site_wide` False the site-wide files (data files, sitemap) are left as they were, for the
    preview to bring up to date later: on a large site they take longer than the pages.
    """
    diff = None if theme.templates != previous.theme.templates else diff_sites(previous.site, site)
    # The pages are made from the keys of these mappings alone: 6,841 of them at 1,000 articles take 10 ms to list.
    unmoved = diff is not None and diff.order.isdisjoint(PAGE_KEYS)
    pages = previous.pages if unmoved else tuple(site_pages(site))
    if diff is None:
        affected = pages  # the templates make every page
    else:
        affected = [
            page for page in pages if page.path not in previous.reads or diff.touches(previous.reads[page.path])
        ]
    renderers = make_renderers(site, theme, None if diff is None else previous.env)
    reads = {page.path: previous.reads[page.path] for page in pages if page.path in previous.reads}
    known: dict[Read, Read] = {}
    paths = [page.path for page in pages]
    made_wide = site_wide and (diff is None or not diff.empty)
    # Left as they were, the site-wide files are still the site's only when the site did not change.
    wide_current = made_wide or (diff is not None and diff.empty and previous.site_wide)
    if made_wide:
        wide = site_files(site, paths)
        current = {*paths, *wide, *theme.assets}
    else:
        wide = {}
        # Nothing in the site changed, so the site-wide files are those of the previous build.
        current = {*paths, *(set(previous.digests) - set(previous.reads) - set(previous.theme.assets)), *theme.assets}
    digests = {path: digest for path, digest in previous.digests.items() if path in current}
    written: list[str] = []

    def rendered() -> Iterator[tuple[str, bytes]]:
        for page in affected:
            data, reads[page.path] = _render_tracked(site, page, renderers, known)
            yield page.path, data

    def changed() -> Iterator[tuple[str, bytes]]:
        for path, data in itertools.chain(rendered(), wide.items(), theme.assets.items()):
            digest = file_digest(data)
            if digests.get(path) != digest:
                digests[path] = digest
                written.append(path)
                yield path, data

    write(changed())
    removed = tuple(sorted(set(previous.digests) - current))
    return Rendered(site, theme, renderers.env, reads, digests, pages, wide_current), Changes(
        tuple(written), removed, tuple(page.path for page in affected)
    )


def site_wide_paths(rendered: Rendered, index_file: Callable[[str], bool]) -> set[str]:
    """The site-wide files among `rendered`'s (neither pages, assets nor, as `index_file` tells, the search index's)."""
    kept = {*rendered.reads, *rendered.theme.assets}
    return {path for path in rendered.digests if path not in kept and not index_file(path)}


def diff_sites(old: Site, new: Site) -> SiteDiff:
    """Compare two sites item by item."""
    keys: dict[str, frozenset[Any]] = {}
    order: set[str] = set()
    for name in MAPPINGS:
        before, after = getattr(old, name), getattr(new, name)
        if list(before) != list(after):
            order.add(name)
        # Values a resolve reused are the same objects: `is` settles most of them without comparing.
        differ = {
            key
            for key, value in after.items()
            if (old_value := before.get(key, _MISSING)) is not value and old_value != value
        }
        differ.update(key for key in before if key not in after)
        keys[name] = frozenset(differ)
    return SiteDiff(old.config != new.config, keys, frozenset(order))


def _render_tracked(
    site: Site, page: Page, renderers: Renderers, known: dict[Read, Read]
) -> tuple[bytes, frozenset[Read]]:
    """Render one page through a recording view of the site; return its bytes and what it read.

    Each read is the one equal to it in `known` (where it is added if new): pages read the same
    items, and one tuple for each keeps 10,000 articles' reads about 150 MB smaller.
    """
    reads: set[Read] = set()

    def seen(text: str) -> None:
        # Rendered Markdown depends on its text and on the titles of the notes it links to.
        reads.update(("notes", "key", match.group(1).strip()) for match in WIKI_LINK.finditer(text))

    html = render_page(cast(Site, _TrackedSite(site, reads)), page, renderers, seen)
    return html.encode("utf-8"), frozenset([known.setdefault(read, read) for read in reads])


def file_digest(data: bytes) -> bytes:
    """What Rendered.digests keeps of a file's bytes."""
    return hashlib.blake2b(data, digest_size=DIGEST_SIZE).digest()


def digesting(pieces: Iterable[bytes], found: Callable[[bytes], None]) -> Iterator[bytes]:
    """`pieces`, passed on as they come; once the last has passed, `found` is given their file_digest."""
    hashed = hashlib.blake2b(digest_size=DIGEST_SIZE)
    for piece in pieces:
        hashed.update(piece)
        yield piece
    found(hashed.digest())


DIGEST_SIZE = 16


class _TrackedSite:
    """A Site that records what is read from it (for one page)."""

    def __init__(self, site: Site, reads: set[Read]) -> None:
        self._site = site
        self._reads = reads
        self._views: dict[str, _TrackedMapping] = {}

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._site, name)
        if name == "config":
            self._reads.add(("config",))
            return value
        if name not in self._views:
            self._views[name] = _TrackedMapping(name, value, self._reads)
        return self._views[name]


class _TrackedMapping(Mapping[Any, Any]):
    """One of the Site's mappings, recording what is read from it."""

    def __init__(self, name: str, mapping: Mapping[Any, Any], reads: set[Read]) -> None:
        self._name = name
        self._mapping = mapping
        self._reads = reads

    def __getitem__(self, key: Any) -> Any:
        self._reads.add((self._name, "key", key))
        return self._mapping[key]

    def __contains__(self, key: object) -> bool:
        self._reads.add((self._name, "key", key))
        return key in self._mapping

    def __iter__(self) -> Iterator[Any]:
        self._reads.add((self._name, "order"))
        return iter(self._mapping)

    def __len__(self) -> int:
        self._reads.add((self._name, "order"))
        return len(self._mapping)

    def values(self) -> Any:
        self._reads.add((self._name, "all"))
        return self._mapping.values()

    def items(self) -> Any:
        self._reads.add((self._name, "all"))
        return self._mapping.items()
