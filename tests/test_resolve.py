"""Resolve: every departure from the content contract is reported, located and explained.

The table below is the heart of it: each row changes the sample tree (tests/conftest.py) as little
as it can, and gives the exact problems `check` must report, as `path:line: message`.
"""

from __future__ import annotations

import datetime
import random
import re
import subprocess
import sys
import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.generate import generate
from explainer import pipeline, schemas
from explainer.load import YamlValue, load_content, parse_yaml, parsed_data, reload_content
from explainer.pipeline import check
from explainer.problems import ContentError, Problem, summarise
from explainer.resolve import Resolution, names_pattern, resolution, resolve

from .conftest import ROOT, SAMPLE, TEMPLATES, write_tree

TOPIC_FILE = "annotations/sorties.yml"
ALPHA_FILE = "articles/alpha.md"
BETA_FILE = "articles/beta.md"
KARTAPOLOV_FILE = "notes/andrei-kartapolov.md"
IDLIB_FILE = "notes/idlib.md"

TOPIC = "content/annotations/sorties.yml"
SITE = "content/site.yml"
ALPHA = "content/articles/alpha.md"
BETA = "content/articles/beta.md"
GAMMA = "content/articles/gamma.md"
KARTAPOLOV = "content/notes/andrei-kartapolov.md"
IDLIB = "content/notes/idlib.md"
HAMA = "content/notes/hama.md"
MORE = "content/annotations/more.yml"

NOT_A_SLUG = "is not a slug (use lower-case letters a-z, digits and single hyphens)"
DATE_RULE = "must be an ISO date (YYYY-MM-DD) or year and month (YYYY-MM)"
RELATIONS = "same-event, same-statement, corroborates, contradicts, differs, context, correction"
KINDS = "person, place, organization, event, weapon, concept, outlet"
QUOTE_HINT = "(put the value in quotes to make it a string)"
EMPTY = "content: content folder is empty: expected site.yml, articles/, notes/ and annotations/"

# The sample topic file, for reference (line numbers are what the messages must give):
#  1 title: Counting the sorties
#  2 summary: What each source says about the *sorties*.
#  3 annotations:
#  4   - id: sixty-sorties
#  5     relation: corroborates
#  6     comment: Both give the same figure.
#  7     notes: [andrei-kartapolov]
#  8     passages:
#  9       - article: alpha
# 10         quote: more than 60 sorties
# 11       - article: beta
# 12         quote: over 60 sorties
# 13   - id: idlib-strikes
# 14     relation: context
# 15     notes: [idlib]
# 16     passages:
# 17       - article: alpha
# 18         quote: The strikes hit Idlib
# 19         occurrence: 1
#
# The articles: alpha is paragraphs 1 (line 6), 2 '## Strikes' (line 8) and 3 (line 10) with
# "The strikes hit Idlib" twice in paragraph 3; beta is paragraphs 1 (line 6) and 2 (line 8).


def sample(path: str) -> str:
    return textwrap.dedent(SAMPLE[path])


def edit(path: str, old: str, new: str) -> dict[str, str]:
    """The sample file `path` with its one occurrence of `old` replaced by `new`."""
    text = sample(path)
    assert text.count(old) == 1, f"{old!r} must occur once in {path}"
    return {path: text.replace(old, new)}


def gamma(front: str = "title: Gamma", body: str = "Gamma text.\n") -> dict[str, str]:
    """An extra article nothing refers to (so its problems cannot cascade): front matter from line 2."""
    return {"articles/gamma.md": f"---\n{front}\n---\n{body}"}


def hama(text: str) -> dict[str, str]:
    """An extra note nothing refers to."""
    return {"notes/hama.md": text}


def problems_of(folder: Path) -> list[str]:
    with pytest.raises(ContentError) as error:
        check(folder, "content")
    return [str(p) for p in error.value.problems]


Case = tuple[str, Mapping[str, str | bytes | None], list[str]]

