"""The quote helper: turn words from an article into a passage entry that `check` anchors to exactly those words."""

from __future__ import annotations

import bisect
import difflib
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from . import anchoring
from .load import read_text, split_front_matter
from .model import Paragraph
from .resolve import split_paragraphs

# Context longer than this, on either side, is no help to an editor: `occurrence` picks the match instead.
MAX_CONTEXT_WORDS = 12
# Where a passage entry stands in a topic file: list items under `passages:` (docs/content-format.md).
INDENT = " " * 6
_PUNCTUATION = ",.;:!?\"'“”‘’()[]"


class QuoteError(Exception):
    """Something the editor asked for cannot be done; the message says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Source:
    """One article as the quote helper reads it: its text, paragraphs and matching form."""

    slug: str
    path: str  # as shown in messages
    text: str
    paragraphs: tuple[Paragraph, ...]
    normal: anchoring.NormalText


@dataclass(frozen=True)
class Entry:
    """A passage entry that anchors to exactly `text[start:end]` of its article."""

    quote: str
    start: int
    end: int
    paragraph: Paragraph
    prefix: str = ""
    suffix: str = ""
    occurrence: int | None = None


def read_source(content: Path, article: str, shown: str) -> Source:
    """Read one article, named by its slug in `content`/articles or by the path of its file."""
    if not article.strip():
        raise QuoteError("no article given: give an article's slug or the path of its file")
    if article.endswith(".md") or "/" in article or "\\" in article:
        path = Path(article)
        if not path.is_file():
            raise QuoteError(f"no article file {article}")
        return _read(path, path.stem, article)
    folder = content / "articles"
    if not folder.is_dir():
        raise QuoteError(f"no articles folder in {shown} (is --content right?)")
    path = folder / f"{article}.md"
    if not path.is_file():
        slugs = sorted(p.stem for p in folder.glob("*.md") if not p.name.startswith("."))
        raise QuoteError(f"no article '{article}' in {shown}/articles{_close_slugs(article, slugs)}")
    return _read(path, article, f"{shown.rstrip('/')}/articles/{article}.md")


def _close_slugs(slug: str, slugs: list[str]) -> str:
    """'; did you mean: a, b?' for the slugs like `slug`, or the list of every slug when none is."""
    if not slugs:
        return " (it holds no articles)"
    close = difflib.get_close_matches(slug, slugs, n=5, cutoff=0.6)
    close += [s for s in slugs if slug and slug in s and s not in close]
    if close:
        return f"; did you mean: {', '.join(close[:5])}?"
    return f"; its articles are: {', '.join(slugs)}"


def _read(path: Path, slug: str, shown: str) -> Source:
    text, problems = read_text(path, shown)
    if text is not None:
        _, _, body, body_line, problems = split_front_matter(text, shown)
    if problems:
        raise QuoteError("; ".join(str(problem) for problem in problems))
    article_text, paragraphs = split_paragraphs(body, body_line)
    if not paragraphs:
        raise QuoteError(f"{shown}:{body_line}: article has no text after its front matter")
    return Source(slug, shown, article_text, paragraphs, anchoring.normalise(article_text))


def paragraph_at(source: Source, position: int) -> Paragraph:
    """The paragraph holding text position `position` (as resolve.paragraph_at numbers them)."""
    index = bisect.bisect_right(source.paragraphs, position, key=lambda p: p.start)
    return source.paragraphs[max(0, index - 1)]


def entries(source: Source, words: str) -> tuple[Entry, ...]:
    """A passage entry for each place `words` stand in one paragraph, each with the shortest context that picks it."""
    needle = anchoring.normal_form(words)
    if not needle:
        raise QuoteError("the quote is empty: give the words to quote")
    haystack = source.normal.text
    spans = []
    position = haystack.find(needle)
    while position != -1:
        last = position + len(needle) - 1
        spans.append((source.normal.origin[position], source.normal.ends[last]))
        position = haystack.find(needle, position + 1)
    if not spans:
        closest, closest_start = anchoring.closest_passage(source.text, words)
        if closest:
            where = paragraph_at(source, closest_start).number
            hint = f'; did you mean "{_clip(closest.strip(_PUNCTUATION))}" (paragraph {where})?'
        else:
            hint = "; nothing in the article is close to it"
        raise QuoteError(f"quote not found in article '{source.slug}': \"{_clip(words)}\"{hint}")
    found = []
    for start, end in spans:
        first, last_paragraph = paragraph_at(source, start), paragraph_at(source, end - 1)
        if first is last_paragraph:
            found.append(_shortest(source, spans, start, end, first))
    if not found:
        first, last_paragraph = paragraph_at(source, spans[0][0]), paragraph_at(source, spans[0][1] - 1)
        raise QuoteError(
            f"quote spans paragraphs {first.number} to {last_paragraph.number} of article '{source.slug}'; "
            "a passage must lie within one paragraph"
        )
    return tuple(found)


def _shortest(source: Source, spans: list[tuple[int, int]], start: int, end: int, paragraph: Paragraph) -> Entry:
    """The entry for the match at `start`: no context if it is the only match, else the fewest words of context.

    Context is whole words of the same paragraph, growing word by word: at each length a prefix
    alone, then a suffix alone, then both. Each candidate is tried with anchoring.anchor, so the
    entry is one `check` accepts and anchors to exactly this match.
    """
    quote = _one_line(source.text[start:end])
    if len(spans) == 1:
        return _verified(source, Entry(quote, start, end, paragraph))
    words = [
        (m.start() + paragraph.start, m.end() + paragraph.start) for m in re.finditer(r"\S+", _text(source, paragraph))
    ]
    before = [word_start for word_start, _ in words if word_start < start][::-1][:MAX_CONTEXT_WORDS]
    after = [word_end for _, word_end in words if word_end > end][:MAX_CONTEXT_WORDS]
    for size in range(1, len(before) + len(after) + 1):
        sizes = [(size, 0), (0, size), *((k, size - k) for k in range(1, size))]
        for k, m in sizes:
            if k > len(before) or m > len(after):
                continue
            prefix = _one_line(source.text[before[k - 1] : start]) if k else ""
            suffix = _one_line(source.text[end : after[m - 1]]) if m else ""
            entry = Entry(quote, start, end, paragraph, prefix, suffix)
            if _anchors(source, entry):
                return entry
    occurrence = [span_start for span_start, _ in spans].index(start) + 1
    return _verified(source, Entry(quote, start, end, paragraph, occurrence=occurrence))


def _anchors(source: Source, entry: Entry) -> bool:
    """Whether `check` would anchor the entry to exactly its span."""
    found = anchoring.anchor(source.text, source.normal, entry.quote, entry.prefix, entry.suffix, entry.occurrence)
    return isinstance(found, anchoring.Found) and (found.start, found.end) == (entry.start, entry.end)


def _verified(source: Source, entry: Entry) -> Entry:
    if not _anchors(source, entry):  # a mismatch between this module and anchoring: never print a wrong entry
        raise QuoteError(f"cannot make an entry that anchors to the words at paragraph {entry.paragraph.number}")
    return entry


def _text(source: Source, paragraph: Paragraph) -> str:
    return source.text[paragraph.start : paragraph.end]


def _one_line(text: str) -> str:
    """White space runs as one space (matching allows it; a line break would only make the YAML harder to read)."""
    return " ".join(text.split())


def _clip(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def format_entries(source: Source, found: tuple[Entry, ...]) -> str:
    """The entries as YAML to paste under `passages:` in a topic file, each after a comment saying where it is."""
    lines = []
    if len(found) > 1:
        lines.append(
            f"# \"{_clip(found[0].quote, 60)}\" occurs {len(found)} times in article '{source.slug}': "
            "keep the entry you mean"
        )
    for number, entry in enumerate(found, start=1):
        which = f"match {number}: " if len(found) > 1 else ""
        lines.append(f"# {which}{_where(source, entry.paragraph)}")
        fields: dict[str, str | int] = {"article": source.slug, "quote": entry.quote}
        if entry.prefix:
            fields["prefix"] = entry.prefix
        if entry.suffix:
            fields["suffix"] = entry.suffix
        if entry.occurrence is not None:
            fields["occurrence"] = entry.occurrence
        dumped = yaml.safe_dump([fields], allow_unicode=True, sort_keys=False, width=2**31 - 1)
        lines.extend(dumped.splitlines())
    return "".join(f"{INDENT}{line}\n" for line in lines)


def format_paragraph(source: Source, number: int) -> str:
    """Paragraph `number` (counted as `check` counts them), after a line saying where it is."""
    count = len(source.paragraphs)
    if not 1 <= number <= count:
        paragraphs = "1 paragraph" if count == 1 else f"{count} paragraphs"
        raise QuoteError(
            f"article '{source.slug}' has {paragraphs}; --paragraph must be from 1 to {count}, not {number}"
        )
    paragraph = source.paragraphs[number - 1]
    return f"# {_where(source, paragraph, count)}\n{_text(source, paragraph)}\n"


def _where(source: Source, paragraph: Paragraph, count: int = 0) -> str:
    """E.g. 'paragraph 3 of 4, a subheading (content/articles/x.md, line 9)'."""
    of = f" of {count}" if count else ""
    heading = ", a subheading" if paragraph.heading else ""
    return f"paragraph {paragraph.number}{of}{heading} ({source.path}, line {paragraph.line})"
