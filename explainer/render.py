"""Render: turn the resolved Site into pages in memory (path -> bytes). Nothing is written here."""

from __future__ import annotations

import bisect
import contextlib
import dataclasses
import hashlib
import itertools
import operator
import types
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from markupsafe import Markup, escape

from . import export, parallel, schemas
from .cache import private_folder
from .fragments import remembering_links
from .load import Theme
from .markup import MarkdownRenderer
from .model import Annotation, Article, Mention, Note, Paragraph, Passage, Site, Topic

if TYPE_CHECKING:
    import jinja2  # imported where templates are made: a build has started Pagefind by then (25 ms sooner)

RELATION_LABELS = {
    "same-event": ("same event", "="),
    "same-statement": ("same statement", "\u201c\u201d"),
    "corroborates": ("corroborates", "\u2714"),
    "contradicts": ("contradicts", "\u2716"),
    "differs": ("differs", "\u2260"),
    "context": ("context", "i"),
    "correction": ("correction", "!"),
}
# Up to this many sources, the home page shows every source by every topic and the chooser every two
# sources; beyond it those tables would grow with the square of the content, so they list what there is.
FULL_TABLES_LIMIT = 12
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")  # fmt: skip


@dataclass(frozen=True)
class PageContext:
    """What every template gets, for a page at a given path."""

    path: str
    root: str  # relative path from the page to the site root: '' or '../'


def article_path(slug: str) -> str:
    """Where an article's page lives in the site."""
    return f"articles/{slug}.html"


def note_path(slug: str) -> str:
    """Where a note's page lives in the site."""
    return f"notes/{slug}.html"


def topic_path(slug: str) -> str:
    """Where a topic's page lives in the site."""
    return f"topics/{slug}.html"


def compare_path(first: str, second: str) -> str:
    """Where the side-by-side page of two articles lives (slugs in sorted order)."""
    a, b = sorted((first, second))
    return f"compare/{a}--{b}.html"


def format_date(value: str) -> str:
    """'2015-10-21' -> '21 October 2015'; '2015-10' -> 'October 2015'."""
    if not value:
        return ""
    parts = value.split("-")
    month = _MONTHS[int(parts[1]) - 1]
    return f"{int(parts[2])} {month} {parts[0]}" if len(parts) == 3 else f"{month} {parts[0]}"


TEMPLATE_OPTIONS = {"autoescape": True, "trim_blocks": True, "lstrip_blocks": True, "keep_trailing_newline": True}