CASES: list[Case] = [
    # --- reading and YAML -------------------------------------------------------------------
    (
        "yaml-syntax-error",
        edit(TOPIC_FILE, "quote: over 60 sorties", "quote: over: 60 sorties"),
        [f"{TOPIC}:12: YAML syntax error at column 20: mapping values are not allowed here"],
    ),
    (
        "yaml-syntax-error-in-front-matter-counts-file-lines",
        gamma("title: Gamma\noutlet: Gamma: Daily"),
        [f"{GAMMA}:3: YAML syntax error at column 14: mapping values are not allowed here"],
    ),
    (
        # PyYAML's problem alone ("but found another document") does not make a sentence.
        "yaml-second-document",
        edit(TOPIC_FILE, "summary: What each source says about the *sorties*.", "---"),
        [
            f"{TOPIC}:2: YAML syntax error at column 1: "
            "expected a single document in the stream, but found another document"
        ],
    ),
    (
        # The fix is where the quote opens (line 6), not at the end of the file (line 20 of 19).
        "yaml-unclosed-quote-points-at-its-start",
        edit(TOPIC_FILE, "comment: Both give the same figure.", "comment: 'Both give the same figure."),
        [f"{TOPIC}:6: YAML syntax error at column 14: the quoted value that starts here is never closed"],
    ),
    (
        "yaml-anchor",
        edit(TOPIC_FILE, "title: Counting the sorties", "title: &t Counting the sorties"),
        [f"{TOPIC}:1: YAML anchors and aliases are not allowed"],
    ),
    (
        "yaml-alias-bomb",
        {
            TOPIC_FILE: "title: Bomb\n"
            'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
            "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
            "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
            "d: [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
        },
        [f"{TOPIC}:2: YAML anchors and aliases are not allowed"],
    ),
    (
        "yaml-python-tag",
        edit(TOPIC_FILE, "title: Counting the sorties", "title: !!python/object:os.system Counting"),
        [f"{TOPIC}:1: YAML tags are not allowed ('!!python/object:os.system')"],
    ),
    (
        "yaml-python-tag-in-front-matter",
        gamma("title: !!python/object/apply:os.system [echo]"),
        [f"{GAMMA}:2: YAML tags are not allowed ('!!python/object/apply:os.system')"],
    ),
    (
        "yaml-duplicate-key",
        edit(TOPIC_FILE, "summary: What", "title: Again\nsummary: What"),
        [f"{TOPIC}:2: duplicate key 'title' (first at line 1)"],
    ),
    (
        "yaml-duplicate-key-nested",
        edit(TOPIC_FILE, "        quote: over 60 sorties\n", "        quote: over 60 sorties\n        article: beta\n"),
        [f"{TOPIC}:13: duplicate key 'article' (first at line 11)"],
    ),
    (
        "yaml-duplicate-key-in-front-matter",
        gamma("title: Gamma\ntitle: Gamma again"),
        [f"{GAMMA}:3: duplicate key 'title' (first at line 2)"],
    ),
    (
        # The node's Python repr ("[ScalarNode(tag=...") is no message for an editor.
        "yaml-key-that-is-a-list",
        gamma("title: Gamma\n? [a, b]\n: c"),
        [f"{GAMMA}:3: keys must be plain words, not a list"],
    ),
    (
        "yaml-nested-too-deep",
        {TOPIC_FILE: "title: T\nsummary: " + "[" * 200 + "]" * 200 + "\n"},
        [f"{TOPIC}:2: YAML is nested more than 50 levels deep"],
    ),
    (
        "not-utf8",
        {"articles/gamma.md": b"---\ntitle: Gamma\n---\nSome \xff text.\n"},
        [f"{GAMMA}:4: file is not UTF-8 (byte 0xff at column 6)"],
    ),
    (
        # Columns count characters, like YAML's: 'Café ' is 5 characters (6 bytes).
        "not-utf8-column-counts-characters",
        {"articles/gamma.md": "---\ntitle: Gamma\n---\nCafé ".encode() + b"\xff text.\n"},
        [f"{GAMMA}:4: file is not UTF-8 (byte 0xff at column 6)"],
    ),
    (
        # A CR alone is a line break (content contract, "Encoding").
        "not-utf8-line-counts-cr-line-breaks",
        {"articles/gamma.md": b"---\rtitle: Gamma\r---\rSome \xff text.\r"},
        [f"{GAMMA}:4: file is not UTF-8 (byte 0xff at column 6)"],
    ),
    (
        # The byte-order mark is ignored, so it is not part of column 1.
        "not-utf8-column-ignores-bom",
        {"site.yml": b"\xef\xbb\xbftitle: T\xff\n"},
        [f"{SITE}:1: file is not UTF-8 (byte 0xff at column 9)"],
    ),
    (
        "nul-byte",
        {"articles/gamma.md": b"---\ntitle: Gamma\n---\nSome\x00text.\n"},
        [f"{GAMMA}:4: file is binary, not text (it contains a NUL character)"],
    ),
    # --- front matter and files ---------------------------------------------------------------
    (
        "front-matter-not-closed",
        hama("---\ntitle: Hama\nA city.\n"),
        [f"{HAMA}:1: front matter has no closing '---' line"],
    ),
    (
        "article-without-front-matter",
        {"articles/gamma.md": "Just text.\n"},
        [f"{GAMMA}:1: missing front matter: the file must start with a line '---', then YAML, then '---'"],
    ),
    (
        "article-with-empty-body",
        {"articles/gamma.md": "---\ntitle: Gamma\n---\n"},
        [f"{GAMMA}:4: article has no text after its front matter"],
    ),
    (
        "article-with-blank-body",
        {"articles/gamma.md": "---\ntitle: Gamma\n---\n\n   \n\n"},
        [f"{GAMMA}:4: article has no text after its front matter"],
    ),
    (
        "missing-site-yml",
        {"site.yml": None},
        [f"{SITE}: missing site.yml (it gives the explainer's title)"],
    ),
    (
        "unexpected-file-in-articles",
        {"articles/notes.txt": "Some notes.\n"},
        ["content/articles/notes.txt: unexpected file in articles/ (expected <slug>.md files)"],
    ),
    (
        "yaml-extension-in-annotations",
        {"annotations/more.yaml": "title: More\n"},
        ["content/annotations/more.yaml: unexpected file in annotations/ (expected <slug>.yml files)"],
    ),
    (
        "unexpected-folder-in-notes",
        {"notes/people/putin.md": "---\ntitle: Putin\n---\nPresident.\n"},
        ["content/notes/people: unexpected folder in notes/ (expected <slug>.md files)"],
    ),
    (
        "hidden-files-are-ignored",
        {"articles/.DS_Store": b"\x00\xff", "notes/.hama.md.swp": b"\xff", ".git/config": "[core]\n"},
        [],
    ),
    # --- keys and types -------------------------------------------------------------------------
    (
        "unknown-key-did-you-mean",
        edit(TOPIC_FILE, "quote: over 60 sorties", "qoute: over 60 sorties"),
        [
            f"{TOPIC}:12: unknown key 'qoute' in passage (did you mean 'quote'?)",
        ],
    ),
    (
        "unknown-key-without-a-close-match",
        edit(TOPIC_FILE, "        occurrence: 1\n", "        occurrence: 1\n        colour: red\n"),
        [f"{TOPIC}:20: unknown key 'colour' in passage"],
    ),
    (
        "unknown-key-in-front-matter",
        gamma("title: Gamma\npublised: 2015-10-04"),
        [f"{GAMMA}:3: unknown key 'publised' in article front matter (did you mean 'published'?)"],
    ),
    (
        "missing-required-key",
        edit(TOPIC_FILE, "    relation: context\n", ""),
        [f"{TOPIC}:13: missing required key 'relation' in annotation"],
    ),
    (
        "missing-title-in-site-yml",
        {"site.yml": "description: No title here.\n"},
        [f"{SITE}:1: missing required key 'title' in site.yml"],
    ),
    (
        "missing-title-in-note",
        hama("---\nkind: place\n---\nA city.\n"),
        [f"{HAMA}:2: missing required key 'title' in note front matter"],
    ),
    (
        "empty-required-text",
        {"site.yml": "title: ''\n"},
        [f"{SITE}:1: 'title' must not be empty"],
    ),
    (
        "title-is-a-list",
        gamma("title: [Gamma, Daily]"),
        [f"{GAMMA}:2: 'title' must be a string, not a list"],
    ),
    (
        "title-is-a-number",
        gamma("title: 2015"),
        [f"{GAMMA}:2: 'title' must be a string, not a number {QUOTE_HINT}"],
    ),
    (
        "language-no-is-a-boolean",
        edit("site.yml", "language: en", "language: no"),
        [f"{SITE}:3: 'language' must be a string, not true/false {QUOTE_HINT}"],
    ),
    (
        "published-is-not-a-date",
        gamma("title: Gamma\npublished: October 4"),
        [f"{GAMMA}:3: 'published' {DATE_RULE}, not 'October 4'"],
    ),
    (
        "published-is-an-impossible-date",
        gamma("title: Gamma\npublished: 2015-13-04"),
        [f"{GAMMA}:3: 'published' {DATE_RULE}, not '2015-13-04'"],
    ),
    (
        # The engine says "not a date", which contradicts "must be an ISO date".
        "published-has-a-time",
        gamma("title: Gamma\npublished: 2015-10-04 10:00:00"),
        [f"{GAMMA}:3: 'published' {DATE_RULE}, not a date and time"],
    ),
    (
        "omitted-is-not-a-list-of-strings",
        gamma("title: Gamma\nomitted: [1, Banner]"),
        [f"{GAMMA}:3: 'omitted' must be a list of strings; item at line 3 is 1"],
    ),
    (
        "url-with-javascript-scheme",
        gamma("title: Gamma\nurl: javascript:alert(1)"),
        [f"{GAMMA}:3: 'url' must be an http:// or https:// URL, not 'javascript:alert(1)'"],
    ),
    (
        "base-url-with-javascript-scheme",
        edit("site.yml", "language: en", "base_url: javascript:alert(1)"),
        [f"{SITE}:3: 'base_url' must be an http:// or https:// URL, not 'javascript:alert(1)'"],
    ),
    (
        "site-yml-is-not-a-mapping",
        {"site.yml": "- title\n"},
        [f"{SITE}:1: site.yml must be a mapping of keys to values, not a list"],
    ),
    (
        "annotation-is-not-a-mapping",
        {"annotations/more.yml": "title: More\nannotations:\n  - just a string\n"},
        [f"{MORE}:3: annotation must be a mapping of keys to values, not a string"],
    ),
    (
        "notes-is-not-a-list",
        edit(TOPIC_FILE, "notes: [idlib]", "notes: idlib"),
        [f"{TOPIC}:15: 'notes' must be a list of strings, not a string"],
    ),
    (
        "empty-quote",
        edit(TOPIC_FILE, "quote: over 60 sorties", "quote: '  '"),
        [f"{TOPIC}:12: 'quote' must not be empty"],
    ),
    # --- slugs and ids ------------------------------------------------------------------------
    (
        "file-name-with-uppercase-and-underscore",
        {"articles/Gamma_Daily.md": "---\ntitle: Gamma\n---\nGamma text.\n"},
        [f"content/articles/Gamma_Daily.md:1: file name 'Gamma_Daily' {NOT_A_SLUG}"],
    ),
    (
        "note-file-name-with-uppercase",
        {"notes/Hama.md": "---\ntitle: Hama\n---\nA city.\n"},
        [f"content/notes/Hama.md:1: file name 'Hama' {NOT_A_SLUG}"],
    ),
    (
        "topic-file-name-with-double-hyphen",
        {"annotations/more--topics.yml": "title: More\n"},
        [f"content/annotations/more--topics.yml:1: file name 'more--topics' {NOT_A_SLUG}"],
    ),
    (
        "annotation-id-not-a-slug",
        edit(TOPIC_FILE, "id: idlib-strikes", "id: Idlib_Strikes"),
        [f"{TOPIC}:13: annotation id 'Idlib_Strikes' {NOT_A_SLUG}"],
    ),
    (
        "duplicate-annotation-id-across-files",
        {
            "annotations/more.yml": "title: More\nannotations:\n  - id: sixty-sorties\n    relation: context\n"
            "    passages:\n      - article: beta\n        quote: Officials said\n"
        },
        [f"{TOPIC}:4: duplicate annotation id 'sixty-sorties' (first used at {MORE}:3)"],
    ),
    (
        "duplicate-annotation-id-in-one-file",
        edit(TOPIC_FILE, "id: idlib-strikes", "id: sixty-sorties"),
        [f"{TOPIC}:13: duplicate annotation id 'sixty-sorties' (first used at {TOPIC}:4)"],
    ),
    # --- references -----------------------------------------------------------------------------
    (
        "unknown-article",
        edit(TOPIC_FILE, "article: beta", "article: bta"),
        [f"{TOPIC}:11: unknown article 'bta' (did you mean 'beta'?)"],
    ),
    (
        "unknown-note",
        edit(TOPIC_FILE, "notes: [idlib]", "notes: [idlb]"),
        [f"{TOPIC}:15: unknown note 'idlb' (did you mean 'idlib'?)"],
    ),
    (
        "unknown-relation",
        edit(TOPIC_FILE, "relation: corroborates", "relation: corroborate"),
        [f"{TOPIC}:5: unknown relation 'corroborate' (did you mean 'corroborates'?); expected one of: {RELATIONS}"],
    ),
    (
        "unresolved-note-link",
        edit(IDLIB_FILE, "[[andrei-kartapolov|the general]]", "[[andrei-kartapolv|the general]]"),
        [
            f"{IDLIB}:6: unknown note 'andrei-kartapolv' in link [[andrei-kartapolv|the general]] "
            "(did you mean 'andrei-kartapolov'?)"
        ],
    ),
    (
        "note-links-located-on-their-own-line",
        edit(IDLIB_FILE, "A province; see", "A province.\n\nSee [[Idlib Province]] and\nalso [[hama]]; see"),
        [
            f"{IDLIB}:8: link [[Idlib Province]] does not name a note slug "
            "(use lower-case letters a-z, digits and single hyphens)",
            f"{IDLIB}:9: unknown note 'hama' in link [[hama]]",
        ],
    ),
    (
        "event-note-without-date",
        edit(KARTAPOLOV_FILE, "kind: person", "kind: event"),
        [f"{KARTAPOLOV}:2: missing required key 'date' in note front matter (events need a date)"],
    ),
    (
        "unknown-note-kind",
        edit(KARTAPOLOV_FILE, "kind: person", "kind: persn"),
        [f"{KARTAPOLOV}:3: unknown kind 'persn' (did you mean 'person'?); expected one of: {KINDS}"],
    ),
    # --- a file with errors exists: do not also call it unknown --------------------------------
    (
        "article-with-bad-front-matter-is-not-unknown",
        edit(ALPHA_FILE, "title: Jets fly sixty sorties", "title: [Jets]"),
        [f"{ALPHA}:2: 'title' must be a string, not a list"],
    ),
    (
        "article-not-utf8-is-not-unknown",
        {BETA_FILE: b"---\ntitle: Beta\n---\nJets flew over 60 sorties, the \xffministry said.\n"},
        [f"{BETA}:4: file is not UTF-8 (byte 0xff at column 32)"],
    ),
    (
        "note-with-broken-front-matter-is-not-unknown",
        edit(KARTAPOLOV_FILE, "---\nHe spoke", "He spoke"),
        [f"{KARTAPOLOV}:1: front matter has no closing '---' line"],
    ),
    # --- quotes -----------------------------------------------------------------------------------
    (
        "quote-not-found",
        edit(TOPIC_FILE, "quote: over 60 sorties", "quote: over 70 sorties"),
        [
            f"{TOPIC}:12: quote not found in article 'beta': \"over 70 sorties\"; "
            'did you mean "over 60 sorties" (paragraph 1)?'
        ],
    ),
    (
        "quote-not-found-nothing-close",
        edit(TOPIC_FILE, "quote: over 60 sorties", "quote: xyzzy plugh"),
        [f"{TOPIC}:12: quote not found in article 'beta': \"xyzzy plugh\"; nothing in the article is close to it"],
    ),
    (
        "ambiguous-quote-in-two-paragraphs",
        edit(TOPIC_FILE, "quote: over 60 sorties", "quote: said"),
        [
            f"{TOPIC}:12: quote occurs 2 times in article 'beta' (paragraphs 1, 2): \"said\"; "
            "add prefix, suffix or occurrence to choose one"
        ],
    ),
    (
        # The engine says "(paragraphs 3, 3)": each paragraph should be named once.
        "ambiguous-quote-in-one-paragraph",
        edit(TOPIC_FILE, "        occurrence: 1\n", ""),
        [
            f"{TOPIC}:18: quote occurs 2 times in article 'alpha' (paragraph 3): \"The strikes hit Idlib\"; "
            "add prefix, suffix or occurrence to choose one"
        ],
    ),
    (
        "occurrence-out-of-range",
        edit(TOPIC_FILE, "occurrence: 1", "occurrence: 3"),
        [f"{TOPIC}:19: occurrence 3 is out of range: the quote occurs 2 times in article 'alpha'"],
    ),
    (
        # It occurs twice in the article; once is only true with the prefix.
        "occurrence-out-of-range-after-prefix",
        edit(TOPIC_FILE, "occurrence: 1", "prefix: 'Idlib.'\n        occurrence: 2"),
        [f"{TOPIC}:20: occurrence 2 is out of range: the quote occurs once in article 'alpha' with prefix \"Idlib.\""],
    ),
    (
        # The engine says "never with this prefix and suffix" when only a prefix was given.
        "prefix-matches-no-occurrence",
        edit(TOPIC_FILE, "occurrence: 1", "prefix: Sunday"),
        [
            f"{TOPIC}:18: quote occurs 2 times in article 'alpha', but never with prefix \"Sunday\": "
            '"The strikes hit Idlib"'
        ],
    ),
    (
        "suffix-matches-no-occurrence",
        edit(TOPIC_FILE, "occurrence: 1", "suffix: on Monday"),
        [
            f"{TOPIC}:18: quote occurs 2 times in article 'alpha', but never with suffix \"on Monday\": "
            '"The strikes hit Idlib"'
        ],
    ),
    (
        "prefix-and-suffix-match-no-occurrence",
        edit(TOPIC_FILE, "occurrence: 1", "prefix: Idlib.\n        suffix: on Monday"),
        [
            f"{TOPIC}:18: quote occurs 2 times in article 'alpha', but never with prefix \"Idlib.\" "
            'and suffix "on Monday": "The strikes hit Idlib"'
        ],
    ),
    (
        "quote-spans-a-paragraph-break",
        edit(TOPIC_FILE, "quote: over 60 sorties", "quote: the ministry said. Officials said"),
        [
            f"{TOPIC}:12: quote spans paragraphs 1 to 2 of article 'beta'; a passage must lie within one paragraph",
        ],
    ),
    (
        "quote-spans-into-a-subheading",
        edit(TOPIC_FILE, "quote: The strikes hit Idlib", "quote: the general said. Strikes"),
        [
            f"{TOPIC}:18: quote spans paragraphs 1 to 2 of article 'alpha'; a passage must lie within one paragraph",
        ],
    ),
    (
        "occurrence-zero",
        edit(TOPIC_FILE, "occurrence: 1", "occurrence: 0"),
        [f"{TOPIC}:19: 'occurrence' must be a whole number from 1 up, not 0"],
    ),
    (
        # Only the bad occurrence: "add prefix, suffix or occurrence" would answer an editor who did.
        "occurrence-a-string",
        edit(TOPIC_FILE, "occurrence: 1", "occurrence: first"),
        [f"{TOPIC}:19: 'occurrence' must be a whole number from 1 up, not 'first'"],
    ),
    (
        "occurrence-quoted-number",
        edit(TOPIC_FILE, "occurrence: 1", "occurrence: '1'"),
        [f"{TOPIC}:19: 'occurrence' must be a whole number from 1 up, not '1'"],
    ),
    # --- passages -------------------------------------------------------------------------------
    (
        "unresolved-link-in-annotation-comment",
        edit(TOPIC_FILE, "comment: Both give the same figure.", "comment: See [[idlb|Idlib]]."),
        [f"{TOPIC}:6: unknown note 'idlb' in link [[idlb|Idlib]] (did you mean 'idlib'?)"],
    ),
    (
        "unresolved-link-in-topic-summary",
        edit(TOPIC_FILE, "summary: What each source", "summary: See [[nowhere]]. What each source"),
        [f"{TOPIC}:2: unknown note 'nowhere' in link [[nowhere]]"],
    ),
    (
        "link-relation-with-one-passage",
        edit(TOPIC_FILE, "      - article: beta\n        quote: over 60 sorties\n", ""),
        [f"{TOPIC}:8: relation 'corroborates' needs at least 2 passages, and this annotation has 1"],
    ),
    (
        "annotation-without-passages",
        edit(
            TOPIC_FILE,
            "    passages:\n      - article: alpha\n        quote: The strikes hit Idlib\n        occurrence: 1\n",
            "    passages: []\n",
        ),
        [f"{TOPIC}:16: an annotation needs at least one passage"],
    ),
    (
        "same-passage-twice-in-one-annotation",
        edit(
            TOPIC_FILE,
            "article: beta\n        quote: over 60 sorties",
            "article: alpha\n        quote: more than  60 sorties",
        ),
        [f"{TOPIC}:11: the same passage is already in this annotation (line 9)"],
    ),
]

