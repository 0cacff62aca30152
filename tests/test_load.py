"""Load: reading files, front matter and safe YAML, with every problem located and nothing raised."""

from __future__ import annotations

import datetime
import gc
import os
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from explainer import load
from explainer.load import (
    YamlValue,
    load_content,
    load_theme,
    parse_yaml,
    plain,
    read_text,
    reload_content,
    split_front_matter,
)
from explainer.problems import Problem

from .conftest import ROOT, SAMPLE, write_tree

TAB = "a tab character (YAML allows only spaces here)"

# --- parse_yaml ---------------------------------------------------------------------------------------


def test_values_carry_their_lines_shifted_by_first_line() -> None:
    data, problems = parse_yaml("title: T\nlist:\n  - a\n  - {b: 1}\nnested:\n  key: v\n", "f", first_line=5)
    assert problems == []
    assert data is not None
    assert data.line == 5
    assert dict(data.key_lines) == {"title": 5, "list": 6, "nested": 9}
    items = data.value["list"].value
    assert [item.line for item in items] == [7, 8]
    assert dict(items[1].key_lines) == {"b": 8}
    assert data.value["nested"].value["key"].line == 10
    assert dict(data.value["nested"].key_lines) == {"key": 10}
    assert plain(data) == {"title": "T", "list": ["a", {"b": 1}], "nested": {"key": "v"}}


def test_scalars_keep_their_yaml_types() -> None:
    data, problems = parse_yaml("d: 2015-10-04\nm: 2015-10\nb: no\nn: ~\ni: 12\ns: '12'\n", "f")
    assert problems == []
    assert plain(data) == {"d": datetime.date(2015, 10, 4), "m": "2015-10", "b": False, "n": None, "i": 12, "s": "12"}


@pytest.mark.parametrize("text", ["", "# only a comment\n", "\n\n"])
def test_an_empty_document_is_none_without_problems(text: str) -> None:
    assert parse_yaml(text, "f") == (None, [])


def test_plain_of_none_is_none() -> None:
    assert plain(None) is None


@pytest.mark.parametrize(
    ("text", "first_line", "expected"),
    [
        ("a: b: c\n", 1, Problem("f", 1, "YAML syntax error at column 5: mapping values are not allowed here")),
        ("x: 1\na: b: c\n", 3, Problem("f", 4, "YAML syntax error at column 5: mapping values are not allowed here")),
        ("a:\tb\n", 1, Problem("f", 1, f"YAML syntax error at column 3: {TAB}")),
    ],
)
def test_syntax_errors_give_line_and_column(text: str, first_line: int, expected: Problem) -> None:
    assert parse_yaml(text, "f", first_line) == (None, [expected])


def test_an_unclosed_quote_is_located_where_it_opens() -> None:
    """PyYAML's problem mark is the end of the stream, past the last line; the quote opens on line 2."""
    data, problems = parse_yaml("a: 1\nb: 'open\nc: 2\n", "f")
    assert data is None
    assert len(problems) == 1
    assert problems[0].line == 2
    assert "column 4" in problems[0].message


def test_a_second_document_is_explained() -> None:
    _, problems = parse_yaml("a: 1\n---\nb: 2\n", "f")
    assert problems == [
        Problem(
            "f",
            2,
            "YAML syntax error at column 1: expected a single document in the stream, but found another document",
        )
    ]


@pytest.mark.parametrize(
    ("text", "first_line", "line", "first_at"),
    [
        ("a: 1\na: 2\n", 1, 2, 1),
        ("a: 1\nb: 2\na: 3\n", 2, 4, 2),
        ("top:\n  k: 1\n  k: 2\n", 10, 12, 11),
    ],
)
def test_duplicate_keys_are_refused_with_both_lines(text: str, first_line: int, line: int, first_at: int) -> None:
    data, problems = parse_yaml(text, "f", first_line)
    assert data is None
    key = "k" if "k:" in text else "a"
    assert problems == [Problem("f", line, f"duplicate key '{key}' (first at line {first_at})")]


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("a: &x 1\nb: 2\n", 1),
        ("a: 1\nb: *x\n", 2),
        ("a: 1\nb: &x [1, 2]\nc: *x\n", 2),
        ("a: 1\nb:\n  - &x {k: 1}\n", 3),
        ("base: &b {k: 1}\nuse:\n  <<: *b\n", 1),
    ],
)
def test_anchors_and_aliases_are_refused(text: str, line: int) -> None:
    data, problems = parse_yaml(text, "f", first_line=3)
    assert data is None
    assert problems == [Problem("f", line + 2, "YAML anchors and aliases are not allowed")]


