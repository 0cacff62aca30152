"""Schemas: the JSON Schemas editors' tools read are the ones `check` validates with.

The table of bad inputs in tests/test_resolve.py marks the rows whose problems are structural
(SCHEMA_CASES). Here, jsonschema alone, given each file of such a row, must find something wrong,
and the schemas' problems are exactly the row's; in every other row, and in every good tree, the
schemas find nothing.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import re
import textwrap
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from explainer import schemas
from explainer.load import SourceFile, YamlValue, load_content, parsed_data
from explainer.model import LINK_RELATIONS, NOTE_KINDS, RELATIONS
from explainer.pipeline import check
from explainer.problems import ContentError
from explainer.render import site_files
from explainer.resolve import SLUG

from .conftest import ROOT, SAMPLE
from .test_resolve import CASES, SCHEMA_CASES, TOPIC, TOPIC_FILE, edit

SCHEMA_OF = {"site": "site", "articles": "article", "notes": "note", "annotations": "topic"}
FIRST_LINE = {"site": 1, "articles": 2, "notes": 2, "annotations": 1}  # where each kind's YAML starts
SCHEMA_FOLDER = ROOT / "explainer" / "schemas"
DRAFT = "https://json-schema.org/draft/2020-12/schema"


def raw_validator(name: str) -> Draft202012Validator:
    """jsonschema's own validator for the schema file, with nothing of ours in between."""
    schema = json.loads((SCHEMA_FOLDER / f"{name}.schema.json").read_text(encoding="utf-8"))
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def readable(folder: Path) -> Iterator[SourceFile]:
    """Every file of a content folder whose YAML could be read (the others are reading problems), with its YAML."""
    for source in load_content(folder, "content").files:
        data, problems = parsed_data(source)
        if not source.failed and not problems:
            yield dataclasses.replace(source, data=data, text=None)


def raw_errors(source: SourceFile) -> list[str]:
    """What jsonschema says about one file's YAML (an empty document is an empty mapping)."""
    data = schemas.instance(source.data) if source.data is not None else {}
    return [error.message for error in raw_validator(SCHEMA_OF[source.section]).iter_errors(data)]


