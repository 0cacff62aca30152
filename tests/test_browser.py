"""The built pages in a real browser (Debian's headless Chromium, driven by Playwright).

Two sites are built once for this module: the repository's own content/ and the small SAMPLE of
conftest.py. Both are served over http://127.0.0.1 under a sub-path (/explainer-sub/, /sample-sub/),
which proves the relative links work away from a domain's root; one test opens the site from disk
(file://). The Syria site is built with --base-url set to its local address, so its 404.html links
absolutely, as a published site's does.

Checked on one page of every kind: no console error, no failed request, no request anywhere but the
site's own folder on 127.0.0.1; no serious or critical axe-core violation in light and dark colour
schemes and at 390 px width. Then the reading behaviours: the keyboard annotation pop-up on an
article page, and the side-by-side page's links to the counterpart passage, with and without JavaScript.
Last, the live preview (`python build.py serve`): a save reloads the open page by itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from .browser_support import (
    BLOCKING_IMPACTS,
    OPTIONAL_KINDS,
    PAGE_KINDS,
    RELATION_WORDS,
    Recorder,
    axe_violations,
    build,
    describe_violations,
    page_of_kind,
    serve,
)
from .conftest import ROOT, SAMPLE, write_tree
from .preview_support import preview, save

SITES = ("syria", "sample")
SUB_PATHS = {"syria": "explainer-sub", "sample": "sample-sub"}
PASSAGE_LINK = "#article-text mark.passage a"
POPUP = ".annotation-popup"
MAX_TABS = 150
DESKTOP = {"width": 1280, "height": 720}
PHONE = {"width": 390, "height": 844}


@dataclass(frozen=True)
class Site:
    folder: Path
    url: str  # ends in /

    def page(self, kind: str) -> str:
        """The site-relative path of a page of this kind; skips kinds still being added, fails on others."""
        path = page_of_kind(self.folder, kind)
        if path is None and kind in OPTIONAL_KINDS:
            pytest.skip(f"this build has no {PAGE_KINDS[kind]} yet")
        assert path is not None, f"the build in {self.folder} has no {kind} page ({PAGE_KINDS[kind]})"
        return path


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Site]]:
    """Both sites, built and served under sub-paths of one local server."""
    root = tmp_path_factory.mktemp("served")
    sample_content = write_tree(tmp_path_factory.mktemp("sample-content"), SAMPLE)
    with serve(root) as url:
        syria_url = f"{url}{SUB_PATHS['syria']}/"
        build(ROOT / "content", root / SUB_PATHS["syria"], base_url=syria_url)
        build(sample_content, root / SUB_PATHS["sample"])
        yield {
            "syria": Site(root / SUB_PATHS["syria"], syria_url),
            "sample": Site(root / SUB_PATHS["sample"], f"{url}{SUB_PATHS['sample']}/"),
        }


def open_page(context: Any, url: str, allowed: str, wait_until: str = "load") -> tuple[Any, Recorder]:
    """Open a URL in a new page of a context, recording from the first request; fail unless it loads with 200."""
    page = context.new_page()
    recorder = Recorder(allowed).attach(page)
    response = page.goto(url, wait_until=wait_until)
    assert response is not None and response.ok, f"{url} answered {response and response.status}"
    return page, recorder


# --- Every page kind loads cleanly --------------------------------------------------------------


@pytest.mark.parametrize("kind", PAGE_KINDS)
@pytest.mark.parametrize("site_name", SITES)
def test_page_loads_without_errors_or_outside_requests(browser: Any, sites: dict[str, Site], site_name: str, kind: str):
    site = sites[site_name]
    path = site.page(kind)
    context = browser.new_context()
    try:
        page, recorder = open_page(context, site.url + path, site.url, wait_until="networkidle")
        assert not recorder.problems, recorder.report(f"{site_name} {path}")
        assert recorder.requests, f"{site_name} {path}: no request was recorded"
        icon = page.evaluate("() => document.querySelector('link[rel~=icon]')?.href")
        assert icon, (
            f"{site_name} {path} declares no icon (<link rel=icon>): browsers then ask for /favicon.ico at the "
            "host's root, outside a site published under a sub-path, and log a 404"
        )
        assert icon.startswith((site.url, "data:")), f"{site_name} {path}: its icon {icon} is not in the site"
    finally:
        context.close()


def test_missing_address_gets_the_styled_404_page(browser: Any, sites: dict[str, Site]):
    """The host serves 404.html at the missed address (here two folders deep); with base_url it links
    absolutely, so its stylesheet, script and icon load from there too."""
    site = sites["syria"]
    missing = f"{site.url}articles/no-such-article/deeper.html"
    context = browser.new_context()
    try:
        page = context.new_page()
        recorder = Recorder(site.url).attach(page)
        recorder.expected_statuses[missing] = 404
        response = page.goto(missing, wait_until="networkidle")
        assert response is not None and response.status == 404, f"{missing} answered {response and response.status}"
        assert not recorder.problems, recorder.report(f"404 page at {missing}")
        assert stylesheet_applied(page), f"the 404 page at {missing} has no stylesheet applied"
    finally:
        context.close()


# --- Accessibility (axe-core) -------------------------------------------------------------------

AXE_MODES = {
    "light": {"color_scheme": "light", "viewport": DESKTOP},
    "dark": {"color_scheme": "dark", "viewport": DESKTOP},
    "390px": {"color_scheme": "light", "viewport": PHONE, "device_scale_factor": 1},
}


# Light and dark on both sites; the 390 px pass once, on the Syria site.
AXE_CASES = [
    pytest.param(site_name, kind, mode, id=f"{site_name}-{kind}-{mode}")
    for site_name in SITES
    for kind in PAGE_KINDS
    for mode in AXE_MODES
    if mode != "390px" or site_name == "syria"
]


@pytest.mark.parametrize(("site_name", "kind", "mode"), AXE_CASES)
def test_no_serious_accessibility_violations(
    browser: Any, sites: dict[str, Site], site_name: str, kind: str, mode: str
):
    site = sites[site_name]
    path = site.page(kind)
    context = browser.new_context(**AXE_MODES[mode])
    try:
        page, _ = open_page(context, site.url + path, site.url)
        blocking = [v for v in axe_violations(page) if v["impact"] in BLOCKING_IMPACTS]
        assert not blocking, (
            f"axe-core: {len(blocking)} serious/critical violation(s) on {site_name} {path} ({mode}):\n"
            + describe_violations(blocking)
        )
    finally:
        context.close()


# --- Keyboard: the annotation pop-up on an article page -----------------------------------------


def tab_to_passage_link(page: Any, url: str) -> Any:
    """Press Tab until a passage link has focus; return a locator for that link."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        index = page.evaluate(
            "(selector) => [...document.querySelectorAll(selector)].indexOf(document.activeElement)", PASSAGE_LINK
        )
        if index >= 0:
            return page.locator(PASSAGE_LINK).nth(index)
    focused = page.evaluate("() => document.activeElement && document.activeElement.outerHTML.slice(0, 200)")
    count = page.locator(PASSAGE_LINK).count()
    pytest.fail(
        f"{url}: after {MAX_TABS} presses of Tab, no passage link ({PASSAGE_LINK}, {count} on the page) had focus; "
        f"focus is on {focused}",
        pytrace=False,
    )


