"""The data exports: the resolved model as JSON and the W3C Web Annotation collection."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft4Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from explainer.export import annotation_collection, model_json
from explainer.pipeline import check

from .conftest import SHARED

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
