"""The content format's structure as JSON Schemas: the files editors' tools read, and what `check` runs.

One schema per kind of file (site.yml, article and note front matter, topic files) lives next to
this module. `check` validates every file's YAML with them through the `jsonschema` library and
words each error as the rest of `check` does, at the line of the offending key or value. Rules
that need other files (unknown notes and articles, quotes, ids unique across the site) are
resolve.py's. A quick test made from each schema first tells valid files (nearly all) from the
others, so jsonschema is imported and run only for a file it has something to say about.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from ..load import YamlValue
from ..problems import Problem, closest, did_you_mean

if TYPE_CHECKING:  # jsonschema is imported when a file needs it: importing it takes longer than checking a site
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

NAMES = ("site", "article", "note", "topic")

Where = tuple[str | int, ...]  # keys and list indexes from the document's root to a value
Valid = Callable[[YamlValue], bool]  # a quick test of a YAML value against one schema


@dataclass(frozen=True)
class Schema:
    """One schema ready to check files: the schema (inlined), and a quick test that is True exactly when
    jsonschema finds no error (most files), at a tenth of the cost."""

    schema: Mapping[str, Any]
    valid: Valid

    @property
    def validator(self) -> Draft202012Validator:
        """jsonschema's validator, which finds and words every error (made when asked: only for a file with one)."""
        from jsonschema import Draft202012Validator

        return Draft202012Validator(self.schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


Validators = Mapping[str, Schema]  # by schema name


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
    """Each schema, ready to check files, with formats (such as real calendar dates) checked."""
    inlined = {name: inline(load_schema(name)) for name in NAMES}
    return MappingProxyType({name: Schema(schema, quick_test(schema)) for name, schema in inlined.items()})


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


def check(schema: Schema, data: YamlValue | None, path: str, line: int) -> Checked:
    """Validate a file's YAML (None: empty, at `line`) with one of `validators()`; every error a Problem."""
    root = data if data is not None else YamlValue({}, line)
    if schema.valid(root):
        return _VALID
    validator = schema.validator
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


_VALID = Checked((), frozenset())

# Keywords that only describe (or word our messages): they never make a value invalid.
_DESCRIBING = frozenset({"$schema", "$id", "$comment", "title", "description", "errorMessage", "patternErrorMessage"})
# Each JSON type, tested on a YAML value as `instance` gives it to jsonschema (dates are text).
_JSON_TYPES: Mapping[str, Callable[[Any], bool]] = MappingProxyType(
    {
        "object": lambda v: isinstance(v, dict),
        "array": lambda v: isinstance(v, list),
        "string": lambda v: isinstance(v, (str, datetime.date)),
        "boolean": lambda v: isinstance(v, bool),
        "null": lambda v: v is None,
        "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
        "integer": lambda v: (
            (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float) and v.is_integer())
        ),
    }
)


def quick_test(schema: Mapping[str, Any]) -> Valid:
    """A test of YAML values against an inlined schema, True exactly when jsonschema finds no error.

    It reads the YAML values as `instance` gives them to jsonschema (dates as text) without making
    that copy. It knows the keywords our schemas use, with jsonschema's meaning (a keyword about one
    type passes values of other types); any other keyword raises ValueError, so a schema that comes
    to use one fails its tests rather than being checked wrongly.
    """
    tests: list[Valid] = []
    for keyword, rule in schema.items():
        if keyword in _DESCRIBING or keyword == "then" or keyword == "else":
            continue
        tests.append(_keyword_test(keyword, rule, schema))
    if not tests:
        return lambda _: True
    if len(tests) == 1:
        return tests[0]
    return _all_test(tests)


def _keyword_test(keyword: str, rule: Any, schema: Mapping[str, Any]) -> Valid:
    """The quick test of one keyword of `schema`."""
    if keyword == "type" and isinstance(rule, str):
        is_type = _JSON_TYPES[rule]
        return lambda value: is_type(value.value)
    if keyword in ("enum", "const"):
        choices = frozenset(rule if keyword == "enum" else [rule])
        if not all(isinstance(choice, str) for choice in choices):
            raise ValueError(f"the quick test knows only text in '{keyword}'")
        return lambda value: isinstance(text := _json(value.value), str) and text in choices
    if keyword == "pattern":
        search = re.compile(rule).search
        return lambda value: not isinstance(text := _json(value.value), str) or bool(search(text))
    if keyword == "format" and rule in _FORMATS:
        conforms = _FORMATS[rule]
        return lambda value: conforms(_json(value.value))
    if keyword == "maxLength":
        return lambda value: not isinstance(text := _json(value.value), str) or len(text) <= rule
    if keyword == "minimum":
        is_number = _JSON_TYPES["number"]
        return lambda value: not is_number(value.value) or value.value >= rule
    if keyword == "minItems":
        return lambda value: not isinstance(value.value, list) or len(value.value) >= rule
    if keyword == "items" and isinstance(rule, dict):
        return _items_test(quick_test(rule))
    if keyword == "required":
        return lambda value: not isinstance(value.value, dict) or all(key in value.value for key in rule)
    if keyword == "properties":
        return _properties_test({key: quick_test(sub) for key, sub in rule.items()})
    if keyword == "additionalProperties" and rule is False and "patternProperties" not in schema:
        known = frozenset(schema.get("properties", {}))
        return lambda value: not isinstance(value.value, dict) or known.issuperset(value.value)
    if keyword == "anyOf":
        options = [quick_test(sub) for sub in rule]
        return lambda value: any(option(value) for option in options)
    if keyword == "if":
        condition = quick_test(rule)
        then = quick_test(schema.get("then", {}))
        otherwise = quick_test(schema.get("else", {}))
        return lambda value: then(value) if condition(value) else otherwise(value)
    raise ValueError(f"the quick test does not know the keyword '{keyword}' (or this use of it)")


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)


def _is_date(value: Any) -> bool:
    """The 'date' format as jsonschema checks it: text that is not an ISO calendar date fails."""
    if not isinstance(value, str):
        return True
    try:
        return bool(_DATE.fullmatch(value) and datetime.date.fromisoformat(value))
    except ValueError:
        return False


_FORMATS: Mapping[str, Callable[[Any], bool]] = MappingProxyType({"date": _is_date})


def _all_test(tests: list[Valid]) -> Valid:
    """A test passed when every one of `tests` is."""

    def test(value: YamlValue) -> bool:
        for one in tests:  # noqa: SIM110 - a plain loop: all() over a generator costs twice as much here
            if not one(value):
                return False
        return True

    return test


def _items_test(item_test: Valid) -> Valid:
    """The test of 'items': every item of a list passes `item_test`."""

    def test(value: YamlValue) -> bool:
        if isinstance(value.value, list):
            for item in value.value:
                if not item_test(item):
                    return False
        return True

    return test


def _properties_test(tests: Mapping[str, Valid]) -> Valid:
    """The test of 'properties': each key of a mapping that has a test passes it."""

    def test(value: YamlValue) -> bool:
        if isinstance(value.value, dict):
            for key, item in value.value.items():
                known = tests.get(key)
                if known is not None and not known(item):
                    return False
        return True

    return test


def _json(value: Any) -> Any:
    """A YAML scalar as `instance` gives it to jsonschema: dates are text."""
    if isinstance(value, datetime.datetime):
        return str(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


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