def make_environment(theme: Theme, compiled: jinja2.BytecodeCache | None = None) -> jinja2.Environment:
    """A Jinja environment over the theme's templates: autoescaped, strict about undefined names.

    `compiled` (from template_cache) keeps compiled templates between builds.
    """
    import jinja2

    class QuicklyEscaped(jinja2.Template):
        """A template whose `{{ value }}` output is escaped by output_escape: the same text, made faster."""

        @classmethod
        def from_code(cls, environment: Any, code: Any, globals: Any, uptodate: Any = None) -> Any:
            template = super().from_code(environment, code, globals, uptodate)
            # The compiled module's functions (page, blocks, macros) share one namespace; Jinja's code
            # calls its `escape` on every value it writes out, and only there.
            template.root_render_func.__globals__["escape"] = output_escape
            return template

    # What templates call most: the functions of env.globals, Parts' methods, macros.
    plain_callables = frozenset({types.FunctionType, types.MethodType, types.BuiltinFunctionType, jinja2.runtime.Macro})

    class QuickCalls(jinja2.runtime.Context):
        """A template context that calls plain functions, methods and macros at once.

        Jinja's own call looks, on every call, for a wish to be passed the context, which such
        callables show by an attribute (jinja2.pass_context); the rest is as Jinja does it.
        """

        def call(self, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
            if type(obj) not in plain_callables or hasattr(obj, "jinja_pass_arg"):
                return super().call(obj, *args, **kwargs)
            if kwargs:  # Jinja passes the variables of loops and blocks, for callables that take the context
                kwargs.pop("_loop_vars", None)
                kwargs.pop("_block_vars", None)
            try:
                return obj(*args, **kwargs)
            except StopIteration:
                why = "value was undefined because a callable raised a StopIteration exception"
                return self.environment.undefined(why)

    env = jinja2.Environment(
        loader=jinja2.DictLoader(dict(theme.templates)),
        undefined=jinja2.StrictUndefined,
        bytecode_cache=compiled,
        **TEMPLATE_OPTIONS,  # type: ignore[arg-type]
    )
    env.template_class = QuicklyEscaped
    env.context_class = QuickCalls
    env.filters["date"] = format_date
    env.globals.update(
        article_path=article_path,
        note_path=note_path,
        topic_path=topic_path,
        compare_path=compare_path,
        relation_labels=RELATION_LABELS,
        excerpt=excerpt,
        original_link=remembering_links(),
    )
    return env


def template_cache(folder: Path | None) -> jinja2.BytecodeCache | None:
    """A cache of compiled templates in `folder`, or None when it cannot be used safely (cache.private_folder).

    Compiling the templates is most of the time a small site takes to render. A template is used
    from the cache only when its source is the same to the byte (Jinja compares a checksum), with
    the same Jinja and the same options (they name the cache's files).
    """
    import jinja2

    class CompiledTemplates(jinja2.FileSystemBytecodeCache):
        """Jinja's cache in a folder, where a file that cannot be read or written costs only time."""

        def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
            try:
                super().load_bytecode(bucket)
            except (OSError, ValueError, EOFError, TypeError):  # unreadable, or not what Jinja wrote
                bucket.reset()

        def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
            with contextlib.suppress(OSError):
                super().dump_bytecode(bucket)

    usable = private_folder(folder)
    if usable is None:
        return None
    options = repr((jinja2.__version__, sorted(TEMPLATE_OPTIONS.items())))
    key = hashlib.sha256(options.encode("utf-8")).hexdigest()[:16]
    return CompiledTemplates(str(usable), f"template-{key}-%s.cache")


@dataclass(frozen=True)
class Page:
    """One page of the site: where it goes, which template makes it, and what it shows."""

    path: str
    template: str
    kind: str  # the template's name without '.html'
    key: tuple[str, ...] = ()  # the article, note or topic slug, or the two article slugs of a compare page


@dataclass(frozen=True)
class Renderers:
    """What rendering pages needs besides the site: the Jinja environment, Markdown by page depth, shared parts."""

    env: jinja2.Environment
    markdown: Callable[[str], Callable[[str], Markup]]  # root ('', '../', or base_url) -> renderer
    shared: Memo = field(default_factory=lambda: Memo(SHARED_LIMITS))  # parts several pages show


# How many parts of each kind a render keeps for reuse: a paragraph set is an article's whole text.
SHARED_LIMITS = {"bare": 1024, "linked": 16384, "heading": 16384, "byline": 4096, "notes": 16384, "relation": 64}


class Memo:
    """Parts of pages that several pages show, made once and reused; the oldest are dropped beyond a limit per kind.

    A page using a part reads what the part is made from through its own site (so an incremental
    render records those reads) and gets the part only if it was made from those very objects.
    """

    def __init__(self, limits: Mapping[str, int]) -> None:
        self._limits = limits
        self._kept: dict[str, dict[Any, tuple[tuple[Any, ...], Any]]] = {kind: {} for kind in limits}

    def made(self, kind: str, key: Any, sources: tuple[Any, ...], make: Callable[[], Any]) -> Any:
        """The part of this kind and key made from `sources` (compared by identity), made now if need be."""
        kept = self._kept[kind]
        found = kept.get(key)
        if found is not None and len(found[0]) == len(sources) and all(map(operator.is_, found[0], sources)):
            return found[1]
        part = make()
        kept.pop(key, None)
        kept[key] = (sources, part)
        if len(kept) > self._limits[kind]:
            del kept[next(iter(kept))]  # pages are rendered in an order that uses a part soon after it is made
        return part


def site_pages(site: Site) -> list[Page]:
    """Every page of the site, in build order."""
    pages = [
        Page("index.html", "index.html", "index"),
        Page("sources.html", "sources.html", "sources"),
        Page("notes.html", "notes.html", "notes"),
        Page("compare/index.html", "compare-index.html", "compare-index"),
        Page("404.html", "404.html", "404"),
        Page("search.html", "search.html", "search"),
    ]
    pages += [Page(article_path(slug), "article.html", "article", (slug,)) for slug in site.articles]
    pages += [Page(note_path(slug), "note.html", "note", (slug,)) for slug in site.notes]
    pages += [Page(topic_path(slug), "topic.html", "topic", (slug,)) for slug in site.topics]
    pages += [
        Page(compare_path(first, second), "compare.html", "compare", (first, second)) for first, second in site.pairs
    ]
    return pages


def make_renderers(site: Site, theme: Theme, env: jinja2.Environment | None = None) -> Renderers:
    """A Jinja environment over the theme (or `env`, made earlier for it), and Markdown renderers by page depth."""
    return Renderers(env or make_environment(theme), markdown_renderers(site))


def markdown_renderers(site: Site) -> Callable[[str], MarkdownRenderer]:
    """The site's Markdown renderer for pages at a root ('', '../', or base_url), made when first asked for."""
    titles = {slug: note.title for slug, note in site.notes.items()}
    markdown: dict[str, MarkdownRenderer] = {}

    def renderer(root: str) -> MarkdownRenderer:
        if root not in markdown:
            markdown[root] = MarkdownRenderer(root, titles)
        return markdown[root]

    return renderer


def render_page(site: Site, page: Page, renderers: Renderers, seen: Callable[[str], None] | None = None) -> str:
    """One page's HTML; `seen`, when given, is told every Markdown text the page renders."""
    # The host serves 404.html at whatever path was missed, so it links absolutely when it can.
    root = (site.config.base_url or None) if page.kind == "404" else None
    relative = "../" * page.path.count("/")
    context = PageContext(path=page.path, root=relative if root is None else root)
    values = _page_values(site, page, renderers.shared)
    values.setdefault("description", site.config.description)
    md: Callable[[str], Markup] = renderers.markdown(context.root)
    if seen is not None:
        md = _telling(md, seen)
    parts = Parts(site, renderers.env, renderers.shared)
    return renderers.env.get_template(page.template).render(site=site, page=context, md=md, parts=parts, **values)


@dataclass(frozen=True)
class Parts:
    """The _macros.html parts that many pages show alike, each made once per render and reused.

    Each reads what its part is made from through the page's own site, so an incremental render
    records it, and reuses a part only when made from those very objects.
    """

    site: Site
    env: jinja2.Environment
    shared: Memo

    def relation(self, name: str) -> Markup:
        """A relation's badge."""
        return self.shared.made("relation", name, (), lambda: self._macros().relation(name))

    def annotation_heading(self, annotation: Annotation, root: str) -> Markup:
        """An annotation's heading on its sources' pages: its relation, and a link to it on its topic's page."""
        topic = self.site.topics[annotation.topic]
        return self.shared.made(
            "heading",
            (annotation.id, root),
            (annotation, topic),
            lambda: self._macros().annotation_heading(annotation, topic, root),
        )

    def byline(self, article: Article) -> Markup:
        """A source's outlet and date."""
        return self.shared.made("byline", article.slug, (article,), lambda: self._macros().byline(article))

    def note_list(self, slugs: Sequence[str], root: str) -> Markup:
        """A list of notes, each linked, with its summary."""
        notes = tuple(self.site.notes[slug] for slug in slugs)
        return self.shared.made(
            "notes", (tuple(slugs), root), notes, lambda: self._macros().note_list(self.site, slugs, root)
        )

    def _macros(self) -> Any:
        return self.env.get_template("_macros.html").module


def _telling(md: Callable[[str], Markup], seen: Callable[[str], None]) -> Callable[[str], Markup]:
    def render(text: str) -> Markup:
        seen(text)
        return md(text)

    return render


def _page_values(site: Site, page: Page, shared: Memo) -> dict[str, Any]:
    """What a page's template gets besides the site, the page and Markdown."""
    if page.kind == "index":
        full = len(site.articles) <= FULL_TABLES_LIMIT
        return {
            "matrix": _matrix(site) if full else None,
            "summary": None if full else _topic_summary(site),
            "timeline": _timeline(site),
            "notes_by_kind": _notes_by_kind(site),
        }
    if page.kind == "compare-index":
        return {"counterparts": None if len(site.articles) <= FULL_TABLES_LIMIT else _counterparts(site)}
    if page.kind == "notes":
        return {"notes_by_kind": _notes_by_kind(site)}
    if page.kind == "article":
        article = site.articles[page.key[0]]
        return {
            "article": article,
            "text": render_text(site, article),
            "annotations": [
                (
                    annotation,
                    [p for p in annotation.passages if p.article == article.slug],
                    [p for p in annotation.passages if p.article != article.slug],
                )
                for annotation in _annotations_of(site, article.slug)
            ],
            "description": " · ".join(filter(None, (article.outlet, format_date(article.published), article.title))),
        }
    if page.kind == "note":
        note = site.notes[page.key[0]]
        return {
            "note": note,
            "citing": _citing_by_article(site, note.slug),
            "mentioned": _mentions_by_article(site, note.slug),
            "description": note.summary or note.title,
        }
    if page.kind == "topic":
        topic = site.topics[page.key[0]]
        return {"topic": topic, "annotations": [site.annotations[i] for i in topic.annotations]}
    if page.kind == "compare":
        first, second = page.key
        ids = site.pairs[(first, second)]
        texts = [
            render_text(
                site,
                site.articles[slug],
                only=set(ids),
                href=_counterpart_link(site, other),
                paragraph_ids=f"{slug}-",
                shared=shared,
            )
            for slug, other in ((first, second), (second, first))
        ]
        return {
            "pair": (site.articles[first], site.articles[second]),
            "texts": texts,
            "shared": [
                (annotation, [(p, site.articles[p.article]) for p in annotation.passages if p.article in page.key])
                for annotation in (site.annotations[i] for i in ids)
            ],
        }
    return {}


def render_site(site: Site, theme: Theme) -> dict[str, bytes]:
    """Every page, data file and asset of the site, by path relative to the output folder."""
    made = {path: data if isinstance(data, bytes) else b"".join(data) for path, data in stream_site(site, theme)}
    # In the order of a build by one process: pages in site order, then the site-wide files and the assets.
    ordered = {page.path: made.pop(page.path) for page in site_pages(site)}
    return {**ordered, **made}


PARALLEL_PAGES = 100  # from this many pages, rendering in several processes saves more than starting them costs
# While Pagefind indexes beside the rendering it needs a core too: below this many pages, one rendering
# process (this one) finishes the build sooner (the Syria explainer's 134 pages by 35 ms, median of ten).
PARALLEL_PAGES_BESIDE_INDEX = 200
MEMORY_BUDGET = 1 << 30  # bytes a build keeps within, all its processes together (a large site renders in fewer)
FORKED_GROWTH = 1.25  # a forked process soon holds a copy of most of what it reads, and grows as it renders
CHUNK_PAGES = 16  # pages a process renders per turn: few enough that the processes finish together


def stream_site(
    site: Site,
    theme: Theme,
    processes: int | None = None,
    renderers: Renderers | None = None,
    beside_index: bool = False,
) -> Iterator[tuple[str, bytes | Iterable[bytes]]]:
    """Every file of render_site, handed on as it is made, not held: a large site's files need not fit in memory.

    The pages and data files are made in `processes` processes at once: this one and forked copies
    of it, which start with the resolved site without copying or pickling it. By default that is one
    per CPU this process may use from PARALLEL_PAGES pages on (PARALLEL_PAGES_BESIDE_INDEX when
    Pagefind runs `beside_index`), as many as MEMORY_BUDGET allows (each forked process comes to
    hold a copy of much of the site). Files come in no fixed order;
    each file's bytes are the same however many processes make them. A file in pieces (the data
    files) must be read to its end before the next file is asked for. `renderers` (from
    make_renderers) keep what was converted with them before.
    """
    renderers = renderers or make_renderers(site, theme)
    pages = site_pages(site)
    if processes is None:
        processes = _processes(len(pages), beside_index)
    for name in theme.templates:
        renderers.env.get_template(name)  # compiled once, before any fork, for every process

    def render(chunk: Sequence[Page]) -> Callable[[], Iterator[tuple[str, bytes]]]:
        return lambda: ((page.path, render_page(site, page, renderers).encode("utf-8")) for page in chunk)

    ordered = _render_order(site, pages)
    chunks = [render(ordered[at : at + CHUNK_PAGES]) for at in range(0, len(ordered), CHUNK_PAGES)]
    if processes > 1:
        # Comments and topic summaries show on many pages: converted once here, not once in each process.
        known = _converted(site, renderers, processes)
        renderers = dataclasses.replace(renderers, markdown=_knowing(renderers.markdown, "../", known))
    # The data files take longest: the first forked process makes them while the others start on the pages.
    yield from parallel.run(chunks, processes, pinned=[lambda: export.data_files(site)])
    yield from _page_list_files(site, [page.path for page in pages]).items()
    yield from theme.assets.items()


def site_files(site: Site, pages: Iterable[str]) -> dict[str, bytes]:
    """The files made from the whole site at once: sitemap (given every page's path), data files and schemas."""
    return {path: b"".join(pieces) for path, pieces in site_file_pieces(site, pages)}


def site_file_pieces(site: Site, pages: Iterable[str]) -> Iterator[tuple[str, Iterator[bytes]]]:
    """site_files, each file in pieces made as they are read: the data files run to hundreds of megabytes."""
    yield from export.data_files(site)
    for path, data in _page_list_files(site, pages).items():
        yield path, iter((data,))


def _processes(pages: int, beside_index: bool = False) -> int:
    """How many processes render `pages` pages: one per CPU from PARALLEL_PAGES pages on, as many as fit in memory."""
    if pages < (PARALLEL_PAGES_BESIDE_INDEX if beside_index else PARALLEL_PAGES):
        return 1
    resident = parallel.resident_bytes()
    fit = int(MEMORY_BUDGET // (resident * FORKED_GROWTH)) if resident else parallel.processes_available()
    return max(1, min(parallel.processes_available(), fit))


def _converted(site: Site, renderers: Renderers, processes: int) -> dict[str, Markup]:
    """The annotation comments and topic summaries as pages in folders show them, converted in `processes` processes."""
    convert = renderers.markdown("../")
    texts = {a.comment for a in site.annotations.values()} | {t.summary for t in site.topics.values()} - {""}
    # Those converted already with these renderers (for the search documents) are not converted again.
    texts = sorted(text for text in texts if not (isinstance(convert, MarkdownRenderer) and convert.has(text)))

    def task(chunk: Sequence[int]) -> Callable[[], Iterator[tuple[str, bytes]]]:
        return lambda: ((str(number), convert(texts[number]).encode("utf-8")) for number in chunk)

    numbers = range(len(texts))
    tasks = [task(numbers[at : at + MARKDOWN_CHUNK]) for at in range(0, len(texts), MARKDOWN_CHUNK)]
    made = parallel.run(tasks, processes)
    return {texts[int(number)]: Markup(html.decode("utf-8")) for number, html in made if isinstance(html, bytes)}


MARKDOWN_CHUNK = 64  # texts a process converts per turn


def _knowing(
    markdown: Callable[[str], Callable[[str], Markup]], root: str, known: Mapping[str, Markup]
) -> Callable[[str], Callable[[str], Markup]]:
    """`markdown`, whose renderer for pages at `root` gives the `known` conversions without converting again."""

    def renderer(at: str) -> Callable[[str], Markup]:
        convert = markdown(at)
        if at != root:
            return convert

        def known_or_converted(text: str) -> Markup:
            found = known.get(text)
            return convert(text) if found is None else found

        return known_or_converted

    return renderer


def _render_order(site: Site, pages: Sequence[Page]) -> list[Page]:
    """The pages in an order that reuses shared parts while they are kept: side-by-side pages by their sources.

    Sources near each other in the site's order (by date) are mostly of one story and share
    annotations; in the order of their slugs, they are not.
    """
    position = {slug: number for number, slug in enumerate(site.articles)}
    others = [page for page in pages if page.kind != "compare"]
    compared = [page for page in pages if page.kind == "compare"]
    return others + sorted(compared, key=lambda page: sorted(position[slug] for slug in page.key))


def _page_list_files(site: Site, pages: Iterable[str]) -> dict[str, bytes]:
    """The site-wide files besides the data files: the sitemap (given every page's path) and the schemas."""
    files = {}
    if site.config.base_url:
        files["sitemap.xml"] = sitemap(site.config.base_url, [p for p in pages if p != "404.html"]).encode("utf-8")
    files.update(schemas.published())  # editors' tools can point at the published copies
    return files


def sitemap(base_url: str, paths: Iterable[str]) -> str:
    """A sitemap.xml listing every page at its published address."""
    urls = "".join(f"<url><loc>{escape(base_url + path)}</loc></url>\n" for path in sorted(paths))
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n' + urls + "</urlset>\n"
    )


def render_text(
    site: Site,
    article: Article,
    *,
    only: set[str] | None = None,
    href: Callable[[Passage], str] | None = None,
    root: str = "../",
    paragraph_ids: str = "para-",
    shared: Memo | None = None,
) -> Markup:
    """The article's text as HTML, with every passage marked; its text content is Article.text.

    Overlapping passages are split into runs, each run marked with every passage covering it.
    `only` limits the marks to the passages of those annotation ids; `href` says where a passage
    links to (by default its annotation on the same page). The first mention of a note in each
    paragraph, outside the marked passages, links to the note. With `shared` (a render's parts),
    paragraphs holding none of the marked passages are made once for every page that shows them.
    """
    if only is None:
        passages = [site.passages[i] for i in site.passages_by_article[article.slug]]
    else:
        # Straight from the annotations: a page showing a few of an article's passages depends on those alone.
        passages = [p for i in only for p in site.annotations[i].passages if p.article == article.slug]
    link = href or (lambda passage: f"#ann-{passage.annotation}")
    mentions = site.mentions.get(article.slug, ())
    inside = _by_paragraph(article, passages)
    if shared is None:
        named = _by_paragraph_number(mentions)
        blocks = []
        for paragraph in article.paragraphs:
            marked, names = inside.get(paragraph.number, ()), named.get(paragraph.number, ())
            blocks.append(_paragraph(site, article, paragraph, marked, names, link, root, paragraph_ids))
    else:
        blocks = list(_bare_paragraphs(site, article, mentions, root, paragraph_ids, shared))
        for number, marked in inside.items():
            named = [m for m in mentions if m.paragraph == number]
            paragraph = article.paragraphs[number - 1]
            blocks[number - 1] = _paragraph(site, article, paragraph, marked, named, link, root, paragraph_ids)
    return Markup("\n\n".join(blocks))


def _paragraph(
    site: Site,
    article: Article,
    paragraph: Paragraph,
    passages: Sequence[Passage],
    mentions: Sequence[Mention],
    link: Callable[[Passage], str],
    root: str,
    paragraph_ids: str,
) -> str:
    """One paragraph's element: its runs, marked with the passages over them, and its linked mentions."""
    tag = "h2" if paragraph.heading else "p"
    linked = _linked_mentions(mentions, passages)
    runs = "".join(_runs(article.text, paragraph.start, paragraph.end, passages, linked, site, link, root))
    return f'<{tag} id="{paragraph_ids}{paragraph.number}">{runs}</{tag}>'


def _bare_paragraphs(
    site: Site,
    article: Article,
    mentions: Sequence[Mention],
    root: str,
    paragraph_ids: str,
    shared: Memo,
) -> list[str]:
    """Each paragraph of an article with no passage marked (its mentions linked), made once per render."""
    named: dict[int, list[Mention]] = defaultdict(list, _by_paragraph_number(mentions))

    def linked() -> tuple[str, ...]:
        return tuple(m.note for paragraph in article.paragraphs for m in _linked_mentions(named[paragraph.number], ()))

    # The notes whose titles the links show are read on every use, as when the paragraphs are made.
    notes = tuple(site.notes[slug] for slug in shared.made("linked", article.slug, (article, mentions), linked))

    def make() -> list[str]:
        return [
            _paragraph(site, article, paragraph, (), named[paragraph.number], _no_link, root, paragraph_ids)
            for paragraph in article.paragraphs
        ]

    return shared.made("bare", (article.slug, root, paragraph_ids), (article, mentions, *notes), make)


def _no_link(passage: Passage) -> str:
    raise AssertionError(f"no passage is marked in a bare paragraph ({passage.id})")


def _by_paragraph(article: Article, passages: Sequence[Passage]) -> dict[int, list[Passage]]:
    """The passages overlapping each paragraph (by number), in the order given."""
    starts = [paragraph.start for paragraph in article.paragraphs]
    found: dict[int, list[Passage]] = {}
    for passage in passages:
        index = max(0, bisect.bisect_right(starts, passage.start) - 1)
        while index < len(starts) and article.paragraphs[index].start < passage.end:
            paragraph = article.paragraphs[index]
            if paragraph.end > passage.start:
                found.setdefault(paragraph.number, []).append(passage)
            index += 1
    return found


def _by_paragraph_number(mentions: Iterable[Mention]) -> dict[int, list[Mention]]:
    """Mentions grouped by the number of their paragraph, in the order given."""
    found: dict[int, list[Mention]] = {}
    for mention in mentions:
        found.setdefault(mention.paragraph, []).append(mention)
    return found


def _linked_mentions(mentions: Iterable[Mention], passages: Sequence[Passage]) -> list[Mention]:
    """The first mention of each note in each paragraph that no passage overlaps (links do not nest)."""
    chosen: dict[tuple[str, int], Mention] = {}
    for mention in mentions:
        key = (mention.note, mention.paragraph)
        if key in chosen or any(p.start < mention.end and p.end > mention.start for p in passages):
            continue
        chosen[key] = mention
    return sorted(chosen.values(), key=lambda m: m.start)


def escape_html(text: str) -> str:
    """What `markupsafe.escape(text)` gives, as a plain string (no Markup object made for each piece of text)."""
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    if "'" in text:
        text = text.replace("'", "&#39;")
    if '"' in text:
        text = text.replace('"', "&#34;")
    return text


def output_escape(value: Any) -> str:
    """What `markupsafe.escape(value)` gives, as a plain string: Jinja's escaping of what templates write out.

    Jinja joins what a template writes into one string, so no Markup object need be made for each
    value (0.4 microseconds each, 2 million times in a 1,000-article build); text already Markup
    is written as it is.
    """
    kind = type(value)
    if kind is str:
        return escape_html(value)
    if kind is Markup:
        return value
    if kind is int:
        return int.__repr__(value)
    return escape(value)


def _runs(
    text: str,
    start: int,
    end: int,
    passages: Sequence[Passage],
    mentions: Sequence[Mention],
    site: Site,
    link: Callable[[Passage], str],
    root: str,
) -> Iterable[str]:
    if not passages and not mentions:
        yield escape_html(text[start:end])
        return
    edges = {start, end, *(m.start for m in mentions), *(m.end for m in mentions)}
    edges.update(max(start, p.start) for p in passages)
    edges.update(min(end, p.end) for p in passages)
    named = {m.start: m for m in mentions}
    for left, right in itertools.pairwise(sorted(edges)):
        piece = escape_html(text[left:right])
        covering = [p for p in passages if p.start <= left and p.end >= right]
        if not covering:
            mention = named.get(left)
            if mention is not None:
                note = site.notes[mention.note]
                title = escape_html(note.title)
                yield f'<a class="mention" href="{root}{note_path(note.slug)}" title="{title}">{piece}</a>'
            else:
                yield piece
            continue
        covering.sort(key=lambda p: (p.end - p.start, p.id))
        anchors = [p for p in covering if p.start == left]
        first_id = f' id="p-{anchors[0].id}"' if anchors else ""
        extra = "".join(f'<span id="p-{p.id}"></span>' for p in anchors[1:])
        relations = sorted({site.annotations[p.annotation].relation for p in covering})
        classes = " ".join(f"rel-{relation}" for relation in relations)
        ids = " ".join(p.annotation for p in covering)
        label = " and ".join(RELATION_LABELS[relation][0] for relation in relations)
        yield (
            f'<mark class="passage {classes}"{first_id} data-annotations="{ids}">{extra}'
            f'<a href="{escape_html(link(covering[0]))}" aria-label="{piece} ({label})">{piece}</a></mark>'
        )


@dataclass(frozen=True)
class MatrixCell:
    """What one source says on one topic: its first passage there, and how many it has."""

    passage: Passage | None
    count: int


def _matrix(site: Site) -> list[tuple[Topic, list[MatrixCell]]]:
    """Sources by topics: for each topic, a cell per article in site order (empty cells kept)."""
    rows = []
    for topic in site.topics.values():
        passages = [p for i in topic.annotations for p in site.annotations[i].passages]
        cells = []
        for slug in site.articles:
            own = [p for p in passages if p.article == slug]
            cells.append(MatrixCell(own[0] if own else None, len(own)))
        rows.append((topic, cells))
    return rows


@dataclass(frozen=True)
class TopicSummary:
    """One topic on a large site's home page: how many sources speak on it, and its annotations by relation."""

    relations: tuple[str, ...]  # the relations any annotation of the site has, in RELATION_LABELS order
    rows: tuple[tuple[Topic, int, tuple[int, ...]], ...]  # topic, sources, annotations per relation


def _topic_summary(site: Site) -> TopicSummary:
    """For each topic: the number of sources it draws on, and how many of its annotations have each relation."""
    counted = []
    for topic in site.topics.values():
        annotations = [site.annotations[i] for i in topic.annotations]
        sources = {p.article for annotation in annotations for p in annotation.passages}
        by_relation: dict[str, int] = {}
        for annotation in annotations:
            by_relation[annotation.relation] = by_relation.get(annotation.relation, 0) + 1
        counted.append((topic, len(sources), by_relation))
    used = {relation for _, _, by_relation in counted for relation in by_relation}
    relations = tuple(relation for relation in RELATION_LABELS if relation in used)
    return TopicSummary(
        relations,
        tuple((topic, sources, tuple(n.get(r, 0) for r in relations)) for topic, sources, n in counted),
    )


def _counterparts(site: Site) -> list[tuple[Article, list[tuple[Article, int]]]]:
    """Every source in site order, with the sources it shares annotations with (site order) and how many."""
    shared: dict[str, dict[str, int]] = {slug: {} for slug in site.articles}
    for (first, second), ids in site.pairs.items():
        shared[first][second] = len(ids)
        shared[second][first] = len(ids)
    order = {slug: n for n, slug in enumerate(site.articles)}
    return [
        (
            article,
            [(site.articles[other], shared[slug][other]) for other in sorted(shared[slug], key=order.__getitem__)],
        )
        for slug, article in site.articles.items()
    ]


@dataclass(frozen=True)
class TimelineEntry:
    """A dated event note or a source's publication, for the home page's timeline."""

    date: str
    title: str
    path: str
    kind: str  # 'event' or 'source'
    summary: str


def _timeline(site: Site) -> list[TimelineEntry]:
    """Event notes with dates and articles with publication dates, oldest first."""
    entries = [
        TimelineEntry(note.date, note.title, note_path(note.slug), "event", note.summary)
        for note in site.notes.values()
        if note.kind == "event" and note.date
    ]
    entries += [
        TimelineEntry(a.published, a.title, article_path(a.slug), "source", a.outlet or "outlet not stated")
        for a in site.articles.values()
        if a.published
    ]
    return sorted(entries, key=lambda e: (e.date, e.kind != "event", e.title))


KIND_HEADINGS = {
    "person": "People",
    "place": "Places",
    "organization": "Organisations and groups",
    "event": "Events",
    "weapon": "Weapon systems",
    "concept": "Concepts",
    "outlet": "Outlets",
    "": "Other",
}


def _notes_by_kind(site: Site) -> list[tuple[str, str, list[Note]]]:
    """Notes grouped by kind (kind, heading, notes), in a fixed order of kinds."""
    groups = []
    for kind, heading in KIND_HEADINGS.items():
        notes = [note for note in site.notes.values() if note.kind == kind]
        if notes:
            groups.append((kind, heading, notes))
    return groups


def _mentions_by_article(site: Site, note: str) -> list[tuple[Article, list[tuple[str, str, str, int]]]]:
    """Where the sources name a note: per article, each mention as (before, name, after, paragraph)."""
    grouped: dict[str, list[tuple[str, str, str, int]]] = {}
    for mention in site.note_mentions[note]:
        article = site.articles[mention.article]
        before, name, after = in_context(article, mention.paragraph, mention.start, mention.end, 70)
        grouped.setdefault(mention.article, []).append((before, name, after, mention.paragraph))
    # Site order, looking up only the articles shown: a page then depends on those, not on every article.
    return [(site.articles[slug], grouped[slug]) for slug in site.articles if slug in grouped]


def _counterpart_link(site: Site, other: str) -> Callable[[Passage], str]:
    """On a side-by-side page, a passage links to its annotation's first passage in the other text."""

    def link(passage: Passage) -> str:
        annotation = site.annotations[passage.annotation]
        counterpart = next(p for p in annotation.passages if p.article == other)
        return f"#p-{counterpart.id}"

    return link


def _annotations_of(site: Site, slug: str) -> list[Annotation]:
    """The annotations with a passage in an article, in the order their passages appear."""
    ids = dict.fromkeys(site.passages[p].annotation for p in site.passages_by_article[slug])
    return [site.annotations[i] for i in ids]


def _citing_by_article(site: Site, note: str) -> list[tuple[Article, list[tuple[Annotation, Passage]]]]:
    """Passages of the annotations citing a note, grouped by article in site order."""
    grouped: dict[str, list[tuple[Annotation, Passage]]] = {}
    for annotation_id in site.note_citations[note]:
        annotation = site.annotations[annotation_id]
        for passage in annotation.passages:
            grouped.setdefault(passage.article, []).append((annotation, passage))
    # Site order, looking up only the articles shown: a page then depends on those, not on every article.
    return [(site.articles[slug], grouped[slug]) for slug in site.articles if slug in grouped]


def excerpt(article: Article, passage: Passage, context: int = 60) -> tuple[str, str, str]:
    """Text just before the passage (within its paragraph), the passage, and text just after."""
    return in_context(article, passage.paragraph, passage.start, passage.end, context)


def in_context(article: Article, paragraph: int, start: int, end: int, width: int) -> tuple[str, str, str]:
    """A span of an article's text with up to `width` code points either side, cut at words."""
    block = article.paragraphs[paragraph - 1]
    before = article.text[max(block.start, start - width) : start]
    after = article.text[end : min(block.end, end + width)]
    if start - width > block.start:
        before = "…" + before.split(" ", 1)[-1]
    if end + width < block.end:
        after = after.rsplit(" ", 1)[0] + "…"
    return before, article.text[start:end], after
