"""The resolved site: one immutable model of everything the pages are made from."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

LINK_RELATIONS = ("same-event", "same-statement", "corroborates", "contradicts", "differs")
RELATIONS = (*LINK_RELATIONS, "context", "correction")
NOTE_KINDS = ("person", "place", "organization", "event", "weapon", "concept", "outlet")


@dataclass(frozen=True, slots=True)
class SiteConfig:
    """What content/site.yml says about the explainer as a whole."""

    title: str
    description: str
    language: str
    base_url: str  # '' when unknown; otherwise ends with '/'


@dataclass(frozen=True, slots=True)
class Paragraph:
    """One paragraph (or subheading) of an article, located in the article's text."""

    number: int  # 1-based
    start: int  # code points into Article.text
    end: int
    heading: bool
    line: int  # line in the article file where it starts


@dataclass(frozen=True, slots=True)
class Article:
    """A source article: metadata from its front matter and its verbatim text."""

    slug: str
    path: str
    title: str
    title_basis: str
    outlet: str
    author: str
    original_outlet: str
    published: str  # 'YYYY-MM-DD', 'YYYY-MM' or ''
    date_basis: str
    url: str
    language: str
    omitted: tuple[str, ...]
    text: str  # paragraphs joined by '\n\n'
    paragraphs: tuple[Paragraph, ...]


@dataclass(frozen=True, slots=True)
class Note:
    """A context note about a person, place, organisation, event, weapon system, concept or outlet."""

    slug: str
    path: str
    title: str
    kind: str
    aliases: tuple[str, ...]
    date: str
    summary: str
    body: str  # Markdown source with [[slug]] links
    links: tuple[str, ...]  # slugs of the notes the body links to, in order, no repeats


@dataclass(frozen=True, slots=True)
class Passage:
    """A span of one article's text that an annotation points at."""

    id: str  # '<annotation id>-<n>', the passage's anchor on every page
    annotation: str
    article: str
    start: int
    end: int
    exact: str  # Article.text[start:end]
    paragraph: int  # number of the paragraph holding it


@dataclass(frozen=True, slots=True)
class Mention:
    """A place where an article's text names a note (its title or one of its aliases)."""

    note: str
    article: str
    start: int
    end: int
    paragraph: int


@dataclass(frozen=True, slots=True)
class Annotation:
    """An editor's annotation: a relation between passages, with a comment and notes."""

    id: str
    topic: str
    relation: str
    comment: str  # Markdown
    notes: tuple[str, ...]
    passages: tuple[Passage, ...]
    path: str
    line: int


@dataclass(frozen=True, slots=True)
class Topic:
    """A titled group of annotations, from one file in content/annotations/."""

    slug: str
    path: str
    title: str
    summary: str  # Markdown
    annotations: tuple[str, ...]  # annotation ids, in file order


@dataclass(frozen=True, slots=True)
class Site:
    """The whole resolved site, with every cross-reference worked out once."""

    config: SiteConfig
    articles: Mapping[str, Article]  # by slug, sorted by (published, slug)
    notes: Mapping[str, Note]  # by slug, sorted by title
    topics: Mapping[str, Topic]  # by slug, sorted by title
    annotations: Mapping[str, Annotation]  # by id, in topic then file order
    passages: Mapping[str, Passage]  # by passage id
    passages_by_article: Mapping[str, tuple[str, ...]]  # article -> passage ids by position
    linked_passages: Mapping[str, tuple[str, ...]]  # passage -> the other passages of its annotation
    note_citations: Mapping[str, tuple[str, ...]]  # note -> annotation ids citing it
    note_backlinks: Mapping[str, tuple[str, ...]]  # note -> slugs of notes linking to it
    pairs: Mapping[tuple[str, str], tuple[str, ...]]  # (article a, article b), a < b -> annotation ids
    mentions: Mapping[str, tuple[Mention, ...]]  # article -> every mention of a note, by position
    note_mentions: Mapping[str, tuple[Mention, ...]]  # note -> its mentions, by article then position