def relation_words(link: Any) -> list[str]:
    """The relation words of the passage a link is in, read from its mark's rel-<relation> classes."""
    classes = link.evaluate("(a) => a.closest('mark').className").split()
    words = [RELATION_WORDS[c[4:]] for c in classes if c.startswith("rel-") and c[4:] in RELATION_WORDS]
    assert words, f"the passage mark around the focused link has no rel-<relation> class: {classes}"
    return words


@pytest.mark.parametrize("site_name", SITES)
def test_keyboard_opens_and_closes_the_annotation_popup(browser: Any, sites: dict[str, Site], site_name: str):
    from playwright.sync_api import expect

    site = sites[site_name]
    url = site.url + site.page("article")
    context = browser.new_context(viewport=DESKTOP)
    try:
        page, recorder = open_page(context, url, site.url)
        link = tab_to_passage_link(page, url)
        words = relation_words(link)
        visible_popup = page.locator(f"{POPUP}:visible")

        page.keyboard.press("Enter")
        expect(visible_popup, f"Enter on a passage link should show one {POPUP}").to_have_count(1, timeout=3000)
        expect(visible_popup, f"the pop-up should name the relation ({' or '.join(words)})").to_contain_text(
            re.compile("|".join(map(re.escape, words)), re.IGNORECASE)
        )
        expect(link, "the open pop-up's link should say aria-expanded=true").to_have_attribute("aria-expanded", "true")

        page.keyboard.press("Escape")
        expect(visible_popup, "Escape should hide (or remove) the pop-up").to_have_count(0, timeout=3000)
        expect(link, "Escape should return focus to the passage link").to_be_focused()
        expect(link, "the closed pop-up's link should say aria-expanded=false").to_have_attribute(
            "aria-expanded", "false"
        )

        page.keyboard.press("Enter")
        expect(visible_popup, "Enter again should reopen the pop-up").to_have_count(1, timeout=3000)
        expect(link, "the reopened pop-up's link should say aria-expanded=true").to_have_attribute(
            "aria-expanded", "true"
        )

        link.focus()  # the pop-up may have taken focus; the third Enter is on the link itself
        page.keyboard.press("Enter")
        expect(visible_popup, "Enter on the link of an open pop-up should close it").to_have_count(0, timeout=3000)
        expect(link, "after closing, the link should say aria-expanded=false").to_have_attribute(
            "aria-expanded", "false"
        )
        assert not recorder.script_errors, recorder.report(
            f"{url} while opening and closing the pop-up", recorder.script_errors
        )
    finally:
        context.close()


