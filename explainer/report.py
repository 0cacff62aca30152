"""The editor's coverage report: what is annotated, what is not yet, and how sources are linked."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from .model import RELATIONS, Article, Site

# A figure: digits (with separators, ranges and decimals) or a number word.
FIGURE = re.compile(
    r"\b\d[\d,.]*(?:[-–]\d[\d,.]*)?\b|\b(?:dozens|hundreds|thousands|millions|two|three|four|five|six|seven|"
    r"eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand|million)\b",
    re.IGNORECASE,
)
# A name: capitalised words in a row, with lower-case joiners such as "of" and "de" ("and" joins two names).
# 'al-' may lead a name in lower case (al-Qaida, al-Nusra Front).
_WORD = r"(?:(?:[A-Z]\.){2,}|(?:al-)?[A-Z][\w'’-]*)"
NAME = re.compile(rf"\b{_WORD}(?:\s+(?:(?:al|of|de|the|bin)\s+)?{_WORD})*")
# Where a sentence starts: at a paragraph's start, after a full stop, and inside an opening quote.
SENTENCE = re.compile(r"(?:^|(?<=[.!?])[”\"’']?\s+)[“\"‘'(\[]?|(?<=\s)[“\"]")
# Capitalised only because they start a sentence or are too common to be names worth a note.
COMMON = frozenset(
    [
        "A",
        "An",
        "The",
        "This",
        "That",
        "These",
        "Those",
        "It",
        "Its",
        "In",
        "On",
        "At",
        "By",
        "For",
        "From",
        "With",
        "Without",
        "And",
        "But",
        "Or",
        "If",
        "When",
        "While",
        "As",
        "He",
        "She",
        "They",
        "We",
        "I",
        "You",
        "His",
        "Her",
        "Their",
        "Our",
        "Since",
        "After",
        "Before",
        "Despite",
        "Although",
        "Though",
        "Still",
        "Even",
        "Most",
        "Many",
        "Some",
        "Comparatively",
        "Photo",
        "North",
        "South",
        "East",
        "West",
        "Northern",
        "Southern",
        "Eastern",
        "Western",
        "Northwest",
        "Northeast",
        "Southwest",
        "Southeast",
        "Photos",
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
        "Jan",
        "Feb",
        "Mar",
        "Apr",
        "Jun",
        "Jul",
        "Aug",
        "Sept",
        "Sep",
        "Oct",
        "Nov",
        "Dec",
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ]
)


@dataclass(frozen=True)
class SourceCoverage:
    """How much of one source is annotated, and what it states that no annotation covers yet."""

    article: Article
    annotated: int  # code points inside at least one passage
    total: int  # code points of text, paragraph breaks left out
    passages: int
    uncovered_figures: tuple[tuple[int, str], ...]  # (paragraph, the figure in its sentence)
    unnoted_names: tuple[str, ...]  # names no note's title or alias matches, most frequent first


@dataclass(frozen=True)
class Coverage:
    """The whole report."""

    sources: tuple[SourceCoverage, ...]
    pairs: tuple[tuple[str, str, int], ...]  # every two articles and how many annotations they share
    uncited_notes: tuple[str, ...]  # notes no annotation cites and no other note links to
    relations: tuple[tuple[str, int], ...]
    cross_source: int  # annotations with passages in two or more articles


def coverage(site: Site) -> Coverage:
    """Work out the coverage report for a resolved site."""
    names = {name for note in site.notes.values() for name in (note.title, *note.aliases)}
    # Seen anywhere in any source, a capital mid-sentence marks a name even where a sentence starts with it.
    mid_sentence = set().union(*(_mid_sentence_capitals(article) for article in site.articles.values()))
    sources = tuple(_source_coverage(site, article, names, mid_sentence) for article in site.articles.values())
    slugs = list(site.articles)
    pairs = tuple(
        (a, b, len(site.pairs.get((min(a, b), max(a, b)), ()))) for i, a in enumerate(slugs) for b in slugs[i + 1 :]
    )
    uncited = tuple(slug for slug in site.notes if not site.note_citations[slug] and not site.note_backlinks[slug])
    counts = Counter(a.relation for a in site.annotations.values())
    cross = sum(1 for a in site.annotations.values() if len({p.article for p in a.passages}) > 1)
    return Coverage(sources, pairs, uncited, tuple((r, counts[r]) for r in RELATIONS), cross)


def _source_coverage(site: Site, article: Article, names: set[str], mid_sentence: set[str]) -> SourceCoverage:
    covered = [False] * len(article.text)
    passages = [site.passages[i] for i in site.passages_by_article[article.slug]]
    for passage in passages:
        covered[passage.start : passage.end] = [True] * (passage.end - passage.start)
    total = sum(p.end - p.start for p in article.paragraphs)
    figures: list[tuple[int, str]] = []
    found_names: Counter[str] = Counter()
    for paragraph in article.paragraphs:
        for sentence in re.finditer(
            r".+?(?:[.!?][”\"’']?(?=\s+[“\"‘']?[A-Z])|$)", article.text[paragraph.start : paragraph.end]
        ):
            start = paragraph.start + sentence.start()
            for match in FIGURE.finditer(sentence.group()):
                if not covered[start + match.start()]:
                    figures.append((paragraph.number, " ".join(sentence.group().split())))
                    break
        if paragraph.heading:
            continue
        block = article.text[paragraph.start : paragraph.end]
        starts = {m.end() for m in SENTENCE.finditer(block)}
        for match in NAME.finditer(block):
            words = [re.sub(r"(?:'s|’s|’|')$", "", word) for word in match.group().split()]
            # A capital at the start of a sentence says nothing: drop words that also stand in lower case.
            if match.start() in starts:
                while words and words[0] not in mid_sentence:
                    words.pop(0)
            while words and words[0] in COMMON:
                words.pop(0)
            name = " ".join(words)
            if len(name) > 1 and not any(name in known or known in name for known in names):
                found_names[name] += 1
    unnoted = tuple(name for name, _ in sorted(found_names.items(), key=lambda item: (-item[1], item[0])))
    return SourceCoverage(article, sum(covered), total, len(passages), tuple(figures), unnoted)


def _mid_sentence_capitals(article: Article) -> set[str]:
    """Capitalised words that stand somewhere other than at a sentence's start: likely names."""
    found: set[str] = set()
    for paragraph in article.paragraphs:
        block = article.text[paragraph.start : paragraph.end]
        starts = {m.end() for m in SENTENCE.finditer(block)}
        for match in re.finditer(_WORD, block):
            if match.start() not in starts:
                found.add(re.sub(r"(?:'s|’s|’|')$", "", match.group()))
    return found


