"""The quote helper (`python build.py quote`): entries that `check` anchors to exactly the words asked for."""

from __future__ import annotations

import io
import shutil
import textwrap
from pathlib import Path

import pytest
import yaml

from explainer import pipeline
from explainer.cli import main
from explainer.quote import MAX_CONTEXT_WORDS, entries, read_source

from .conftest import ROOT, TEMPLATES, write_tree

SYRIA = ROOT / "content"


def run(*args: str) -> tuple[int, str, str]:
    """Run the CLI in-process; return (exit status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    try:
        code = main(list(args), templates=TEMPLATES, stdout=out, stderr=err)
    except SystemExit as exit_:  # argparse exits on bad usage
        code = int(exit_.code or 0)
    return code, out.getvalue(), err.getvalue()


def quote(content: Path, *args: str) -> str:
    """What `quote` prints for a content folder, asserting it succeeds quietly."""
    code, out, err = run("quote", "--content", str(content), *args)
    assert (code, err) == (0, ""), err
    return out


def pasted(content: Path, printed: str, tmp_path: Path) -> list[tuple[str, int, int, str]]:
    """Paste each printed entry into a topic of its own in a copy of `content`; check; return the passages' spans.

    Each entry goes into its own annotation, as an editor keeps one of several entries printed.
    """
    copy = tmp_path / "pasted"
    shutil.copytree(content, copy)
    items = yaml.safe_load(textwrap.dedent(printed))
    assert isinstance(items, list) and items
    topic = "title: Pasted\nannotations:\n"
    chunks = printed.split("      - article:")[1:]
    for number, chunk in enumerate(chunks, start=1):
        body = "".join(
            line + "\n" for line in ("      - article:" + chunk).splitlines() if not line.lstrip().startswith("#")
        )
        topic += f"  - id: pasted-{number}\n    relation: context\n    passages:\n{body}"
    (copy / "annotations" / "pasted-entries.yml").write_text(topic, encoding="utf-8")
    site = pipeline.check(copy)
    spans = []
    for number in range(1, len(chunks) + 1):
        (passage,) = site.annotations[f"pasted-{number}"].passages
        spans.append((passage.article, passage.start, passage.end, passage.exact))
    return spans


def test_a_unique_quote_needs_no_context(make_content) -> None:
    content = make_content()
    assert quote(content, "alpha", "more than 60 sorties") == (
        f"      # paragraph 1 ({content}/articles/alpha.md, line 6)\n"
        "      - article: alpha\n"
        "        quote: more than 60 sorties\n"
    )


def test_the_entry_is_the_sources_own_words_as_check_matches_them(make_content) -> None:
    """Straight quotes, a hyphen for a dash, words split over lines: the entry has the source's characters."""
    content = make_content(
        {
            "articles/gamma.md": "---\ntitle: Gamma\n---\nHe said:\n“The front — near Hama — held.”\n",
        }
    )
    printed = quote(content, "gamma", '"The front - near', 'Hama - held."')
    assert printed.splitlines()[1:] == ["      - article: gamma", "        quote: “The front — near Hama — held.”"]


def test_a_quote_that_occurs_twice_gets_the_shortest_context_for_each(make_content, tmp_path: Path) -> None:
    content = make_content()
    printed = quote(content, "alpha", "The strikes hit Idlib")
    assert printed == (
        "      # \"The strikes hit Idlib\" occurs 2 times in article 'alpha': keep the entry you mean\n"
        f"      # match 1: paragraph 3 ({content}/articles/alpha.md, line 10)\n"
        "      - article: alpha\n"
        "        quote: The strikes hit Idlib\n"
        "        suffix: .\n"
        f"      # match 2: paragraph 3 ({content}/articles/alpha.md, line 10)\n"
        "      - article: alpha\n"
        "        quote: The strikes hit Idlib\n"
        "        prefix: Idlib.\n"
    )
    text = "Russian jets have flown “more than 60 sorties” since September 30, the general said.\n\nStrikes\n\n"
    first = len(text)
    assert pasted(content, printed, tmp_path) == [
        ("alpha", first, first + 21, "The strikes hit Idlib"),
        ("alpha", first + 23, first + 44, "The strikes hit Idlib"),
    ]