# The rows whose problems the JSON Schemas in explainer/schemas/ find on their own (structure:
# keys, types, enums, patterns). tests/test_schemas.py proves both ways that this set is exact: the
# schemas report these rows' problems and no others, and find nothing wrong in every other row.
SCHEMA_CASES = frozenset(
    {
        "unknown-key-did-you-mean",
        "unknown-key-without-a-close-match",
        "unknown-key-in-front-matter",
        "missing-required-key",
        "missing-title-in-site-yml",
        "missing-title-in-note",
        "empty-required-text",
        "title-is-a-list",
        "title-is-a-number",
        "language-no-is-a-boolean",
        "published-is-not-a-date",
        "published-is-an-impossible-date",
        "published-has-a-time",
        "omitted-is-not-a-list-of-strings",
        "url-with-javascript-scheme",
        "base-url-with-javascript-scheme",
        "site-yml-is-not-a-mapping",
        "annotation-is-not-a-mapping",
        "notes-is-not-a-list",
        "empty-quote",
        "annotation-id-not-a-slug",
        "unknown-relation",
        "event-note-without-date",
        "unknown-note-kind",
        "article-with-bad-front-matter-is-not-unknown",
        "occurrence-zero",
        "occurrence-a-string",
        "occurrence-quoted-number",
        "link-relation-with-one-passage",
        "annotation-without-passages",
    }
)


