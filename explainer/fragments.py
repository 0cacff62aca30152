"""Text Fragment links (`#:~:text=`) to a passage's words in the original, as the WICG spec defines them.

The spec: https://wicg.github.io/scroll-to-text-fragment/. A browser that supports it scrolls the
linked page to the first text matching the directive and highlights it; matching there is by
"primary level" comparison (case and accents ignored), each term within one block, with word
boundaries at the edges. Only the article's text is known here, not the rest of the outlet's
page, so a directive is checked against that text with the spec's own search algorithm (an
approximation of it: white space collapsed, case and accents folded, word characters as Python's
`\\w`) and made longer, one word of context at a time, until it finds this passage and no other.
"""

from __future__ import annotations

import bisect
import functools
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import quote

from .model import Article, Passage

DELIMITER = ":~:"  # the fragment directive delimiter
EXACT_LIMIT = 300  # code points: a longer passage is linked as textStart,textEnd
RANGE_WORDS = 5  # words in textStart and in textEnd of a long passage, before any are added
MAX_CONTEXT = 6  # words of prefix and of suffix tried at most
WHITE_SPACE = re.compile(r"\s+")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


@dataclass(frozen=True)
class TextDirective:
    """One text directive: `text=[prefix-,]start[,end][,-suffix]`; empty strings are absent parts."""

    start: str
    end: str = ""
    prefix: str = ""
    suffix: str = ""

    def __str__(self) -> str:
        parts = [encode(self.prefix) + "-"] if self.prefix else []
        parts.append(encode(self.start))
        if self.end:
            parts.append(encode(self.end))
        if self.suffix:
            parts.append("-" + encode(self.suffix))
        return "text=" + ",".join(parts)


def encode(term: str) -> str:
    """Percent-encode a term as UTF-8: everything but ASCII letters, digits and `_.~`, so `-`, `&` and `,` too."""
    return quote(term, safe="").replace("-", "%2D")


def with_directive(url: str, directive: TextDirective) -> str:
    """The url with the directive as its fragment directive, keeping its fragment and replacing any directive."""
    address, hash_sign, fragment = url.partition("#")
    fragment = fragment.split(DELIMITER, 1)[0] if hash_sign else ""
    return f"{address}#{fragment}{DELIMITER}{directive}"


def original_link(article: Article, passage: Passage) -> str:
    """The link to a passage's words in the original (its url with a text directive); '' when the url is unknown."""
    if not article.url:
        return ""
    blocks = [(p.start, p.end) for p in article.paragraphs]
    return with_directive(article.url, directive_for(article.text, blocks, passage.start, passage.end))


def remembering_links(texts: int = 64, links: int = 8192) -> Callable[[Article, Passage], str]:
    """original_link with a bounded memory of its own: pages show a passage many times, and a text is read once."""

    @functools.lru_cache(maxsize=texts)
    def flat(text: str, blocks: tuple[tuple[int, int], ...]) -> _Flat:
        return _flatten(text, blocks)

    @functools.lru_cache(maxsize=links)
    def link(url: str, text: str, blocks: tuple[tuple[int, int], ...], start: int, end: int) -> str:
        return with_directive(url, _directive(flat(text, blocks), text, blocks, start, end))

    def remembered(article: Article, passage: Passage) -> str:
        if not article.url:
            return ""
        blocks = tuple((p.start, p.end) for p in article.paragraphs)
        return link(article.url, article.text, blocks, passage.start, passage.end)

    return remembered


@dataclass(frozen=True)
class _Flat:
    """A text as the search sees it: blocks with white space collapsed, each followed by a line break."""

    shown: str  # the terms of a directive are cut from this
    folded: str  # the same, case and accents folded, code point for code point: searched in
    starts: tuple[int, ...]  # where each block starts in `shown`


def _flatten(text: str, blocks: Sequence[tuple[int, int]]) -> _Flat:
    shown = [" ".join(text[start:end].split()) for start, end in blocks]
    starts, at = [], 0
    for block in shown:
        starts.append(at)
        at += len(block) + 1
    # The trailing line break stands for whatever follows the article on the outlet's page.
    joined = "".join(block + "\n" for block in shown)
    return _Flat(joined, _fold(joined), tuple(starts))


def _fold(text: str) -> str:
    """Lower case without accents, one code point for one, so offsets in the folded text are offsets in `text`."""

    def one(match: re.Match[str]) -> str:
        base = unicodedata.normalize("NFD", match.group())[0]
        lowered = base.lower()
        return lowered if len(lowered) == 1 else base

    folded = _NON_ASCII.sub(one, text).lower()
    # `one` leaves single lower-case code points, which lower-casing again keeps single; should one ever
    # grow, offsets would shift, so then each code point is folded on its own.
    return folded if len(folded) == len(text) else "".join(one(m) for m in re.finditer(".", text, re.S))


def _shown_offset(text: str, block: tuple[int, int], block_start: int, offset: int) -> int:
    """Where an offset into the text falls in the flattened text."""
    before = text[block[0] : offset]
    collapsed = len(" ".join(before.split())) + (1 if before[-1:].isspace() and not before.isspace() else 0)
    return block_start + min(collapsed, len(" ".join(text[block[0] : block[1]].split())))


