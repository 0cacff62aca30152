"""Find a quoted passage in an article's text, as the content contract defines matching."""

from __future__ import annotations

import bisect
import difflib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import overload

_EQUIVALENTS = {
    **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032", "'"),
    **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033", '"'),
    **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212", "-"),
}
# A substitution rather than str.translate: texts hold few of these, and translate is slow on long ones.
_EQUIVALENT_CHAR = re.compile("[" + "".join(_EQUIVALENTS) + "]")


# \s is exactly str.isspace() for str patterns. Most white space is one plain space, left alone.
_LONG_SPACE_RUN = re.compile(r"\s\s+")
_SPACE_TO_CHANGE = re.compile(r"\s\s+|[^\S ]")


@dataclass(frozen=True, slots=True)
class NormalText:
    """A text in matching form (white space runs as one space, ASCII quotes and dashes, NFC).

    Character i of `text` comes from `original[origin[i]:ends[i]]`.
    """

    text: str
    origin: Sequence[int]
    ends: Sequence[int]


def normalise(text: str) -> NormalText:
    """Put `text` in matching form, remembering where each character came from."""
    translated = text
    if not text.isascii():  # the typographic variants and combining marks are all beyond ASCII
        translated = _EQUIVALENT_CHAR.sub(_equivalent, text)
        if any(unicodedata.combining(char) for char in set(translated) if char > "\x7f"):
            return _normalise_clusters(translated)
    # Without combining marks each character stands for itself, and each run of white space for
    # its first character: only the rest of each run is dropped, so the positions are a few
    # stretches, each shifted by what was dropped before it.
    starts = [0]
    shifts = [0]
    dropped = 0
    for run in _LONG_SPACE_RUN.finditer(translated):
        dropped += run.end() - run.start() - 1
        starts.append(run.end() - dropped)
        shifts.append(dropped)
    normal = _SPACE_TO_CHANGE.sub(" ", translated)
    return NormalText(
        normal,
        Shifted(len(normal), tuple(starts), tuple(shifts), 0),
        Shifted(len(normal), tuple(starts), tuple(shifts), 1),
    )


@dataclass(frozen=True, slots=True)
class Shifted(Sequence[int]):
    """Positions that run in stretches: position i is i + the shift of the stretch that holds it (+ `extra`)."""

    length: int
    starts: tuple[int, ...]  # where each stretch begins
    shifts: tuple[int, ...]
    extra: int

    def __len__(self) -> int:
        return self.length

    @overload
    def __getitem__(self, index: int) -> int: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[int]: ...
    def __getitem__(self, index: int | slice) -> int | Sequence[int]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self.length))]
        if index < 0:
            index += self.length
        if not 0 <= index < self.length:
            raise IndexError(index)
        return index + self.shifts[bisect.bisect_right(self.starts, index) - 1] + self.extra


def _equivalent(match: re.Match[str]) -> str:
    return _EQUIVALENTS[match.group()]


def _normalise_clusters(translated: str) -> NormalText:
    """The matching form of a text with combining marks: each letter and its marks compare in NFC."""
    chars: list[str] = []
    origin: list[int] = []
    ends: list[int] = []
    in_space = False
    position, length = 0, len(translated)
    while position < length:
        char = translated[position]
        end = position + 1
        # A letter and its combining marks compare in composed form: "é" typed either way matches.
        while end < length and unicodedata.combining(translated[end]):
            end += 1
        if char.isspace():
            if not in_space:
                chars.append(" ")
                origin.append(position)
                ends.append(end)
            in_space = True
            position = end
            continue
        in_space = False
        for composed in unicodedata.normalize("NFC", translated[position:end]) if end - position > 1 else char:
            chars.append(composed)
            origin.append(position)
            ends.append(end)
        position = end
    return NormalText("".join(chars), tuple(origin), tuple(ends))


