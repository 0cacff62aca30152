"""Data exports of the resolved site: the whole model as JSON, annotations as W3C Web Annotations and as CSV."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from .fragments import remembering_links
from .model import LINK_RELATIONS, Annotation, Article, Passage, Site

ANNO_CONTEXT = "http://www.w3.org/ns/anno.jsonld"
MODEL_FORMAT = "explainer-model/1"
SELECTOR_CONTEXT = 32  # code points of prefix and suffix in each TextQuoteSelector

_STRING = json.encoder.encode_basestring  # a JSON string literal, non-ASCII kept (the C function when built)
MOTIVATIONS = {**dict.fromkeys(LINK_RELATIONS, "linking"), "context": "describing", "correction": "assessing"}


def render_data(site: Site) -> dict[str, bytes]:
    """The site's data files, by path."""
    return {path: b"".join(pieces) for path, pieces in data_files(site)}


def data_files(site: Site) -> Iterator[tuple[str, Iterator[bytes]]]:
    """The site's data files, by path, each as its bytes in pieces made as they are read.

    A large site's data files run to hundreds of megabytes: written piece by piece, neither they
    nor the plain values they are made from are ever held whole.
    """
    yield "data/explainer.json", _json_pieces(_model(site, lazy=True))
    yield "data/annotations.jsonld", _json_pieces(_collection(site, lazy=True))
    yield "data/annotations.csv", _csv_pieces(site)


@dataclass(frozen=True)
class _Members:
    """A JSON object whose members are made as it is written."""

    items: Iterable[tuple[str, Any]]


def _dump(value: Any) -> bytes:
    """`json.dumps(value, ensure_ascii=False, indent=1)` and a line break, in UTF-8 (what _json_pieces makes, whole)."""
    return b"".join(_json_pieces(value))


def _json_pieces(value: Any) -> Iterator[bytes]:
    """`json.dumps(value, ensure_ascii=False, indent=1)` and a line break, in UTF-8 pieces: the same bytes, faster.

    With an indent, json.dumps uses its pure-Python encoder, a generator per node; this walks the
    containers with plain loops and leaves strings to the C encoder's escaping. Down to
    STREAMED_LEVELS, iterators are written as arrays and _Members as objects, as they are read.
    """
    out: list[str] = []
    for _ in _members(value, "\n", STREAMED_LEVELS, out):
        if len(out) >= PIECE:
            yield "".join(out).encode("utf-8")
            out.clear()
    out.append("\n")
    yield "".join(out).encode("utf-8")


STREAMED_LEVELS = 3  # the top-level object, its sections and their items: the collection's items are 3 down
PIECE = 4096  # strings gathered before a piece of a data file is handed on


def _members(value: Any, newline: str, levels: int, out: list[str]) -> Iterator[None]:
    """Append `value` to `out` as _encode does, pausing after each member of a container `levels` down or less."""
    kind = type(value)
    if kind is dict or kind is _Members:
        members: Iterable[tuple[str | None, Any]] = value.items() if kind is dict else value.items
        opening, closing = "{", "}"
    elif kind is not str and isinstance(value, (list, tuple, Iterator)):
        members = ((None, item) for item in value)
        opening, closing = "[", "]"
    else:
        members = ()
    if not levels or not members:
        _encode(value, newline, out)
        return
    inner = newline + " "
    separator = opening + inner
    for key, item in members:
        out.append(separator)
        if key is not None:
            out.append(_STRING(key))
            out.append(": ")
        yield from _members(item, inner, levels - 1, out)
        yield None
        separator = "," + inner
    out.append(opening + closing if separator == opening + inner else newline + closing)


