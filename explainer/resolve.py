"""Resolve: check what was loaded against the content contract, anchor every quote, and
build the one immutable model of the site with all its cross-references."""

from __future__ import annotations

import bisect
import datetime
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from itertools import combinations
from types import MappingProxyType
from typing import Any

from . import anchoring, schemas
from .load import Content, SourceFile, YamlValue
from .model import (
    Annotation,
    Article,
    Mention,
    Note,
    Paragraph,
    Passage,
    Site,
    SiteConfig,
    Topic,
)
from .problems import ContentError, Problem, did_you_mean

SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
SLUG_RULE = "use lower-case letters a-z, digits and single hyphens"
WIKI_LINK = re.compile(r"\[\[([^\[\]|]*)(?:\|([^\[\]]*))?\]\]")
_PUNCTUATION = ",.;:!?\"'“”‘’()[]"


class _Known(dict):  # type: ignore[type-arg]
    """Resolved items by slug, plus the slugs of files that exist but could not be resolved."""

    def __init__(self, items: Mapping[str, Any], existing: set[str]) -> None:
        super().__init__(items)
        self.existing = existing

    def missing(self, slug: str) -> bool:
        """True when no file of that slug exists at all (so the reference itself is wrong)."""
        return slug not in self and slug not in self.existing


class _Report:
    """Collects problems for one file."""

    def __init__(self, path: str, sink: list[Problem]) -> None:
        self.path = path
        self.sink = sink

    def __call__(self, line: int, message: str) -> None:
        self.sink.append(Problem(self.path, line, message))


def resolve(content: Content, base_url: str | None = None) -> Site:
    """Check and resolve loaded content into a Site; raise ContentError listing every problem."""
    problems: list[Problem] = list(content.problems)
    by_section: dict[str, list[SourceFile]] = defaultdict(list)
    for source in content.files:
        by_section[source.section].append(source)

    # Files that exist but are broken are reported once, for themselves; references to them are not.
    existing = {section: {s.stem for s in files} for section, files in by_section.items()}
    readable = {section: [s for s in files if not s.failed] for section, files in by_section.items()}
    validators = schemas.validators()
    config = _resolve_config(readable.get("site", []), base_url, validators, problems)
    language = config.language if config else "en"
    articles = [a for s in readable.get("articles", []) if (a := _resolve_article(s, language, validators, problems))]
    notes_and_links = [n for s in readable.get("notes", []) if (n := _resolve_note(s, validators, problems))]
    article_map = _Known({a.slug: a for a in articles}, existing.get("articles", set()))
    note_map = _Known({note.slug: note for note, _ in notes_and_links}, existing.get("notes", set()))
    for note, links in notes_and_links:
        report = _Report(note.path, problems)
        for target, typed, line in links:
            if note_map.missing(target):
                report(line, f"unknown note '{target}' in link {typed}{did_you_mean(target, note_map)}")

    normal_texts: dict[str, anchoring.NormalText] = {}
    first_ids: dict[str, str] = {}
    topics: list[Topic] = []
    annotations: list[Annotation] = []
    for source in readable.get("annotations", []):
        resolved = _resolve_topic(source, article_map, note_map, normal_texts, first_ids, validators, problems)
        if resolved:
            topics.append(resolved[0])
            annotations.extend(resolved[1])

    if problems or config is None:
        raise ContentError(problems)
    return _build_site(config, articles, [note for note, _ in notes_and_links], topics, annotations)


def _validate(
    source: SourceFile, name: str, line: int, validators: schemas.Validators, report: _Report
) -> frozenset[schemas.Where]:
    """Check a file's YAML with its schema (explainer/schemas); report what it refuses, return where that is."""
    checked = schemas.check(validators[name], source.data, source.path, line)
    report.sink.extend(checked.problems)
    return checked.invalid


def _entries(
    value: YamlValue | None, where: schemas.Where, invalid: frozenset[schemas.Where]
) -> dict[str, YamlValue] | None:
    """A mapping's entries whose values the schema accepts; None when it is no mapping at all."""
    if value is None:
        return {}
    if where in invalid or not isinstance(value.value, dict):
        return None
    return {key: item for key, item in value.value.items() if (*where, key) not in invalid}


