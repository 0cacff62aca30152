"""Resolve: every departure from the content contract is reported, located and explained.

The table below is the heart of it: each row changes the sample tree (tests/conftest.py) as little
as it can, and gives the exact problems `check` must report, as `path:line: message`.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from pathlib import Path

import pytest

from explainer.pipeline import check
from explainer.problems import ContentError, Problem, summarise

from .conftest import SAMPLE

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