def _encode(value: Any, newline: str, out: list[str]) -> None:
    """Append `value` to `out` as indented JSON; `newline` is a line break and the indent of the current level."""
    kind = type(value)
    if kind is str:
        out.append(_STRING(value))
    elif kind is dict:
        if not value:
            out.append("{}")
            return
        inner = newline + " "
        separator = "{" + inner
        for key, item in value.items():
            out.append(separator)
            out.append(_STRING(key if type(key) is str else json.dumps(key)))
            out.append(": ")
            if type(item) is str:
                out.append(_STRING(item))
            else:
                _encode(item, inner, out)
            separator = "," + inner
        out.append(newline + "}")
    elif kind is list or kind is tuple:
        if not value:
            out.append("[]")
            return
        inner = newline + " "
        separator = "[" + inner
        for item in value:
            out.append(separator)
            if type(item) is str:
                out.append(_STRING(item))
            else:
                _encode(item, inner, out)
            separator = "," + inner
        out.append(newline + "]")
    elif kind is int:
        out.append(int.__repr__(value))
    else:
        out.append(json.dumps(value))  # True, False, None and floats, exactly as json writes them


def _fields_of() -> Callable[[Any], dict[str, Any]]:
    """A converter of flat dataclass instances to dicts (dataclasses.asdict without its deep copy of every value)."""
    names: dict[type, tuple[str, ...]] = {}

    def plain(value: Any) -> dict[str, Any]:
        kind = type(value)
        if kind not in names:
            names[kind] = tuple(field.name for field in dataclasses.fields(kind))
        return {name: getattr(value, name) for name in names[kind]}

    return plain


def model_json(site: Site) -> dict[str, Any]:
    """The whole resolved model as plain JSON (documented in docs/output.md)."""
    return _model(site, lazy=False)


def _model(site: Site, lazy: bool) -> dict[str, Any]:
    """The model as model_json gives it, or with its long parts as iterators that make each item when read."""
    plain = _fields_of()
    made: Callable[[Iterator[Any]], Any] = iter if lazy else list

    def article(value: Article) -> dict[str, Any]:
        fields = plain(value)
        fields["paragraphs"] = [plain(p) for p in value.paragraphs]
        return fields

    def annotation(value: Annotation) -> dict[str, Any]:
        fields = plain(value)
        fields["passages"] = [plain(p) for p in value.passages]
        return fields

    mentions = ((slug, [plain(m) for m in found]) for slug, found in site.mentions.items())
    return {
        "format": MODEL_FORMAT,
        "site": plain(site.config),
        "articles": made(map(article, site.articles.values())),
        "notes": made(map(plain, site.notes.values())),
        "topics": made(map(plain, site.topics.values())),
        "annotations": made(map(annotation, site.annotations.values())),
        "passages_by_article": dict(site.passages_by_article),
        "linked_passages": dict(site.linked_passages),
        "note_citations": dict(site.note_citations),
        "note_backlinks": dict(site.note_backlinks),
        "pairs": made({"articles": list(pair), "annotations": list(ids)} for pair, ids in site.pairs.items()),
        "mentions": _Members(mentions) if lazy else dict(mentions),
    }


def annotation_collection(site: Site) -> dict[str, Any]:
    """Every annotation as a W3C Web Annotation, in one AnnotationCollection with one page.

    IRIs are absolute when the site's base URL is known; otherwise they are relative to the
    site root, as JSON-LD allows, and resolve against where the file is served from.
    """
    return _collection(site, lazy=False)


def _collection(site: Site, lazy: bool) -> dict[str, Any]:
    """The collection as annotation_collection gives it, or with its items made as they are read."""
    base = site.config.base_url or "../"
    items = (web_annotation(site, annotation, base) for annotation in site.annotations.values())
    collection_id = f"{base}data/annotations.jsonld"
    return {
        "@context": ANNO_CONTEXT,
        "id": collection_id,
        "type": "AnnotationCollection",
        "label": site.config.title,
        "total": len(site.annotations),
        "first": {
            "id": f"{collection_id}#page-1",
            "type": "AnnotationPage",
            "startIndex": 0,
            "items": items if lazy else list(items),
        },
    }


