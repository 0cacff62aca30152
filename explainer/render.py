"""Render: turn the resolved Site into pages in memory (path -> bytes). Nothing is written here."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import jinja2
from markupsafe import Markup, escape

from . import export, schemas
from .fragments import remembering_links
from .load import Theme
from .markup import MarkdownRenderer
from .model import Annotation, Article, Mention, Note, Passage, Site, Topic

RELATION_LABELS = {
    "same-event": ("same event", "="),
    "same-statement": ("same statement", "\u201c\u201d"),
    "corroborates": ("corroborates", "\u2714"),
    "contradicts": ("contradicts", "\u2716"),
    "differs": ("differs", "\u2260"),
    "context": ("context", "i"),
    "correction": ("correction", "!"),
}
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


def make_environment(theme: Theme) -> jinja2.Environment:
    """A Jinja environment over the theme's templates: autoescaped, strict about undefined names."""
    env = jinja2.Environment(
        loader=jinja2.DictLoader(dict(theme.templates)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
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


@dataclass(frozen=True)
class Page:
    """One page of the site: where it goes, which template makes it, and what it shows."""

    path: str
    template: str
    kind: str  # the template's name without '.html'
    key: tuple[str, ...] = ()  # the article, note or topic slug, or the two article slugs of a compare page


@dataclass(frozen=True)
class Renderers:
    """What rendering pages needs besides the site: the Jinja environment and Markdown by page depth."""

    env: jinja2.Environment
    markdown: Callable[[str], MarkdownRenderer]  # root ('', '../', or base_url) -> renderer


def site_pages(site: Site) -> list[Page]:
    """Every page of the site, in build order."""
    pages = [
        Page("index.html", "index.html", "index"),
        Page("sources.html", "sources.html", "sources"),
        Page("notes.html", "notes.html", "notes"),
        Page("compare/index.html", "compare-index.html", "compare-index"),
        Page("404.html", "404.html", "404"),
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
    titles = {slug: note.title for slug, note in site.notes.items()}
    markdown: dict[str, MarkdownRenderer] = {}

    def renderer(root: str) -> MarkdownRenderer:
        if root not in markdown:
            markdown[root] = MarkdownRenderer(root, titles)
        return markdown[root]

    return Renderers(env or make_environment(theme), renderer)


def render_page(site: Site, page: Page, renderers: Renderers, seen: Callable[[str], None] | None = None) -> str:
    """One page's HTML; `seen`, when given, is told every Markdown text the page renders."""
    # The host serves 404.html at whatever path was missed, so it links absolutely when it can.
    root = (site.config.base_url or None) if page.kind == "404" else None
    relative = "../" * page.path.count("/")
    context = PageContext(path=page.path, root=relative if root is None else root)
    values = _page_values(site, page)
    values.setdefault("description", site.config.description)
    md: Callable[[str], Markup] = renderers.markdown(context.root)
    if seen is not None:
        md = _telling(md, seen)
    return renderers.env.get_template(page.template).render(site=site, page=context, md=md, **values)


def _telling(md: Callable[[str], Markup], seen: Callable[[str], None]) -> Callable[[str], Markup]:
    def render(text: str) -> Markup:
        seen(text)
        return md(text)

    return render


def _page_values(site: Site, page: Page) -> dict[str, Any]:
    """What a page's template gets besides the site, the page and Markdown."""
    if page.kind == "index":
        return {"matrix": _matrix(site), "timeline": _timeline(site), "notes_by_kind": _notes_by_kind(site)}
    if page.kind == "notes":
        return {"notes_by_kind": _notes_by_kind(site)}
    if page.kind == "article":
        article = site.articles[page.key[0]]
        return {
            "article": article,
            "text": render_text(site, article),
            "annotations": _annotations_of(site, article.slug),
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
                site, site.articles[slug], only=set(ids), href=_counterpart_link(site, other), paragraph_ids=f"{slug}-"
            )
            for slug, other in ((first, second), (second, first))
        ]
        return {
            "pair": (site.articles[first], site.articles[second]),
            "texts": texts,
            "shared": [site.annotations[i] for i in ids],
        }
    return {}


def render_site(site: Site, theme: Theme) -> dict[str, bytes]:
    """Every page, data file and asset of the site, by path relative to the output folder."""
    renderers = make_renderers(site, theme)
    output = {page.path: render_page(site, page, renderers).encode("utf-8") for page in site_pages(site)}
    output.update(site_files(site, output))
    output.update(theme.assets)
    return output


def site_files(site: Site, pages: Iterable[str]) -> dict[str, bytes]:
    """The files made from the whole site at once: sitemap (given every page's path), data files and schemas."""
    files = {}
    if site.config.base_url:
        files["sitemap.xml"] = sitemap(site.config.base_url, [p for p in pages if p != "404.html"]).encode("utf-8")
    files.update(export.render_data(site))
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
) -> Markup:
    """The article's text as HTML, with every passage marked; its text content is Article.text.

    Overlapping passages are split into runs, each run marked with every passage covering it.
    `only` limits the marks to the passages of those annotation ids; `href` says where a passage
    links to (by default its annotation on the same page). The first mention of a note in each
    paragraph, outside the marked passages, links to the note.
    """
    passages = [site.passages[i] for i in site.passages_by_article[article.slug]]
    if only is not None:
        passages = [p for p in passages if p.annotation in only]
    link = href or (lambda passage: f"#ann-{passage.annotation}")
    mentions = _linked_mentions(site.mentions.get(article.slug, ()), passages)
    blocks: list[str] = []
    for paragraph in article.paragraphs:
        inside = [p for p in passages if p.start < paragraph.end and p.end > paragraph.start]
        named = [m for m in mentions if m.paragraph == paragraph.number]
        tag = "h2" if paragraph.heading else "p"
        runs = "".join(_runs(article.text, paragraph.start, paragraph.end, inside, named, site, link, root))
        blocks.append(f'<{tag} id="{paragraph_ids}{paragraph.number}">{runs}</{tag}>')
    return Markup("\n\n".join(blocks))


def _linked_mentions(mentions: Iterable[Mention], passages: Sequence[Passage]) -> list[Mention]:
    """The first mention of each note in each paragraph that no passage overlaps (links do not nest)."""
    chosen: dict[tuple[str, int], Mention] = {}
    for mention in mentions:
        key = (mention.note, mention.paragraph)
        if key in chosen or any(p.start < mention.end and p.end > mention.start for p in passages):
            continue
        chosen[key] = mention
    return sorted(chosen.values(), key=lambda m: m.start)


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
    edges = {start, end, *(m.start for m in mentions), *(m.end for m in mentions)}
    edges.update(max(start, p.start) for p in passages)
    edges.update(min(end, p.end) for p in passages)
    named = {m.start: m for m in mentions}
    for left, right in itertools.pairwise(sorted(edges)):
        piece = escape(text[left:right])
        covering = [p for p in passages if p.start <= left and p.end >= right]
        if not covering:
            mention = named.get(left)
            if mention is not None:
                note = site.notes[mention.note]
                yield f'<a class="mention" href="{root}{note_path(note.slug)}" title="{escape(note.title)}">{piece}</a>'
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
            f'<a href="{escape(link(covering[0]))}" aria-label="{piece} ({label})">{piece}</a></mark>'
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
