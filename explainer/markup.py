"""Editor-written Markdown to safe HTML: raw HTML is shown as text, output is allowlisted."""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import markdown
import nh3
from markdown.extensions.footnotes import FootnoteExtension
from markdown.extensions.sane_lists import SaneListExtension
from markdown.extensions.tables import TableExtension
from markdown.inlinepatterns import InlineProcessor
from markupsafe import Markup

from .cache import keep, private_folder, read_kept
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


# Text that Markdown writes out as it is: no character any pattern, escape or sanitiser acts on. Left
# out are Markdown's own (backslash, backtick, *, _, [, ], <, >, &, |), line breaks, and what HTML
# writes otherwise (controls, a no-break space, line and paragraph separators, byte-order marks, and
# code points that are not characters).
_PLAIN = r"[^\\`*_\[\]<>&|\x00-\x1f\x7f-\xa0\u2028\u2029\ud800-\udfff\ufdd0-\ufdef\ufeff\ufffe\uffff]"
# What a line of a paragraph quick_html writes is made of: plain text, **strong** plain text, and [[note]] links.
_QUICK_PIECE = re.compile(
    rf"(?P<plain>{_PLAIN}+)"
    rf"|\*\*(?P<strong>(?! ){_PLAIN}+?(?<! ))\*\*"
    r"|\[\[(?P<slug>[a-z0-9-]+)(?:\|(?P<label>[^\[\]|]*))?\]\]"
)
# How a line may start: with a letter, a quotation mark, **strong** text or a link; never with what
# opens a list, a heading, a quotation, code or a table.
_QUICK_LINE_START = re.compile(r"[^\W\d_]|[\"'“‘(]|\*\*(?! )|\[\[")
_PLAIN_TEXT = re.compile(f"{_PLAIN}*")


def quick_html(text: str, root: str, note_titles: Mapping[str, str]) -> str | None:
    """What Markdown and the sanitiser make of `text`, when it is plain paragraphs; None when it needs Markdown.

    Most comments and notes are paragraphs of plain sentences with some **strong** words and
    [[note]] links: for those this writes what the full conversion would, at a fraction of its cost.
    """
    paragraphs = []
    for paragraph in text.strip("\n").split("\n\n"):
        html = []
        for line in paragraph.split("\n"):
            if not _QUICK_LINE_START.match(line) or line.endswith(" "):
                return None
            position = 0
            for piece in _QUICK_PIECE.finditer(line):
                if piece.start() != position:
                    return None
                position = piece.end()
                if piece["plain"] is not None:
                    html.append(piece["plain"])
                elif piece["strong"] is not None:
                    html.append(f"<strong>{piece['strong']}</strong>")
                else:
                    words = (piece["label"] or "").strip() or note_titles.get(piece["slug"])
                    if words is None or not _PLAIN_TEXT.fullmatch(words) or not _PLAIN_TEXT.fullmatch(root):
                        return None
                    html.append(f'<a class="note-link" href="{root}notes/{piece["slug"]}.html">{words}</a>')
            if position != len(line):
                return None
            html.append("\n")
        paragraphs.append(f"<p>{''.join(html)[:-1]}</p>")
    return "\n".join(paragraphs)


class MarkdownRenderer:
    """Renders Markdown fields for pages at one depth of the site."""

    def __init__(self, root: str, note_titles: Mapping[str, str]) -> None:
        # Extensions given as objects, not names: finding them by name scans every installed package's entry points.
        extensions = [FootnoteExtension(), TableExtension(), SaneListExtension()]
        self._md = markdown.Markdown(extensions=extensions, output_format="html")
        # Raw HTML in content is text, never markup: drop the passes that would keep it.
        self._md.preprocessors.deregister("html_block")
        self._md.inlinePatterns.deregister("html")
        self.root = root
        self.note_titles = dict(note_titles)  # a copy: what its conversions were made with
        self._md.inlinePatterns.register(
            _NoteLink(lambda slug: f"{root}notes/{slug}.html", self.note_titles), "note_link", 175
        )
        self._cache: dict[str, Markup] = {}
        self._asked: set[str] = set()  # the texts it was asked to convert
        self._known: frozenset[str] | None = None  # the texts of the conversions it was given (know)

    def has(self, text: str) -> bool:
        """True when `text` was converted already (calling again costs nothing)."""
        return text in self._cache

    def know(self, conversions: Mapping[str, str]) -> None:
        """Take conversions made before by a renderer like this one (same root, note titles and code)."""
        self._cache.update((text, Markup(html)) for text, html in conversions.items())
        self._known = frozenset(conversions)

    def asked(self) -> dict[str, str] | None:
        """The texts it was asked to convert, and what they became (for `know` in the next build).

        None when those are exactly the conversions it was given to know.
        """
        if self._asked == self._known:
            return None
        return {text: str(self._cache[text]) for text in self._asked}

    def full_html(self, text: str) -> str:
        """`text` converted by Markdown and sanitised, without quick_html's shortcut (and not kept)."""
        html = self._md.reset().convert(text)
        return nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes=URL_SCHEMES, link_rel=None)

    def __call__(self, text: str) -> Markup:
        found = self._cache.get(text)
        if found is None:
            html = quick_html(text, self.root, self.note_titles)
            found = self._cache[text] = Markup(self.full_html(text) if html is None else html)
        self._asked.add(text)
        return found


KEPT_CONVERSIONS = 2  # how many sets of conversions the cache folder keeps: the most recently used


def kept_conversions(cache: Path | None, renderer: MarkdownRenderer) -> Path | None:
    """Give `renderer` the conversions a build kept in the cache folder for one like it; their file, or None.

    A set of conversions is used only by a renderer with the same root and note titles, with the
    same Markdown, nh3 and this module's code: anything else gives another file name.
    """
    folder = private_folder(cache)
    if folder is None:
        return None
    made_by = (markdown.__version__, nh3.__version__, Path(__file__).read_bytes(), WIKI_LINK.pattern)
    key = hashlib.sha256(repr((made_by, renderer.root, sorted(renderer.note_titles.items()))).encode()).hexdigest()
    file = folder / f"markdown-{key}.conversions"
    data = read_kept(file)
    if data is not None:
        with contextlib.suppress(ValueError, EOFError, TypeError):
            conversions = marshal.loads(data)
            if isinstance(conversions, dict) and all(type(t) is str and type(h) is str for t, h in conversions.items()):
                renderer.know(conversions)
    return file


def keep_conversions(file: Path, renderer: MarkdownRenderer) -> None:
    """Keep what `renderer` converted in this build, in the file kept_conversions gave, unless it is kept already."""
    asked = renderer.asked()
    if asked is not None:
        keep(file, marshal.dumps(asked), KEPT_CONVERSIONS)
