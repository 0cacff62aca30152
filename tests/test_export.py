"""The data exports: the resolved model as JSON and the W3C Web Annotation collection."""

from __future__ import annotations

import codecs
import csv
import dataclasses
import io
import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft4Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from explainer import export
from explainer.export import (
    CSV_COLUMNS,
    MODEL_FORMAT,
    annotation_collection,
    annotations_csv,
    model_json,
    neutralise,
    render_data,
)
from explainer.fragments import original_link
from explainer.pipeline import build, check

from .conftest import ROOT, SHARED, TEMPLATES

SUITE = SHARED / "web-annotation-tests"
needs_suite = pytest.mark.skipif(
    not (SUITE / "annotations" / "annotationMusts.test").is_file(),
    reason=f"the W3C Web Annotation test suite is not at {SUITE}",
)


def _registry() -> Registry:
    resources = []
    for path in sorted((SUITE / "definitions").glob("*.json")):
        schema = json.loads(path.read_text(encoding="utf-8"))
        resources.append((schema["id"], Resource.from_contents(schema, default_specification=DRAFT4)))
    return Registry().with_resources(resources)


def _must_assertions() -> list[Path]:
    listing = json.loads((SUITE / "annotations" / "annotationMusts.test").read_text(encoding="utf-8"))
    return [SUITE / relative for relative in listing["assertions"]]


def _failures(annotation: dict[str, Any], check_formats: bool) -> list[str]:
    registry = _registry()
    failures = []
    for path in _must_assertions():
        schema = json.loads(path.read_text(encoding="utf-8"))
        checker = FormatChecker() if check_formats else None
        validator = Draft4Validator(schema, registry=registry, format_checker=checker)
        verdict = "valid" if validator.is_valid(annotation) else "invalid"
        if verdict != schema.get("expectedResult", "valid"):
            failures.append(f"{path.name}: {schema.get('errorMessage', verdict)}")
    return failures


@needs_suite
def test_every_annotation_passes_every_w3c_must_assertion_with_a_base_url(make_content) -> None:
    site = check(make_content(), base_url="https://example.github.io/explainer/")
    collection = annotation_collection(site)
    items = collection["first"]["items"]
    assert len(items) == collection["total"] == 2
    for annotation in items:
        assert _failures(annotation, check_formats=True) == [], annotation["id"]


@needs_suite
def test_without_a_base_url_iris_are_relative_and_still_pass_structurally(make_content) -> None:
    site = check(make_content())
    items = annotation_collection(site)["first"]["items"]
    for annotation in items:
        assert _failures(annotation, check_formats=False) == []
        assert annotation["id"].startswith("../topics/")


@needs_suite
def test_the_format_checker_really_checks_uris() -> None:
    # Without an IRI checker installed, FormatChecker would accept anything and the test above could not fail.
    assert not FormatChecker().conforms("not a uri", "uri")


@needs_suite
def test_a_broken_annotation_fails_the_assertions(make_content) -> None:
    annotation = annotation_collection(check(make_content()))["first"]["items"][0]
    broken = {**annotation, "@context": "http://example.org/other.jsonld"}
    assert any("3.1-annotationContextValidated" in f for f in _failures(broken, check_formats=False))


def test_targets_carry_quote_and_position_selectors_in_code_points(make_content) -> None:
    site = check(make_content(), base_url="https://example.org/x/")
    annotation = annotation_collection(site)["first"]["items"][0]
    assert annotation["@context"] == "http://www.w3.org/ns/anno.jsonld"
    assert annotation["id"] == "https://example.org/x/topics/sorties.html#ann-sixty-sorties"
    assert annotation["motivation"] == "linking"
    bodies = annotation["body"]
    assert {"type": "TextualBody", "value": "corroborates", "purpose": "tagging"} in bodies
    assert bodies[0]["value"] == "Both give the same figure."
    assert bodies[-1]["source"] == "https://example.org/x/notes/andrei-kartapolov.html"
    first = annotation["target"][0]
    assert first["source"] == "https://example.org/x/articles/alpha.html"
    quote, position = first["selector"]
    text = site.articles["alpha"].text
    assert text[position["start"] : position["end"]] == quote["exact"] == "more than 60 sorties"
    assert text[: position["start"]].endswith(quote["prefix"])
    assert text[position["end"] :].startswith(quote["suffix"])
    assert quote["prefix"] == "Russian jets have flown “"