def web_annotation(site: Site, annotation: Annotation, base: str) -> dict[str, Any]:
    """One annotation: a comment body, a relation tag, note links, and one target per passage."""
    bodies: list[dict[str, Any]] = []
    if annotation.comment:
        bodies.append(
            {"type": "TextualBody", "value": annotation.comment, "format": "text/markdown", "purpose": "commenting"}
        )
    bodies.append({"type": "TextualBody", "value": annotation.relation, "purpose": "tagging"})
    for slug in annotation.notes:
        # A purpose belongs on a SpecificResource, not on a bare web resource (model 3.3.5).
        bodies.append({"type": "SpecificResource", "source": f"{base}notes/{slug}.html", "purpose": "identifying"})
    return {
        "@context": ANNO_CONTEXT,
        "id": f"{base}topics/{annotation.topic}.html#ann-{annotation.id}",
        "type": "Annotation",
        "motivation": MOTIVATIONS[annotation.relation],
        "body": bodies,
        "target": [_target(site.articles[p.article], p, base) for p in annotation.passages],
    }


def _target(article: Article, passage: Passage, base: str) -> dict[str, Any]:
    prefix = article.text[max(0, passage.start - SELECTOR_CONTEXT) : passage.start]
    suffix = article.text[passage.end : passage.end + SELECTOR_CONTEXT]
    return {
        "id": f"{base}articles/{article.slug}.html#p-{passage.id}",
        "type": "SpecificResource",
        "source": f"{base}articles/{article.slug}.html",
        "selector": [
            {"type": "TextQuoteSelector", "exact": passage.exact, "prefix": prefix, "suffix": suffix},
            {"type": "TextPositionSelector", "start": passage.start, "end": passage.end},
        ],
    }


CSV_COLUMNS = (
    "topic", "topic_title", "annotation", "relation", "passage", "article", "article_title", "outlet",
    "published", "paragraph", "start", "end", "quote", "notes", "comment", "url", "original_url",
)  # fmt: skip
NOTES_SEPARATOR = " "  # slugs never hold a space
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # what makes a spreadsheet read a cell as a formula (OWASP)


def annotations_csv(site: Site) -> bytes:
    """One row per passage (topic, annotation, then passage order), as RFC 4180 CSV in UTF-8 with a byte-order mark."""
    return b"".join(_csv_pieces(site))


def _csv_pieces(site: Site) -> Iterator[bytes]:
    """annotations_csv in pieces of about CSV_ROWS rows, made as they are read."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    # Excel reads UTF-8 CSV as UTF-8 only when it starts with a byte-order mark; other readers skip it.
    buffer.write("\ufeff")
    writer.writerow(CSV_COLUMNS)
    for number, row in enumerate(_csv_rows(site), 1):
        writer.writerow([neutralise(cell) if type(cell) is str else cell for cell in row])
        if number % CSV_ROWS == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


CSV_ROWS = 1000


def _csv_rows(site: Site) -> Iterator[tuple[str | int, ...]]:
    original_link = remembering_links()
    for topic in site.topics.values():
        for annotation_id in topic.annotations:
            annotation = site.annotations[annotation_id]
            for passage in annotation.passages:
                article = site.articles[passage.article]
                yield (
                    topic.slug,
                    topic.title,
                    annotation.id,
                    annotation.relation,
                    passage.id,
                    article.slug,
                    article.title,
                    article.outlet,
                    article.published,
                    passage.paragraph,
                    passage.start,
                    passage.end,
                    article.text[passage.start : passage.end],
                    NOTES_SEPARATOR.join(annotation.notes),
                    annotation.comment,
                    f"articles/{article.slug}.html#p-{passage.id}",
                    original_link(article, passage),
                )


def neutralise(cell: str) -> str:
    """A cell a spreadsheet will not run as a formula: one that starts with a formula character, or with ', gets a '."""
    # Prefixing cells that already start with ' too keeps it reversible: drop one leading ' to get the value back.
    return "'" + cell if cell.startswith((*FORMULA_STARTS, "'")) else cell
