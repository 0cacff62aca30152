"""Resolve: check what was loaded against the content contract, anchor every quote, and
build the one immutable model of the site with all its cross-references."""

from __future__ import annotations

import bisect
import dataclasses
import datetime
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import combinations
from types import MappingProxyType
from typing import Any

from . import anchoring, schemas
from .load import Content, SourceFile, YamlValue, cycle_collection_paused, parsed_data
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

    def state(self, slugs: tuple[str, ...], items: bool) -> tuple[tuple[Any, ...], tuple[bool, ...]]:
        """What a topic sees of `slugs`: each one's item (or only whether it has one), and whether its file exists."""
        seen = tuple(map(self.get if items else self.__contains__, slugs))
        return seen, tuple(map(self.existing.__contains__, slugs))


class _Seen:
    """One topic's view of the articles or the notes, recording each slug the topic asks about."""

    def __init__(self, known: _Known) -> None:
        self.known = known
        self.asked: dict[str, None] = {}  # in the order asked
        self.listed = False  # every slug was read, to suggest the closest one

    def get(self, slug: str) -> Any:
        """The item of that slug, or None."""
        self.asked[slug] = None
        return self.known.get(slug)

    def __contains__(self, slug: str) -> bool:
        self.asked[slug] = None
        return slug in self.known

    def missing(self, slug: str) -> bool:
        """True when no file of that slug exists at all."""
        self.asked[slug] = None
        return self.known.missing(slug)

    def __iter__(self) -> Iterator[str]:
        self.listed = True
        return iter(self.known)


class _Report:
    """Collects problems for one file."""

    def __init__(self, path: str, sink: list[Problem]) -> None:
        self.path = path
        self.sink = sink

    def __call__(self, line: int, message: str) -> None:
        self.sink.append(Problem(self.path, line, message))


Selector = tuple[str, str, str, str, int | None]  # article text, quote, prefix, suffix, occurrence


@dataclass(frozen=True)
class _FileWork:
    """An article or note file as resolved; reused while the same file is resolved in the same language."""

    source: SourceFile
    language: str
    resolved: Any  # the Article, the (Note, its links), or None
    problems: tuple[Problem, ...]


@dataclass(frozen=True)
class _TopicWork:
    """A topic file as resolved, before ids are checked across topics; reused while the file is the same
    and so is everything it looked up."""

    source: SourceFile
    topic: Topic | None  # None when the file cannot make one
    # Each annotation that has an id: the id, its line, and the annotation (None when it is refused).
    entries: tuple[tuple[str, int, Annotation | None], ...]
    ids: tuple[str, ...]  # the entries' ids, when no two are the same (else empty)
    problems: tuple[Problem, ...]
    articles: tuple[str, ...]  # the article slugs it looked up
    seen_articles: tuple[tuple[Any, ...], tuple[bool, ...]]  # what it saw of them (_Known.state)
    notes: tuple[str, ...]  # the note slugs it looked up
    seen_notes: tuple[tuple[Any, ...], tuple[bool, ...]]
    listed: bool  # it read every slug (for a 'did you mean'), so any new or lost one may change it
    anchored: Mapping[Selector, anchoring.Anchoring]  # what each of its quotes gave
    parts: _Parts  # what its annotations add to the site, when none is left out for a duplicate id


@dataclass(frozen=True)
class Work:
    """What one resolve worked out, kept so the next can redo only what changed since."""

    validators: schemas.Validators
    files: Mapping[str, _FileWork]  # articles and notes, by path
    topics: Mapping[str, _TopicWork]  # by path
    slugs: tuple[frozenset[str], ...]  # articles resolved, article files, notes resolved, note files
    names: Mapping[str, str]  # note titles and aliases -> the note each names
    names_pattern: re.Pattern[str] | None
    mentions: Mapping[str, tuple[Article, tuple[Mention, ...]]]  # article slug -> the article and its mentions
    built: _Built | None  # the last site made, and its topics' parts


@dataclass(frozen=True)
class Resolution:
    """What resolving content gave: the Site or the problems that stop it, and the work the next resolve reuses."""

    site: Site | None  # None when there are problems
    problems: tuple[Problem, ...]  # sorted, as ContentError has them
    work: Work