# --- the schema files ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", schemas.NAMES)
def test_each_schema_is_a_valid_draft_2020_12_schema_with_id_and_title(name: str) -> None:
    schema = json.loads((SCHEMA_FOLDER / f"{name}.schema.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == DRAFT
    # Relative, so it resolves to wherever the file is read from: the repository or the published site.
    assert schema["$id"] == f"{name}.schema.json"
    assert schema["title"] and schema["description"]
    assert schemas.load_schema(name) == schema
    # What check validates with: the same schema with its $refs written out in place.
    inlined = schemas.inline(schema)
    Draft202012Validator.check_schema(inlined)
    assert "$ref" not in json.dumps(inlined)


def _objects(schema: Mapping[str, Any], where: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Every schema in a schema file that describes a mapping, with where it stands."""
    if schema.get("type") == "object":
        yield where, schema
    for key, item in schema.items():
        if isinstance(item, Mapping) and key not in ("properties", "if", "then"):
            yield from _objects(item, f"{where}/{key}")
        if key == "properties" and schema.get("type") == "object":
            for name, sub in item.items():
                yield from _objects(sub, f"{where}/properties/{name}")


@pytest.mark.parametrize("name", schemas.NAMES)
def test_every_mapping_is_closed_and_every_key_has_a_description(name: str) -> None:
    objects = list(_objects(schemas.load_schema(name), name))
    assert objects
    for where, schema in objects:
        assert schema.get("additionalProperties") is False, where
        assert set(schema.get("required", ())) <= set(schema["properties"]), where
        for key, prop in schema["properties"].items():
            assert isinstance(prop.get("description"), str) and len(prop["description"]) > 10, f"{where}: {key}"


def test_the_enums_are_the_models_constants() -> None:
    note = schemas.load_schema("note")
    annotation = schemas.load_schema("topic")["$defs"]["annotation"]
    assert tuple(note["properties"]["kind"]["enum"]) == NOTE_KINDS
    assert tuple(annotation["properties"]["relation"]["enum"]) == RELATIONS
    assert tuple(annotation["if"]["properties"]["relation"]["enum"]) == LINK_RELATIONS


@pytest.mark.parametrize(
    "text", ["jisr-al-shughour", "a", "2015", "a1-b2", "", "-idlib", "idlib-", "idlib--2", "Idlib", "a_b", "idl\u00edb"]
)
def test_the_slug_pattern_is_the_one_file_names_are_checked_with(text: str) -> None:
    pattern = schemas.load_schema("topic")["$defs"]["slug"]["pattern"]
    assert bool(re.search(pattern, text)) == bool(SLUG.fullmatch(text))


def test_the_schemas_are_published_byte_for_byte(make_content) -> None:
    files = site_files(check(make_content(), "content"), [])
    published = {path: data for path, data in files.items() if path.startswith("schemas/")}
    assert published == {
        f"schemas/{name}.schema.json": (SCHEMA_FOLDER / f"{name}.schema.json").read_bytes() for name in schemas.NAMES
    }


# --- the table of bad inputs, row by row -----------------------------------------------------------


def test_the_structural_rows_are_rows_of_the_table_with_problems() -> None:
    rows = {name: expected for name, _, expected in CASES}
    assert set(rows) >= SCHEMA_CASES
    assert all(rows[name] for name in SCHEMA_CASES)


STRUCTURAL = [case for case in CASES if case[0] in SCHEMA_CASES]
OTHERS = [case for case in CASES if case[0] not in SCHEMA_CASES]


@pytest.mark.parametrize(("changes", "expected"), [c[1:] for c in STRUCTURAL], ids=[c[0] for c in STRUCTURAL])
def test_jsonschema_alone_catches_each_structural_row(
    make_content, changes: Mapping[str, str | bytes | None], expected: list[str]
) -> None:
    folder = make_content(changes)
    changed = {f"content/{path}" for path in changes}
    sources = [source for source in readable(folder) if source.path in changed]
    assert sources
    assert all(raw_errors(source) for source in sources), [source.path for source in sources]
    # And every problem the row gives comes from the schemas: no structural check is left elsewhere.
    found = [
        str(problem)
        for source in readable(folder)
        for problem in schemas.check(
            schemas.validators()[SCHEMA_OF[source.section]], source.data, source.path, FIRST_LINE[source.section]
        ).problems
    ]
    assert sorted(found) == sorted(expected)


@pytest.mark.parametrize("changes", [c[1] for c in OTHERS], ids=[c[0] for c in OTHERS])
def test_the_schemas_find_nothing_wrong_in_the_other_rows(
    make_content, changes: Mapping[str, str | bytes | None]
) -> None:
    for source in readable(make_content(changes)):
        assert raw_errors(source) == [], source.path


def test_the_sample_and_the_real_content_pass_the_schemas(make_content) -> None:
    for folder in (make_content(), ROOT / "content"):
        sources = list(readable(folder))
        assert {source.section for source in sources} == set(SCHEMA_OF)
        for source in sources:
            assert raw_errors(source) == [], source.path


# --- what check makes of the schemas ---------------------------------------------------------------


def test_yaml_dates_are_text_to_the_schemas_and_a_date_and_time_is_not_a_date() -> None:
    value = YamlValue(
        {
            "published": YamlValue(datetime.date(2015, 10, 4), 1),
            "at": YamlValue(datetime.datetime(2015, 10, 4, 10, 0), 2),
            "list": YamlValue([YamlValue(1, 3), YamlValue(None, 4)], 3),
        },
        1,
    )
    assert schemas.instance(value) == {"published": "2015-10-04", "at": "2015-10-04 10:00:00", "list": [1, None]}


def test_a_misspelt_required_key_is_reported_once_as_unknown_with_the_likely_key(make_content) -> None:
    folder = make_content({"notes/hama.md": "---\ntitle: Hama\nkind: event\ndat: 2015-10\n---\nA city.\n"})
    with pytest.raises(ContentError) as error:
        check(folder, "content")
    assert [str(p) for p in error.value.problems] == [
        "content/notes/hama.md:4: unknown key 'dat' in note front matter (did you mean 'date'?)"
    ]


def test_every_bad_item_of_a_list_of_strings_is_reported_and_other_values_still_checked(make_content) -> None:
    changes = {"articles/gamma.md": "---\ntitle: Gamma\nomitted:\n  - ' '\n  - 3\nurl: ftp://x\n---\nText.\n"}
    with pytest.raises(ContentError) as error:
        check(make_content(changes), "content")
    assert [str(p) for p in error.value.problems] == [
        "content/articles/gamma.md:3: 'omitted' must be a list of strings; item at line 4 is ' '",
        "content/articles/gamma.md:3: 'omitted' must be a list of strings; item at line 5 is 3",
        "content/articles/gamma.md:6: 'url' must be an http:// or https:// URL, not 'ftp://x'",
    ]


MODELINE = "# yaml-language-server: $schema=../../explainer/schemas/topic.schema.json\n"
SITE_MODELINE = "# yaml-language-server: $schema=../explainer/schemas/site.schema.json\n"


def test_a_comment_line_at_the_top_of_a_topic_file_or_site_yml_is_accepted(make_content) -> None:
    topic = MODELINE + textwrap.dedent(SAMPLE[TOPIC_FILE])
    site = check(make_content({TOPIC_FILE: topic, "site.yml": SITE_MODELINE + textwrap.dedent(SAMPLE["site.yml"])}))
    assert site.annotations["sixty-sorties"].line == 5  # lines still count from the top of the file
    assert site.config.title == "Sample explainer"
    # Problems are located on the file's own lines, comment included.
    changes = edit(TOPIC_FILE, "quote: over 60 sorties", "quote: over 70 sorties")
    with pytest.raises(ContentError) as error:
        check(make_content({TOPIC_FILE: MODELINE + changes[TOPIC_FILE]}, name="other"), "content")
    assert str(error.value.problems[0]).startswith(f"{TOPIC}:13: quote not found")


def test_the_modelines_in_the_editors_guide_point_at_the_schemas() -> None:
    guide = (ROOT / "docs" / "editors.md").read_text(encoding="utf-8")
    for line, folder in ((MODELINE, "content/annotations"), (SITE_MODELINE, "content")):
        assert line.strip() in guide
        target = ROOT / folder / line.strip().split("$schema=", 1)[1]
        assert target.resolve().is_file(), target
