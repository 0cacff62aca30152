"""Editor-written Markdown to safe HTML: raw HTML is shown as text, output is allowlisted."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from xml.etree import ElementTree

import markdown
import nh3
from markdown.extensions.footnotes import FootnoteExtension
from markdown.extensions.sane_lists import SaneListExtension
from markdown.extensions.tables import TableExtension
from markdown.inlinepatterns import InlineProcessor
from markupsafe import Markup

from .resolve import WIKI_LINK

ALLOWED_TAGS = {
    "a", "abbr", "blockquote", "br", "code", "del", "div", "em", "h2", "h3", "h4", "h5", "h6", "hr",
    "li", "ol", "p", "pre", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "class", "id"},
    "abbr": {"title"},
    "div": {"class"},
    "li": {"id"},
    "sup": {"id"},
    "td": {"align"},
    "th": {"align"},
}
URL_SCHEMES = {"http", "https", "mailto"}


class _NoteLink(InlineProcessor):
    """[[slug]] and [[slug|label]] become links to the note's page."""

    def __init__(self, href: Callable[[str], str], titles: Mapping[str, str]) -> None:
        super().__init__(WIKI_LINK.pattern)
        self.href = href
        self.titles = titles

    def handleMatch(self, m: Any, data: str) -> tuple[ElementTree.Element, int, int]:  # noqa: N802 (Markdown's API)
        slug = m.group(1).strip()
        link = ElementTree.Element("a")
        link.set("href", self.href(slug))
        link.set("class", "note-link")
        link.text = (m.group(2) or "").strip() or self.titles.get(slug, slug)
        return link, m.start(0), m.end(0)


class MarkdownRenderer:
    """Renders Markdown fields for pages at one depth of the site."""

    def __init__(self, root: str, note_titles: Mapping[str, str]) -> None:
        # Extensions given as objects, not names: finding them by name scans every installed package's entry points.
        extensions = [FootnoteExtension(), TableExtension(), SaneListExtension()]
        self._md = markdown.Markdown(extensions=extensions, output_format="html")
        # Raw HTML in content is text, never markup: drop the passes that would keep it.
        self._md.preprocessors.deregister("html_block")
        self._md.inlinePatterns.deregister("html")
        self.note_titles = dict(note_titles)  # a copy: what its conversions were made with
        self._md.inlinePatterns.register(
            _NoteLink(lambda slug: f"{root}notes/{slug}.html", self.note_titles), "note_link", 175
        )
        self._cache: dict[str, Markup] = {}

    def has(self, text: str) -> bool:
        """True when `text` was converted already (calling again costs nothing)."""
        return text in self._cache

    def __call__(self, text: str) -> Markup:
        if text not in self._cache:
            html = self._md.reset().convert(text)
            self._cache[text] = Markup(
                nh3.clean(
                    html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes=URL_SCHEMES, link_rel=None
                )
            )
        return self._cache[text]