def test_an_alias_bomb_is_refused_quickly() -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in "bcdefghi":
        previous = chr(ord(level) - 1)
        lines.append(f"{level}: &{level} [" + ",".join([f"*{previous}"] * 9) + "]")
    data, problems = parse_yaml("\n".join(lines) + "\n", "f")
    assert data is None
    assert problems == [Problem("f", 1, "YAML anchors and aliases are not allowed")]


@pytest.mark.parametrize(
    ("text", "tag"),
    [
        ("a: !!python/object:os.system x\n", "!!python/object:os.system"),
        ("a: !!python/object/apply:os.system [echo hi]\n", "!!python/object/apply:os.system"),
        ("a: !!python/name:os.system\n", "!!python/name:os.system"),
        ("a: !!binary aGk=\n", "!!binary"),
        ("a: !custom x\n", "!custom"),
        ("a: !!set {x}\n", "!!set"),
    ],
)
def test_tags_are_refused(text: str, tag: str) -> None:
    data, problems = parse_yaml("ok: 1\n" + text, "f", first_line=2)
    assert data is None
    assert problems == [Problem("f", 3, f"YAML tags are not allowed ('{tag}')")]


@pytest.mark.parametrize("construct", ["!!timestamp nope", "!!bool maybe", "!!int ''", "!!float ''"])
def test_a_standard_tag_whose_text_does_not_fit_is_a_problem_not_a_crash(construct: str) -> None:
    data, problems = parse_yaml(f"ok: 1\na: {construct}\n", "f")  # crashed: AttributeError, KeyError, IndexError
    assert data is None
    assert len(problems) == 1
    assert problems[0].line == 2


@pytest.mark.parametrize(
    ("text", "shown"),
    [("1: c\n", "'1'"), ("? [a, b]\n: c\n", "a list"), ("? {a: 1}\n: c\n", "a mapping"), ("null: c\n", "'null'")],
)
def test_keys_must_be_plain_words_and_the_message_shows_the_key_not_python(text: str, shown: str) -> None:
    data, problems = parse_yaml("ok: 1\n" + text, "f")
    assert data is None
    assert problems == [Problem("f", 2, f"keys must be plain words, not {shown}")]


def test_deep_nesting_is_a_clear_message_not_a_crash() -> None:
    for text in ["[" * 10000, "[" * 200 + "]" * 200, "a: " + "{a: " * 1000]:
        data, problems = parse_yaml(text, "f", first_line=4)
        assert data is None
        assert problems == [Problem("f", 4, f"YAML is nested more than {load.MAX_YAML_DEPTH} levels deep")]


def test_nesting_within_the_limit_is_fine_and_beyond_it_is_refused() -> None:
    depth = load.MAX_YAML_DEPTH
    data, problems = parse_yaml("[" * depth + "]" * depth, "f")
    assert problems == []
    assert data is not None
    block = "a:\n" + "".join("  " * i + "- \n" for i in range(depth + 5))
    data, problems = parse_yaml(block, "f")
    assert data is None
    assert len(problems) == 1
    assert problems[0].message == f"YAML is nested more than {depth} levels deep"


def test_nesting_a_hundred_thousand_levels_deep_is_refused_at_once() -> None:
    message = f"YAML is nested more than {load.MAX_YAML_DEPTH} levels deep"
    for text in ["[" * 100_000, "{a: " * 100_000, "- " * 100_000 + "x\n", "a:\n  b:\n   " + "[" * 100_000]:
        started = time.perf_counter()
        assert parse_yaml(text, "f", first_line=3) == (None, [Problem("f", 3 if text[0] != "a" else 5, message)])
        assert time.perf_counter() - started < 5


# --- the quick reading (libyaml's parser) and the careful one (PyYAML's own) --------------------------


def _exact(value: YamlValue | None) -> Any:
    """A YAML value with its lines and types made comparable (1, 1.0 and True are not the same here)."""
    if value is None:
        return None
    inner = value.value
    if isinstance(inner, list):
        shown: Any = [_exact(item) for item in inner]
    elif isinstance(inner, dict):
        shown = [(key, _exact(item)) for key, item in inner.items()]
    else:
        shown = repr(inner)
    return type(inner).__name__, shown, value.line, sorted(value.key_lines.items())


