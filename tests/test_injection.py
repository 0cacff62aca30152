"""Injection: markup, script and template syntax in every content field stay text in a real browser.

One site is built from a tree whose every field carries a payload: <script>, event-handler
attributes, javascript: and data: URLs, raw HTML in Markdown, Jinja syntax. Every page of it is
opened from disk in headless Chromium, which must show no dialog, run no injected script, make no
request outside the site, and hold no element or attribute the payloads tried to inject.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .browser_support import Recorder, build
from .conftest import SAMPLE, write_tree

SCRIPT = "<script>window.__pwned = 'script'</script>"
IMAGE = "<img src=x onerror=\"window.__pwned = 'onerror'\">"
SVG = "<svg onload=\"window.__pwned = 'svg'\"></svg>"
JINJA = "{{ 7 * 7 }} {% if true %}jinja{% endif %} {{ config }}"
LINE = f"{SCRIPT} {IMAGE} {SVG} {JINJA}"


def _yaml(text: str) -> str:
    """A YAML single-quoted string."""
    return "'" + text.replace("'", "''") + "'"


HOSTILE: dict[str, str] = {
    "site.yml": f"title: {_yaml('Explainer ' + LINE)}\ndescription: {_yaml(LINE)}\n",
    "articles/alpha.md": f"""\
---
title: {_yaml("Alpha " + LINE)}
outlet: {_yaml("Outlet " + SCRIPT)}
author: {_yaml(IMAGE)}
published: 2015-10-04
date_basis: {_yaml(SVG + " " + JINJA)}
url: 'https://example.org/a?x="><script>window.__pwned=1</script>'
omitted:
  - {_yaml(LINE)}
---
Russian jets have flown “more than 60 sorties” since September 30, {SCRIPT} the general said.

## Strikes {IMAGE}

The strikes hit Idlib. {SVG} The strikes hit Idlib again on Sunday. {JINJA}
[[idlib]] <a href="javascript:window.__pwned=1">x</a>
""",
    "notes/idlib.md": f"""\
---
title: {_yaml("Idlib")}
kind: place
aliases: [{_yaml("Idlib " + SCRIPT)}]
summary: {_yaml("A province " + IMAGE)}
---
# Heading {SCRIPT}

Raw HTML: {IMAGE} {SVG} <iframe src="javascript:window.__pwned=1"></iframe>

[a javascript link](javascript:window.__pwned=1) [a data link](data:text/html,<script>window.__pwned=1</script>)
[a vbscript link](vbscript:msgbox) <a href="javascript:window.__pwned=1" onclick="window.__pwned=1">raw link</a>

![image](javascript:window.__pwned=1) {JINJA} [[andrei-kartapolov|the {SCRIPT} general]]
""",
    "annotations/sorties.yml": f"""\
title: {_yaml("Sorties " + LINE)}
summary: {_yaml("Summary " + LINE + " [x](javascript:window.__pwned=1)")}
annotations:
  - id: sixty-sorties
    relation: corroborates
    comment: {_yaml("Comment " + LINE + " [x](javascript:window.__pwned=1) <a href=javascript:alert(1)>y</a>")}
    notes: [andrei-kartapolov]
    passages:
      - article: alpha
        quote: more than 60 sorties
      - article: beta
        quote: over 60 sorties
  - id: idlib-strikes
    relation: context
    notes: [idlib]
    passages:
      - article: alpha
        quote: {_yaml("The strikes hit Idlib. " + SVG)}
""",
}


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    content = write_tree(tmp_path_factory.mktemp("hostile"), {**SAMPLE, **HOSTILE})
    return build(content, tmp_path_factory.mktemp("hostile-site") / "site")


# What a page holds that an injection would have put there, as JavaScript returning a list of findings.
INSPECT = """() => {
  const found = [];
  if (window.__pwned !== undefined) found.push('script ran: ' + window.__pwned);
  const ours = ['/assets/explainer.js', '/assets/search.js'];
  for (const el of document.querySelectorAll('script')) {
    if (!ours.some((name) => el.src.endsWith(name))) found.push('script element: ' + el.outerHTML.slice(0, 80));
  }
  // The site's own search boxes are forms: a GET to its search page.
  const search = (el) => el.matches('form[role=search][method=get]') && el.action.endsWith('/search.html');
  for (const el of document.querySelectorAll('iframe, object, embed, img, svg, form, base, meta[http-equiv]'))
    if (!search(el)) found.push('element: ' + el.outerHTML.slice(0, 80));
  for (const el of document.querySelectorAll('*')) {
    for (const attr of el.attributes) {
      if (attr.name.startsWith('on')) found.push('handler attribute: ' + attr.name + ' on ' + el.tagName);
      const value = attr.value.trim().toLowerCase();
      if (['href', 'src', 'action', 'formaction'].includes(attr.name)
          && /^(javascript|data|vbscript):/.test(value)) found.push('dangerous URL: ' + attr.value.slice(0, 60));
    }
  }
  return found;
}"""


def test_payloads_stay_text_on_every_page(browser: Any, hostile_site: Path) -> None:
    pages = sorted(p for p in hostile_site.rglob("*.html"))
    assert len(pages) >= 10
    context = browser.new_context()
    dialogs: list[str] = []
    findings: list[str] = []
    try:
        for path in pages:
            page = context.new_page()
            page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
            recorder = Recorder(hostile_site.as_uri() + "/").attach(page)
            page.goto(path.as_uri(), wait_until="load")
            # Activate every passage, as a reader would, in case a handler injects on interaction.
            for link in page.locator("mark.passage a").all()[:10]:
                link.focus()
                link.press("Enter")
            name = path.relative_to(hostile_site).as_posix()
            findings += [f"{name}: {finding}" for finding in page.evaluate(INSPECT)]
            findings += [f"{name}: {problem}" for problem in recorder.problems]
            page.close()
    finally:
        context.close()
    assert dialogs == []
    assert findings == []


def test_payloads_are_shown_as_typed(hostile_site: Path) -> None:
    article = (hostile_site / "articles" / "alpha.html").read_text(encoding="utf-8")
    note = (hostile_site / "notes" / "idlib.html").read_text(encoding="utf-8")
    topic = (hostile_site / "topics" / "sorties.html").read_text(encoding="utf-8")
    for page in (article, note, topic):
        assert "{{ 7 * 7 }}" in page and "49" not in page
        assert "&lt;script&gt;" in page
    assert "&lt;img src=x onerror=" in article
    assert "{% if true %}jinja{% endif %}" in article and ">jinja<" not in article