def _text(entries: Mapping[str, YamlValue], key: str) -> str:
    item = entries.get(key)
    if item is None:
        return ""
    if isinstance(item.value, datetime.date):
        return item.value.isoformat()
    return str(item.value).strip()


def _texts(entries: Mapping[str, YamlValue], key: str) -> tuple[str, ...]:
    item = entries.get(key)
    return tuple(str(v.value).strip() for v in item.value) if item else ()


def _check_slug(stem: str, what: str, report: _Report, line: int) -> bool:
    if SLUG.fullmatch(stem):
        return True
    report(line, f"{what} '{stem}' is not a slug ({SLUG_RULE})")
    return False


def _resolve_config(
    sources: list[SourceFile], base_url: str | None, validators: schemas.Validators, problems: list[Problem]
) -> SiteConfig | None:
    if not sources:
        return None
    source = sources[0]
    report = _Report(source.path, problems)
    entries = _entries(source.data, (), _validate(source, "site", 1, validators, report))
    if entries is None or "title" not in entries:
        return None
    url = base_url if base_url is not None else _text(entries, "base_url")
    if url and not url.endswith("/"):
        url += "/"
    return SiteConfig(
        title=_text(entries, "title"),
        description=_text(entries, "description"),
        language=_text(entries, "language") or "en",
        base_url=url,
    )


def _resolve_article(
    source: SourceFile, language: str, validators: schemas.Validators, problems: list[Problem]
) -> Article | None:
    report = _Report(source.path, problems)
    slug_ok = _check_slug(source.stem, "file name", report, 1)
    entries = _entries(source.data, (), _validate(source, "article", 2, validators, report))
    text, paragraphs = split_paragraphs(source.body, source.body_line)
    if not paragraphs:
        report(source.body_line, "article has no text after its front matter")
    if entries is None or "title" not in entries or not slug_ok or not paragraphs:
        return None
    return Article(
        slug=source.stem,
        path=source.path,
        title=_text(entries, "title"),
        title_basis=_text(entries, "title_basis"),
        outlet=_text(entries, "outlet"),
        author=_text(entries, "author"),
        original_outlet=_text(entries, "original_outlet"),
        published=_text(entries, "published"),
        date_basis=_text(entries, "date_basis"),
        url=_text(entries, "url"),
        language=_text(entries, "language") or language,
        omitted=_texts(entries, "omitted"),
        text=text,
        paragraphs=paragraphs,
    )


def split_paragraphs(body: str, first_line: int) -> tuple[str, tuple[Paragraph, ...]]:
    """Turn an article body into its text and paragraphs, as the content contract defines them."""
    blocks: list[tuple[str, int]] = []
    current: list[str] = []
    start_line = first_line
    for number, line in enumerate(body.split("\n"), start=first_line):
        if line.strip():
            if not current:
                start_line = number
            current.append(line)
        elif current:
            blocks.append(("\n".join(current).strip(), start_line))
            current = []
    if current:
        blocks.append(("\n".join(current).strip(), start_line))
    parts: list[str] = []
    paragraphs: list[Paragraph] = []
    position = 0
    for number, (block, line) in enumerate(blocks, start=1):
        heading = block.startswith("## ")
        if heading:
            block = block[3:].strip()
        if parts:
            position += 2
        parts.append(block)
        paragraphs.append(Paragraph(number, position, position + len(block), heading, line))
        position += len(block)
    return "\n\n".join(parts), tuple(paragraphs)