@pytest.mark.parametrize(("changes", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_is_reported_exactly(make_content, changes, expected: list[str]) -> None:
    folder = make_content(changes)
    if not expected:
        check(folder, "content")
        return
    assert problems_of(folder) == expected


def test_the_table_ids_are_unique() -> None:
    ids = [c[0] for c in CASES]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda root: root.mkdir(), EMPTY),
        (lambda root: None, "content: content folder not found"),
        (
            lambda root: (root / "articles").mkdir(parents=True),
            EMPTY,
        ),
    ],
    ids=["empty", "missing", "only-empty-sections"],
)
def test_empty_or_missing_content_folder(tmp_path: Path, make, expected: str) -> None:
    root = tmp_path / "content"
    make(root)
    assert problems_of(root) == [expected]


@pytest.mark.parametrize(
    "construct",
    ["!!timestamp nope", "!!bool maybe", "!!int ''", "!!float ''"],
)
def test_explicit_yaml_tags_that_do_not_fit_are_problems_not_crashes(make_content, construct: str) -> None:
    folder = make_content({TOPIC_FILE: f"title: T\nsummary: {construct}\n"})
    problems = problems_of(folder)
    assert len(problems) == 1
    assert problems[0].startswith(f"{TOPIC}:2: ")


def test_a_misspelt_section_folder_is_reported(make_content) -> None:
    """'note/' for 'notes/' would otherwise drop every note without a word."""
    folder = make_content({"note/hama.md": "---\ntitle: Hama\n---\nA city.\n"})
    problems = problems_of(folder)
    assert len(problems) == 1
    assert problems[0].startswith("content/note: ")
    assert "unexpected" in problems[0]


def test_several_problems_in_several_files_are_all_reported_sorted(make_content) -> None:
    topic = (
        sample(TOPIC_FILE)
        .replace("id: sixty-sorties", "id: Sixty")
        .replace("article: beta", "article: bta")
        .replace("relation: context", "relation: contxt")
    )
    folder = make_content(
        {
            TOPIC_FILE: topic,
            **edit(KARTAPOLOV_FILE, "kind: person", "kind: persn"),
            **edit("site.yml", "language: en", "language: no"),
            **gamma("title: Gamma\nurl: javascript:alert(1)"),
        }
    )
    with pytest.raises(ContentError) as error:
        check(folder, "content")
    shown = [str(p) for p in error.value.problems]
    assert shown == [
        f"{TOPIC}:4: annotation id 'Sixty' {NOT_A_SLUG}",
        f"{TOPIC}:11: unknown article 'bta' (did you mean 'beta'?)",
        f"{TOPIC}:14: unknown relation 'contxt' (did you mean 'context'?); expected one of: {RELATIONS}",
        f"{GAMMA}:3: 'url' must be an http:// or https:// URL, not 'javascript:alert(1)'",
        f"{KARTAPOLOV}:3: unknown kind 'persn' (did you mean 'person'?); expected one of: {KINDS}",
        f"{SITE}:3: 'language' must be a string, not true/false {QUOTE_HINT}",
    ]
    assert str(error.value) == "6 errors in 4 files"