def _both(text: str, first_line: int = 1) -> tuple[Any, Any]:
    """What parse_yaml gives and what the careful reading alone gives, comparably."""
    quick, quick_problems = parse_yaml(text, "f", first_line)
    careful, careful_problems = load._read_carefully(text, "f", first_line)
    return (_exact(quick), quick_problems), (_exact(careful), careful_problems)


YAML_SEEDS = [
    textwrap.dedent(SAMPLE["annotations/sorties.yml"]),
    "title: T\nlist:\n  - a\n  - {b: 1, c: [x, 'y', \"z\"]}\nnested:\n  key: v\n  d: 2015-10-04\n"
    "  t: 2015-10-04 10:00:00\n  f: 1.5\n  i: 0x1F\n  b: yes\n  n: ~\n  e:\n"
    "block: |\n  line one\n  line two\nfold: >-\n  a\n  b\n",
    "a: [x, y, {k: v, 'q': \"r\"}, [1, 2.5, -3, .inf, 2015-01-02]]\nb: {c: [d, e], f: g h, i: 'j:k'}\n? complex\n: v\n",
    "- a\n- b: c\n  d: [e]\n-\n  - f\n  - g: |\n      text\n- 'x': y\n- ? z\n",
]
# Characters that mean something to YAML, or that libyaml and PyYAML have been seen to read differently.
YAML_CHARACTERS = list(":-, \n'\"[]{}#&*!|>?%@`\t\\\r\x85\u2028\ufeff\u00a0é“😀0123456789.abxyz_~=<+")


@settings(max_examples=400, deadline=None)
@given(seed=st.sampled_from(YAML_SEEDS), data=st.data(), first_line=st.sampled_from([1, 2, 7]))
def test_the_quick_reading_gives_exactly_what_the_careful_reading_gives(seed: str, data, first_line: int) -> None:
    """Values, types, lines and problems: for valid files, for each refusal and for each syntax error."""
    text = seed
    for _ in range(data.draw(st.integers(0, 5))):
        at = data.draw(st.integers(0, len(text)))
        removed = data.draw(st.integers(0, 3))
        inserted = data.draw(st.text(alphabet=st.sampled_from(YAML_CHARACTERS), max_size=3))
        text = text[:at] + inserted + text[at + removed :]
    quick, careful = _both(text, first_line)
    assert quick == careful


@pytest.mark.parametrize(
    "text",
    [
        *YAML_SEEDS,
        "a: b",  # no line break at the end
        "a: [b, c]\nd: {e: f}",
        "a: 'it''s'\nb: \"q\"\nc: 'é “x” 😀'\n",
        "",
        "# only a comment\n",
        "---\na: 1\n...\n",
        "plain text\n",
        "[" * load.MAX_YAML_DEPTH + "]" * load.MAX_YAML_DEPTH,
    ],
)
def test_ordinary_yaml_takes_the_quick_reading(text: str) -> None:
    """The quick reading is the one used for valid files (else the comparison above would prove little)."""
    value = load._read_quickly(text, 0)
    assert (_exact(value), []) == _both(text)[1]


@pytest.mark.parametrize(
    "text",
    [
        "a:\tb\n",  # libyaml takes this tab for a space; PyYAML refuses it
        "a: [b?c]\n",  # PyYAML ends a plain scalar at '?' in a flow collection; libyaml does not
        "a: [b:?c]\n",
        'a: "\\\'"\n',  # an escape only libyaml knows
        "a: b\u2028c\n",  # a line break only PyYAML counts
        "a: b\x85\n",
        "a: b\rc\n",
        "\ufeffa: b\n",
        "%YAML 1.1\n---\na: b\n",
        "a:",  # an empty value at the very end: libyaml puts it on a line of its own
        "a: &x 1\n",
        "a: *x\n",
        "a: !!str 1\n",
        "<<: {a: 1}\n",
        "a: 1\na: 2\n",
        "1: a\n",
        "? [a]\n: b\n",
        "a: 1\n---\nb: 2\n",
        "[" * (load.MAX_YAML_DEPTH + 1),
        "a: 'open\n",
    ],
)
def test_what_the_quick_reading_cannot_vouch_for_is_left_to_the_careful_one(text: str) -> None:
    with pytest.raises(load._UnsureError):
        load._read_quickly(text, 0)
    quick, careful = _both(text)
    assert quick == careful


