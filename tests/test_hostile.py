"""Hostile and broken input: every bad tree fails the build with its exact messages and loses nothing.

Each case is a small content tree (the sample of conftest.py with some files changed) and the exact
`path:line: message` lines `python build.py build` must print. The build runs over an earlier good
site; it must exit with 1 and leave that site byte for byte as it was. The cases are the table of
tests/test_resolve.py (every rule of the content contract) and the hostile cases below (damaged,
binary, oversized and misleading files). Properties checked with hypothesis close the module.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from explainer.anchoring import Ambiguous, Found, anchor, normalise
from explainer.load import MAX_FILE_BYTES
from explainer.pipeline import check
from explainer.problems import Problem, summarise

from .conftest import ROOT, SAMPLE, write_tree
from .test_cli import run, snapshot
from .test_resolve import CASES as CONTRACT_CASES

ALPHA = "content/articles/alpha.md"
GAMMA = "content/articles/gamma.md"
HAMA = "content/notes/hama.md"
MORE = "content/annotations/more.yml"
TOPIC = "content/annotations/sorties.yml"
EMPTY_FILE = "file is empty: expected a line '---', then YAML, then '---', then text"
MEANT = 'did you mean "over 60 sorties" (paragraph 1)?'
SLUG_RULE = "(use lower-case letters a-z, digits and single hyphens)"
NOT_A_SLUG = f"is not a slug {SLUG_RULE}"


def more(*passage_lines: str, id_: str = "more", notes: str = "") -> dict[str, str]:
    """An extra topic with one context annotation whose passage list is `passage_lines`."""
    body = ["title: More", "annotations:", f"  - id: {id_}", "    relation: context"]
    if notes:
        body.append(f"    notes: {notes}")
    body += ["    passages:", *(f"      {line}" for line in passage_lines)]
    return {"annotations/more.yml": "\n".join(body) + "\n"}


def gamma(body: bytes | str) -> dict[str, bytes | str]:
    """An extra article nothing refers to, with the body given."""
    head = "---\ntitle: Gamma\n---\n"
    return {"articles/gamma.md": head.encode() + body if isinstance(body, bytes) else head + body}


Changes = Mapping[str, str | bytes | None]
Setup = Callable[[Path], None]

# id, changes to the sample, exact problems; a callable instead of changes prepares the tree itself.
HOSTILE_CASES: list[tuple[str, Changes | Setup, list[str]]] = [
    # --- damaged and binary files --------------------------------------------------------------
    (
        "truncated-yaml",
        {"annotations/sorties.yml": "title: Counting\nannotations:\n  - id: cut\n    comment: 'Both give the sa"},
        [f"{TOPIC}:4: YAML syntax error at column 14: the quoted value that starts here is never closed"],
    ),
    (
        "truncated-utf8-character",
        gamma(b"The strikes hit Idlib.\n\xe2\x80"),
        [f"{GAMMA}:5: file is not UTF-8 (byte 0xe2 at column 1)"],
    ),
    (
        "binary-file-as-a-note",
        {"notes/hama.md": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00"},
        [f"{HAMA}:1: file is not UTF-8 (byte 0x89 at column 1)"],
    ),
    (
        "binary-file-of-nul-bytes",
        {"notes/hama.md": b"\x00" * 64},
        [f"{HAMA}:1: file is binary, not text (it contains a NUL character)"],
    ),
    # --- empty files and white space ------------------------------------------------------------
    ("empty-article", {"articles/gamma.md": ""}, [f"{GAMMA}:1: {EMPTY_FILE}"]),
    ("empty-note", {"notes/hama.md": "\n\n"}, [f"{HAMA}:1: {EMPTY_FILE}"]),
    ("empty-topic", {"annotations/more.yml": ""}, [f"{MORE}:1: missing required key 'title' in topic"]),
    ("empty-site-yml", {"site.yml": ""}, ["content/site.yml:1: missing required key 'title' in site.yml"]),
    (
        "tab-indented-yaml",
        {"annotations/more.yml": "title: More\nannotations:\n\t- id: more\n"},
        [f"{MORE}:3: YAML syntax error at column 1: a tab character (YAML allows only spaces here)"],
    ),
    (
        "tab-in-front-matter",
        {"articles/gamma.md": "---\ntitle: Gamma\n\tpublished: 2015-10-04\n---\nText.\n"},
        [f"{GAMMA}:3: YAML syntax error at column 1: a tab character (YAML allows only spaces here)"],
    ),
    (
        "front-matter-never-closed-with-crlf",
        {"articles/gamma.md": b"---\r\ntitle: Gamma\r\nText.\r\n"},
        [f"{GAMMA}:1: front matter has no closing '---' line"],
    ),
    # --- slugs that try to leave their folder or look like something else -------------------
    (
        "article-reference-with-dot-dot",
        more("- article: ../alpha", "  quote: Jets"),
        [f"{MORE}:6: unknown article '../alpha' (did you mean 'alpha'?)"],
    ),
    (
        "note-reference-with-a-slash",
        more("- article: beta", "  quote: Jets", notes="[notes/idlib]"),
        [f"{MORE}:5: unknown note 'notes/idlib' (did you mean 'idlib'?)"],
    ),
    (
        "article-reference-in-upper-case",
        more("- article: Beta", "  quote: Jets"),
        [f"{MORE}:6: unknown article 'Beta' (did you mean 'beta'?)"],
    ),
    (
        "note-link-with-dot-dot",
        {"notes/hama.md": "---\ntitle: Hama\n---\nSee [[../idlib]].\n"},
        [f"{HAMA}:4: link [[../idlib]] does not name a note slug {SLUG_RULE}"],
    ),
    (
        "unicode-file-name",
        {"notes/idl\u00edb.md": "---\ntitle: Idl\u00edb\n---\nA city.\n"},
        [f"content/notes/idl\u00edb.md:1: file name 'idl\u00edb' {NOT_A_SLUG}"],
    ),
    (
        "unicode-annotation-id",
        more("- article: beta", "  quote: Jets", id_="idl\u00edb"),
        [f"{MORE}:3: annotation id 'idl\u00edb' {NOT_A_SLUG}"],
    ),
    (
        "fullwidth-digits-in-an-id",
        more("- article: beta", "  quote: Jets", id_="sorties-\uff16\uff10"),
        [f"{MORE}:3: annotation id 'sorties-\uff16\uff10' {NOT_A_SLUG}"],
    ),
    # --- quotes that look right and are not ---------------------------------------------------
    (
        "quote-with-a-look-alike-letter",
        more("- article: beta", "  quote: over 60 s\u043erties"),  # Cyrillic o
        [f"{MORE}:7: quote not found in article 'beta': \"over 60 s\u043erties\"; {MEANT}"],
    ),
    (
        "quote-with-a-zero-width-space",
        more("- article: beta", '  quote: "over 60\\u200b sorties"'),
        [f"{MORE}:7: quote not found in article 'beta': \"over 60\u200b sorties\"; {MEANT}"],
    ),
    # --- sizes and links -------------------------------------------------------------------------
    (
        "a-50-mb-article",
        lambda root: _sparse(root / "articles" / "gamma.md", 50 * 1024 * 1024),
        [f"{GAMMA}:1: file is larger than the {MAX_FILE_BYTES // (1024 * 1024)} MB limit (52,428,800 bytes)"],
    ),
    (
        "symlink-to-a-file-outside-content",
        lambda root: _link(root / "notes" / "hama.md", root.parent / "outside.md", "---\ntitle: Hama\n---\nx\n"),
        [f"{HAMA}: symbolic link to a file outside the content folder"],
    ),
]


def _sparse(path: Path, size: int) -> None:
    """A file of `size` bytes that takes no room on disk (reading it would take seconds)."""
    with path.open("wb") as file:
        file.truncate(size)


def _link(path: Path, target: Path, text: str) -> None:
    target.write_text(text, encoding="utf-8")
    path.symlink_to(target)


ALL_CASES = [(name, changes, expected) for name, changes, expected in CONTRACT_CASES if expected] + HOSTILE_CASES


@pytest.fixture(scope="module")
def good_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample, built once; each test copies it."""
    folder = tmp_path_factory.mktemp("good")
    content = write_tree(folder / "content", SAMPLE)
    code, _, err = run("build", "--content", str(content), "--out", str(folder / "site"))
    assert code == 0, err
    return folder / "site"