def _resolve_note(
    source: SourceFile, validators: schemas.Validators, problems: list[Problem]
) -> tuple[Note, list[tuple[str, str, int]]] | None:
    report = _Report(source.path, problems)
    slug_ok = _check_slug(source.stem, "file name", report, 1)
    entries = _entries(source.data, (), _validate(source, "note", 2, validators, report))
    if entries is None:
        return None
    kind = _text(entries, "kind")
    links: list[tuple[str, str, int]] = []
    for match in WIKI_LINK.finditer(source.body):
        line = source.body_line + source.body.count("\n", 0, match.start())
        target = match.group(1).strip()
        if not SLUG.fullmatch(target):
            report(line, f"link {match.group(0)} does not name a note slug ({SLUG_RULE})")
        else:
            links.append((target, match.group(0), line))
    if not slug_ok or "title" not in entries:
        return None
    note = Note(
        slug=source.stem,
        path=source.path,
        title=_text(entries, "title"),
        kind=kind,
        aliases=_texts(entries, "aliases"),
        date=_text(entries, "date"),
        summary=_text(entries, "summary"),
        body=source.body.strip("\n"),
        links=tuple(dict.fromkeys(target for target, _, _ in links)),
    )
    return note, links


def _check_markdown_links(field: YamlValue, notes: _Known, report: _Report) -> None:
    """Report [[slug]] links in a Markdown field that name no note (at the field's first line)."""
    for match in WIKI_LINK.finditer(field.value):
        target = match.group(1).strip()
        if notes.missing(target):
            report(field.line, f"unknown note '{target}' in link {match.group(0)}{did_you_mean(target, notes)}")


def _resolve_topic(
    source: SourceFile,
    articles: _Known,
    notes: _Known,
    normal_texts: dict[str, anchoring.NormalText],
    first_ids: dict[str, str],
    validators: schemas.Validators,
    problems: list[Problem],
) -> tuple[Topic, list[Annotation]] | None:
    report = _Report(source.path, problems)
    slug_ok = _check_slug(source.stem, "file name", report, 1)
    invalid = _validate(source, "topic", 1, validators, report)
    entries = _entries(source.data, (), invalid)
    if entries is None:
        return None
    if "summary" in entries:
        _check_markdown_links(entries["summary"], notes, report)
    annotations: list[Annotation] = []
    for number, item in enumerate(entries["annotations"].value if "annotations" in entries else []):
        where = ("annotations", number)
        annotation = _resolve_annotation(item, where, invalid, source, articles, notes, normal_texts, first_ids, report)
        if annotation:
            annotations.append(annotation)
    if not slug_ok or "title" not in entries:
        return None
    topic = Topic(
        slug=source.stem,
        path=source.path,
        title=_text(entries, "title"),
        summary=_text(entries, "summary"),
        annotations=tuple(a.id for a in annotations),
    )
    return topic, annotations


def _resolve_annotation(
    item: YamlValue,
    where: schemas.Where,
    invalid: frozenset[schemas.Where],
    source: SourceFile,
    articles: _Known,
    notes: _Known,
    normal_texts: dict[str, anchoring.NormalText],
    first_ids: dict[str, str],
    report: _Report,
) -> Annotation | None:
    entries = _entries(item, where, invalid)
    if entries is None:
        return None
    ok = "id" in entries and "relation" in entries and "passages" in entries
    annotation_id = _text(entries, "id")
    if "id" in entries:
        line = entries["id"].line
        if annotation_id in first_ids:
            report(line, f"duplicate annotation id '{annotation_id}' (first used at {first_ids[annotation_id]})")
            ok = False
        else:
            first_ids[annotation_id] = f"{source.path}:{line}"
    if "comment" in entries:
        _check_markdown_links(entries["comment"], notes, report)
    relation = _text(entries, "relation")
    for note in entries["notes"].value if "notes" in entries else []:
        if note.value.strip() not in notes:
            ok = False
            if notes.missing(note.value.strip()):
                report(note.line, f"unknown note '{note.value}'{did_you_mean(note.value, notes)}")
    passage_items = entries["passages"].value if "passages" in entries else []
    passages: list[Passage] = []
    seen: dict[tuple[str, int, int], int] = {}
    for number, passage_item in enumerate(passage_items, start=1):
        passage = _resolve_passage(
            passage_item,
            (*where, "passages", number - 1),
            invalid,
            f"{annotation_id}-{number}",
            annotation_id,
            articles,
            normal_texts,
            report,
        )
        if passage is None:
            ok = False
            continue
        key = (passage.article, passage.start, passage.end)
        if key in seen:
            report(passage_item.line, f"the same passage is already in this annotation (line {seen[key]})")
            ok = False
        seen.setdefault(key, passage_item.line)
        passages.append(passage)
    if not ok:
        return None
    return Annotation(
        id=annotation_id,
        topic=source.stem,
        relation=relation,
        comment=_text(entries, "comment"),
        notes=tuple(dict.fromkeys(n.strip() for n in _texts(entries, "notes"))),
        passages=tuple(passages),
        path=source.path,
        line=item.line,
    )


