"""Text Fragment links to the original: the directive's encoding, the search it is checked with, the rendered links."""

from __future__ import annotations

import csv
import dataclasses
import html
import io
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from explainer.cli import main as cli_main
from explainer.fragments import (
    EXACT_LIMIT,
    TextDirective,
    directive_for,
    encode,
    locate,
    original_link,
    remembering_links,
    with_directive,
)
from explainer.pipeline import build, check

from .browser_support import BLOCKING_IMPACTS, Recorder, axe_violations, describe_violations, serve
from .conftest import ROOT, TEMPLATES, ContentMaker

# The spec's grammar (TextDirective): what a browser accepts as a text directive at all.
TEXT_STRING = r"(?:[a-zA-Z0-9!$'()*+./:;=?@_~]|%[0-9A-Fa-f]{2})+"
GRAMMAR = re.compile(rf"text=(?:{TEXT_STRING}-,)?{TEXT_STRING}(?:,{TEXT_STRING})?(?:,-{TEXT_STRING})?")
ALPHA_URL = "https://alpha.example/news/sorties"


def parse(directive: str) -> TextDirective:
    """The spec's 'parse a text directive', written out independently of the code under test."""
    assert directive.startswith("text=")
    tokens = directive[5:].split(",")
    prefix = suffix = ""
    if tokens[0].endswith("-"):
        prefix = unquote(tokens.pop(0)[:-1])
    if tokens and tokens[-1].startswith("-"):
        suffix = unquote(tokens.pop()[1:])
    assert len(tokens) in (1, 2)
    return TextDirective(unquote(tokens[0]), unquote(tokens[1]) if len(tokens) == 2 else "", prefix, suffix)


def blocks_of(text: str) -> list[tuple[int, int]]:
    """Paragraph spans of a text whose paragraphs are joined by one blank line, as Article.paragraphs has them."""
    spans, at = [], 0
    for paragraph in text.split("\n\n"):
        spans.append((at, at + len(paragraph)))
        at += len(paragraph) + 2
    return spans


def link_for(text: str, quote: str, occurrence: int = 1) -> tuple[TextDirective, tuple[int, int]]:
    """The directive made for the n-th occurrence of quote in text, and that occurrence's span."""
    start = -1
    for _ in range(occurrence):
        start = text.index(quote, start + 1)
    return directive_for(text, blocks_of(text), start, start + len(quote)), (start, start + len(quote))


# The spec's own examples (https://wicg.github.io/scroll-to-text-fragment/#syntax).
@pytest.mark.parametrize(
    ("directive", "expected"),
    [
        (TextDirective("an example text fragment"), "text=an%20example%20text%20fragment"),
        (TextDirective("an example", "text fragment"), "text=an%20example,text%20fragment"),
        (
            TextDirective("an example", prefix="this is", suffix="text fragment"),
            "text=this%20is-,an%20example,-text%20fragment",
        ),
        (
            TextDirective("مصر", prefix="البحرين"),
            "text=%D8%A7%D9%84%D8%A8%D8%AD%D8%B1%D9%8A%D9%86-,%D9%85%D8%B5%D8%B1",
        ),
    ],
)
def test_the_specs_examples_encode_as_the_spec_writes_them(directive: TextDirective, expected: str) -> None:
    assert str(directive) == expected
    assert parse(expected) == directive


def test_dash_ampersand_and_comma_are_percent_encoded_because_they_are_syntax() -> None:
    assert encode("a-b, c&d") == "a%2Db%2C%20c%26d"
    assert encode("100% – “quoted”") == "100%25%20%E2%80%93%20%E2%80%9Cquoted%E2%80%9D"
    assert str(TextDirective("-5", "x,", "pre-", "&more")) == "text=pre%2D-,%2D5,x%2C,-%26more"


@given(
    st.text(min_size=1, max_size=20),
    st.text(max_size=8),
    st.text(max_size=8),
    st.text(max_size=8),
)
def test_any_terms_survive_the_round_trip_and_fit_the_grammar(start: str, end: str, prefix: str, suffix: str) -> None:
    directive = TextDirective(start, end, prefix, suffix)
    assert GRAMMAR.fullmatch(str(directive))
    assert parse(str(directive)) == directive


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://a.example/x", "https://a.example/x#:~:text=w"),
        ("https://a.example/x?a=1&b=2", "https://a.example/x?a=1&b=2#:~:text=w"),
        ("https://a.example/x#", "https://a.example/x#:~:text=w"),
        ("https://a.example/x#section-2", "https://a.example/x#section-2:~:text=w"),
        ("https://a.example/x#section-2:~:text=old&text=older", "https://a.example/x#section-2:~:text=w"),
        ("https://a.example/x#:~:text=old", "https://a.example/x#:~:text=w"),
    ],
)
def test_the_directive_joins_the_url_after_its_fragment_and_replaces_any_directive(url: str, expected: str) -> None:
    assert with_directive(url, TextDirective("w")) == expected