def test_the_suite_has_at_least_forty_cases_with_unique_names() -> None:
    names = [name for name, _, _ in ALL_CASES]
    assert len(names) == len(set(names))
    assert len(HOSTILE_CASES) >= 20 and len(ALL_CASES) >= 40


@pytest.mark.parametrize(("changes", "expected"), [c[1:] for c in ALL_CASES], ids=[c[0] for c in ALL_CASES])
def test_bad_input_fails_with_exact_messages_and_the_last_site_survives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, good_site: Path, changes: Changes | Setup, expected: list[str]
) -> None:
    site = tmp_path / "site"
    shutil.copytree(good_site, site)
    before = snapshot(site)
    content = write_tree(tmp_path / "content", SAMPLE if callable(changes) else {**SAMPLE, **changes})
    if callable(changes):
        changes(content)
    # Run from tmp_path so the messages show the folder as 'content', as an editor would type it.
    monkeypatch.chdir(tmp_path)
    code, out, err = run("build", "--content", "content", "--out", "site")
    assert code == 1
    assert out == ""
    problems = err.splitlines()
    assert problems[:-1] == sorted(expected, key=_sort_key)
    assert problems[-1] == _summary(expected)
    assert snapshot(site) == before


def _sort_key(line: str) -> tuple[str, int, str]:
    match = re.match(r"(.*?)(?::(\d+))?: (.*)", line)  # problems of a whole file have no line
    assert match, line
    return match[1], int(match[2] or 0), match[3]