def test_every_content_file_of_the_real_explainer_takes_the_quick_reading() -> None:
    for source in load_content(ROOT / "content", "content").files:
        path = ROOT / source.path
        text = path.read_text(encoding="utf-8")
        if source.section in ("articles", "notes"):
            text = split_front_matter(text, source.path)[0] or ""
        assert _exact(load._read_quickly(text, 0)) is not None, source.path


# --- read_text ----------------------------------------------------------------------------------------


def _read(tmp_path: Path, raw: bytes) -> tuple[str | None, list[Problem]]:
    path = tmp_path / "file.md"
    path.write_bytes(raw)
    return read_text(path, "shown.md")


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        (b"a\nb\n", "a\nb\n"),
        (b"\xef\xbb\xbfa\nb", "a\nb"),
        (b"a\r\nb\r\n", "a\nb\n"),
        (b"a\rb\r", "a\nb\n"),
        (b"a\r\n\rb\n\r\n", "a\n\nb\n\n"),
        (b"\xef\xbb\xbfa\r\nb", "a\nb"),
        ("Caf\u00e9 \u201cquoted\u201d".encode(), "Caf\u00e9 \u201cquoted\u201d"),
        (b"", ""),
    ],
    ids=["lf", "bom", "crlf", "cr", "mixed", "bom-crlf", "unicode", "empty"],
)
def test_read_text_drops_the_bom_and_normalises_line_breaks(tmp_path: Path, raw: bytes, text: str) -> None:
    assert _read(tmp_path, raw) == (text, [])


def test_a_bom_in_the_middle_is_text(tmp_path: Path) -> None:
    assert _read(tmp_path, b"a\xef\xbb\xbfb") == ("a\ufeffb", [])


@pytest.mark.parametrize(
    ("raw", "line", "column", "byte"),
    [
        (b"\xff", 1, 1, 0xFF),
        (b"abc\ndef \xffghi\n", 2, 5, 0xFF),
        (b"abc\r\ndef \xff\r\n", 2, 5, 0xFF),
        (b"ok\n\xc3", 2, 1, 0xC3),  # a sequence cut short at the end
        (b"a\rb\rcd \xff\r", 3, 4, 0xFF),  # a CR alone is a line break
        ("Caf\u00e9 ".encode() + b"\xff", 1, 6, 0xFF),  # columns count characters, not bytes
        (b"\xef\xbb\xbfab\xff", 1, 3, 0xFF),  # the byte-order mark is not part of the line
    ],
    ids=["first-byte", "lf", "crlf", "truncated", "cr", "after-multibyte", "after-bom"],
)
def test_non_utf8_is_located_by_line_and_column(tmp_path: Path, raw: bytes, line: int, column: int, byte: int) -> None:
    text, problems = _read(tmp_path, raw)
    assert text is None
    assert problems == [Problem("shown.md", line, f"file is not UTF-8 (byte 0x{byte:02x} at column {column})")]


@pytest.mark.parametrize(("raw", "line"), [(b"\x00abc", 1), (b"abc\ndef\x00\n", 2), (b"a\r\nb\r\nc\x00", 3)])
def test_a_nul_character_means_binary(tmp_path: Path, raw: bytes, line: int) -> None:
    assert _read(tmp_path, raw) == (
        None,
        [Problem("shown.md", line, "file is binary, not text (it contains a NUL character)")],
    )