@pytest.mark.parametrize(
    ("problems", "expected"),
    [
        ([Problem("a", 1, "x")], "1 error in 1 file"),
        ([Problem("a", 1, "x"), Problem("a", 2, "y")], "2 errors in 1 file"),
        ([Problem("a", 1, "x"), Problem("b", 0, "y"), Problem("a", 3, "z")], "3 errors in 2 files"),
    ],
)
def test_summary(problems: list[Problem], expected: str) -> None:
    assert summarise(problems) == expected


def test_problems_are_sorted_by_path_then_line_number_and_shown_without_line_0() -> None:
    error = ContentError([Problem("b", 1, "x"), Problem("a", 12, "y"), Problem("a", 9, "z"), Problem("a", 0, "w")])
    assert [str(p) for p in error.problems] == ["a: w", "a:9: z", "a:12: y", "b:1: x"]


# --- what resolves, and how ------------------------------------------------------------------------


def test_the_sample_resolves(make_content) -> None:
    site = check(make_content(), "content")
    assert site.config.title == "Sample explainer"
    assert site.config.language == "en"
    assert list(site.articles) == ["alpha", "beta"]
    assert list(site.notes) == ["andrei-kartapolov", "idlib"]
    assert list(site.topics) == ["sorties"]
    assert list(site.annotations) == ["sixty-sorties", "idlib-strikes"]
    alpha = site.articles["alpha"]
    assert alpha.published == "2015-10-04"
    assert alpha.text == (
        "Russian jets have flown “more than 60 sorties” since September 30, the general said.\n\n"
        "Strikes\n\n"
        "The strikes hit Idlib. The strikes hit Idlib again on Sunday."
    )
    assert [(p.number, p.heading, p.line) for p in alpha.paragraphs] == [(1, False, 6), (2, True, 8), (3, False, 10)]
    for paragraph in alpha.paragraphs:
        assert "\n\n" not in alpha.text[paragraph.start : paragraph.end]
    annotation = site.annotations["sixty-sorties"]
    assert (annotation.relation, annotation.notes, annotation.line) == ("corroborates", ("andrei-kartapolov",), 4)
    assert site.notes["idlib"].links == ("andrei-kartapolov",)


def test_passages_give_their_exact_text(make_content) -> None:
    site = check(make_content(), "content")
    found = {p.id: (p.article, p.start, p.end, p.exact, p.paragraph) for p in site.passages.values()}
    assert found == {
        "sixty-sorties-1": ("alpha", 25, 45, "more than 60 sorties", 1),
        "sixty-sorties-2": ("beta", 10, 25, "over 60 sorties", 1),
        "idlib-strikes-1": ("alpha", 95, 116, "The strikes hit Idlib", 3),
    }
    for passage in site.passages.values():
        assert site.articles[passage.article].text[passage.start : passage.end] == passage.exact


def test_backlinks_of_the_sample(make_content) -> None:
    site = check(make_content(), "content")
    assert dict(site.passages_by_article) == {
        "alpha": ("sixty-sorties-1", "idlib-strikes-1"),
        "beta": ("sixty-sorties-2",),
    }
    assert dict(site.linked_passages) == {
        "sixty-sorties-1": ("sixty-sorties-2",),
        "sixty-sorties-2": ("sixty-sorties-1",),
        "idlib-strikes-1": (),
    }
    assert dict(site.note_citations) == {"andrei-kartapolov": ("sixty-sorties",), "idlib": ("idlib-strikes",)}
    assert dict(site.note_backlinks) == {"andrei-kartapolov": ("idlib",), "idlib": ("andrei-kartapolov",)}
    assert dict(site.pairs) == {("alpha", "beta"): ("sixty-sorties",)}


def _line_endings(text: str, newline: str, bom: bool) -> bytes:
    return (("\ufeff" if bom else "") + text.replace("\n", newline)).encode()


@pytest.mark.parametrize(
    ("newline", "bom"), [("\r\n", False), ("\r", False), ("\n", True), ("\r\n", True), ("\r", True)]
)
def test_bom_and_crlf_or_cr_line_endings_read_like_plain_text(make_content, newline: str, bom: bool) -> None:
    plain = check(make_content(name="plain"), "content")
    folder = make_content({path: _line_endings(sample(path), newline, bom) for path in SAMPLE}, name="other")
    other = check(folder, "content")
    assert other.articles == plain.articles
    assert other.notes == plain.notes
    assert other.passages == plain.passages
    assert other.annotations == plain.annotations
    assert other.config == plain.config


def test_problems_in_crlf_files_are_on_the_same_lines(make_content) -> None:
    changes = edit(TOPIC_FILE, "quote: over 60 sorties", "quote: over 70 sorties")
    folder = make_content({TOPIC_FILE: _line_endings(changes[TOPIC_FILE], "\r\n", True)})
    assert problems_of(folder)[0].startswith(f"{TOPIC}:12: quote not found")


@pytest.mark.parametrize(
    ("body", "quote", "exact"),
    [
        # ASCII quotation marks in the quote match typographic ones in the text...
        ("Jets flew “over 60 sorties”, the ministry said.", "'\"over 60 sorties\"'", "“over 60 sorties”"),
        # ...and the other way round.
        ('Jets flew "over 60 sorties", the ministry said.', "'“over 60 sorties”'", '"over 60 sorties"'),
        ("The ministry’s figure: over 60 sorties.", "ministry's figure", "ministry’s figure"),
        ("The ‘over 60 sorties’ figure.", "\"'over 60 sorties'\"", "‘over 60 sorties’"),
        (
            "Sixty‐odd sorties — the ministry said – 60 −1 ‑ ‒ ―.",
            "Sixty-odd sorties - the ministry said - 60 -1 - - -",
            "Sixty‐odd sorties — the ministry said – 60 −1 ‑ ‒ ―",
        ),
        (
            "Jets flew over 60\n   sorties,\tthe ministry said.",
            "over 60 sorties, the ministry",
            "over 60\n   sorties,\tthe ministry",
        ),
        ("Jets flew over 60 sorties, the ministry said.", "'   over  60\tsorties   '", "over 60 sorties"),
    ],
    ids=[
        "ascii-to-curly",
        "curly-to-ascii",
        "apostrophe",
        "single-quotes",
        "dashes",
        "white-space-in-text",
        "white-space-in-quote",
    ],
)
def test_quotes_match_typographic_and_white_space_variants(make_content, body: str, quote: str, exact: str) -> None:
    changes = {
        BETA_FILE: f"---\ntitle: Beta\n---\n{body}\n",
        **edit(TOPIC_FILE, "quote: over 60 sorties", f"quote: {quote}"),
    }
    site = check(make_content(changes), "content")
    passage = site.passages["sixty-sorties-2"]
    assert passage.exact == exact
    assert site.articles["beta"].text[passage.start : passage.end] == exact