def _resolve_passage(
    item: YamlValue,
    where: schemas.Where,
    invalid: frozenset[schemas.Where],
    passage_id: str,
    annotation_id: str,
    articles: _Known,
    normal_texts: dict[str, anchoring.NormalText],
    report: _Report,
) -> Passage | None:
    entries = _entries(item, where, invalid)
    if entries is None or "article" not in entries or "quote" not in entries:
        return None
    slug = _text(entries, "article")
    article = articles.get(slug)
    if article is None:
        if articles.missing(slug):
            report(entries["article"].line, f"unknown article '{slug}'{did_you_mean(slug, articles)}")
        return None
    if "occurrence" in item.value and "occurrence" not in entries:
        return None  # its type is already reported; anchoring without it would mislead
    if slug not in normal_texts:
        normal_texts[slug] = anchoring.normalise(article.text)
    quote = str(entries["quote"].value)
    line = entries["quote"].line
    occurrence = int(entries["occurrence"].value) if "occurrence" in entries else None
    found = anchoring.anchor(
        article.text, normal_texts[slug], quote, _text(entries, "prefix"), _text(entries, "suffix"), occurrence
    )
    shown = _clip(quote)
    if isinstance(found, anchoring.NotFound):
        if found.closest:
            where = paragraph_at(article, found.closest_start).number
            hint = f'; did you mean "{_clip(found.closest.strip(_PUNCTUATION))}" (paragraph {where})?'
        else:
            hint = "; nothing in the article is close to it"
        report(line, f"quote not found in article '{slug}': \"{shown}\"{hint}")
        return None
    prefix, suffix = _text(entries, "prefix"), _text(entries, "suffix")
    context = " and ".join(
        f'{name} "{_clip(value, 40)}"' for name, value in (("prefix", prefix), ("suffix", suffix)) if value
    )
    if isinstance(found, anchoring.Ambiguous):
        numbers = sorted({paragraph_at(article, start).number for start in found.starts})
        where = f"paragraph {numbers[0]}" if len(numbers) == 1 else f"paragraphs {', '.join(map(str, numbers))}"
        with_context = f" with {context}" if context else ""
        message = (
            f"quote occurs {len(found.starts)} times{with_context} in article '{slug}' ({where}): \"{shown}\"; "
            "add prefix, suffix or occurrence to choose one"
        )
        report(line, message)
        return None
    if isinstance(found, anchoring.OutOfRange):
        times = "once" if found.count == 1 else f"{found.count} times"
        with_context = f" with {context}" if context else ""
        report(
            entries["occurrence"].line,
            f"occurrence {occurrence} is out of range: the quote occurs {times} in article '{slug}'{with_context}",
        )
        return None
    if isinstance(found, anchoring.ContextMismatch):
        times = "once" if found.count == 1 else f"{found.count} times"
        report(line, f"quote occurs {times} in article '{slug}', but never with {context}: \"{shown}\"")
        return None
    first, last = paragraph_at(article, found.start), paragraph_at(article, found.end - 1)
    if first is not last:
        report(
            line,
            f"quote spans paragraphs {first.number} to {last.number} of article '{slug}'; "
            "a passage must lie within one paragraph",
        )
        return None
    return Passage(
        id=passage_id,
        annotation=annotation_id,
        article=slug,
        start=found.start,
        end=found.end,
        exact=article.text[found.start : found.end],
        paragraph=first.number,
    )


def paragraph_at(article: Article, position: int) -> Paragraph:
    """The paragraph holding text position `position` (or the one before a gap)."""
    index = bisect.bisect_right(article.paragraphs, position, key=lambda p: p.start)
    return article.paragraphs[max(0, index - 1)]


