"""The content format's structure as JSON Schemas: the files editors' tools read, and what `check` runs.

One schema per kind of file (site.yml, article and note front matter, topic files) lives next to
this module. `check` validates every file's YAML with them through the `jsonschema` library and
words each error as the rest of `check` does, at the line of the offending key or value. Rules
that need other files (unknown notes and articles, quotes, ids unique across the site) are
resolve.py's.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from ..load import YamlValue
from ..problems import Problem, closest, did_you_mean

NAMES = ("site", "article", "note", "topic")

Where = tuple[str | int, ...]  # keys and list indexes from the document's root to a value
Validators = Mapping[str, Draft202012Validator]  # by schema name


@dataclass(frozen=True)
class Checked:
    """What a schema says about one file: its problems, and where the values it refuses are."""

    problems: tuple[Problem, ...]
    invalid: frozenset[Where]  # a list of text with a bad item is refused as a whole


def schema_bytes(name: str) -> bytes:
    """The schema file `<name>.schema.json`, byte for byte."""
    return resources.files(__package__).joinpath(f"{name}.schema.json").read_bytes()


def load_schema(name: str) -> dict[str, Any]:
    """The schema `<name>` as a Python value."""
    return json.loads(schema_bytes(name))


def published() -> dict[str, bytes]:
    """The schema files as the site publishes them: schemas/<name>.schema.json, unchanged."""
    return {f"schemas/{name}.schema.json": schema_bytes(name) for name in NAMES}


def validators() -> Validators:
    """A validator for each schema, with formats (such as real calendar dates) checked."""
    return MappingProxyType(
        {
            name: Draft202012Validator(inline(load_schema(name)), format_checker=Draft202012Validator.FORMAT_CHECKER)
            for name in NAMES
        }
    )


def inline(schema: Any, root: Any = None) -> Any:
    """The schema with every local $ref ('#/$defs/name') replaced by what it names, and $defs dropped.

    It validates exactly as the file does (the keys beside a $ref only describe), at less than half
    the cost: jsonschema looks each $ref up again for every value it checks.
    """
    root = schema if root is None else root
    if isinstance(schema, list):
        return [inline(item, root) for item in schema]
    if not isinstance(schema, dict):
        return schema
    inlined = {key: inline(item, root) for key, item in schema.items() if key not in ("$ref", "$defs")}
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        return {**inline(root["$defs"][ref.removeprefix("#/$defs/")], root), **inlined}
    return inlined


def instance(value: YamlValue | None) -> Any:
    """The JSON value a YAML value stands for, as editors' tools read it: dates are text."""
    if value is None:
        return None
    if isinstance(value.value, list):
        return [instance(item) for item in value.value]
    if isinstance(value.value, dict):
        return {key: instance(item) for key, item in value.value.items()}
    if isinstance(value.value, datetime.datetime):
        return str(value.value)  # '2015-10-04 10:00:00': no date, so the date pattern refuses it
    if isinstance(value.value, datetime.date):
        return value.value.isoformat()
    return value.value


def check(validator: Draft202012Validator, data: YamlValue | None, path: str, line: int) -> Checked:
    """Validate a file's YAML (None: empty, at `line`) with one of `validators()`; every error a Problem."""
    root = data if data is not None else YamlValue({}, line)
    # A wrong type says the most, so it is the one reported when a value breaks several rules.
    errors = sorted(validator.iter_errors(instance(root)), key=lambda error: error.validator != "type")
    words = _Words(validator.schema, root)
    # A misspelt key is reported as unknown, with the key it probably means; not also as missing.
    meant: dict[Where, set[str]] = {}
    for error in errors:
        if error.validator == "additionalProperties":
            known = error.schema.get("properties", {})
            meant.setdefault(tuple(error.absolute_path), set()).update(
                closest(key, known) or "" for key in error.instance if key not in known
            )
    problems: dict[Problem, None] = {}
    invalid: set[Where] = set()
    for error in errors:
        where = tuple(error.absolute_path)
        if error.validator == "additionalProperties":
            for found_line, message in words.unknown_keys(error, where):
                problems[Problem(path, found_line, message)] = None
        elif error.validator == "required":
            for found_line, message in words.missing_keys(error, where, meant.get(where, set())):
                problems[Problem(path, found_line, message)] = None
        elif where not in invalid:
            invalid.add(where)
            if where and isinstance(where[-1], int) and error.schema.get("type") != "object":
                invalid.add(where[:-1])
            found_line, message = words.bad_value(error, where)
            problems[Problem(path, found_line, message)] = None
    return Checked(tuple(problems), frozenset(invalid))