def _summary(expected: list[str]) -> str:
    """The summary line for these problems, worked out independently of the engine."""
    files = {_sort_key(line)[0] for line in expected}
    errors = "1 error" if len(expected) == 1 else f"{len(expected)} errors"
    return f"{errors} in {'1 file' if len(files) == 1 else f'{len(files)} files'}"


def test_summary_agrees_with_the_engine() -> None:
    problems = [Problem("a", 1, "x"), Problem("a", 2, "y"), Problem("b", 1, "z")]
    assert _summary(["a:1: x", "a:2: y", "b:1: z"]) == summarise(problems)


# --- Hostile input that must build ----------------------------------------------------------------


def test_unicode_quotes_with_combining_marks_emoji_and_right_to_left_text_anchor_exactly(make_content) -> None:
    text = "In \u0627\u0644\u0631\u0642\u0629 (Raqqa) \U0001f4a5 the cafe\u0301 was hit; \u05e9\u05dc\u05d5\u05dd."
    changes = {
        **gamma(text + "\n"),
        **more(
            "- article: gamma",
            "  quote: \u0627\u0644\u0631\u0642\u0629 (Raqqa) \U0001f4a5",
            "- article: gamma",
            "  quote: caf\u00e9 was hit",
            "- article: gamma",
            "  quote: \u05e9\u05dc\u05d5\u05dd",
        ),
    }
    site = check(make_content(changes))
    quoted = [site.passages[i] for i in site.passages_by_article["gamma"]]
    assert [site.articles["gamma"].text[p.start : p.end] for p in quoted] == [
        "\u0627\u0644\u0631\u0642\u0629 (Raqqa) \U0001f4a5",
        "cafe\u0301 was hit",
        "\u05e9\u05dc\u05d5\u05dd",
    ]


def test_the_same_passage_in_two_annotations_builds(make_content) -> None:
    again = ["  - id: sixty-again", "    relation: context", "    passages:", "      - article: beta"]
    topic = textwrap.dedent(SAMPLE["annotations/sorties.yml"]) + "\n".join([*again, "        quote: over 60 sorties\n"])
    site = check(make_content({"annotations/sorties.yml": topic}))
    spans = {
        (p.start, p.end) for p in site.passages.values() if p.article == "beta" and p.annotation != "idlib-strikes"
    }
    assert len(spans) == 1 and len(site.annotations) == 3