def _text_offset(text: str, block: tuple[int, int], shown: int) -> int:
    """Where an offset into a flattened block falls in the text (the inverse of _shown_offset)."""
    at, end = block
    while at < end and text[at].isspace():
        at += 1
    for _ in range(shown):
        if at < end and text[at].isspace():
            while at < end and text[at].isspace():
                at += 1
        else:
            at += 1
    return at


def _is_word(char: str) -> bool:
    return char.isalnum() or char == "_"


def _boundary(text: str, at: int) -> bool:
    return at <= 0 or at >= len(text) or not (_is_word(text[at - 1]) and _is_word(text[at]))


def _find(text: str, query: str, start: int, start_bounded: bool, end_bounded: bool) -> int | None:
    """The spec's 'find a string in range': the first match at or after start; a query never spans blocks."""
    at = text.find(query, start)
    while at != -1:
        if (not start_bounded or _boundary(text, at)) and (not end_bounded or _boundary(text, at + len(query))):
            return at
        at = text.find(query, at + 1)
    return None


def _skip_space(text: str, at: int) -> int:
    while at < len(text) and text[at].isspace():
        at += 1
    return at


def _search(folded: str, directive: TextDirective) -> tuple[int, int] | None:
    """The spec's 'find a range from a text directive', over a flattened, folded text."""
    prefix, start, end, suffix = (_fold(WHITE_SPACE.sub(" ", part)) for part in (
        directive.prefix, directive.start, directive.end, directive.suffix))  # fmt: skip
    position = 0
    while position < len(folded):
        must_end = bool(end) or not suffix
        if prefix:
            found = _find(folded, prefix, position, True, False)
            if found is None:
                return None
            position = found + 1
            match = _skip_space(folded, found + len(prefix))
            if match >= len(folded):
                return None
            begin = _find(folded, start, match, False, must_end)
            if begin is None:
                return None
            if begin != match:
                continue
        else:
            begin = _find(folded, start, position, True, must_end)
            if begin is None:
                return None
            position = begin + 1
        finish = begin + len(start)
        search_from = finish
        while search_from < len(folded):
            if end:
                found_end = _find(folded, end, search_from, True, not suffix)
                if found_end is None:
                    return None
                finish = found_end + len(end)
            if not suffix:
                return begin, finish
            after = _skip_space(folded, finish)
            found_suffix = _find(folded, suffix, after, False, True)
            if found_suffix is None:
                return None
            if found_suffix == after:
                return begin, finish
            if not end:
                break
            search_from = finish
        else:
            return None
    return None


def locate(text: str, blocks: Sequence[tuple[int, int]], directive: TextDirective) -> tuple[int, int] | None:
    """Where a browser following the directive would land in this text (start, end), by the spec's search."""
    flat = _flatten(text, blocks)
    found = _search(flat.folded, directive)
    if found is None:
        return None
    index = bisect.bisect_right(flat.starts, found[0]) - 1
    block = blocks[index]
    return (
        _text_offset(text, block, found[0] - flat.starts[index]),
        _text_offset(text, block, found[1] - flat.starts[index]),
    )


def directive_for(text: str, blocks: Sequence[tuple[int, int]], start: int, end: int) -> TextDirective:
    """The shortest directive found that leads to text[start:end] in this text and nowhere earlier.

    A passage of up to EXACT_LIMIT code points is given whole; a longer one by its first and last
    RANGE_WORDS words. Words of the passage's own block are then added before (prefix) and after
    (suffix), and to the start and end terms, until the search lands on the passage. When nothing
    does (the same words twice with the same context), the plainest directive is returned.
    """
    return _directive(_flatten(text, blocks), text, blocks, start, end)


def _directive(flat: _Flat, text: str, blocks: Sequence[tuple[int, int]], start: int, end: int) -> TextDirective:
    index = max(0, bisect.bisect_right([b[0] for b in blocks], start) - 1)
    block, block_start = blocks[index], flat.starts[index]
    left = _shown_offset(text, block, block_start, start)
    right = _shown_offset(text, block, block_start, end)
    block_end = flat.shown.index("\n", block_start)
    exact = flat.shown[left:right].strip(" ")
    left = flat.shown.index(exact, left) if exact else left
    right = left + len(exact)
    before = flat.shown[block_start:left].split()
    after = flat.shown[right:block_end].split()
    words = exact.split(" ")
    ranged = len(exact) > EXACT_LIMIT and len(words) >= 2 * RANGE_WORDS
    candidates: list[TextDirective] = []
    for level in range(MAX_CONTEXT + 1):
        if ranged:
            count = min(RANGE_WORDS + level, len(words) // 2)
            terms = (" ".join(words[:count]), " ".join(words[-count:]))
        else:
            terms = (exact, "")
        for wide_before, wide_after in ((level, 0), (0, level), (level, level)):
            prefix = " ".join(before[len(before) - min(wide_before, len(before)) :])
            suffix = " ".join(after[: min(wide_after, len(after))])
            candidate = TextDirective(terms[0], terms[1], prefix, suffix)
            if candidate in candidates:
                continue
            if _search(flat.folded, candidate) == (left, right):
                return candidate
            candidates.append(candidate)
    return candidates[0]
