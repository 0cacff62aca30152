"""Load: read the content folder (all of it, or again only the files a save changed) and the theme, and nothing else.

Parsing here is only what reading needs (decoding, front matter, safe YAML); checking what the
values mean is the resolve step's job. An annotation file is kept as text, and its YAML parsed
(parsed_data) when the resolve step comes to it: a YAML tree holds each value with its line, and
takes ten times the memory of its text, so a large site's trees are never all held at once.
"""

from __future__ import annotations

import contextlib
import gc
import os
import re
import sys
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.events import (
    DocumentEndEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.nodes import ScalarNode
from yaml.resolver import Resolver

from .problems import Problem, did_you_mean

try:
    from yaml._yaml import CParser  # libyaml's scanner and parser, when PyYAML was built with it
except ImportError:  # pragma: no cover - PyYAML without libyaml reads everything the careful way
    CParser = None

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_YAML_DEPTH = 50

SECTIONS = (("articles", ".md"), ("notes", ".md"), ("annotations", ".yml"))
_SUFFIX = MappingProxyType(dict(SECTIONS))

_ALLOWED_TAGS = frozenset(
    "tag:yaml.org,2002:" + name for name in ("str", "int", "float", "bool", "null", "timestamp", "seq", "map")
)


@dataclass(frozen=True, slots=True)
class YamlValue:
    """A YAML value with the line it starts on (1-based, in the file it came from)."""

    value: Any  # str | int | float | bool | None | date | list[YamlValue] | dict[str, YamlValue]
    line: int
    key_lines: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True, slots=True)
class SourceFile:
    """One content file as read: its front matter or YAML document, and its body."""

    section: str  # 'site', 'articles', 'notes' or 'annotations'
    path: str  # as shown in messages, e.g. content/articles/x.md
    stem: str
    data: YamlValue | None  # front matter (articles, notes) or the whole document (site.yml)
    body: str = ""
    body_line: int = 1  # the file line on which the body starts
    failed: bool = False  # it could not be read; its problems are already reported
    # An annotation file's YAML, parsed only when it is resolved (parsed_data): a large site's
    # annotation trees, many times the size of their text, are then never all held at once.
    text: str | None = None


@dataclass(frozen=True)
class Content:
    """Everything read from a content folder, with the problems met while reading it."""

    root: Path
    files: tuple[SourceFile, ...]
    problems: tuple[Problem, ...]


@dataclass(frozen=True)
class Theme:
    """Templates (name to source) and static assets (path to bytes) read from a folder."""

    templates: Mapping[str, str]
    assets: Mapping[str, bytes]


