"""Data exports of the resolved site: the whole model as JSON, annotations as W3C Web Annotations and as CSV."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from typing import Any

from .fragments import remembering_links
from .model import LINK_RELATIONS, Annotation, Article, Passage, Site

ANNO_CONTEXT = "http://www.w3.org/ns/anno.jsonld"
MODEL_FORMAT = "explainer-model/1"
SELECTOR_CONTEXT = 32  # code points of prefix and suffix in each TextQuoteSelector

MOTIVATIONS = {**dict.fromkeys(LINK_RELATIONS, "linking"), "context": "describing", "correction": "assessing"}


def render_data(site: Site) -> dict[str, bytes]:
    """The site's data files, by path."""
    return {
        "data/explainer.json": _dump(model_json(site)),
        "data/annotations.jsonld": _dump(annotation_collection(site)),
        "data/annotations.csv": annotations_csv(site),
    }


def _dump(value: Any) -> bytes:
    return (json.dumps(value, ensure_ascii=False, indent=1, sort_keys=False) + "\n").encode("utf-8")


def model_json(site: Site) -> dict[str, Any]:
    """The whole resolved model as plain JSON (documented in docs/data.md)."""

    def plain(value: Any) -> Any:
        return dataclasses.asdict(value)

    return {
        "format": MODEL_FORMAT,
        "site": plain(site.config),
        "articles": [plain(a) for a in site.articles.values()],
        "notes": [plain(n) for n in site.notes.values()],
        "topics": [plain(t) for t in site.topics.values()],
        "annotations": [plain(a) for a in site.annotations.values()],
        "passages_by_article": dict(site.passages_by_article),
        "linked_passages": dict(site.linked_passages),
        "note_citations": dict(site.note_citations),
        "note_backlinks": dict(site.note_backlinks),
        "pairs": [{"articles": list(pair), "annotations": list(ids)} for pair, ids in site.pairs.items()],
        "mentions": {slug: [plain(m) for m in found] for slug, found in site.mentions.items()},
    }


def annotation_collection(site: Site) -> dict[str, Any]:
    """Every annotation as a W3C Web Annotation, in one AnnotationCollection with one page.

    IRIs are absolute when the site's base URL is known; otherwise they are relative to the
    site root, as JSON-LD allows, and resolve against where the file is served from.
    """
    base = site.config.base_url or "../"
    items = [web_annotation(site, annotation, base) for annotation in site.annotations.values()]
    collection_id = f"{base}data/annotations.jsonld"
    return {
        "@context": ANNO_CONTEXT,
        "id": collection_id,
        "type": "AnnotationCollection",
        "label": site.config.title,
        "total": len(items),
        "first": {
            "id": f"{collection_id}#page-1",
            "type": "AnnotationPage",
            "startIndex": 0,
            "items": items,
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
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in csv_rows(site):
        writer.writerow([neutralise(cell) if isinstance(cell, str) else cell for cell in row])
    # Excel reads UTF-8 CSV as UTF-8 only when it starts with a byte-order mark; other readers skip it.
    return buffer.getvalue().encode("utf-8-sig")


def csv_rows(site: Site) -> list[tuple[str | int, ...]]:
    """The CSV's rows as values, before cells are neutralised: one per passage, in CSV_COLUMNS order."""
    rows = []
    original_link = remembering_links()
    for topic in site.topics.values():
        for annotation_id in topic.annotations:
            annotation = site.annotations[annotation_id]
            for passage in annotation.passages:
                article = site.articles[passage.article]
                rows.append(
                    (
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
                )
    return rows


def neutralise(cell: str) -> str:
    """A cell a spreadsheet will not run as a formula: one that starts with a formula character, or with ', gets a '."""
    # Prefixing cells that already start with ' too keeps it reversible: drop one leading ' to get the value back.
    return "'" + cell if cell.startswith((*FORMULA_STARTS, "'")) else cell