def format_report(site: Site, report: Coverage) -> str:
    """The report as plain text for a terminal."""
    lines = [f"Coverage report: {site.config.title}", ""]
    lines.append("Sources (share of the text inside annotated passages):")
    for source in report.sources:
        share = 100 * source.annotated / source.total if source.total else 0
        lines.append(f"  {source.article.slug}: {share:.0f}% annotated, {source.passages} passages")
        for paragraph, sentence in source.uncovered_figures:
            lines.append(f"    figure not annotated (paragraph {paragraph}): {_clip(sentence)}")
        if source.unnoted_names:
            lines.append(f"    names without a note: {', '.join(source.unnoted_names)}")
    lines += ["", "Annotations shared by each pair of sources:"]
    for first, second, count in report.pairs:
        flag = "  <- none" if count == 0 else ""
        lines.append(f"  {first} + {second}: {count}{flag}")
    lines += ["", "Notes that no annotation cites and no note links to:"]
    lines += [f"  {slug}" for slug in report.uncited_notes] or ["  (none)"]
    lines += ["", "Annotations by relation:"]
    lines += [f"  {relation}: {count}" for relation, count in report.relations]
    total = sum(count for _, count in report.relations)
    lines.append(f"  in all: {total}, of which {report.cross_source} link passages in two or more sources")
    return "\n".join(lines) + "\n"


def _clip(text: str, limit: int = 110) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