class _RefusedError(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


class _StrictLoader(yaml.SafeLoader):
    """A safe loader that also refuses anchors and aliases (no alias bombs)."""

    depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        line = event.start_mark.line + 1
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise _RefusedError(line, "YAML anchors and aliases are not allowed")
        tag = getattr(event, "tag", None)
        if tag not in (None, "!"):
            raise _RefusedError(line, f"YAML tags are not allowed ('{tag.replace('tag:yaml.org,2002:', '!!')}')")
        if self.depth >= MAX_YAML_DEPTH:
            raise _RefusedError(line, f"YAML is nested more than {MAX_YAML_DEPTH} levels deep")
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def parse_yaml(text: str, path: str, first_line: int = 1) -> tuple[YamlValue | None, list[Problem]]:
    """Parse one YAML document safely; line numbers are shifted so line 1 is `first_line`."""
    try:
        return _read_quickly(text, first_line - 1), []
    except _UnsureError:
        return _read_carefully(text, path, first_line)  # it decides, and words any problem exactly


def _read_carefully(text: str, path: str, first_line: int) -> tuple[YamlValue | None, list[Problem]]:
    """parse_yaml with PyYAML's own scanner, parser and our composer: slow, the reference for every outcome."""
    offset = first_line - 1
    loader = _StrictLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, []
        return _convert(loader, node, offset, 0), []
    except _RefusedError as refused:
        return None, [Problem(path, refused.line + offset, refused.message)]
    except yaml.MarkedYAMLError as error:
        mark, what = _explain(error)
        line = mark.line + 1 + offset if mark else first_line
        column = f" at column {mark.column + 1}" if mark else ""
        return None, [Problem(path, line, f"YAML syntax error{column}: {what}")]
    except yaml.YAMLError as error:
        return None, [Problem(path, first_line, f"YAML error: {error}")]
    except RecursionError:
        return None, [Problem(path, first_line, f"YAML is nested more than {MAX_YAML_DEPTH} levels deep")]
    finally:
        loader.dispose()


_STR = "tag:yaml.org,2002:str"
_NO_KEYS: Mapping[str, int] = MappingProxyType({})
# Text libyaml may read otherwise than PyYAML's own reader, left to the careful reading: tabs (libyaml
# takes them as spaces in more places), backslash escapes, line breaks other than '\n', byte-order
# marks and the characters PyYAML refuses; then ':?' (which ends a plain scalar in libyaml's flow
# collections only), a block scalar's header followed at once by '#' (a comment to libyaml, an error
# to PyYAML) and directives (see _unsure).
# Every character but those libyaml and PyYAML both read as themselves (a line break, printable
# ASCII but the backslash, and the printable rest of Unicode), as a class of what is left: a
# negated class of those ranges took 4.5 ms to compile at every start, this one 0.4 ms.
_UNSURE_CHARACTER = re.compile(r"[\x00-\x09\x0b-\x1f\\\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]")

_BLOCK_HEADER_COMMENT = re.compile(r"[|>][-+0-9]{0,2}#")


def _unsure(text: str) -> bool:
    """True when libyaml may read `text` otherwise than PyYAML does (separate searches are the fastest)."""
    return (
        bool(_UNSURE_CHARACTER.search(text))
        or ":?" in text
        or text.startswith("%")
        or "\n%" in text
        or ("#" in text and bool(_BLOCK_HEADER_COMMENT.search(text)))
    )


class _UnsureError(Exception):
    """The quick reading cannot vouch for this text; the careful one decides."""


def _read_quickly(text: str, offset: int) -> YamlValue | None:
    """What the careful reading gives for valid YAML within our rules, read with libyaml's parser.

    It raises _UnsureError for everything else (a syntax error, an anchor, a tag, a duplicate key,
    nesting too deep, text libyaml may read differently), so every problem is found, placed and
    worded by the careful reading alone. It builds the values from libyaml's events in one loop,
    without recursion: the deepest nesting it opens is the limit.
    """
    if CParser is None or _unsure(text):
        raise _UnsureError
    parser = CParser(text)
    ends_with_newline = text.endswith("\n")
    resolve = Resolver().resolve
    constructor = SafeConstructor()
    tags: dict[str, str] = {}  # plain scalar -> the tag it resolves to
    # The collections open, innermost last: [line, items, key lines (None in a list), key due, its line, in [] or {}].
    stack: list[list[Any]] = []
    try:
        parser.get_event()  # the stream's start
        if type(parser.get_event()) is StreamEndEvent:
            return None  # no document at all (nothing, or only comments)
        while True:
            event = parser.get_event()
            kind = type(event)
            if kind is MappingEndEvent or kind is SequenceEndEvent:
                line, items, key_lines, _, _, _ = stack.pop()
                value = YamlValue(items, line, _NO_KEYS if key_lines is None else MappingProxyType(key_lines))
            elif kind is ScalarEvent or kind is MappingStartEvent or kind is SequenceStartEvent:
                if event.anchor is not None or event.tag is not None or len(stack) >= MAX_YAML_DEPTH:
                    raise _UnsureError
                line = event.start_mark.line + 1 + offset
                top = stack[-1] if stack else None
                key_due = top is not None and top[2] is not None and top[3] is None
                if kind is not ScalarEvent:
                    if key_due:
                        raise _UnsureError  # a list or mapping as a key
                    if kind is MappingStartEvent:
                        stack.append([line, {}, {}, None, 0, event.flow_style])
                    else:
                        stack.append([line, [], None, None, 0, event.flow_style])
                    continue
                text_value = event.value
                if not event.style:  # a plain scalar ('' from libyaml)
                    if top is not None and top[5] and "?" in text_value:
                        raise _UnsureError  # PyYAML ends a plain scalar at '?' in [] and {}, libyaml does not
                    if not text_value and not ends_with_newline:
                        raise _UnsureError  # at the very end libyaml places it on a line of its own
                if not event.implicit[0]:
                    tag = _STR  # quoted: always text
                elif (tag := tags.get(text_value)) is None:
                    tag = tags[text_value] = resolve(ScalarNode, text_value, event.implicit)
                if key_due:
                    if tag != _STR or text_value in top[1]:  # type: ignore[index]
                        raise _UnsureError
                    # Keys, and short values such as slugs, recur in every file: one copy of each is kept.
                    top[3], top[4] = sys.intern(text_value), line  # type: ignore[index]
                    continue
                if tag == _STR:
                    value = YamlValue(sys.intern(text_value) if len(text_value) <= 40 else text_value, line, _NO_KEYS)
                elif tag in _ALLOWED_TAGS:
                    node = ScalarNode(tag, text_value, event.start_mark, event.end_mark, style=event.style)
                    try:
                        value = YamlValue(constructor.construct_object(node, deep=True), line, _NO_KEYS)
                    except (yaml.constructor.ConstructorError, ValueError, OverflowError):
                        value = YamlValue(text_value, line, _NO_KEYS)
                else:
                    raise _UnsureError  # a tag such as '!!merge' for '<<'
            else:
                raise _UnsureError  # an alias, or a second document
            if not stack:
                break
            top = stack[-1]
            if top[2] is None:
                top[1].append(value)
            else:
                top[1][top[3]] = value
                top[2][top[3]] = top[4]
                top[3] = None
        if type(parser.get_event()) is not DocumentEndEvent or type(parser.get_event()) is not StreamEndEvent:
            raise _UnsureError
        return value
    except yaml.YAMLError as error:
        raise _UnsureError from error
    finally:
        parser.dispose()


def _explain(error: yaml.MarkedYAMLError) -> tuple[Any, str]:
    """Where a YAML syntax error is best shown, and a sentence saying what is wrong."""
    problem = error.problem or "invalid YAML"
    context = error.context or ""
    if "end of stream" in problem and error.context_mark is not None and context.startswith("while "):
        # Something opened earlier runs to the end of the file: point at where it opens.
        thing = context.split(" ", 2)[-1].removeprefix("a ").removeprefix("an ")
        thing = {"quoted scalar": "quoted value", "flow sequence": "list [", "flow mapping": "mapping {"}.get(
            thing, thing
        )
        return error.context_mark, f"the {thing} that starts here is never closed"
    if problem.startswith("found character '\\t'"):
        return error.problem_mark or error.context_mark, "a tab character (YAML allows only spaces here)"
    if context and not context.startswith("while "):
        return error.problem_mark or error.context_mark, f"{context}, {problem}"
    return error.problem_mark or error.context_mark, problem


def _convert(loader: _StrictLoader, node: yaml.Node, offset: int, depth: int) -> YamlValue:
    line = node.start_mark.line + 1 + offset
    if depth > MAX_YAML_DEPTH:
        raise _RefusedError(line - offset, f"YAML is nested more than {MAX_YAML_DEPTH} levels deep")
    if node.tag not in _ALLOWED_TAGS:
        tag = node.tag.replace("tag:yaml.org,2002:", "!!")
        raise _RefusedError(line - offset, f"YAML tags are not allowed ('{tag}')")
    if isinstance(node, yaml.ScalarNode):
        try:
            value = loader.construct_object(node, deep=True)
        except (yaml.constructor.ConstructorError, ValueError, OverflowError):
            # A value that looks like a date but is none (2015-02-30) stays text; resolve says why.
            value = node.value
        return YamlValue(value, line)
    if isinstance(node, yaml.SequenceNode):
        return YamlValue([_convert(loader, item, offset, depth + 1) for item in node.value], line)
    values: dict[str, YamlValue] = {}
    key_lines: dict[str, int] = {}
    for key_node, value_node in node.value:
        key_line = key_node.start_mark.line + 1
        if isinstance(key_node, yaml.SequenceNode):
            raise _RefusedError(key_line, "keys must be plain words, not a list")
        if isinstance(key_node, yaml.MappingNode):
            raise _RefusedError(key_line, "keys must be plain words, not a mapping")
        if key_node.tag != "tag:yaml.org,2002:str":
            raise _RefusedError(key_line, f"keys must be plain words, not '{key_node.value}'")
        key = key_node.value
        if key in values:
            raise _RefusedError(key_line, f"duplicate key '{key}' (first at line {key_lines[key]})")
        key_lines[key] = key_line + offset
        values[key] = _convert(loader, value_node, offset, depth + 1)
    return YamlValue(values, line, MappingProxyType(key_lines))


def plain(value: YamlValue | None) -> Any:
    """Strip line numbers: the plain Python value of a YamlValue tree."""
    if value is None:
        return None
    if isinstance(value.value, list):
        return [plain(item) for item in value.value]
    if isinstance(value.value, dict):
        return {key: plain(item) for key, item in value.value.items()}
    return value.value


def read_text(path: Path, shown: str) -> tuple[str | None, list[Problem]]:
    """Read a file as UTF-8 text with a byte-order mark dropped and line endings made '\\n'."""
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        limit = MAX_FILE_BYTES // (1024 * 1024)
        return None, [Problem(shown, 1, f"file is larger than the {limit} MB limit ({size:,} bytes)")]
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        before = _normal_lines(raw[: error.start].decode("utf-8", errors="replace"))
        line = before.count("\n") + 1
        column = len(before) - (before.rfind("\n") + 1) + 1
        byte = raw[error.start]
        return None, [Problem(shown, line, f"file is not UTF-8 (byte 0x{byte:02x} at column {column})")]
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        return None, [Problem(shown, line, "file is binary, not text (it contains a NUL character)")]
    return _normal_lines(text), []


def _normal_lines(text: str) -> str:
    """Drop a byte-order mark and make every line ending '\\n'."""
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


_FENCE = re.compile(r"^---[ \t]*$")


def split_front_matter(text: str, shown: str) -> tuple[str | None, int, str, int, list[Problem]]:
    """Split '---' YAML '---' from the body: (yaml, yaml first line, body, body first line, problems)."""
    lines = text.split("\n")
    if not text.strip():
        message = "file is empty: expected a line '---', then YAML, then '---', then text"
        return None, 1, text, 1, [Problem(shown, 1, message)]
    if not _FENCE.match(lines[0]):
        message = "missing front matter: the file must start with a line '---', then YAML, then '---'"
        return None, 1, text, 1, [Problem(shown, 1, message)]
    for number, line in enumerate(lines[1:], start=1):
        if _FENCE.match(line):
            return "\n".join(lines[1:number]), 2, "\n".join(lines[number + 1 :]), number + 2, []
    return None, 1, "", 1, [Problem(shown, 1, "front matter has no closing '---' line")]


@contextlib.contextmanager
def cycle_collection_paused() -> Iterator[None]:
    """Pause Python's cycle collector for a while (as a decorator too), and restore it as it was.

    Reading and resolving make a great many small objects that form no cycles; the collector's
    passes over them, longer as they pile up, would take a third of the time.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@cycle_collection_paused()
def load_content(root: Path, shown_root: str | None = None) -> Content:
    """Read every content file under `root`; problems are collected, never raised."""
    shown_root = str(root) if shown_root is None else shown_root
    problems: list[Problem] = []
    files: list[SourceFile] = []

    def shown(relative: str) -> str:
        return f"{shown_root.rstrip('/')}/{relative}"

    if not root.is_dir():
        return Content(root, (), (Problem(shown_root, 0, "content folder not found"),))
    sections = dict(SECTIONS)
    for entry in sorted(root.iterdir()):
        if entry.name.startswith(".") or entry.name == "site.yml" or entry.name in sections:
            continue
        if entry.is_dir():
            hint = did_you_mean(entry.name, sections)
            message = f"unexpected folder{hint}: a content folder holds site.yml, articles/, notes/ and annotations/"
            problems.append(Problem(shown(entry.name), 0, message))
    site = root / "site.yml"
    if site.is_file() or site.is_symlink():
        files.extend(_read_file(site, root, "site", shown("site.yml"), problems))
    for section, suffix in SECTIONS:
        folder = root / section
        if not folder.is_dir():
            continue
        refused = _link_problem(folder, root)
        if refused:
            problems.append(Problem(shown(section), 0, refused))
            continue
        for path in sorted(folder.iterdir()):
            if path.name.startswith("."):
                continue
            where = shown(f"{section}/{path.name}")
            if path.is_dir() or path.suffix != suffix:
                kind = "folder" if path.is_dir() else "file"
                message = f"unexpected {kind} in {section}/ (expected <slug>{suffix} files)"
                problems.append(Problem(where, 0, message))
                continue
            files.extend(_read_file(path, root, section, where, problems))
    if not files and not problems:
        problems.append(
            Problem(shown_root, 0, "content folder is empty: expected site.yml, articles/, notes/ and annotations/")
        )
    elif not (site.is_file() or site.is_symlink()):
        problems.append(Problem(shown("site.yml"), 0, "missing site.yml (it gives the explainer's title)"))
    return Content(root, tuple(files), tuple(problems))


def _link_problem(path: Path, root: Path) -> str:
    """Why a symbolic link may not be followed ('' when `path` is no link, or one inside `root`)."""
    if not path.is_symlink():
        return ""
    target = path.resolve()
    what = "folder" if target.is_dir() else "file"
    if not target.exists():
        return "symbolic link to a file that does not exist"
    if not target.is_relative_to(root.resolve()):
        return f"symbolic link to a {what} outside the content folder"
    return ""


def _read_file(path: Path, root: Path, section: str, shown: str, problems: list[Problem]) -> list[SourceFile]:
    """Read one file; one that cannot be read is still listed (failed), so it is known to exist."""
    failed = [SourceFile(section, shown, path.stem, None, failed=True)]
    refused = _link_problem(path, root)
    if refused:
        problems.append(Problem(shown, 0, refused))
        return failed
    text, read_problems = read_text(path, shown)
    problems.extend(read_problems)
    if text is None:
        return failed
    if section == "annotations":
        return [SourceFile(section, shown, path.stem, None, text=text)]
    if section == "site":
        data, yaml_problems = parse_yaml(text, shown)
        problems.extend(yaml_problems)
        return failed if yaml_problems else [SourceFile(section, shown, path.stem, data)]
    front, front_line, body, body_line, split_problems = split_front_matter(text, shown)
    problems.extend(split_problems)
    if front is None:
        return failed
    data, yaml_problems = parse_yaml(front, shown, front_line)
    problems.extend(yaml_problems)
    return failed if yaml_problems else [SourceFile(section, shown, path.stem, data, body, body_line)]


def parsed_data(source: SourceFile) -> tuple[YamlValue | None, list[Problem]]:
    """A file's YAML tree: the one read with it, or, for an annotation file, its text parsed now."""
    if source.text is None:
        return source.data, []
    return parse_yaml(source.text, source.path)


def load_theme(folder: Path) -> Theme:
    """Read templates (*.html, *.xml, *.txt under `folder`) and everything under folder/assets."""
    templates: dict[str, str] = {}
    assets: dict[str, bytes] = {}
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.name.startswith("."):
            continue
        relative = path.relative_to(folder).as_posix()
        if relative.startswith("assets/"):
            assets[relative] = path.read_bytes()
        else:
            templates[relative] = path.read_text(encoding="utf-8")
    return Theme(MappingProxyType(templates), MappingProxyType(assets))


def reload_content(previous: Content | None, root: Path, changed: Collection[Path], shown_root: str) -> Content:
    """What `load_content(root, shown_root)` returns now, given the files changed since `previous` was loaded.

    Only files that were loaded before and are still there are read alone (with any file that is a
    symbolic link to one of them). A file added or removed, or anything else that changed, reads the
    whole folder again, because what the folder holds decides the folder's own problems (an
    unexpected file, a missing site.yml); files that did not change then keep their objects, so the
    work done on them can be reused.
    """
    if previous is None or previous.root != root:
        return load_content(root, shown_root)
    plain, real = _file_paths(root, previous.files)
    by_plain = {path: index for index, path in enumerate(plain)}
    by_real: dict[str, list[int]] = {}
    for index, path in enumerate(real):
        by_real.setdefault(path, []).append(index)
    changed_plain = {os.path.abspath(path) for path in changed}
    changed_real = {os.path.realpath(path) for path in changed}
    if not changed_plain.issubset(by_plain) or not all(os.path.isfile(path) for path in changed_plain):
        fresh = load_content(root, shown_root)
        unchanged = {
            source.path: source
            for source, plain_path, real_path in zip(previous.files, plain, real, strict=True)
            if plain_path not in changed_plain and real_path not in changed_real and not source.failed
        }
        kept = tuple(_same_file(unchanged.get(source.path), source) for source in fresh.files)
        return Content(root, kept, fresh.problems)
    indexes = {by_plain[path] for path in changed_plain}
    indexes.update(index for path in changed_real for index in by_real.get(path, ()))
    files = list(previous.files)
    replaced = {files[index].path for index in indexes}
    problems = [problem for problem in previous.problems if problem.path not in replaced]
    for index in sorted(indexes):
        source = files[index]
        read: list[Problem] = []
        # The path as loading names it (not resolved), so a symbolic link is still judged as one.
        files[index] = _read_file(_file_path(root, source), root, source.section, source.path, read)[0]
        problems.extend(read)
    return Content(root, tuple(files), tuple(problems))


def _same_file(before: SourceFile | None, now: SourceFile) -> SourceFile:
    """The earlier object for a file that did not change (read the same way), else the new one."""
    if before is None or now.failed or (before.section, before.stem) != (now.section, now.stem):
        return now
    return before


def _file_paths(root: Path, sources: Iterable[SourceFile]) -> tuple[list[str], list[str]]:
    """Each source's file as an absolute path, and with symbolic links resolved (as Path.resolve gives it).

    Each folder is resolved once, and of the files only those that are links: resolving every file
    on its own would cost more than reading the one that changed.
    """
    base = os.path.abspath(root)
    folders: dict[str, tuple[str, frozenset[str]]] = {}  # folder -> (resolved, names of the links in it)
    plain: list[str] = []
    real: list[str] = []
    for source in sources:
        if source.section == "site":
            folder, name = base, "site.yml"
        else:
            folder, name = f"{base}/{source.section}", f"{source.stem}{_SUFFIX[source.section]}"
        if folder not in folders:
            try:
                with os.scandir(folder) as entries:
                    links = frozenset(entry.name for entry in entries if entry.is_symlink())
            except OSError:
                links = frozenset()
            folders[folder] = (os.path.realpath(folder), links)
        resolved, links = folders[folder]
        plain.append(f"{folder}/{name}")
        real.append(os.path.realpath(plain[-1]) if name in links else f"{resolved}/{name}")
    return plain, real


def _file_path(root: Path, source: SourceFile) -> Path:
    """The file a SourceFile was read from, as load_content names it."""
    if source.section == "site":
        return root / "site.yml"
    return root / source.section / f"{source.stem}{_SUFFIX[source.section]}"