# The search the directives are checked with, on the spec's own examples.
def test_context_terms_pick_the_occurrence_they_surround() -> None:
    text = "here is an example text\n\nthis is an example text fragment"
    directive = TextDirective("an example", prefix="this is", suffix="text fragment")
    assert locate(text, blocks_of(text), directive) == (33, 43)
    assert locate(text, blocks_of(text), TextDirective("an example")) == (8, 18)


def test_matches_are_word_bounded_at_their_outer_edges() -> None:
    text = "a color orange and a forest ranger\n\nthe mountain range"
    assert locate(text, blocks_of(text), TextDirective("range")) == (49, 54)
    assert locate(text, blocks_of(text), TextDirective("range", prefix="color o")) == (9, 14)


def test_matching_ignores_case_and_accents_and_collapses_white_space() -> None:
    text = "CAFÉ   society\nlife\n\nthe café society life"
    assert locate(text, blocks_of(text), TextDirective("cafe society life")) == (0, 19)


def test_a_term_never_spans_two_paragraphs_but_context_may() -> None:
    text = "the end\n\nof the world"
    assert locate(text, blocks_of(text), TextDirective("end of")) is None
    assert locate(text, blocks_of(text), TextDirective("of the", prefix="end")) == (9, 15)


# Making the directive for a passage.
def test_a_unique_quote_is_linked_as_it_stands() -> None:
    text = "Russian jets flew 60 sorties on Sunday."
    directive, span = link_for(text, "60 sorties")
    assert directive == TextDirective("60 sorties")
    assert locate(text, blocks_of(text), directive) == span


def test_the_first_of_repeated_words_needs_no_context() -> None:
    text = "The strikes hit Idlib. The strikes hit Idlib again on Sunday."
    directive, span = link_for(text, "The strikes hit Idlib")
    assert directive == TextDirective("The strikes hit Idlib")
    assert locate(text, blocks_of(text), directive) == span


def test_a_later_occurrence_gets_the_words_before_it() -> None:
    text = "The strikes hit Idlib. Then jets hit Idlib again on Sunday."
    directive, span = link_for(text, "hit Idlib", occurrence=2)
    assert directive == TextDirective("hit Idlib", prefix="jets")
    assert locate(text, blocks_of(text), directive) == span


def test_context_is_added_until_it_tells_the_occurrences_apart_ignoring_case() -> None:
    text = "The strikes hit Idlib. Then the strikes hit Idlib again on Sunday."
    directive, span = link_for(text, "strikes hit Idlib", occurrence=2)
    # "the" before it would match "The" before the first one too: the word after it decides.
    assert directive == TextDirective("strikes hit Idlib", suffix="again")
    assert locate(text, blocks_of(text), directive) == span


def test_a_repeat_at_the_start_of_a_paragraph_gets_the_words_after_it() -> None:
    text = "Jets flew on. Officials said so.\n\nOfficials said the targets were terrorists."
    directive, span = link_for(text, "Officials said", occurrence=2)
    assert directive == TextDirective("Officials said", suffix="the")
    assert locate(text, blocks_of(text), directive) == span


def test_repeats_differing_only_in_case_or_accents_count_as_repeats() -> None:
    text = "Cafe owners left. The café owners stayed."
    directive, span = link_for(text, "café owners")
    assert directive.prefix == "The"
    assert locate(text, blocks_of(text), directive) == span


def test_a_passage_starting_inside_a_word_is_held_by_its_prefix() -> None:
    text = "Jets flew “more than 60 sorties” on Sunday."
    directive, span = link_for(text, "ore than 60")
    assert directive == TextDirective("ore than 60", prefix="“m")
    assert locate(text, blocks_of(text), directive) == span


def test_line_breaks_inside_a_paragraph_become_single_spaces() -> None:
    text = "The ministry said\nthat jets   flew\tagain."
    directive, span = link_for(text, "said\nthat jets   flew")
    assert directive == TextDirective("said that jets flew")
    assert locate(text, blocks_of(text), directive) == span


def test_a_long_passage_is_linked_by_its_first_and_last_words() -> None:
    sentence = "Each of these words is part of a very long passage that an editor quoted in full. "
    long_quote = (sentence * 5).strip()
    text = f"Before it. {long_quote} After it."
    assert len(long_quote) > EXACT_LIMIT
    directive, span = link_for(text, long_quote)
    assert directive.end
    assert len(directive.start.split()) >= 5 and len(directive.end.split()) >= 5
    assert long_quote.startswith(directive.start) and long_quote.endswith(directive.end)
    assert locate(text, blocks_of(text), directive) == span