def test_dashes_and_white_space_runs_give_the_verbatim_span(make_content) -> None:
    changes = {
        BETA_FILE: "---\ntitle: Beta\n---\nJets flew over 60\n   sorties — the ministry said.\n",
        **edit(TOPIC_FILE, "quote: over 60 sorties", "quote: over 60 sorties - the ministry"),
    }
    site = check(make_content(changes), "content")
    assert site.passages["sixty-sorties-2"].exact == "over 60\n   sorties — the ministry"


@pytest.mark.parametrize(
    ("context", "start"),
    [
        ("occurrence: 1", 95),
        ("occurrence: 2", 118),
        ("prefix: Idlib.", 118),
        ("prefix: 'Idlib.  '", 118),
        ("suffix: again", 118),
        ("suffix: '.'", 95),
        ("suffix: . The strikes", 95),
        ("prefix: Strikes", 95),
        ("prefix: 'hit Idlib.'\n        suffix: again on Sunday", 118),
        ("suffix: '.'\n        occurrence: 1", 95),
    ],
)
def test_prefix_suffix_and_occurrence_pick_the_intended_occurrence(make_content, context: str, start: int) -> None:
    folder = make_content(edit(TOPIC_FILE, "occurrence: 1", context))
    passage = check(folder, "content").passages["idlib-strikes-1"]
    assert (passage.start, passage.end, passage.paragraph) == (start, start + len("The strikes hit Idlib"), 3)
    assert passage.exact == "The strikes hit Idlib"


def test_a_context_relation_needs_only_one_passage(make_content) -> None:
    changes = edit(TOPIC_FILE, "      - article: beta\n        quote: over 60 sorties\n", "")
    changes[TOPIC_FILE] = changes[TOPIC_FILE].replace("relation: corroborates", "relation: correction")
    site = check(make_content(changes), "content")
    assert site.annotations["sixty-sorties"].relation == "correction"
    assert site.linked_passages["sixty-sorties-1"] == ()
    assert dict(site.pairs) == {}


def test_an_event_with_a_date_and_year_month_dates_resolve(make_content) -> None:
    changes = edit(KARTAPOLOV_FILE, "kind: person", "kind: event\ndate: 2015-09")
    changes.update(edit(ALPHA_FILE, "published: 2015-10-04", "published: 2015-10"))
    site = check(make_content(changes), "content")
    assert site.notes["andrei-kartapolov"].date == "2015-09"
    assert site.articles["alpha"].published == "2015-10"


# --- resolving again after a change: the previous resolution's work is reused ----------------------


def _outcome(result: Resolution) -> tuple[str, tuple[Problem, ...]]:
    """A resolution as one comparable value: the site (its repr shows every mapping in order) and the problems."""
    return repr(result.site), result.problems