def resolve(content: Content, base_url: str | None = None, previous: Resolution | None = None) -> Site:
    """Check and resolve loaded content into a Site; raise ContentError listing every problem.

    With `previous` (the resolution of an earlier version of the content) only what changed is
    worked out again: the result is the same.
    """
    result = resolution(content, base_url, previous)
    if result.site is None:
        raise ContentError(result.problems)
    return result.site


@cycle_collection_paused()
def resolution(content: Content, base_url: str | None = None, previous: Resolution | None = None) -> Resolution:
    """Resolve content into a Site, or the problems that stop it, reusing `previous`'s work where it still holds.

    A file's work is reused when the same file object is read again (load.reload_content keeps
    unchanged files' objects) and what it depends on is the same: the language, for an article; for
    a topic, the articles and notes it looked up, and every slug when it suggested one. Ids are
    checked across topics afresh each time.
    """
    work = previous.work if previous is not None else None
    problems: list[Problem] = list(content.problems)
    by_section: dict[str, list[SourceFile]] = defaultdict(list)
    for source in content.files:
        by_section[source.section].append(source)

    # Files that exist but are broken are reported once, for themselves; references to them are not.
    existing = {section: {s.stem for s in files} for section, files in by_section.items()}
    readable = {section: [s for s in files if not s.failed] for section, files in by_section.items()}
    validators = work.validators if work is not None else schemas.validators()
    config = _resolve_config(readable.get("site", []), base_url, validators, problems)
    language = config.language if config else "en"
    files: dict[str, _FileWork] = {}
    for section, resolve_file in (
        ("articles", lambda s, found: _resolve_article(s, language, validators, found)),
        ("notes", lambda s, found: _resolve_note(s, validators, found)),
    ):
        kept = "" if section == "notes" else language
        for source in readable.get(section, []):
            done = work.files.get(source.path) if work is not None else None
            if done is None or done.source is not source or done.language != kept:
                found: list[Problem] = []
                done = _FileWork(source, kept, resolve_file(source, found), tuple(found))
            files[source.path] = done
            problems.extend(done.problems)
    articles = [files[s.path].resolved for s in readable.get("articles", []) if files[s.path].resolved]
    notes_and_links = [files[s.path].resolved for s in readable.get("notes", []) if files[s.path].resolved]
    article_map = _Known({a.slug: a for a in articles}, existing.get("articles", set()))
    note_map = _Known({note.slug: note for note, _ in notes_and_links}, existing.get("notes", set()))
    for note, links in notes_and_links:
        report = _Report(note.path, problems)
        for target, typed, line in links:
            if note_map.missing(target):
                report(line, f"unknown note '{target}' in link {typed}{did_you_mean(target, note_map)}")

    slugs = (frozenset(article_map), frozenset(article_map.existing), frozenset(note_map), frozenset(note_map.existing))
    same_slugs = work is not None and slugs == work.slugs
    # Article texts in matching form, made when a quote is anchored afresh (not kept: it is soon done, and as big
    # as the texts).
    normal_texts: dict[str, anchoring.NormalText] = {}
    topic_work: dict[str, _TopicWork] = {}
    first_ids: dict[str, _TopicWork] = {}  # annotation id -> the topic that uses it first
    topics: list[tuple[Topic, _Parts]] = []
    for source in readable.get("annotations", []):
        done = work.topics.get(source.path) if work is not None else None
        if done is None or not _still_holds(done, source, article_map, note_map, same_slugs):
            done = _resolve_topic(source, article_map, note_map, normal_texts, validators, done)
        topic_work[source.path] = done
        problems.extend(done.problems)
        if len(done.ids) == len(done.entries) and first_ids.keys().isdisjoint(done.ids):
            first_ids.update(dict.fromkeys(done.ids, done))  # no id used twice (nearly always): all at once
            if done.topic is not None:
                topics.append((done.topic, done.parts))
            continue
        kept_annotations: list[Annotation] = []
        for annotation_id, line, annotation in done.entries:
            if annotation_id in first_ids:
                first = first_ids[annotation_id]
                where = next(f"{first.source.path}:{at}" for used, at, _ in first.entries if used == annotation_id)
                message = f"duplicate annotation id '{annotation_id}' (first used at {where})"
                problems.append(Problem(source.path, line, message))
                continue
            first_ids[annotation_id] = done
            if annotation is not None:
                kept_annotations.append(annotation)
        if done.topic is not None:
            if len(kept_annotations) == len(done.parts.annotations):
                topics.append((done.topic, done.parts))
            else:  # some are left out for a duplicate id
                ids = tuple(a.id for a in kept_annotations)
                topics.append((dataclasses.replace(done.topic, annotations=ids), _parts(kept_annotations)))

    names, pattern, mentions = (work.names, work.names_pattern, work.mentions) if work else ({}, None, {})
    built = work.built if work is not None else None
    site = None
    if not problems and config is not None:
        article_list = sorted(articles, key=lambda a: (a.published or "9999", a.slug))
        note_list = sorted((note for note, _ in notes_and_links), key=lambda n: (n.title.casefold(), n.slug))
        owners = name_owners(note_list)
        if work is None or owners != names:
            names, pattern = owners, names_pattern(owners)
        # An article's mentions are found again only when it or the notes' names changed.
        before = mentions if work is not None and pattern is work.names_pattern else {}
        mentions = {}
        for article in article_list:
            known = before.get(article.slug)
            if known is None or known[0] is not article:
                known = (article, tuple(article_mentions(article, names, pattern)))
            mentions[article.slug] = known
        built = _build_site(config, article_list, note_list, topics, mentions, built)
        site = built[0]
    return Resolution(
        site,
        tuple(sorted(set(problems))),
        Work(
            validators,
            MappingProxyType(files),
            MappingProxyType(topic_work),
            slugs,
            MappingProxyType(names),
            pattern,
            MappingProxyType(mentions),
            built,
        ),
    )