def test_a_long_passage_whose_last_words_repeat_inside_it_ends_where_it_ends() -> None:
    words = " ".join(f"w{i}" for i in range(60))
    long_quote = f"{words} one two three four five {words} one two three four five"
    text = f"Intro. {long_quote} Outro."
    directive, span = link_for(text, long_quote)
    assert locate(text, blocks_of(text), directive) == span


def test_words_that_cannot_be_told_apart_get_the_plain_directive() -> None:
    text = "Same words here.\n\nSame words here."
    directive, _ = link_for(text, "Same words here.", occurrence=2)
    assert directive == TextDirective("Same words here.")


# On the site.
def _site_with_url(make_content: ContentMaker, url: str = ALPHA_URL) -> Path:
    alpha = """\
        ---
        title: Jets fly sixty sorties
        outlet: Alpha News
        url: {url}
        published: 2015-10-04
        ---
        Russian jets have flown “more than 60 sorties” since September 30, the general said.

        ## Strikes

        The strikes hit Idlib. The strikes hit Idlib again on Sunday.
        """.replace("{url}", url)
    return make_content({"articles/alpha.md": alpha})


def test_original_link_only_for_articles_with_a_url(make_content: ContentMaker) -> None:
    site = check(_site_with_url(make_content))
    passages = {p.id: p for a in site.annotations.values() for p in a.passages}
    alpha, beta = site.articles["alpha"], site.articles["beta"]
    assert original_link(alpha, passages["sixty-sorties-1"]) == f"{ALPHA_URL}#:~:text=more%20than%2060%20sorties"
    assert original_link(beta, passages["sixty-sorties-2"]) == ""


def test_the_remembering_maker_gives_the_same_links_and_notices_a_changed_text(make_content: ContentMaker) -> None:
    site = check(_site_with_url(make_content))
    remembered = remembering_links(texts=1, links=2)
    for _ in range(2):
        for passage in site.passages.values():
            article = site.articles[passage.article]
            assert remembered(article, passage) == original_link(article, passage)
    # The same passage in a changed text, where its words now come second: the link changes with it.
    alpha = site.articles["alpha"]
    passage = site.passages["sixty-sorties-1"]
    paragraphs = tuple(
        dataclasses.replace(p, start=p.start + 22 if p.start else 0, end=p.end + 22) for p in alpha.paragraphs
    )
    changed = dataclasses.replace(alpha, text="more than 60 sorties. " + alpha.text, paragraphs=paragraphs)
    moved = dataclasses.replace(passage, start=passage.start + 22, end=passage.end + 22)
    assert remembered(changed, moved) == original_link(changed, moved) != remembered(alpha, passage)


def test_pages_link_each_passage_to_its_words_in_the_original(make_content: ContentMaker, tmp_path: Path) -> None:
    out = tmp_path / "site"
    build(_site_with_url(make_content, f"{ALPHA_URL}#top"), out, TEMPLATES)
    sixty = f'href="{ALPHA_URL}#top:~:text=more%20than%2060%20sorties" rel="external noopener noreferrer"'
    idlib = f'href="{ALPHA_URL}#top:~:text=The%20strikes%20hit%20Idlib" rel="external noopener noreferrer"'
    name = (
        'In the original<span class="visually-hidden"> (find these words on the page where Alpha News published'
        ' them, on another site)</span><span class="external-mark" aria-hidden="true"> ↗</span></a>'
    )
    pages = {path: (out / path).read_text(encoding="utf-8") for path in (
        "articles/alpha.html", "articles/beta.html", "topics/sorties.html", "compare/alpha--beta.html",
        "notes/idlib.html")}  # fmt: skip
    # Alpha's own margin notes, the excerpt of alpha on beta's page, the topic, the side-by-side list, the note.
    assert pages["articles/alpha.html"].count(sixty) == 1 and pages["articles/alpha.html"].count(idlib) == 1
    assert pages["articles/beta.html"].count(sixty) == 1
    assert pages["topics/sorties.html"].count(sixty) == 1 and pages["topics/sorties.html"].count(idlib) == 1
    assert pages["compare/alpha--beta.html"].count(sixty) == 1
    assert pages["notes/idlib.html"].count(idlib) == 1
    for text in pages.values():
        assert text.count("in-original") == text.count(name)
        # Beta has no url, so none of its passages links out.
        assert ":~:text=over" not in text


def test_the_article_text_stays_exactly_the_text(make_content: ContentMaker, tmp_path: Path) -> None:
    out = tmp_path / "site"
    build(_site_with_url(make_content), out, TEMPLATES)
    html = (out / "articles" / "alpha.html").read_text(encoding="utf-8")
    body = html.split('id="article-text">', 1)[1].split("</div>", 1)[0]
    assert "in-original" not in body