class _Corpus:
    """A generated content folder that random edits change, file by file, as an editor would."""

    def __init__(self, root: Path, seed: int) -> None:
        self.root = root
        self.rng = random.Random(seed)
        self.original = generate(12, seed)
        write_tree(root, self.original)

    def files(self, folder: str) -> list[Path]:
        return sorted((self.root / folder).glob("*"))

    def change(self) -> tuple[str, set[Path]]:
        """Make one random edit; return what it was and the paths it touched."""
        rng = self.rng
        self.touched: set[Path] = set()
        topics, articles, notes = self.files("annotations"), self.files("articles"), self.files("notes")
        what = rng.choice(
            ["comment", "comment", "quote", "duplicate-id", "drop", "topic-title", "article-text", "article-title",
             "note-name", "new-topic", "remove-topic", "language", "rename-article", "restore", "heal", "heal"]
        )  # fmt: skip
        topic = rng.choice(topics) if topics else None
        if what == "comment" and topic:
            self.replace(topic, r"comment: '", f"comment: 'Edited {rng.random():.3f}. ")
        elif what == "quote" and topic:
            # A quote cut short (found, or found more than once), or one not found (slow: the closest is looked for).
            self.replace(topic, r"quote: '\S+ ", rng.choice(["quote: '", "quote: '", "quote: 'not in the text "]))
        elif what == "duplicate-id" and len(topics) > 1:
            ids = re.findall(r"- id: (\S+)", rng.choice(topics).read_text())
            self.replace(topic, r"- id: \S+", f"- id: {rng.choice(ids)}")  # type: ignore[arg-type]
        elif what == "drop" and topic:
            text = topic.read_text()
            blocks = text.split("\n  - id: ")
            if len(blocks) > 2:
                del blocks[rng.randrange(1, len(blocks))]
                self.write(topic, "\n  - id: ".join(blocks))
        elif what == "topic-title" and topic:
            self.replace(topic, r"title: '", f"title: '{rng.choice('ABZ')} ")
        elif what == "article-text":
            article = rng.choice(articles)
            words = article.read_text().split(" ")
            at = rng.randrange(len(words) // 2, len(words))
            self.write(article, " ".join([*words[:at], rng.choice(["inserted", "Zuko Brigade"]), *words[at:]]))
        elif what == "article-title":
            self.replace(rng.choice(articles), r"title: '", rng.choice(["titles: '", "title: 'Retitled "]))
        elif what == "note-name":
            note = rng.choice(notes)
            self.replace(note, r"title: '[^']*'", rng.choice(["title: 'Lenolgar Province'", "title: 'Someone New'"]))
        elif what == "new-topic" and topic:
            text = re.sub(r"- id: (\S+)", r"- id: \1-again", topic.read_text())
            new = self.root / "annotations" / f"new-{rng.randrange(3)}.yml"
            self.write(new, text.replace("title: '", "title: 'Again: "))
        elif what == "remove-topic" and topic and len(topics) > 1:
            topic.unlink()
            self.touched.add(topic)
        elif what == "language":
            self.replace(self.root / "site.yml", r"language: '[a-z]+'", f"language: '{rng.choice(['en', 'fr'])}'")
        elif what == "rename-article":
            article = rng.choice(articles)
            renamed = article.with_name(f"{article.stem}-x.md" if not article.stem.endswith("-x") else "plain.md")
            article.rename(renamed)
            self.touched.update({article, renamed})
        elif what == "restore":
            relative = rng.choice(sorted(self.original))
            self.write(self.root / relative, self.original[relative])
        elif what == "heal":  # every file as generated: the content is good again
            for path in self.root.rglob("*"):
                relative = path.relative_to(self.root).as_posix()
                if path.is_file() and (relative not in self.original or path.read_text() != self.original[relative]):
                    path.unlink()
                    self.touched.add(path)
            for relative, text in self.original.items():
                if not (self.root / relative).exists():
                    self.write(self.root / relative, text)
        return what, self.touched

    def write(self, path: Path, text: str) -> None:
        path.write_text(text)
        self.touched.add(path)

    def replace(self, path: Path, pattern: str, new: str) -> None:
        """Replace one match of `pattern` in a file, chosen at random."""
        text = path.read_text()
        found = list(re.finditer(pattern, text))
        if found:
            match = self.rng.choice(found)
            self.write(path, text[: match.start()] + new + text[match.end() :])


@pytest.mark.parametrize("seed", [1, 2])
def test_resolving_again_after_random_edits_gives_what_resolving_afresh_gives(tmp_path: Path, seed: int) -> None:
    """Each edit is resolved from the last resolution (which may have failed) and compared with a fresh resolve."""
    corpus = _Corpus(tmp_path / "content", seed)
    content = load_content(corpus.root, "content")
    previous = resolution(content)
    assert previous.site is not None and not previous.problems
    outcomes = set()
    for _ in range(25):
        what, touched = corpus.change()
        content = reload_content(content, corpus.root, touched, "content")
        again = resolution(content, None, previous)
        fresh = resolution(load_content(corpus.root, "content"))
        assert _outcome(again) == _outcome(fresh), what
        if again.site is not None:
            assert again.site == fresh.site
        outcomes.add(again.site is None)
        previous = again
    assert outcomes == {True, False}  # both good and broken content were resolved again


def test_one_edited_annotation_is_all_that_is_worked_out_again(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "content", generate(12, 3))
    content = load_content(root, "content")
    before = resolution(content)
    topic = sorted((root / "annotations").glob("*.yml"))[0]
    text = topic.read_text()
    topic.write_text(text.replace("comment: '", "comment: 'Edited. ", 1))
    after = resolution(reload_content(content, root, {topic}, "content"), None, before)
    assert after.site is not None and before.site is not None
    assert after.site == resolve(load_content(root, "content"))
    # The other topics' work, every article and note, and what only they give are taken as they were.
    path = f"content/annotations/{topic.name}"
    assert [p for p, work in after.work.topics.items() if work is not before.work.topics[p]] == [path]
    assert all(after.work.files[p] is before.work.files[p] for p in before.work.files)
    for name in ("articles", "notes", "mentions", "note_mentions", "note_backlinks", "note_citations", "pairs"):
        assert getattr(after.site, name) is getattr(before.site, name), name
    quoted = {p.article for p in after.work.topics[path].parts.passages.values()}
    kept = [
        slug for slug, ids in after.site.passages_by_article.items() if ids is before.site.passages_by_article[slug]
    ]
    assert set(kept) == set(after.site.articles) - quoted
    # In the edited topic, each quote's anchoring is taken from before: nothing is anchored again.
    edited, earlier = after.work.topics[path].anchored, before.work.topics[path].anchored
    assert edited.keys() == earlier.keys()
    assert all(edited[selector] is earlier[selector] for selector in edited)
    changed = [a.id for a in after.site.annotations.values() if a != before.site.annotations[a.id]]
    assert len(changed) == 1
    # The edit that changes a passage anchors that quote alone, and finds the article's passages again.
    quote = re.search(r"quote: '([^']*)'", text).group(1)  # type: ignore[union-attr]
    topic.write_text(text.replace(f"quote: '{quote}'", f"quote: '{quote.split(' ', 1)[1]}'", 1))
    again = resolution(reload_content(content, root, {topic}, "content"), None, after)
    assert again.site == resolve(load_content(root, "content"))
    assert len(again.work.topics[path].anchored.keys() - edited.keys()) == 1


def test_an_article_edit_re_resolves_only_the_topics_quoting_it(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "content", generate(30, 4))
    content = load_content(root, "content")
    before = resolution(content)
    article = root / "articles" / f"{next(iter(before.site.passages_by_article))}.md"  # type: ignore[union-attr]
    article.write_text(article.read_text() + "\nA new last paragraph.\n")
    after = resolution(reload_content(content, root, {article}, "content"), None, before)
    assert _outcome(after) == _outcome(resolution(load_content(root, "content")))
    quoting = {a.path for a in after.site.annotations.values() for p in a.passages if p.article == article.stem}  # type: ignore[union-attr]
    redone = {path for path, work in after.work.topics.items() if work is not before.work.topics[path]}
    assert redone == quoting
    assert len(redone) < len(after.work.topics)


GAMMA_ARTICLE = "---\ntitle: Gamma\npublished: 2015-10-06\n---\nThe jets flew over 60 sorties near Idlib.\n"
MORE_TOPIC = (
    "title: More\nannotations:\n  - id: more-sorties\n    relation: context\n    passages:\n"
    "      - article: gamm\n        quote: over 60 sorties\n"
)
# Edits (path, text or None to delete) whose effect reaches beyond the file edited, in order.
REACHING_EDITS = [
    ("articles/gamma.md", GAMMA_ARTICLE),
    ("annotations/more.yml", MORE_TOPIC),  # 'gamm' is unknown: did you mean 'gamma'?
    ("articles/gamms.md", GAMMA_ARTICLE),  # still unknown, but the closest slug is now 'gamms'
    ("articles/gamms.md", None),
    ("articles/gamm.md", GAMMA_ARTICLE),  # now it is known: the topic resolves, unchanged itself
    ("articles/gamm.md", None),
    ("annotations/more.yml", MORE_TOPIC.replace("gamm", "gamma")),
    (TOPIC_FILE, sample(TOPIC_FILE).replace("article: beta", "article: gamma")),  # same passages, other pairs
    (TOPIC_FILE, sample(TOPIC_FILE).replace("notes: [andrei-kartapolov]", "notes: [idlib]")),  # other citations
    ("articles/gamma.md", GAMMA_ARTICLE.replace("The jets", "Idlib: the jets")),  # mentions move, quotes too
    ("notes/idlib.md", sample("notes/idlib.md").replace("title: Idlib", "title: Jets")),  # other names
    ("site.yml", sample("site.yml").replace("language: en", "language: fr")),
    ("annotations/more.yml", MORE_TOPIC.replace("gamm", "gamma").replace("more-sorties", "sixty-sorties")),
    (TOPIC_FILE, sample(TOPIC_FILE).replace("title: Counting", "title: Zero")),  # the duplicate id moves
    ("annotations/more.yml", None),
]


def test_resolving_again_follows_edits_that_reach_other_files(make_content) -> None:
    root = make_content()
    content = load_content(root, "content")
    previous = resolution(content)
    for relative, text in REACHING_EDITS:
        path = root / relative
        if text is None:
            path.unlink()
        else:
            path.write_text(text)
        content = reload_content(content, root, {path}, "content")
        again = resolution(content, None, previous)
        assert _outcome(again) == _outcome(resolution(load_content(root, "content"))), relative
        previous = again


# --- the schemas' quick test and the names' pattern: the same answers as the plain way ---------------

JSON_LIKE = [
    "", " ", "x", "same-event", "context", "person", "Not a slug", "a-b", "2015-10-04", "2015-13-01", "2015-02-30",
    "2015-10", "https://example.org/a", "ftp://x", 0, 1, -1, 2, 1.0, 1.5, True, False, None,
    datetime.date(2015, 10, 4), datetime.datetime(2015, 10, 4, 10, 0),
]  # fmt: skip


def _random_value(rng: random.Random, depth: int = 0) -> YamlValue:
    kind = rng.random()
    if depth < 2 and kind < 0.15:
        return YamlValue([_random_value(rng, depth + 1) for _ in range(rng.randrange(3))], 1)
    if depth < 2 and kind < 0.25:
        keys = rng.sample(["title", "kind", "quote", "article", "passages", "zzz"], rng.randrange(3))
        return YamlValue({key: _random_value(rng, depth + 1) for key in keys}, 1)
    return YamlValue(rng.choice(JSON_LIKE), 1)


def _paths(value: YamlValue, path: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    """The path of every value in a YAML value, its own first."""
    found = [path]
    if isinstance(value.value, (dict, list)):
        items = value.value.items() if isinstance(value.value, dict) else enumerate(value.value)
        for key, item in items:
            found.extend(_paths(item, (*path, key)))
    return found


def _mutated(value: YamlValue, path: tuple[str | int, ...], rng: random.Random) -> YamlValue:
    """`value` with the value at `path` replaced, removed, or given a sibling."""
    if not path:
        return _random_value(rng)
    items: Any = dict(value.value) if isinstance(value.value, dict) else list(value.value)
    step = path[0]
    if len(path) > 1:
        items[step] = _mutated(items[step], path[1:], rng)
    elif rng.random() < 0.4:
        del items[step]
    elif rng.random() < 0.6 or isinstance(items, list):
        items[step] = _random_value(rng)
    else:
        items[rng.choice(["occurrence", "occurrence", "prefix", "notes", "aliases", "date", "url", "zzz"])] = (
            _random_value(rng)
        )
    return YamlValue(items, value.line)


def test_the_schemas_quick_test_agrees_with_jsonschema_on_valid_and_invalid_values(make_content) -> None:
    validators = schemas.validators()
    name = {"site": "site", "articles": "article", "notes": "note", "annotations": "topic"}
    files = [source for folder in (make_content(), ROOT / "content") for source in load_content(folder).files]
    sources = [(source.section, data) for source in files if (data := parsed_data(source)[0])]
    assert {section for section, _ in sources} == set(name)
    rng = random.Random(5)
    outcomes: dict[bool, int] = {True: 0, False: 0}
    for _ in range(3000):
        section, value = rng.choice(sources)
        for _ in range(rng.randrange(3)):
            value = _mutated(value, rng.choice(_paths(value)), rng)  # type: ignore[arg-type]
        schema = validators[name[section]]
        valid = schema.validator.is_valid(schemas.instance(value))
        assert schema.valid(value) is valid, (section, schemas.instance(value))  # type: ignore[arg-type]
        outcomes[valid] += 1
    assert min(outcomes.values()) > 500


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("topic", "{title: T, annotations: [{id: a, relation: context, passages: [{article: x, quote: q, occurrence: 0}]}]}"),  # noqa: E501
        ("topic", "{title: T, annotations: [{id: a, relation: corroborates, passages: [{article: x, quote: q}]}]}"),
        ("topic", "{title: T, annotations: [{id: a, relation: context, passages: []}]}"),
        ("topic", "{title: T, annotations: [{id: Not-A-Slug, relation: context, passages: [{article: x, quote: q}]}]}"),
        ("topic", "{title: T, annotations: [{id: a, relation: agrees, passages: [{article: x, quote: q}]}]}"),
        ("topic", "title: ' '\n"),
        ("topic", "title: T\nsummary: 3\n"),
        ("topic", "titel: T\n"),
        ("note", "title: N\nkind: event\n"),
        ("note", "title: N\nkind: event\ndate: 2015-02-30\n"),
        ("note", "title: N\naliases: [a, 1]\n"),
        ("article", "title: A\npublished: 2015-10-04 10:00:00\n"),
        ("article", "title: A\nurl: ftp://x\n"),
        ("site", "title: S\nbase_url: example.org\n"),
    ],
)  # fmt: skip
def test_the_quick_test_refuses_what_each_rule_refuses(name: str, text: str) -> None:
    value, problems = parse_yaml(text, "f")
    assert value is not None and not problems
    schema = schemas.validators()[name]
    assert not schema.validator.is_valid(schemas.instance(value))
    assert not schema.valid(value)