def _still_holds(done: _TopicWork, source: SourceFile, articles: _Known, notes: _Known, same_slugs: bool) -> bool:
    """True when a topic's earlier work is still what resolving it would give."""
    return (
        done.source is source
        and (same_slugs or not done.listed)
        and articles.state(done.articles, items=True) == done.seen_articles
        and notes.state(done.notes, items=False) == done.seen_notes
    )


def _validate(
    data: YamlValue | None, name: str, line: int, validators: schemas.Validators, report: _Report
) -> frozenset[schemas.Where]:
    """Check a file's YAML with its schema (explainer/schemas); report what it refuses, return where that is."""
    checked = schemas.check(validators[name], data, report.path, line)
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
    entries = _entries(source.data, (), _validate(source.data, "site", 1, validators, report))
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
    entries = _entries(source.data, (), _validate(source.data, "article", 2, validators, report))
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
    entries = _entries(source.data, (), _validate(source.data, "note", 2, validators, report))
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


def _check_markdown_links(field: YamlValue, notes: _Seen, report: _Report) -> None:
    """Report [[slug]] links in a Markdown field that name no note (at the field's first line)."""
    for match in WIKI_LINK.finditer(field.value):
        target = match.group(1).strip()
        if notes.missing(target):
            report(field.line, f"unknown note '{target}' in link {match.group(0)}{did_you_mean(target, notes)}")


def _resolve_topic(
    source: SourceFile,
    article_map: _Known,
    note_map: _Known,
    normal_texts: dict[str, anchoring.NormalText],
    validators: schemas.Validators,
    before: _TopicWork | None,
) -> _TopicWork:
    """Resolve one topic file, but for ids, which are checked across topics (`before`: its earlier work)."""
    problems: list[Problem] = []
    report = _Report(source.path, problems)
    articles, notes = _Seen(article_map), _Seen(note_map)
    anchor = _Anchorer(normal_texts, before.anchored if before is not None else {})
    entries_with_ids: list[tuple[str, int, Annotation | None]] = []
    topic = None
    data, read = parsed_data(source)
    if read:  # YAML that cannot be read: nothing else about the file is checked, and nothing looked up
        return _TopicWork(
            source,
            topic=None,
            entries=(),
            ids=(),
            problems=tuple(read),
            articles=(),
            seen_articles=((), ()),
            notes=(),
            seen_notes=((), ()),
            listed=False,
            anchored={},
            parts=_parts(()),
        )
    slug_ok = _check_slug(source.stem, "file name", report, 1)
    invalid = _validate(data, "topic", 1, validators, report)
    entries = _entries(data, (), invalid)
    if entries is not None:
        if "summary" in entries:
            _check_markdown_links(entries["summary"], notes, report)
        for number, item in enumerate(entries["annotations"].value if "annotations" in entries else []):
            where = ("annotations", number)
            entry = _resolve_annotation(item, where, invalid, source, articles, notes, anchor, report)
            if entry is not None:
                entries_with_ids.append(entry)
        if slug_ok and "title" in entries:
            topic = Topic(
                slug=source.stem,
                path=source.path,
                title=_text(entries, "title"),
                summary=_text(entries, "summary"),
                annotations=tuple(annotation.id for _, _, annotation in entries_with_ids if annotation is not None),
            )
    ids = tuple(annotation_id for annotation_id, _, _ in entries_with_ids)
    return _TopicWork(
        source,
        topic,
        tuple(entries_with_ids),
        ids if len(set(ids)) == len(ids) else (),
        tuple(problems),
        tuple(articles.asked),
        article_map.state(tuple(articles.asked), items=True),
        tuple(notes.asked),
        note_map.state(tuple(notes.asked), items=False),
        articles.listed or notes.listed,
        MappingProxyType(anchor.found),
        _parts(annotation for _, _, annotation in entries_with_ids if annotation is not None),
    )