def test_two_thousand_passages_on_one_sentence_build_and_keep_the_text(tmp_path: Path) -> None:
    sentence = "Russian jets have flown more than sixty sorties since the thirtieth of September said the general."
    words = sentence.rstrip(".").split(" ")
    lines = ["title: Many", "annotations:"]
    for i in range(2000):
        first = i % (len(words) - 2)
        last = first + 2 + (i // len(words)) % (len(words) - first - 2)
        lines += [f"  - id: a{i}", "    relation: context", "    passages:", "      - article: gamma"]
        lines.append(f"        quote: {' '.join(words[first:last])}")
    content = write_tree(
        tmp_path / "content", {**SAMPLE, **gamma(sentence + "\n"), "annotations/many.yml": "\n".join(lines) + "\n"}
    )
    code, _, err = run("build", "--content", str(content), "--out", str(tmp_path / "site"))
    assert code == 0, err
    page = (tmp_path / "site" / "articles" / "gamma.html").read_text(encoding="utf-8")
    assert _text_of(_article_text(page)) == sentence


def _article_text(page: str) -> str:
    match = re.search(r'<div class="article-text" id="article-text">(.*?)</div>', page, re.DOTALL)
    assert match, "no #article-text in the page"
    return match[1]


def _text_of(fragment: str) -> str:
    """The text content of an HTML fragment (paragraph blocks joined by blank lines, as rendered)."""
    return html.unescape(re.sub(r"<[^>]+>", "", fragment))


# --- Output safety ---------------------------------------------------------------------------------


def test_a_build_writes_nothing_outside_its_output_folder(make_content, tmp_path: Path) -> None:
    content = make_content()
    before = {p for p in tmp_path.rglob("*")}
    code, _, err = run("build", "--content", str(content), "--out", str(tmp_path / "site"))
    assert code == 0, err
    added = {p for p in tmp_path.rglob("*")} - before
    assert added and all(p == tmp_path / "site" or (tmp_path / "site") in p.parents for p in added)


@pytest.mark.parametrize("target", ["content", "repository", "repository-parent", "home"])
def test_output_that_is_or_holds_precious_folders_is_refused(make_content, target: str) -> None:
    content = make_content()
    out = {
        "content": content,
        "repository": ROOT,
        "repository-parent": ROOT.parent,
        "home": Path.home(),
    }[target]
    before = sorted(p.name for p in out.iterdir())
    code, _, err = run("build", "--content", str(content), "--out", str(out))
    assert code == 1
    assert err.startswith(f"python build.py: refusing to build into {out}: it is or contains the ")
    assert sorted(p.name for p in out.iterdir()) == before


KILLED_BUILD = """\
import os, signal, sys
from pathlib import Path
from explainer.cli import main

written = 0
real_write = Path.write_bytes

def write_then_die(self, data):
    global written
    real_write(self, data)
    written += 1
    if written == 3:  # mid-write: the marker and two pages are down, the rest are not
        os.kill(os.getpid(), signal.SIGKILL)

Path.write_bytes = write_then_die
print(os.getpid(), flush=True)
sys.exit(main(["build", "--content", sys.argv[1], "--out", sys.argv[2]], templates=Path(sys.argv[3])))
"""


def test_a_build_killed_mid_write_leaves_the_previous_site_and_the_next_build_succeeds(
    make_content, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    content, site = make_content(), tmp_path / "site"
    temporary = tmp_path / "temporary"  # where Pagefind works
    temporary.mkdir()
    monkeypatch.setenv("TMPDIR", str(temporary))
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    assert run("build", "--content", str(content), "--out", str(site))[0] == 0
    before = snapshot(site)
    (content / "articles" / "beta.md").write_text(
        (content / "articles" / "beta.md").read_text().replace("the ministry said", "the ministry claimed")
    )
    killed = subprocess.run(
        [sys.executable, "-c", KILLED_BUILD, str(content), str(site), str(ROOT / "templates")],
        cwd=ROOT,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert killed.returncode == -signal.SIGKILL
    assert snapshot(site) == before
    assert any(p.name.startswith(".site.new-") for p in tmp_path.iterdir())  # the half-written build
    assert [p.name.split("-")[2] for p in temporary.iterdir()] == [str(killed_pid(killed))]  # and its documents
    code, _, err = run("build", "--content", str(content), "--out", str(site))
    assert code == 0, err
    assert "the ministry claimed" in (site / "articles" / "beta.html").read_text(encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["content", "site", "temporary"]
    assert list(temporary.iterdir()) == []  # both builds' temporary folders are gone


def killed_pid(killed: subprocess.CompletedProcess[bytes]) -> int:
    """The process id the killed build printed before it was killed."""
    return int(killed.stdout.decode().split()[0])


# --- Properties ------------------------------------------------------------------------------------

# Letters of several scripts, digits, punctuation and markup characters, typographic quotes and dashes.
LETTERS = (
    "abcxyz\u00e9\u00df\u0430\u0431\u0627\u0644\u05e9\u4e2d\U0001f4a5019.,;:!?<>&'\"\u2019\u201c\u201d\u2014-{}%#/"
)
words = st.text(alphabet=LETTERS, min_size=1, max_size=6)
texts = st.lists(words, min_size=1, max_size=30).map(" ".join)


@settings(max_examples=300, deadline=None)
@given(text=texts, data=st.data())
def test_anchoring_with_its_context_finds_exactly_the_intended_span(text: str, data: st.DataObject) -> None:
    """With the whole text before and after it as prefix and suffix, a quote lands on its own span."""
    start, end = _span(text, data)
    found = anchor(text, normalise(text), text[start:end], prefix=text[:start], suffix=text[end:])
    assert found == Found(start, end)


@settings(max_examples=300, deadline=None)
@given(text=texts, data=st.data())
def test_anchoring_a_bare_quote_never_lands_elsewhere(text: str, data: st.DataObject) -> None:
    """Without context, a quote is found at its span, or reported ambiguous with its span among the candidates."""
    start, end = _span(text, data)
    found = anchor(text, normalise(text), text[start:end])
    if isinstance(found, Ambiguous):
        assert start in found.starts
    else:
        assert found == Found(start, end)


def _span(text: str, data: st.DataObject) -> tuple[int, int]:
    """A random span of `text` that starts and ends on a word (quotes are stripped of outer space)."""
    bounds = [m.span() for m in re.finditer(r"\S+", text)]
    first = data.draw(st.integers(0, len(bounds) - 1))
    last = data.draw(st.integers(first, len(bounds) - 1))
    return bounds[first][0], bounds[last][1]


@settings(max_examples=100, deadline=None)
@given(
    quote=words,
    contexts=st.lists(st.text(alphabet="abcxyz\u00e9 ", min_size=1, max_size=5), min_size=2, max_size=6),
    data=st.data(),
)
def test_prefix_and_suffix_pick_the_intended_occurrence(quote: str, contexts: list[str], data: st.DataObject) -> None:
    """The same words many times over, each time between other words: prefix and suffix choose one."""
    # Numbered markers make each context unique and never the tail of another.
    before = [f"{c}#{n}#" for n, c in enumerate(contexts)]
    after = [f"@{n}@{c}" for n, c in enumerate(contexts)]
    pieces = [f"{b} {quote} {a}" for b, a in zip(before, after, strict=True)]
    text = " ".join(pieces)
    chosen = data.draw(st.integers(0, len(pieces) - 1))
    start = sum(len(p) + 1 for p in pieces[:chosen]) + len(before[chosen]) + 1
    found = anchor(text, normalise(text), quote, prefix=before[chosen], suffix=after[chosen])
    assert found == Found(start, start + len(quote))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    paragraphs=st.lists(texts, min_size=1, max_size=4),
    data=st.data(),
)
def test_rendering_overlapping_passages_keeps_every_character_in_order(
    paragraphs: list[str], data: st.DataObject
) -> None:
    """Mark any set of passages, strip the markup: the article's text comes back exactly."""
    # A numbered first word keeps paragraphs distinct (and never a '## ' subheading).
    paragraphs = [f"P{n} {p}" for n, p in enumerate(paragraphs)]
    passages = []
    for _ in range(data.draw(st.integers(1, 12))):
        number = data.draw(st.integers(0, len(paragraphs) - 1))
        paragraph = paragraphs[number]
        start, end = _span(paragraph, data)
        passages.append(
            {"article": "gamma", "quote": paragraph[start:end], "prefix": paragraph[:start], "suffix": paragraph[end:]}
        )
    topic = {
        "title": "Many",
        "annotations": [{"id": f"a{n}", "relation": "context", "passages": [p]} for n, p in enumerate(passages)],
    }
    with tempfile.TemporaryDirectory() as folder:
        content = write_tree(
            Path(folder) / "content",
            {
                **SAMPLE,
                **gamma("\n\n".join(paragraphs) + "\n"),
                # JSON is YAML: every string arrives exactly as generated.
                "annotations/many.yml": json.dumps(topic, ensure_ascii=False),
            },
        )
        code, _, err = run("build", "--content", str(content), "--out", str(Path(folder) / "site"))
        assert code == 0, err
        page = (Path(folder) / "site" / "articles" / "gamma.html").read_text(encoding="utf-8")
    blocks = re.findall(r'<p id="para-\d+">(.*?)</p>', _article_text(page), re.DOTALL)
    assert [_text_of(block) for block in blocks] == paragraphs
    assert page.count('class="passage ') >= 1
