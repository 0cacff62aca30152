"""The Syria explainer in content/: clean, and every source verbatim with nothing dropped silently."""

from __future__ import annotations

import html
import re

import pytest

from explainer.load import load_theme
from explainer.pipeline import check
from explainer.render import article_path, render_site

from .conftest import ROOT, SHARED, TEMPLATES

CONTENT = ROOT / "content"
SEEDS = SHARED / "seeds"
SEED_OF = {
    "putin-celebrates-positive-results": "000_",
    "assad-meets-putin-in-moscow": "001_",
    "putin-puzzled-by-western-results": "002_",
    "russia-pledges-to-step-up-air-attacks": "003_",
    "strikes-continue-despite-withdrawal": "004_",
}


@pytest.fixture(scope="module")
def site():
    return check(CONTENT, "content")


def test_the_content_checks_clean_and_has_every_page_kind(site) -> None:
    assert set(site.articles) == set(SEED_OF)
    assert site.notes and site.topics and site.pairs
    assert any(a.relation == "correction" for a in site.annotations.values())


@pytest.mark.skipif(not SEEDS.is_dir(), reason=f"the seeds are not at {SEEDS}")
@pytest.mark.parametrize("slug", sorted(SEED_OF))
def test_every_seed_line_is_kept_or_recorded_as_omitted(site, slug: str) -> None:
    article = site.articles[slug]
    seed = next(SEEDS.glob(SEED_OF[slug] + "*.txt")).read_text(encoding="utf-8")
    lines = [line.strip() for line in seed.splitlines() if line.strip()]
    paragraphs = [article.text[p.start : p.end] for p in article.paragraphs]
    # Every paragraph is a seed line, verbatim, in the seed's order.
    position = 0
    for paragraph in paragraphs:
        assert paragraph in lines[position:], f"not verbatim or out of order: {paragraph[:60]!r}"
        position = lines.index(paragraph, position) + 1
    # Every other seed line is the title or stands, verbatim, in what the article records as omitted.
    for line in lines:
        if line in paragraphs or line == article.title:
            continue
        assert any(line in entry for entry in article.omitted), f"dropped silently: {line[:60]!r}"


def test_every_article_page_shows_every_paragraph_verbatim_in_order(site) -> None:
    pages = render_site(site, load_theme(TEMPLATES))
    for slug, article in site.articles.items():
        page = pages[article_path(slug)].decode("utf-8")
        body = re.search(r'<div class="article-text" id="article-text">(.*?)</div>', page, re.S)
        assert body, slug
        shown = html.unescape(re.sub(r"<[^>]+>", "", body.group(1)))
        assert shown == article.text