def normal_form(text: str) -> str:
    """The matching form of a quote, prefix or suffix, without outer white space (normalise's text alone)."""
    text = text.strip()
    if not text:
        return text
    if not text.isascii():  # the typographic variants and combining marks are all beyond ASCII
        text = _EQUIVALENT_CHAR.sub(_equivalent, text)
        if any(unicodedata.combining(char) for char in set(text) if char > "\x7f"):
            return _normalise_clusters(text).text
    elif "  " not in text and text.isprintable():
        return text  # no white space but single spaces (in ASCII, all other white space is unprintable)
    return _SPACE_TO_CHANGE.sub(" ", text)


@dataclass(frozen=True, slots=True)
class Found:
    """The quote's place in the original text."""

    start: int
    end: int


@dataclass(frozen=True, slots=True)
class NotFound:
    """The quote does not occur; `closest` is the nearest passage of the text ('' if none)."""

    closest: str
    closest_start: int


@dataclass(frozen=True, slots=True)
class Ambiguous:
    """The quote (with its prefix and suffix) occurs more than once; starts are original positions."""

    starts: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class OutOfRange:
    """`occurrence` is larger than the number of matches."""

    count: int


@dataclass(frozen=True, slots=True)
class ContextMismatch:
    """The quote occurs `count` times, but never with the given prefix and suffix."""

    count: int


Anchoring = Found | NotFound | Ambiguous | OutOfRange | ContextMismatch


def anchor(
    text: str,
    normal: NormalText,
    quote: str,
    prefix: str = "",
    suffix: str = "",
    occurrence: int | None = None,
) -> Anchoring:
    """Locate `quote` in `text` (whose matching form is `normal`), in time linear in the text."""
    needle = normal_form(quote)
    haystack = normal.text
    starts = _find_all(haystack, needle) if needle else []
    if not starts:
        closest, closest_start = closest_passage(text, quote)
        return NotFound(closest, closest_start)
    before, after = normal_form(prefix), normal_form(suffix)
    chosen = [
        start
        for start in starts
        if (not before or _ends_with(haystack, before, start))
        and (not after or _starts_with(haystack, after, start + len(needle)))
    ]
    if not chosen:
        return ContextMismatch(len(starts))
    if occurrence is not None:
        if occurrence > len(chosen):
            return OutOfRange(len(chosen))
        chosen = [chosen[occurrence - 1]]
    if len(chosen) > 1:
        return Ambiguous(tuple(normal.origin[start] for start in chosen))
    start = chosen[0]
    last = start + len(needle) - 1
    return Found(normal.origin[start], normal.ends[last])


def _find_all(haystack: str, needle: str) -> list[int]:
    starts = []
    position = haystack.find(needle)
    while position != -1:
        starts.append(position)
        position = haystack.find(needle, position + 1)
    return starts


def _ends_with(haystack: str, before: str, end: int) -> bool:
    return haystack.endswith(before, 0, end) or haystack.endswith(before + " ", 0, end)


def _starts_with(haystack: str, after: str, start: int) -> bool:
    return haystack.startswith(after, start) or haystack.startswith(" " + after, start)


def closest_passage(text: str, quote: str) -> tuple[str, int]:
    """The run of words in `text` most like `quote` (within one paragraph), and where it starts."""
    target = normal_form(quote)
    if not target:
        return "", -1
    size = len(target.split(" "))
    matcher = difflib.SequenceMatcher(autojunk=False)
    matcher.set_seq2(target)
    best, best_span = 0.0, (0, 0)
    for paragraph in re.finditer(r"[^\n]+(?:\n(?!\n)[^\n]*)*", text):
        words = [
            (m.start() + paragraph.start(), m.end() + paragraph.start()) for m in re.finditer(r"\S+", paragraph.group())
        ]
        for width in sorted({max(1, size - 1), size, size + 1}):
            for first in range(max(1, len(words) - width + 1)):
                span = words[first : first + width]
                if not span:
                    continue
                start, end = span[0][0], span[-1][1]
                matcher.set_seq1(normal_form(text[start:end]))
                if matcher.real_quick_ratio() <= best or matcher.quick_ratio() <= best:
                    continue
                ratio = matcher.ratio()
                if ratio > best:
                    best, best_span = ratio, (start, end)
    if best < 0.5:
        return "", -1
    return text[best_span[0] : best_span[1]], best_span[0]
