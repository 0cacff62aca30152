"""Markdown: the quick conversion of plain paragraphs is the full conversion, or it declines."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from explainer.markup import MarkdownRenderer, quick_html
from explainer.pipeline import check

from .conftest import ROOT

TITLES = {"idlib": "Idlib", "assad": "Bashar al-Assad", "odd": "A *starred* title", "amp": "AT&T", "x-1": "X"}
# Pieces of text that Markdown, or HTML, treats specially, and plain words between them.
PIECES = [
    "word", "Words", "é", "“", "”", "’", "'", '"', "(", ")", ":", ";", ",", ".", "!", "?", "-", "+", "=", "#",
    "~", "^", "{", "}", "%", "$", "@", "/", "1", "1.", "2)", " ", "  ", "\t", "\n", "\n\n", "\n\n\n", "\r",
    "*", "**", "***", "_", "__", "`", "\\", "[", "]", "[[", "]]", "|", "<", ">", "&", "&amp;", "\xa0",
    "\u2028", "\ufeff", "\x00", "[[idlib]]", "[[assad|the president]]", "[[idlib| ]]", "[[ idlib ]]",
    "[[odd]]", "[[amp]]", "[[missing]]", "[[x-1|**b**]]", "**bold**", "** no**", "**no **", "> ", "- ", "* ",
    "    ", "---", "===", "|a|", "[a](b)", "![a](b)", "[^1]", "<b>", "http://x.org", "<http://x.org>",
]  # fmt: skip


def _full(text: str, root: str = "../") -> str:
    return MarkdownRenderer(root, TITLES).full_html(text)


@settings(max_examples=2000, deadline=None)
@given(
    st.lists(st.sampled_from(PIECES), max_size=12).map("".join),
    st.sampled_from(["", "../", "https://e.org/r/", "https://e.org/?a=1&b=<2>/"]),
)
def test_the_quick_conversion_is_the_full_one_whenever_it_converts(text: str, root: str) -> None:
    quick = quick_html(text, root, TITLES)
    assert quick is None or quick == _full(text, root)


QUICK = {
    "sentence": "The sources agree on the date.",
    "strong": "The figures agree: **198** sorties, as **both** say.",
    "note link": "Both attribute it to [[assad]], and to [[idlib|the province]].",
    "paragraphs": "First paragraph,\nwrapped.\n\n“Second” paragraph.\n",
    "starts with a link": "[[idlib]] is a province.",
}
FULL = {
    "list": "- one\n- two",
    "numbered": "1. one",
    "heading": "# Title",
    "emphasis": "an *emphasised* word",
    "link": "[site](https://example.org)",
    "html": "<b>bold</b>",
    "ampersand": "AT&T",
    "unknown note": "[[missing]]",
    "a title with Markdown": "[[odd]]",
    "trailing spaces": "line  \nbreak",
    "indented": "    code",
}


@pytest.mark.parametrize("text", QUICK.values(), ids=QUICK.keys())
def test_plain_paragraphs_are_converted_quickly(text: str) -> None:
    assert quick_html(text, "../", TITLES) == _full(text)
    assert str(MarkdownRenderer("../", TITLES)(text)) == _full(text)


@pytest.mark.parametrize("text", FULL.values(), ids=FULL.keys())
def test_the_quick_conversion_leaves_markdown_to_markdown(text: str) -> None:
    assert quick_html(text, "../", TITLES) is None


def test_most_of_the_explainers_own_texts_are_converted_quickly() -> None:
    site = check(ROOT / "content")
    titles = {slug: note.title for slug, note in site.notes.items()}
    texts = [a.comment for a in site.annotations.values() if a.comment] + [n.body for n in site.notes.values()]
    quick = [text for text in texts if quick_html(text, "../", titles) is not None]
    renderer = MarkdownRenderer("../", titles)
    assert all(quick_html(text, "../", titles) == renderer.full_html(text) for text in quick)
    assert len(quick) >= len(texts) // 2, f"only {len(quick)} of {len(texts)} texts are converted quickly"