def test_files_over_the_size_limit_are_refused_without_being_read(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(load, "MAX_FILE_BYTES", 1024 * 1024)
    assert _read(tmp_path, b"x" * (1024 * 1024)) == ("x" * (1024 * 1024), [])
    text, problems = _read(tmp_path, b"x" * (1024 * 1024 + 1))
    assert text is None
    assert problems == [Problem("shown.md", 1, "file is larger than the 1 MB limit (1,048,577 bytes)")]


def test_the_default_size_limit_is_generous() -> None:
    assert load.MAX_FILE_BYTES >= 1024 * 1024


# --- split_front_matter -----------------------------------------------------------------------------------


def test_front_matter_is_split_with_its_lines() -> None:
    text = "---\ntitle: T\nkind: place\n---\nBody line 1.\n\nBody line 3.\n"
    assert split_front_matter(text, "n.md") == ("title: T\nkind: place", 2, "Body line 1.\n\nBody line 3.\n", 5, [])


@pytest.mark.parametrize("fence", ["---  ", "---\t"])
def test_fences_may_have_trailing_white_space(fence: str) -> None:
    text = f"{fence}\ntitle: T\n{fence}\nBody\n"
    assert split_front_matter(text, "n.md") == ("title: T", 2, "Body\n", 4, [])


def test_empty_front_matter_and_body() -> None:
    assert split_front_matter("---\n---\n", "n.md") == ("", 2, "", 3, [])
    assert split_front_matter("---\n---", "n.md") == ("", 2, "", 3, [])


def test_only_the_first_closing_fence_counts() -> None:
    front, _, body, body_line, problems = split_front_matter("---\na: 1\n---\ntext\n---\nmore\n", "n.md")
    assert (front, body, body_line, problems) == ("a: 1", "text\n---\nmore\n", 4, [])


MISSING = "missing front matter: the file must start with a line '---', then YAML, then '---'"


@pytest.mark.parametrize("text", ["Just text.\n", "\n---\ntitle: T\n---\nBody\n", " ---\ntitle: T\n---\n", "----\n"])
def test_front_matter_must_open_on_the_first_line(text: str) -> None:
    front, _, _, _, problems = split_front_matter(text, "n.md")
    assert front is None
    assert problems == [Problem("n.md", 1, MISSING)]


@pytest.mark.parametrize("text", ["", "\n", " \n\t\n"])
def test_an_empty_file_is_called_empty(text: str) -> None:
    front, _, _, _, problems = split_front_matter(text, "n.md")
    assert front is None
    assert problems == [Problem("n.md", 1, "file is empty: expected a line '---', then YAML, then '---', then text")]


def test_front_matter_must_close() -> None:
    front, _, _, _, problems = split_front_matter("---\ntitle: T\nBody\n", "n.md")
    assert front is None
    assert problems == [Problem("n.md", 1, "front matter has no closing '---' line")]


# --- load_content ---------------------------------------------------------------------------------------


def _sample(tmp_path: Path, changes: dict[str, str | bytes | None] | None = None) -> Path:
    return write_tree(tmp_path / "content", {**SAMPLE, **(changes or {})})


def test_load_content_reads_every_file_in_order(tmp_path: Path) -> None:
    content = load_content(_sample(tmp_path), "content")
    assert content.problems == ()
    assert [(f.section, f.path, f.stem) for f in content.files] == [
        ("site", "content/site.yml", "site"),
        ("articles", "content/articles/alpha.md", "alpha"),
        ("articles", "content/articles/beta.md", "beta"),
        ("notes", "content/notes/andrei-kartapolov.md", "andrei-kartapolov"),
        ("notes", "content/notes/idlib.md", "idlib"),
        ("annotations", "content/annotations/sorties.yml", "sorties"),
    ]
    alpha = content.files[1]
    assert alpha.body_line == 6
    assert alpha.body.startswith("Russian jets")
    assert alpha.data is not None
    assert alpha.data.key_lines["published"] == 4


def test_paths_are_shown_under_the_folder_name_given(tmp_path: Path) -> None:
    root = _sample(tmp_path)
    assert load_content(root).files[0].path == f"{root}/site.yml"
    assert load_content(root, "my/content/").files[0].path == "my/content/site.yml"


def test_hidden_files_and_folders_are_ignored(tmp_path: Path) -> None:
    root = _sample(
        tmp_path,
        {
            "articles/.DS_Store": b"\x00\x01",
            "notes/.idlib.md.swp": b"\xff\xfe",
            "annotations/.hidden/x.yml": "::",
        },
    )
    content = load_content(root, "content")
    assert content.problems == ()
    assert len(content.files) == 6


def test_unexpected_files_and_folders_in_sections_are_problems(tmp_path: Path) -> None:
    root = _sample(
        tmp_path,
        {
            "articles/notes.txt": "notes",
            "articles/alpha.MD": "---\ntitle: A\n---\nText\n",
            "notes/people/putin.md": "---\ntitle: Putin\n---\nText\n",
            "annotations/more.yaml": "title: More\n",
        },
    )
    content = load_content(root, "content")
    assert [str(p) for p in content.problems] == [
        "content/articles/alpha.MD: unexpected file in articles/ (expected <slug>.md files)",
        "content/articles/notes.txt: unexpected file in articles/ (expected <slug>.md files)",
        "content/notes/people: unexpected folder in notes/ (expected <slug>.md files)",
        "content/annotations/more.yaml: unexpected file in annotations/ (expected <slug>.yml files)",
    ]
    assert len(content.files) == 6


def test_a_symlink_to_a_file_outside_the_content_folder_is_refused(tmp_path: Path) -> None:
    root = _sample(tmp_path)
    secret = tmp_path / "secret.md"
    secret.write_text("---\ntitle: Secret\n---\nSecret text.\n")
    os.symlink(secret, root / "articles" / "secret.md")
    content = load_content(root, "content")
    assert [str(p) for p in content.problems] == [
        "content/articles/secret.md: symbolic link to a file outside the content folder"
    ]
    assert "secret" not in {f.stem for f in content.files if not f.failed}


def test_a_symlink_inside_the_content_folder_is_read(tmp_path: Path) -> None:
    root = _sample(tmp_path)
    os.symlink(root / "articles" / "alpha.md", root / "articles" / "alpha-copy.md")
    content = load_content(root, "content")
    assert content.problems == ()
    assert "alpha-copy" in {f.stem for f in content.files if not f.failed}


def test_site_yml_linked_from_outside_is_refused(tmp_path: Path) -> None:
    root = _sample(tmp_path, {"site.yml": None})
    outside = tmp_path / "outside.yml"
    outside.write_text("title: Outside\n")
    os.symlink(outside, root / "site.yml")
    content = load_content(root, "content")
    assert all(f.section != "site" for f in content.files if not f.failed)
    assert any(p.path == "content/site.yml" and "symbolic link" in p.message for p in content.problems)


def test_a_section_folder_linked_from_outside_is_refused(tmp_path: Path) -> None:
    root = _sample(tmp_path)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.md").write_text("---\ntitle: Secret\n---\nSecret text.\n")
    for path in (root / "notes").iterdir():
        path.unlink()
    (root / "notes").rmdir()
    os.symlink(outside, root / "notes")
    content = load_content(root, "content")
    assert "secret" not in {f.stem for f in content.files if not f.failed}
    assert any(p.path.startswith("content/notes") and "symbolic link" in p.message for p in content.problems)


def test_a_dangling_symlink_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    root = _sample(tmp_path)
    os.symlink(root / "articles" / "gone.md", root / "articles" / "dangling.md")
    content = load_content(root, "content")  # raises FileNotFoundError today
    assert [p.path for p in content.problems] == ["content/articles/dangling.md"]


def test_missing_empty_and_siteless_folders(tmp_path: Path) -> None:
    assert [str(p) for p in load_content(tmp_path / "nowhere", "content").problems] == [
        "content: content folder not found"
    ]
    (tmp_path / "empty").mkdir()
    assert [str(p) for p in load_content(tmp_path / "empty", "content").problems] == [
        "content: content folder is empty: expected site.yml, articles/, notes/ and annotations/"
    ]
    root = _sample(tmp_path, {"site.yml": None})
    assert [str(p) for p in load_content(root, "content").problems] == [
        "content/site.yml: missing site.yml (it gives the explainer's title)"
    ]


def test_a_file_given_as_the_content_folder(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("title: T\n")
    assert [str(p) for p in load_content(tmp_path / "file", "file").problems] == ["file: content folder not found"]


def test_problems_are_collected_from_every_file_and_bad_files_are_left_out(tmp_path: Path) -> None:
    root = _sample(
        tmp_path,
        {
            "site.yml": "title: a: b\n",
            "articles/beta.md": b"\xff",
            "notes/idlib.md": "no front matter\n",
            "annotations/sorties.yml": "a: &x 1\n",
        },
    )
    content = load_content(root, "content")
    assert sorted(str(p) for p in content.problems) == [
        "content/articles/beta.md:1: file is not UTF-8 (byte 0xff at column 1)",
        f"content/notes/idlib.md:1: {MISSING}",
        "content/site.yml:1: YAML syntax error at column 9: mapping values are not allowed here",
    ]
    assert [f.stem for f in content.files if not f.failed] == ["alpha", "andrei-kartapolov", "sorties"]
    # An annotation file's YAML is parsed when it is resolved: its problems are found then.
    topic = content.files[-1]
    assert [str(p) for p in load.parsed_data(topic)[1]] == [
        "content/annotations/sorties.yml:1: YAML anchors and aliases are not allowed"
    ]


def test_an_annotation_file_is_kept_as_text_and_parsed_when_asked(tmp_path: Path) -> None:
    content = load_content(_sample(tmp_path), "content")
    topic, alpha = content.files[-1], content.files[1]
    assert (topic.data, topic.text) == (None, (tmp_path / "content/annotations/sorties.yml").read_text())
    data, problems = load.parsed_data(topic)
    assert problems == [] and data is not None and data.key_lines["title"] == 1
    assert load.parsed_data(alpha) == (alpha.data, [])  # other files' YAML is read with them


def test_front_matter_yaml_lines_are_file_lines(tmp_path: Path) -> None:
    root = _sample(tmp_path, {"articles/beta.md": "---\ntitle: Beta\ntitle: Again\n---\nText.\n"})
    assert [str(p) for p in load_content(root, "content").problems] == [
        "content/articles/beta.md:3: duplicate key 'title' (first at line 2)"
    ]


# --- load_theme -----------------------------------------------------------------------------------------


def test_the_cycle_collector_is_paused_while_reading_and_restored_after(tmp_path: Path) -> None:
    @load.cycle_collection_paused()
    def collecting(fail: bool = False) -> bool:
        if fail:
            raise ValueError
        return gc.isenabled()

    assert gc.isenabled()
    assert collecting() is False
    assert gc.isenabled()
    with pytest.raises(ValueError):
        collecting(fail=True)
    assert gc.isenabled()
    gc.disable()  # paused already (by the caller): it stays so
    try:
        assert collecting() is False
        assert not gc.isenabled()
    finally:
        gc.enable()
    load_content(_sample(tmp_path), "content")
    assert gc.isenabled()


def test_reloading_after_a_file_is_added_keeps_the_objects_of_files_that_did_not_change(tmp_path: Path) -> None:
    root = _sample(tmp_path)
    before = load_content(root, "content")
    added, edited = root / "notes" / "hama.md", root / "articles" / "beta.md"
    added.write_text("---\ntitle: Hama\n---\nA city.\n")
    edited.write_text(edited.read_text().replace("Jets flew", "Jets flew quickly"))
    again = reload_content(before, root, {added, edited}, "content")
    assert again == load_content(root, "content")
    by_path = {source.path: source for source in before.files}
    assert {source.path for source in again.files if by_path.get(source.path) is source} == {
        "content/site.yml",
        "content/articles/alpha.md",
        "content/notes/andrei-kartapolov.md",
        "content/notes/idlib.md",
        "content/annotations/sorties.yml",
    }


def test_reloading_a_file_also_reloads_the_links_to_it(tmp_path: Path) -> None:
    root = _sample(tmp_path)
    alpha = root / "articles" / "alpha.md"
    os.symlink(alpha, root / "articles" / "alpha-copy.md")
    before = load_content(root, "content")
    alpha.write_text(alpha.read_text().replace("The strikes hit Idlib.", "The strikes hit Hama."))
    again = reload_content(before, root, {alpha}, "content")
    assert again == load_content(root, "content")
    assert [source.body.count("Hama") for source in again.files if source.stem.startswith("alpha")] == [1, 1]


def test_load_theme_reads_templates_as_text_and_assets_as_bytes(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "base.html": "<html>{% block body %}{% endblock %}</html>",
            "partials/nav.html": "<nav></nav>",
            "feed.xml": "<feed/>",
            "robots.txt": "User-agent: *",
            "assets/style.css": "body {}",
            "assets/img/logo.png": b"\x89PNG\r\n\x1a\n\x00",
            ".hidden.html": "no",
            "assets/.DS_Store": b"\x00",
        },
    )
    theme = load_theme(tmp_path)
    assert dict(theme.templates) == {
        "base.html": "<html>{% block body %}{% endblock %}</html>",
        "feed.xml": "<feed/>",
        "partials/nav.html": "<nav></nav>",
        "robots.txt": "User-agent: *",
    }
    assert dict(theme.assets) == {"assets/img/logo.png": b"\x89PNG\r\n\x1a\n\x00", "assets/style.css": b"body {}"}
    with pytest.raises(TypeError):
        theme.templates["x"] = "y"  # type: ignore[index]