# --- Side by side: a passage link leads to its counterpart --------------------------------------

COUNTERPARTS = """(selectors) => [...document.querySelectorAll(selectors.links)].map((a, index) => {
    const href = a.getAttribute('href') || '';
    let target = null;
    if (href.startsWith('#p-')) {
        target = document.querySelector(selectors.right + ' [id="' + CSS.escape(href.slice(1)) + '"]');
    }
    const top = (el) => el.getBoundingClientRect().top + scrollY;
    return {index, href, found: target !== null, distance: target ? Math.abs(top(target) - top(a)) : 0};
})"""
LEFT_LINKS = ".column:first-of-type mark.passage a"
RIGHT_COLUMN = ".column:last-of-type"


def counterpart_link(page: Any, url: str) -> tuple[Any, str]:
    """The left-column passage link farthest (vertically) from its counterpart in the right column, and the
    counterpart's id."""
    links = page.evaluate(COUNTERPARTS, {"links": LEFT_LINKS, "right": RIGHT_COLUMN})
    found = [link for link in links if link["found"]]
    hrefs = sorted({link["href"] for link in links})
    assert found, (
        f"{url}: no passage link in the left column ({LEFT_LINKS}, {len(links)} found) links to a passage "
        f"#p-<id> in the right column; their hrefs: {hrefs[:10]}"
    )
    chosen = max(found, key=lambda link: link["distance"])
    return page.locator(LEFT_LINKS).nth(chosen["index"]), chosen["href"][1:]


IN_VIEWPORT = "(el) => { const r = el.getBoundingClientRect(); return r.bottom > 0 && r.top < window.innerHeight; }"


@pytest.mark.parametrize("site_name", SITES)
def test_compare_link_scrolls_to_the_counterpart_and_marks_it_active(
    browser: Any, sites: dict[str, Site], site_name: str
):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import expect

    site = sites[site_name]
    url = site.url + site.page("compare")
    context = browser.new_context(viewport=DESKTOP)
    try:
        page, recorder = open_page(context, url, site.url)
        link, target_id = counterpart_link(page, url)
        target = page.locator(f'{RIGHT_COLUMN} [id="{target_id}"]')
        link.scroll_into_view_if_needed()
        seen_before = page.evaluate(IN_VIEWPORT, target.element_handle())
        tall = page.evaluate("document.documentElement.scrollHeight > 2 * window.innerHeight")
        assert not (tall and seen_before), f"{url}: the test needs a counterpart out of view before the click"
        link.click()
        expect(target, f"clicking the link to #{target_id} should give the counterpart the class active").to_have_class(
            re.compile(r"(^|\s)active(\s|$)"), timeout=3000
        )
        try:
            page.wait_for_function(IN_VIEWPORT, arg=target.element_handle(), timeout=3000)
        except PlaywrightTimeout:
            box = target.evaluate("(el) => JSON.stringify(el.getBoundingClientRect())")
            height = page.evaluate("window.innerHeight")
            pytest.fail(
                f"{url}: after clicking the link to #{target_id}, the counterpart is not in the viewport "
                f"(its box {box}, window.innerHeight {height})",
                pytrace=False,
            )
        assert not recorder.script_errors, recorder.report(
            f"{url} after clicking a passage link", recorder.script_errors
        )
    finally:
        context.close()