def test_positions_count_code_points_not_utf16_units(make_content) -> None:
    article = """\
        ---
        title: Emoji
        ---
        Before 🚀🚀 the quote here.
        """
    topic = """\
        title: T
        annotations:
          - id: q
            relation: context
            passages:
              - article: emoji
                quote: the quote
        """
    site = check(make_content({"articles/emoji.md": article, "annotations/t.yml": topic}))
    target = next(a for a in annotation_collection(site)["first"]["items"] if a["id"].endswith("#ann-q"))["target"][0]
    assert target["selector"][1] == {"type": "TextPositionSelector", "start": 10, "end": 19}


def test_model_json_holds_the_whole_resolved_site(make_content) -> None:
    site = check(make_content())
    model = model_json(site)
    assert model["format"] == "explainer-model/1"
    assert [a["slug"] for a in model["articles"]] == ["alpha", "beta"]
    assert model["pairs"] == [{"articles": ["alpha", "beta"], "annotations": ["sixty-sorties"]}]
    assert model["linked_passages"]["sixty-sorties-1"] == ("sixty-sorties-2",)
    json.dumps(model)  # serialisable as it stands


def _csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith(codecs.BOM_UTF8)
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def _value(cell: str) -> str:
    """A cell's value: the export puts one ' before values starting with a formula character or with '."""
    return cell[1:] if cell.startswith("'") else cell


@pytest.mark.parametrize("content", ["sample", "syria"])
def test_the_csv_has_a_row_for_each_passage_that_agrees_with_the_model(make_content, content: str) -> None:
    site = check(make_content() if content == "sample" else ROOT / "content")
    header, *rows = _csv_rows(annotations_csv(site))
    assert tuple(header) == CSV_COLUMNS
    assert len(rows) == len(site.passages) == sum(len(a.passages) for a in site.annotations.values())
    in_order = [p.id for t in site.topics.values() for i in t.annotations for p in site.annotations[i].passages]
    assert [row[header.index("passage")] for row in rows] == in_order
    for row in rows:
        cells = dict(zip(header, map(_value, row), strict=True))
        passage, article = site.passages[cells["passage"]], site.articles[cells["article"]]
        annotation = site.annotations[cells["annotation"]]
        start, end = int(cells["start"]), int(cells["end"])
        assert (start, end, int(cells["paragraph"])) == (passage.start, passage.end, passage.paragraph)
        assert cells["quote"] == article.text[start:end] == passage.exact
        assert (cells["topic"], cells["topic_title"]) == (annotation.topic, site.topics[annotation.topic].title)
        assert (cells["relation"], cells["comment"]) == (annotation.relation, annotation.comment)
        assert cells["notes"].split(" ") == list(annotation.notes) or (cells["notes"], annotation.notes) == ("", ())
        assert (cells["article_title"], cells["outlet"], cells["published"]) == (
            article.title, article.outlet, article.published)  # fmt: skip
        assert cells["url"] == f"articles/{article.slug}.html#p-{passage.id}"
        assert cells["original_url"] == original_link(article, passage)


def test_the_csv_is_crlf_utf8_with_a_bom_and_its_links_lead_to_the_passages(make_content, tmp_path: Path) -> None:
    out = tmp_path / "site"
    build(make_content(), out, TEMPLATES)
    data = (out / "data" / "annotations.csv").read_bytes()
    assert data.startswith(codecs.BOM_UTF8 + b"topic,topic_title,annotation,")
    assert data.endswith(b"\r\n") and data.count(b"\r\n") == 4 and b"\n" not in data.replace(b"\r\n", b"")
    header, *rows = _csv_rows(data)
    for row in rows:
        page, anchor = row[header.index("url")].split("#")
        assert f'id="{anchor}"' in (out / page).read_text(encoding="utf-8")