@pytest.mark.parametrize(
    ("body", "words", "contexts"),
    [
        # Words grow one at a time: a prefix alone first, then a suffix alone.
        ("one two x three. one four x three.", "x", [{"prefix": "two"}, {"prefix": "four"}]),
        ("x a b. x c b.", "x", [{"suffix": "a"}, {"prefix": "b."}]),
        # Neither side alone tells the middle one apart within its paragraph: one word of each.
        ("a x b\n\na x d\n\nc x d", "x", [{"suffix": "b"}, {"prefix": "a", "suffix": "d"}, {"prefix": "c"}]),
        # The same paragraph twice: no context can separate them, so occurrence does.
        ("Same words.\n\nSame words.", "Same words", [{"occurrence": 1}, {"occurrence": 2}]),
        # Context of whole words, as many as it takes, up to the limit.
        (
            "p q r s t x.\n\nu q r s t x.",
            "x",
            [{"prefix": "p q r s t"}, {"prefix": "u q r s t"}],
        ),
    ],
)
def test_the_fewest_words_of_context(make_content, tmp_path: Path, body: str, words: str, contexts: list) -> None:
    content = make_content({"articles/gamma.md": f"---\ntitle: Gamma\n---\n{body}\n"})
    printed = quote(content, "gamma", words)
    items = yaml.safe_load(textwrap.dedent(printed))
    assert [
        {key: value for key, value in item.items() if key not in ("article", "quote")} for item in items
    ] == contexts
    spans = pasted(content, printed, tmp_path)
    assert len(set(spans)) == len(contexts)
    assert all(exact == words for _, _, _, exact in spans)


def test_context_longer_than_the_limit_gives_way_to_occurrence(make_content, tmp_path: Path) -> None:
    shared = " ".join(f"w{n}" for n in range(MAX_CONTEXT_WORDS))
    content = make_content({"articles/gamma.md": f"---\ntitle: Gamma\n---\nA {shared} x.\n\nB {shared} x.\n"})
    printed = quote(content, "gamma", "x")
    assert [item.get("occurrence") for item in yaml.safe_load(textwrap.dedent(printed))] == [1, 2]
    assert len(set(pasted(content, printed, tmp_path))) == 2


def test_an_article_named_by_its_file(make_content) -> None:
    content = make_content()
    path = str(content / "articles" / "beta.md")
    code, out, err = run("quote", path, "over 60 sorties")
    assert (code, err) == (0, "")
    assert out == f"      # paragraph 1 ({path}, line 6)\n      - article: beta\n        quote: over 60 sorties\n"


def test_paragraph_prints_a_paragraph_numbered_as_check_numbers_them(make_content) -> None:
    content = make_content()
    assert quote(content, "alpha", "--paragraph", "2") == (
        f"# paragraph 2 of 3, a subheading ({content}/articles/alpha.md, line 8)\nStrikes\n"
    )
    assert quote(content, "alpha", "--paragraph", "3") == (
        f"# paragraph 3 of 3 ({content}/articles/alpha.md, line 10)\n"
        "The strikes hit Idlib. The strikes hit Idlib again on Sunday.\n"
    )


def test_paragraph_numbers_agree_with_checks_messages(make_content) -> None:
    """check's "did you mean ... (paragraph N)" and quote's --paragraph N point at the same paragraph."""
    content = make_content(
        {
            "annotations/sorties.yml": """\
                title: Counting the sorties
                annotations:
                  - id: idlib
                    relation: context
                    passages:
                      - article: alpha
                        quote: The strikes hit Idlib on Monday
                """
        }
    )
    code, _, err = run("check", "--content", str(content))
    assert code == 1
    assert "(paragraph 3)?" in err
    assert "Idlib again on Sunday" in quote(content, "alpha", "--paragraph", "3")


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (
            ["alpha", "more than 70 sorties"],
            1,
            "python build.py quote: quote not found in article 'alpha': \"more than 70 sorties\"; "
            'did you mean "more than 60 sorties" (paragraph 1)?',
        ),
        (
            ["alpha", "zzzz qqqq"],
            1,
            "python build.py quote: quote not found in article 'alpha': \"zzzz qqqq\"; "
            "nothing in the article is close to it",
        ),
        (
            ["alpha", "the general said. Strikes"],
            1,
            "python build.py quote: quote spans paragraphs 1 to 2 of article 'alpha'; "
            "a passage must lie within one paragraph",
        ),
        (["alpha", "  "], 1, "python build.py quote: the quote is empty: give the words to quote"),
        (
            ["alpah", "sorties"],
            1,
            "python build.py quote: no article 'alpah' in {content}/articles; did you mean: alpha?",
        ),
        (
            ["omega", "sorties"],
            1,
            "python build.py quote: no article 'omega' in {content}/articles; its articles are: alpha, beta",
        ),
        (
            ["", "sorties"],
            1,
            "python build.py quote: no article given: give an article's slug or the path of its file",
        ),
        (["missing/alpha.md", "sorties"], 1, "python build.py quote: no article file missing/alpha.md"),
        (
            ["alpha", "--paragraph", "4"],
            1,
            "python build.py quote: article 'alpha' has 3 paragraphs; --paragraph must be from 1 to 3, not 4",
        ),
        (
            ["beta", "--paragraph", "0"],
            1,
            "python build.py quote: article 'beta' has 2 paragraphs; --paragraph must be from 1 to 2, not 0",
        ),
        (
            ["alpha", "sorties", "--paragraph", "1"],
            2,
            "python build.py quote: error: give the words to quote or --paragraph N, not both",
        ),
        (["alpha"], 2, "python build.py quote: error: give the words to quote (or --paragraph N)"),
        (["alpha", "--paragraph", "two"], 2, "argument --paragraph: invalid int value: 'two'"),
    ],
)
def test_bad_input(make_content, args: list[str], code: int, message: str) -> None:
    content = make_content()
    got, out, err = run("quote", "--content", str(content), *args)
    assert (got, out) == (code, "")
    if code == 1:
        assert err == message.format(content=content) + "\n"
    else:
        assert message in err