def _clip(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _build_site(
    config: SiteConfig,
    articles: Iterable[Article],
    notes: Iterable[Note],
    topics: Iterable[Topic],
    annotations: list[Annotation],
) -> Site:
    """Assemble the Site and work out every backlink."""
    article_list = sorted(articles, key=lambda a: (a.published or "9999", a.slug))
    note_list = sorted(notes, key=lambda n: (n.title.casefold(), n.slug))
    topic_list = sorted(topics, key=lambda t: (t.title.casefold(), t.slug))
    order = {t.slug: i for i, t in enumerate(topic_list)}
    annotations = sorted(annotations, key=lambda a: order[a.topic])
    passages = {p.id: p for a in annotations for p in a.passages}
    by_article: dict[str, list[Passage]] = defaultdict(list)
    for passage in passages.values():
        by_article[passage.article].append(passage)
    linked = {
        p.id: tuple(other.id for other in a.passages if other.id != p.id) for a in annotations for p in a.passages
    }
    citations: dict[str, list[str]] = defaultdict(list)
    for annotation in annotations:
        for note in annotation.notes:
            citations[note].append(annotation.id)
    backlinks: dict[str, list[str]] = defaultdict(list)
    for note in note_list:
        for target in note.links:
            if target != note.slug:
                backlinks[target].append(note.slug)
    pairs: dict[tuple[str, str], list[str]] = defaultdict(list)
    for annotation in annotations:
        slugs = sorted({p.article for p in annotation.passages})
        for pair in combinations(slugs, 2):
            pairs[pair].append(annotation.id)

    def frozen(mapping: Mapping[Any, Any], convert: Callable[[Any], Any] = tuple) -> Mapping[Any, Any]:
        return MappingProxyType({key: convert(value) for key, value in mapping.items()})

    mentions = find_mentions(article_list, note_list)
    by_note: dict[str, list[Mention]] = defaultdict(list)
    for article in article_list:
        for mention in mentions[article.slug]:
            by_note[mention.note].append(mention)

    return Site(
        config=config,
        articles=frozen({a.slug: a for a in article_list}, lambda a: a),
        notes=frozen({n.slug: n for n in note_list}, lambda n: n),
        topics=frozen({t.slug: t for t in topic_list}, lambda t: t),
        annotations=frozen({a.id: a for a in annotations}, lambda a: a),
        passages=frozen(passages, lambda p: p),
        passages_by_article=frozen(
            {
                a.slug: [p.id for p in sorted(by_article[a.slug], key=lambda p: (p.start, -p.end, p.id))]
                for a in article_list
            }
        ),
        linked_passages=frozen(linked),
        note_citations=frozen({n.slug: citations.get(n.slug, []) for n in note_list}),
        note_backlinks=frozen({n.slug: sorted(backlinks.get(n.slug, [])) for n in note_list}),
        pairs=frozen(dict(sorted(pairs.items()))),
        mentions=frozen(mentions),
        note_mentions=frozen({n.slug: by_note.get(n.slug, []) for n in note_list}),
    )


def find_mentions(articles: Iterable[Article], notes: Iterable[Note]) -> dict[str, list[Mention]]:
    """Every place an article's text names a note, by its title or an alias (whole words, exact case).

    At each position the longest name wins; a name shared by two notes belongs to the first by title.
    """
    owner: dict[str, str] = {}
    for note in notes:
        for name in (note.title, *note.aliases):
            owner.setdefault(name, note.slug)
    result: dict[str, list[Mention]] = {}
    if not owner:
        return {article.slug: [] for article in articles}
    names = sorted(owner, key=lambda name: (-len(name), name))
    pattern = re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, names)) + r")(?!\w)")
    for article in articles:
        found = []
        for paragraph in article.paragraphs:
            for match in pattern.finditer(article.text, paragraph.start, paragraph.end):
                found.append(Mention(owner[match.group()], article.slug, match.start(), match.end(), paragraph.number))
        result[article.slug] = found
    return result