def test_cells_a_spreadsheet_would_run_as_formulas_are_neutralised(make_content) -> None:
    article = """\
        ---
        title: "=1+1"
        outlet: "@SUM(A1:A9)"
        url: https://gamma.example/story
        ---
        =HYPERLINK("http://evil.example","click") said the post.

        -2+3 was the sum. 'Quoted' words. \tTabbed.
        """
    topic = """\
        title: "+Hostile"
        annotations:
          - id: hostile
            relation: context
            comment: "=HYPERLINK(\\"http://evil.example\\",\\"click\\")"
            passages:
              - article: gamma
                quote: '=HYPERLINK("http://evil.example","click")'
              - article: gamma
                quote: -2+3
              - article: gamma
                quote: "'Quoted' words."
        """
    site = check(make_content({"articles/gamma.md": article, "annotations/hostile.yml": topic}))
    header, *rows = _csv_rows(annotations_csv(site))
    hostile = [dict(zip(header, row, strict=True)) for row in rows if row[header.index("annotation")] == "hostile"]
    assert [row["quote"] for row in hostile] == [
        '\'=HYPERLINK("http://evil.example","click")',
        "'-2+3",
        "''Quoted' words.",
    ]
    assert {row["comment"] for row in hostile} == {'\'=HYPERLINK("http://evil.example","click")'}
    assert {(row["topic_title"], row["article_title"], row["outlet"]) for row in hostile} == {
        ("'+Hostile", "'=1+1", "'@SUM(A1:A9)")
    }
    for row in rows:
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row), row
    # Every value comes back by dropping the one ' the export added.
    assert [_value(row["quote"]) for row in hostile] == [site.passages[f"hostile-{n}"].exact for n in (1, 2, 3)]
    assert hostile[0]["original_url"].startswith("https://gamma.example/story#:~:text=%3DHYPERLINK")


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@A1", "'@A1"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("'x", "''x"),
        ("x=1", "x=1"),
        ("", ""),
        (" =1", " =1"),
    ],
)
def test_neutralise_prefixes_a_quote_mark_only_where_needed_and_reversibly(value: str, cell: str) -> None:
    assert neutralise(value) == cell
    assert _value(cell) == value


# --- Making the data files fast and in pieces -------------------------------------------------------

AWKWARD_VALUES: list[Any] = [
    {},
    [],
    "",
    0,
    -7,
    2**70,
    1.5,
    True,
    None,
    {"empty": {}, "list": [], "tuple": (), "nested": [[[]], {"a": {"b": [1, "x"]}}]},
    ["\u201cquoted\u201d", 'say "hi"\\', "tab\there", "line\nbreak", "\x00\x1f\x7f", "\u2028\u2029", "😀 é ü"],
    {"\u00e9t\u00e9": [None, False, True], 'k"ey': {"\n": ""}},
]


@pytest.mark.parametrize("value", AWKWARD_VALUES)
def test_data_files_are_encoded_byte_for_byte_as_json_dumps_would(value: Any) -> None:
    expected = (json.dumps(value, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
    assert export._dump(value) == expected


def test_the_data_files_of_the_real_explainer_are_what_json_dumps_and_asdict_give() -> None:
    site = check(ROOT / "content")
    files = render_data(site)
    plain = {
        "format": MODEL_FORMAT,
        "site": dataclasses.asdict(site.config),
        "articles": [dataclasses.asdict(a) for a in site.articles.values()],
        "notes": [dataclasses.asdict(n) for n in site.notes.values()],
        "topics": [dataclasses.asdict(t) for t in site.topics.values()],
        "annotations": [dataclasses.asdict(a) for a in site.annotations.values()],
        "passages_by_article": dict(site.passages_by_article),
        "linked_passages": dict(site.linked_passages),
        "note_citations": dict(site.note_citations),
        "note_backlinks": dict(site.note_backlinks),
        "pairs": [{"articles": list(pair), "annotations": list(ids)} for pair, ids in site.pairs.items()],
        "mentions": {slug: [dataclasses.asdict(m) for m in found] for slug, found in site.mentions.items()},
    }
    assert files["data/explainer.json"] == (json.dumps(plain, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
    jsonld = json.dumps(annotation_collection(site), ensure_ascii=False, indent=1) + "\n"
    assert files["data/annotations.jsonld"] == jsonld.encode("utf-8")
    assert json.loads(json.dumps(model_json(site))) == json.loads(files["data/explainer.json"])


def test_data_files_come_in_pieces_that_join_to_the_whole_files(make_content, monkeypatch) -> None:
    site = check(make_content())
    whole = render_data(site)
    monkeypatch.setattr(export, "PIECE", 3)  # strings gathered before a piece is handed on
    monkeypatch.setattr(export, "CSV_ROWS", 1)
    pieces = {path: list(made) for path, made in export.data_files(site)}
    assert set(pieces) == set(whole)
    for path, made in pieces.items():
        assert len(made) > 3, path
        assert all(isinstance(piece, bytes) for piece in made)
        assert b"".join(made) == whole[path]