class _Anchorer:
    """Anchors one topic's quotes, taking what its earlier version found for the same text and selector."""

    def __init__(self, normal_texts: dict[str, anchoring.NormalText], before: Mapping[Selector, anchoring.Anchoring]):
        self.normal_texts = normal_texts  # shared by every topic
        self.before = before
        self.found: dict[Selector, anchoring.Anchoring] = {}

    def __call__(self, text: str, quote: str, prefix: str, suffix: str, occurrence: int | None) -> anchoring.Anchoring:
        selector = (text, quote, prefix, suffix, occurrence)
        found = self.found.get(selector) or self.before.get(selector)
        if found is None:
            normal = self.normal_texts.get(text)
            if normal is None:
                normal = self.normal_texts[text] = anchoring.normalise(text)
            found = anchoring.anchor(text, normal, quote, prefix, suffix, occurrence)
        self.found[selector] = found
        return found


def _resolve_annotation(
    item: YamlValue,
    where: schemas.Where,
    invalid: frozenset[schemas.Where],
    source: SourceFile,
    articles: _Seen,
    notes: _Seen,
    anchor: _Anchorer,
    report: _Report,
) -> tuple[str, int, Annotation | None] | None:
    """One annotation with an id: the id, its line, and the annotation (None when refused); None without an id."""
    entries = _entries(item, where, invalid)
    if entries is None:
        return None
    ok = "id" in entries and "relation" in entries and "passages" in entries
    annotation_id = _text(entries, "id")
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
            anchor,
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
    if "id" not in entries:
        return None
    line = entries["id"].line
    if not ok:
        return annotation_id, line, None
    return (
        annotation_id,
        line,
        Annotation(
            id=annotation_id,
            topic=source.stem,
            relation=relation,
            comment=_text(entries, "comment"),
            notes=tuple(dict.fromkeys(n.strip() for n in _texts(entries, "notes"))),
            passages=tuple(passages),
            path=source.path,
            line=item.line,
        ),
    )