def test_an_unreadable_article_is_reported_at_its_line(make_content) -> None:
    content = make_content({"articles/gamma.md": "---\ntitle: Gamma\nNo closing line.\n"})
    code, _, err = run("quote", "--content", str(content), "gamma", "closing")
    assert code == 1
    assert err == f"python build.py quote: {content}/articles/gamma.md:1: front matter has no closing '---' line\n"


def test_a_missing_content_folder(tmp_path: Path) -> None:
    code, _, err = run("quote", "--content", str(tmp_path / "nowhere"), "alpha", "x")
    assert code == 1
    assert err == f"python build.py quote: no articles folder in {tmp_path / 'nowhere'} (is --content right?)\n"


# The Syria explainer: real text, with real repeats.


def test_syria_a_repeated_sentence_gets_context_that_check_anchors(tmp_path: Path) -> None:
    article = "putin-celebrates-positive-results"
    printed = quote(SYRIA, article, "ISIS has no known presence")
    items = yaml.safe_load(textwrap.dedent(printed))
    assert len(items) == 2
    assert all(item.keys() - {"article", "quote"} <= {"prefix", "suffix"} for item in items)
    assert all(item.keys() & {"prefix", "suffix"} for item in items)
    assert "match 1: paragraph 11 (" in printed and "match 2: paragraph 15 (" in printed
    spans = pasted(SYRIA, printed, tmp_path)
    text = read_source(SYRIA, article, "content").text
    assert [text[start:end] for _, start, end, _ in spans] == ["ISIS has no known presence"] * 2
    assert spans[0][1] < spans[1][1]


def test_syria_check_reports_the_same_paragraphs_for_the_bare_quote(tmp_path: Path) -> None:
    """Without context, check names the paragraphs quote printed: the two agree on numbering."""
    copy = tmp_path / "syria"
    shutil.copytree(SYRIA, copy)
    (copy / "annotations" / "bare.yml").write_text(
        "title: Bare\nannotations:\n  - id: bare\n    relation: context\n    passages:\n"
        "      - article: putin-celebrates-positive-results\n        quote: ISIS has no known presence\n",
        encoding="utf-8",
    )
    code, _, err = run("check", "--content", str(copy))
    assert code == 1
    assert "quote occurs 2 times in article 'putin-celebrates-positive-results' (paragraphs 11, 15)" in err


def test_syria_every_annotated_quote_round_trips() -> None:
    """For every passage the editors annotated, quote finds the same span among its entries."""
    site = pipeline.check(SYRIA)
    for passage in site.passages.values():
        source = read_source(SYRIA, passage.article, "content")
        found = entries(source, passage.exact)
        assert (passage.start, passage.end) in {(entry.start, entry.end) for entry in found}


def test_syria_paragraph() -> None:
    printed = quote(SYRIA, "strikes-continue-despite-withdrawal", "--paragraph", "1")
    first, text = printed.split("\n", 1)
    assert first.startswith("# paragraph 1 of ")
    assert "the majority of Russian forces would be withdrawn" in text


def test_an_article_with_windows_line_endings_and_a_byte_order_mark(tmp_path: Path) -> None:
    """An article with Windows line endings and a byte-order mark reads as check reads it."""
    content = write_tree(
        tmp_path / "c",
        {
            "site.yml": "title: T\n",
            "articles/gamma.md": b"\xef\xbb\xbf---\r\ntitle: Gamma\r\n---\r\nOne line,\r\nand more.\r\n\r\nTwo.\r\n",
        },
    )
    assert quote(content, "gamma", "line, and") == (
        f"      # paragraph 1 ({content}/articles/gamma.md, line 4)\n      - article: gamma\n        quote: line, and\n"
    )


def test_the_example_in_the_docs_is_what_quote_prints() -> None:
    printed = quote(SYRIA, "putin-celebrates-positive-results", "ISIS has no known presence")
    assert printed.replace(str(SYRIA), "content") in (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