def test_no_link_anywhere_without_a_url(make_content: ContentMaker, tmp_path: Path) -> None:
    out = tmp_path / "site"
    build(make_content(), out, TEMPLATES)
    for page in out.rglob("*.html"):
        assert ":~:" not in page.read_text(encoding="utf-8"), page


def test_every_syria_passage_gets_a_directive_that_finds_it() -> None:
    # The Syria articles have no url; the directives are checked on their text all the same.
    site = check(ROOT / "content")
    checked = 0
    for annotation in site.annotations.values():
        for passage in annotation.passages:
            article = site.articles[passage.article]
            blocks = [(p.start, p.end) for p in article.paragraphs]
            directive = directive_for(article.text, blocks, passage.start, passage.end)
            assert GRAMMAR.fullmatch(str(directive))
            assert locate(article.text, blocks, directive) == (passage.start, passage.end), passage.id
            checked += 1
    assert checked == len(site.passages)


# In a real browser (Debian's Chromium, headless); the outlet's page is never requested.
# Chromium puts a space around the visually hidden part, as screen readers do; either way the words are these.
ACCESSIBLE_NAME = re.compile(
    r"^In the original\s*\(find these words on the page where Alpha News published them, on another site\)$"
)


def test_the_links_are_named_reachable_by_keyboard_and_leave_the_popup_working(
    browser: Any, make_content: ContentMaker, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    out = tmp_path / "served" / "sub"
    build(_site_with_url(make_content), out, TEMPLATES)
    with serve(tmp_path / "served") as root:
        site = f"{root}sub/"
        context = browser.new_context(viewport={"width": 1280, "height": 720})
        outside: list[str] = []
        context.route(
            re.compile(r"^https?://(?!127\.0\.0\.1)"), lambda route: (outside.append(route.request.url), route.abort())
        )
        try:
            for path in ("articles/alpha.html", "topics/sorties.html", "compare/alpha--beta.html"):
                page = context.new_page()
                recorder = Recorder(site).attach(page)
                page.goto(site + path)
                links = page.get_by_role("link", name=ACCESSIBLE_NAME)
                expect(links.first).to_be_visible()
                # On screen it says "In the original ↗": the rest is for screen readers only.
                hidden = links.first.locator(".visually-hidden").bounding_box()
                assert hidden is not None and hidden["width"] <= 1 and hidden["height"] <= 1
                assert links.first.inner_text().startswith("In the original")
                blocking = [v for v in axe_violations(page) if v["impact"] in BLOCKING_IMPACTS]
                assert not blocking, describe_violations(blocking)
                assert not recorder.problems, recorder.report(path)
                page.close()

            page = context.new_page()
            page.goto(site + "articles/alpha.html")
            target = f"{ALPHA_URL}#:~:text=more%20than%2060%20sorties"
            for _ in range(60):
                page.keyboard.press("Tab")
                if page.evaluate("() => document.activeElement.getAttribute('href')") == target:
                    break
            else:
                pytest.fail("Tab never reached the link to the original")
            # The passage still opens its annotation in place, and the copy there links to the original too.
            passage = page.locator("#article-text mark.passage a").first
            passage.focus()
            page.keyboard.press("Enter")
            popup = page.locator(".annotation-popup")
            expect(popup).to_have_count(1)
            expect(popup.get_by_role("link", name=ACCESSIBLE_NAME)).to_have_attribute("href", target)
            page.keyboard.press("Escape")
            expect(popup).to_have_count(0)
            expect(passage).to_be_focused()
        finally:
            context.close()
    assert outside == []


def test_a_new_explainer_from_init_with_a_url_links_every_passage(tmp_path: Path) -> None:
    content = tmp_path / "content"
    assert cli_main(["init", str(content)], templates=TEMPLATES, stdout=io.StringIO(), stderr=io.StringIO()) == 0
    (article_file,) = (content / "articles").glob("*.md")
    source = article_file.read_text(encoding="utf-8")
    article_file.write_text(source.replace("---\n", "---\nurl: https://news.example/story\n", 1), encoding="utf-8")
    site = check(content)
    out = tmp_path / "site"
    build(content, out, TEMPLATES)
    data = (out / "data" / "annotations.csv").read_bytes().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(data, newline="")))
    assert len(rows) == len(site.passages) > 0
    for row in rows:
        passage = site.passages[row["passage"]]
        article = site.articles[passage.article]
        assert row["original_url"].startswith("https://news.example/story#:~:text=")
        blocks = [(p.start, p.end) for p in article.paragraphs]
        directive = row["original_url"].split("#:~:", 1)[1]
        assert locate(article.text, blocks, parse(directive)) == (passage.start, passage.end)
        page = (out / "articles" / f"{article.slug}.html").read_text(encoding="utf-8")
        assert f'href="{html.escape(row["original_url"])}"' in page