@pytest.mark.parametrize("site_name", SITES)
def test_compare_link_targets_the_counterpart_without_javascript(browser: Any, sites: dict[str, Site], site_name: str):
    site = sites[site_name]
    url = site.url + site.page("compare")
    context = browser.new_context(viewport=DESKTOP, java_script_enabled=False)
    try:
        page, recorder = open_page(context, url, site.url)
        link, target_id = counterpart_link(page, url)
        link.click()
        hash_ = page.evaluate("location.hash")
        assert hash_ == f"#{target_id}", f"{url} without JavaScript: following the link gave location.hash {hash_!r}"
        targeted = page.locator(f'{RIGHT_COLUMN} [id="{target_id}"]:target').count()
        assert targeted == 1, f"{url} without JavaScript: #{target_id} in the right column does not match :target"
        assert not recorder.script_errors, recorder.report(f"{url} without JavaScript", recorder.script_errors)
    finally:
        context.close()


# --- Opened from disk ---------------------------------------------------------------------------


def stylesheet_applied(page: Any) -> bool:
    """Whether the page has a loaded stylesheet that changes the body from the browser's defaults."""
    styled = page.evaluate("""() => {
        const sheets = [...document.styleSheets].filter((s) => s.href && s.href.endsWith('.css'));
        const s = getComputedStyle(document.body);
        return {sheets: sheets.length, look: [s.margin, s.fontFamily, s.backgroundColor, s.color, s.lineHeight]};
    }""")
    return styled["sheets"] > 0 and styled["look"] != DEFAULT_BODY_LOOK


# How Chromium draws an unstyled body (checked against about:blank in test_site_works_from_disk).
DEFAULT_BODY_LOOK = ["8px", '"Times New Roman"', "rgba(0, 0, 0, 0)", "rgb(0, 0, 0)", "normal"]


def test_site_works_from_disk(browser: Any, sites: dict[str, Site]):
    site = sites["syria"]
    folder = site.folder.as_uri() + "/"
    context = browser.new_context(viewport=DESKTOP)
    try:
        blank = context.new_page()
        default_look = blank.evaluate("""() => { const s = getComputedStyle(document.body);
            return [s.margin, s.fontFamily, s.backgroundColor, s.color, s.lineHeight]; }""")
        assert default_look == DEFAULT_BODY_LOOK, f"Chromium's unstyled body is now {default_look}: update the test"
        page = context.new_page()
        recorder = Recorder(folder).attach(page)
        page.goto(folder + "index.html")
        links = page.locator('a[href^="articles/"]')
        assert links.count() > 0, f"{folder}index.html has no link to an article page (href starting articles/)"
        with page.expect_navigation():
            links.first.click()
        assert re.search(r"/articles/[^/]+\.html$", page.url), f"the article link led to {page.url}"
        page.wait_for_load_state("load")
        assert stylesheet_applied(page), f"{page.url} opened from disk has no stylesheet applied"
        assert page.locator(PASSAGE_LINK).count() > 0, f"{page.url} opened from disk shows no marked passage"
        assert not recorder.problems, recorder.report("the site opened from disk")
    finally:
        context.close()


# --- The live preview -----------------------------------------------------------------------------


def test_the_preview_reloads_the_page_by_itself_after_a_save(browser: Any, make_content: Any, tmp_path: Path):
    """A save in the editor: the open page reloads, with the new text, and no error on the way."""
    content = make_content()
    with preview(content, tmp_path / "out") as running:
        context = browser.new_context()
        try:
            page = context.new_page()
            recorder = Recorder(running.url + "/").attach(page)
            page.goto(f"{running.url}/articles/beta.html", wait_until="load")
            # livereload.js has connected and shaken hands (protocol 7): from now on, reloads are pushed.
            page.wait_for_function("() => window.LiveReload?.connector?.protocol === 7")
            page.evaluate("() => { window.loadedBeforeTheSave = true; }")
            save(content / "annotations" / "sorties.yml", "Both give the same figure.", "Both give a saved figure.")
            page.wait_for_function(
                "() => !window.loadedBeforeTheSave && document.body.innerText.includes('a saved figure')"
            )
            assert stylesheet_applied(page)
            assert not recorder.problems, recorder.report("the preview's page")
        finally:
            context.close()