def test_the_quick_test_refuses_a_keyword_it_does_not_know() -> None:
    with pytest.raises(ValueError, match="'uniqueItems'"):
        schemas.quick_test({"type": "array", "uniqueItems": True})
    with pytest.raises(ValueError, match="'format'"):
        schemas.quick_test({"type": "string", "format": "email"})


def test_valid_content_is_resolved_without_importing_jsonschema() -> None:
    """jsonschema takes longer to import than the quick tests take to check the whole explainer."""
    code = (
        "import sys, pathlib; from explainer.load import load_content; from explainer.resolve import resolve; "
        "resolve(load_content(pathlib.Path(sys.argv[1]))); print('jsonschema' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code, str(ROOT / "content")], cwd=ROOT, capture_output=True, text=True)
    assert done.stdout.strip() == "False", done.stderr


@settings(max_examples=300, deadline=None)
@given(
    names=st.lists(st.text(alphabet=st.sampled_from(list("Ab é-.")), min_size=1, max_size=4), max_size=6),
    text=st.text(alphabet=st.sampled_from(list("Ab é-.\n")), max_size=40),
)
def test_the_names_pattern_finds_what_trying_each_name_in_turn_finds(names: list[str], text: str) -> None:
    """The longest name at each position, whole words only: as an alternation of every name, longest first."""
    owners = {name: f"note-{i}" for i, name in enumerate(names)}
    longest_first = sorted(owners, key=lambda name: (-len(name), name))
    plain = re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, longest_first)) + r")(?!\w)")
    pattern = names_pattern(owners)
    found = [(m.start(), m.group()) for m in pattern.finditer(text)] if pattern else []
    assert found == ([(m.start(), m.group()) for m in plain.finditer(text)] if owners else [])


def test_the_preview_resolves_each_save_from_its_last_resolution_even_a_failed_one(make_content, tmp_path) -> None:
    content, out = make_content(), tmp_path / "out"

    def build(state: pipeline.PreviewState, changed: set[Path]) -> pipeline.PreviewBuild:
        return pipeline.preview_build(
            state, content, out, TEMPLATES, changed, shown="content", base_url=None, origin=None
        )

    first = build(pipeline.PreviewState(), set())
    topic = content / TOPIC_FILE
    topic.write_text(sample(TOPIC_FILE).replace("quote: over 60 sorties", "quote: over 70 sorties"))
    failed = build(first.state, {topic})
    assert failed.site is None and failed.state.resolution is not None
    topic.write_text(sample(TOPIC_FILE).replace("Both give", "Both sources give"))
    fixed = build(failed.state, {topic})
    assert fixed.site is not None and fixed.state.resolution is not None
    assert fixed.site == resolve(load_content(content, "content"))
    # The articles were resolved once, by the first build; each save re-resolved the topic alone.
    works = [first.state.resolution.work, failed.state.resolution.work, fixed.state.resolution.work]  # type: ignore[union-attr]
    assert all(works[0].files[path] is work.files[path] for work in works for path in works[0].files)


def test_annotation_files_are_parsed_one_at_a_time_and_their_trees_let_go(tmp_path: Path, monkeypatch):
    import gc

    from explainer import resolve as resolve_module

    content = load_content(write_tree(tmp_path / "content", generate(30, 5)), "content")
    topics = [source for source in content.files if source.section == "annotations"]
    assert len(topics) > 3 and all(source.data is None and source.text for source in topics)
    alive: list[int] = []
    real_parsed_data = resolve_module.parsed_data

    def parsed_data(source):
        alive.append(sum(isinstance(thing, YamlValue) for thing in gc.get_objects()))
        return real_parsed_data(source)

    monkeypatch.setattr(resolve_module, "parsed_data", parsed_data)
    assert resolution(content).site is not None
    assert len(alive) == len(topics)
    # Each topic's tree is let go once it is resolved: as many values are alive before the last as before the first.
    assert alive[-1] == alive[0]