def _resolve_passage(
    item: YamlValue,
    where: schemas.Where,
    invalid: frozenset[schemas.Where],
    passage_id: str,
    annotation_id: str,
    articles: _Seen,
    anchor: _Anchorer,
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
    quote = str(entries["quote"].value)
    line = entries["quote"].line
    occurrence = int(entries["occurrence"].value) if "occurrence" in entries else None
    found = anchor(article.text, quote, _text(entries, "prefix"), _text(entries, "suffix"), occurrence)
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


@dataclass(frozen=True)
class _Parts:
    """What one topic's annotations add to the site's cross-references, in the order the site lists them."""

    annotations: Mapping[str, Annotation]  # by id
    passages: Mapping[str, Passage]  # by passage id
    linked: Mapping[str, tuple[str, ...]]  # passage -> the other passages of its annotation
    citations: tuple[tuple[str, str], ...]  # (note, annotation id)
    pairs: tuple[tuple[tuple[str, str], str], ...]  # ((article a, article b), annotation id)
    by_article: Mapping[str, tuple[Passage, ...]]  # article -> its passages


def _parts(annotations: Iterable[Annotation]) -> _Parts:
    """Work out what some annotations (of one topic, in file order) add to the site."""
    by_id = {a.id: a for a in annotations}
    passages = {p.id: p for a in by_id.values() for p in a.passages}
    by_article: dict[str, list[Passage]] = defaultdict(list)
    for passage in passages.values():
        by_article[passage.article].append(passage)
    return _Parts(
        MappingProxyType(by_id),
        MappingProxyType(passages),
        MappingProxyType(
            {
                p.id: tuple(other.id for other in a.passages if other.id != p.id)
                for a in by_id.values()
                for p in a.passages
            }
        ),
        tuple((note, a.id) for a in by_id.values() for note in a.notes),
        tuple(
            (pair, a.id) for a in by_id.values() for pair in combinations(sorted({p.article for p in a.passages}), 2)
        ),
        MappingProxyType({slug: tuple(items) for slug, items in by_article.items()}),
    )


_Built = tuple[Site, Mapping[str, _Parts]]  # a site, and the parts (by topic slug) it was made of


def _build_site(
    config: SiteConfig,
    article_list: list[Article],
    note_list: list[Note],
    topics: Iterable[tuple[Topic, _Parts]],
    mentions: Mapping[str, tuple[Article, tuple[Mention, ...]]],
    before: _Built | None,
) -> _Built:
    """Assemble the Site and work out every backlink (articles and notes come in their order, with the mentions).

    What depends only on things that are the same as in `before` (the articles, the notes, the
    passages of an article that no changed topic touches) is taken from it.
    """
    by_topic = sorted(topics, key=lambda pair: (pair[0].title.casefold(), pair[0].slug))
    topic_list = [topic for topic, _ in by_topic]
    parts = {topic.slug: part for topic, part in by_topic}
    old_site, old_parts = before if before is not None else (None, {})
    changed = [slug for slug, part in parts.items() if old_parts.get(slug) is not part]
    changed.extend(slug for slug in old_parts if slug not in parts)
    # When the topics are the same, in the same order, and each changed one still has the same
    # annotations and passages in the same order, the site's mappings keep their order: the changed
    # topics' values are put in a copy of the last site's instead of merging every topic again.
    in_place = (
        old_site is not None
        and list(parts) == list(old_parts)
        and all(_same_keys(parts[slug], old_parts[slug]) for slug in changed)
    )
    merged = [parts[slug] for slug in changed] if in_place else list(parts.values())
    annotations = _copy(old_site.annotations) if in_place else {}  # type: ignore[union-attr]
    passages = _copy(old_site.passages) if in_place else {}  # type: ignore[union-attr]
    linked = _copy(old_site.linked_passages) if in_place else {}  # type: ignore[union-attr]
    for part in merged:
        annotations.update(part.annotations)
        passages.update(part.passages)
        linked.update(part.linked)
    same_notes = old_site is not None and _same(old_site.notes.values(), note_list)
    same_citations = in_place and same_notes and all(parts[s].citations == old_parts[s].citations for s in changed)
    citations: dict[str, list[str]] = defaultdict(list)
    same_pairs = in_place and all(parts[slug].pairs == old_parts[slug].pairs for slug in changed)
    pairs: dict[tuple[str, str], list[str]] = defaultdict(list)
    for part in parts.values():
        for note, annotation_id in () if same_citations else part.citations:
            citations[note].append(annotation_id)
        for pair, annotation_id in () if same_pairs else part.pairs:
            pairs[pair].append(annotation_id)
    # The passages of an article change only with the topics that have (or had) passages in it.
    old_by_article = old_site.passages_by_article if old_site is not None else {}
    touched = {a.slug for a in article_list if a.slug not in old_by_article}
    touched.update(
        article
        for slug in changed
        for part in (parts.get(slug), old_parts.get(slug))
        if part
        for article in part.by_article
    )
    by_article: dict[str, list[Passage]] = defaultdict(list)
    for part in parts.values():
        for article, items in part.by_article.items():
            if article in touched:
                by_article[article].extend(items)
    backlinks: dict[str, list[str]] = defaultdict(list)
    for note in note_list:
        for target in note.links:
            if target != note.slug:
                backlinks[target].append(note.slug)

    def frozen(mapping: Mapping[Any, Any], convert: Callable[[Any], Any] = tuple) -> Mapping[Any, Any]:
        return MappingProxyType({key: convert(value) for key, value in mapping.items()})

    same_articles = old_site is not None and _same(old_site.articles.values(), article_list)
    same_mentions = same_articles and all(known[1] is old_site.mentions.get(slug) for slug, known in mentions.items())  # type: ignore[union-attr]
    if same_mentions and same_notes:
        note_mentions = old_site.note_mentions  # type: ignore[union-attr]
    else:
        by_note: dict[str, list[Mention]] = defaultdict(list)
        for article in article_list:
            for mention in mentions[article.slug][1]:
                by_note[mention.note].append(mention)
        note_mentions = frozen({n.slug: by_note.get(n.slug, []) for n in note_list})
    site = Site(
        config=config,
        articles=old_site.articles if same_articles else frozen({a.slug: a for a in article_list}, lambda a: a),
        notes=old_site.notes if same_notes else frozen({n.slug: n for n in note_list}, lambda n: n),
        topics=frozen({t.slug: t for t in topic_list}, lambda t: t),
        annotations=MappingProxyType(annotations),
        passages=MappingProxyType(passages),
        passages_by_article=MappingProxyType(
            {
                a.slug: old_by_article[a.slug]
                if a.slug not in touched
                else tuple(p.id for p in sorted(by_article.get(a.slug, ()), key=lambda p: (p.start, -p.end, p.id)))
                for a in article_list
            }
        ),
        linked_passages=MappingProxyType(linked),
        note_citations=old_site.note_citations  # type: ignore[union-attr]
        if same_citations
        else frozen({n.slug: citations.get(n.slug, []) for n in note_list}),
        note_backlinks=old_site.note_backlinks
        if same_notes
        else frozen({n.slug: sorted(backlinks.get(n.slug, [])) for n in note_list}),
        pairs=old_site.pairs if same_pairs else frozen(dict(sorted(pairs.items()))),  # type: ignore[union-attr]
        mentions=old_site.mentions if same_mentions else frozen(mentions, lambda known: known[1]),  # type: ignore[union-attr]
        note_mentions=note_mentions,
    )
    return site, MappingProxyType(parts)


def _same_keys(part: _Parts, before: _Parts) -> bool:
    """True when a topic's parts have the same annotations and passages, in the same order, as before."""
    return list(part.annotations) == list(before.annotations) and list(part.passages) == list(before.passages)


def _copy(mapping: Mapping[Any, Any]) -> dict[Any, Any]:
    """A dict copy of a mapping (a mapping proxy's own copy is the fastest)."""
    return mapping.copy() if isinstance(mapping, MappingProxyType) else dict(mapping)


def _same(before: Iterable[Any], after: list[Any]) -> bool:
    """True when two sequences hold the very same objects in the same order."""
    before = list(before)
    return len(before) == len(after) and all(old is new for old, new in zip(before, after, strict=True))


def name_owners(notes: Iterable[Note]) -> dict[str, str]:
    """Each name (title or alias) a note goes by, and the note it names: the first by title order."""
    owner: dict[str, str] = {}
    for note in notes:
        for name in (note.title, *note.aliases):
            owner.setdefault(name, note.slug)
    return owner


def names_pattern(names: Iterable[str]) -> re.Pattern[str] | None:
    """A pattern finding any of `names` as a whole word, the longest at each position (None: no names).

    The names form a tree of their characters, so a position is ruled out after reading one or two
    of them instead of trying every name in turn; the first character comes before the check that no
    word character precedes it, so the regular expression engine skips quickly to where a name can start.
    """
    tree: dict[str, Any] = {}
    for name in names:
        node = tree
        for char in name:
            node = node.setdefault(char, {})
        node[""] = {}  # a name ends here
    if not tree:
        return None
    if "" in tree:  # an empty name, which matches between any two non-word characters
        return re.compile(r"(?<!\w)" + _tree_pattern(tree) + r"(?!\w)")
    return re.compile(_tree_pattern(tree, first=True) + r"(?!\w)")


def _tree_pattern(node: Mapping[str, Any], first: bool = False) -> str:
    """The pattern for the names below `node` of the tree: greedy, so a longer name is tried first."""
    branches = [
        re.escape(char) + (r"(?<!\w[\s\S])" if first else "") + _tree_pattern(child)
        for char, child in sorted(node.items())
        if char
    ]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    return f"(?:{body})?" if "" in node else body


def article_mentions(article: Article, owner: Mapping[str, str], pattern: re.Pattern[str] | None) -> list[Mention]:
    """The mentions of notes in one article's text, by position (`pattern` from names_pattern(owner))."""
    if pattern is None:
        return []
    return [
        Mention(owner[match.group()], article.slug, match.start(), match.end(), paragraph.number)
        for paragraph in article.paragraphs
        for match in pattern.finditer(article.text, paragraph.start, paragraph.end)
    ]