class _Words:
    """Words schema errors about one document the way `check` reports problems."""

    def __init__(self, schema: Mapping[str, Any], root: YamlValue) -> None:
        self.schema = schema
        self.root = root

    def node(self, where: Where) -> YamlValue:
        """The YAML value at `where`."""
        node = self.root
        for step in where:
            node = node.value[step]
        return node

    def line(self, where: Where) -> int:
        """The line of the key that holds the value at `where` (of the item, in a list)."""
        if not where or isinstance(where[-1], int):
            return self.node(where).line
        owner = self.node(where[:-1])
        return owner.key_lines.get(str(where[-1]), owner.line)

    def schema_at(self, where: Where) -> Mapping[str, Any]:
        """The schema (inlined) the value at `where` must match, through properties and items."""
        schema = self.schema
        for step in where:
            schema = schema["items"] if isinstance(step, int) else schema["properties"][step]
        return schema

    def what(self, where: Where) -> str:
        """What the mapping at `where` is called in messages: its schema's title, e.g. 'annotation'."""
        title = str(self.schema_at(where).get("title", "mapping"))
        return title[:1].lower() + title[1:]

    def unknown_keys(self, error: ValidationError, where: Where) -> list[tuple[int, str]]:
        """One problem per key the mapping's schema does not name, at the key's line."""
        mapping, known = self.node(where), error.schema.get("properties", {})
        return [
            (
                mapping.key_lines.get(key, mapping.line),
                f"unknown key '{key}' in {self.what(where)}{did_you_mean(key, known)}",
            )
            for key in mapping.value
            if key not in known
        ]

    def missing_keys(self, error: ValidationError, where: Where, meant: set[str]) -> list[tuple[int, str]]:
        """One problem per required key that is absent (and not just misspelt), at the mapping's first line."""
        mapping = self.node(where)
        # A rule that applies only under a condition (`if`/`then`) says why, from the `then` schema's description.
        why = f" ({error.schema['description']})" if "then" in error.absolute_schema_path else ""
        return [
            (mapping.line, f"missing required key '{key}' in {self.what(where)}{why}")
            for key in error.validator_value
            if key not in mapping.value and key not in meant
        ]

    def bad_value(self, error: ValidationError, where: Where) -> tuple[int, str]:
        """The line and message for a value the schema refuses."""
        value = self.node(where).value
        key = where[-1] if where else None
        schema = error.schema
        if isinstance(key, int) and schema.get("type") != "object":
            # An item of a list of text: the list is the thing to fix.
            return self.line(where[:-1]), (
                f"'{where[-2]}' must be a list of strings; item at line {self.node(where).line} is {_show(value)}"
            )
        line = self.line(where)
        if "errorMessage" in schema:
            return line, f"'{key}' {schema['errorMessage']}, not {_show(value)}"
        if error.validator == "type":
            return line, self.wrong_type(error.validator_value, where, value)
        if error.validator == "pattern":
            rule = schema.get("patternErrorMessage", f"must match the pattern {schema['pattern']}")
            if not rule.startswith("must"):
                # A rule about what the value is ('is not a slug') names the value first.
                return line, f"{self.what(where[:-1])} {key} '{value}' {rule}"
            if not str(value).strip():
                return line, f"'{key}' {rule}"
            return line, f"'{key}' {rule}, not {_show(value)}"
        if error.validator == "enum":
            allowed = [str(choice) for choice in error.validator_value]
            hint = did_you_mean(str(value), allowed)
            return line, f"unknown {key} '{value}'{hint}; expected one of: {', '.join(allowed)}"
        if error.validator == "minItems":
            return line, self.too_few(error, where, value)
        return line, f"'{key}' is not valid: {error.message}"

    def wrong_type(self, expected: str, where: Where, value: Any) -> str:
        """Say what type the value should have had, and what it is."""
        key = where[-1] if where else None
        if expected == "object":
            return f"{self.what(where)} must be a mapping of keys to values, not {_type_name(value)}"
        if expected == "array":
            items = self.schema_at((*where, 0))
            wanted = "a list of strings" if items.get("type") == "string" else "a list"
            return f"'{key}' must be {wanted}, not {_type_name(value)}"
        if expected == "string":
            if value is None and key in self.schema_at(where[:-1]).get("required", ()):
                return f"'{key}' must not be empty"
            return f"'{key}' must be a string, not {_type_name(value)}{_quote_hint(value)}"
        return f"'{key}' must be {_TYPE_WORDS.get(expected, expected)}, not {_type_name(value)}"

    def too_few(self, error: ValidationError, where: Where, value: list[Any]) -> str:
        """Say how many items a list needs, and, when a condition asks for more, which one."""
        item = self.what((*where, 0))
        owner = self.what(where[:-1])
        if not value:
            return f"{_a(owner)} needs at least one {item}"
        wanted = f"at least {error.validator_value} {item}s"
        if "then" in error.absolute_schema_path:
            condition = self.schema_at(where[:-1]).get("if", {}).get("properties", {})
            mapping = self.node(where[:-1]).value
            for name in condition:
                if name in mapping:
                    return f"{name} '{mapping[name].value}' needs {wanted}, and this {owner} has {len(value)}"
        return f"{_a(owner)} needs {wanted}, and this one has {len(value)}"


_TYPE_WORDS = {"integer": "a whole number", "number": "a number", "boolean": "true or false"}


def _a(word: str) -> str:
    return f"an {word}" if word[:1] in "aeiou" else f"a {word}"


def _type_name(value: Any) -> str:
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, datetime.datetime):
        return "a date and time"
    if isinstance(value, datetime.date):
        return "a date"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return "a string"


def _show(value: Any) -> str:
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return repr(value) if isinstance(value, str) else str(value)
    return _type_name(value)


def _quote_hint(value: Any) -> str:
    if isinstance(value, (bool, int, float, datetime.date)):
        return " (put the value in quotes to make it a string)"
    return ""
