"""Anchoring: quotes are found exactly where they stand, with the contract's matching allowances."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from explainer.anchoring import (
    _EQUIVALENT_CHAR,
    Ambiguous,
    ContextMismatch,
    Found,
    NotFound,
    OutOfRange,
    _equivalent,
    _normalise_clusters,
    anchor,
    closest_passage,
    normal_form,
    normalise,
)


def find(text: str, quote: str, prefix: str = "", suffix: str = "", occurrence: int | None = None):
    return anchor(text, normalise(text), quote, prefix, suffix, occurrence)


# --- normalise ------------------------------------------------------------------------------------------


def test_white_space_runs_become_one_space_and_origin_points_back() -> None:
    text = "a  b\n\n\tc d"
    normal = normalise(text)
    assert normal.text == "a b c d"
    assert tuple(normal.origin) == (0, 1, 3, 4, 7, 8, 9)
    assert tuple(normal.ends) == (1, 2, 4, 5, 8, 9, 10)
    for index, char in enumerate(normal.text):
        original = text[normal.origin[index]]
        assert original == char or (char == " " and original.isspace())


def test_typographic_marks_become_ascii_one_for_one() -> None:
    text = "‘a’ “b” ‚c‛ „d‟ 5′ 6″ x‐y‑z‒w–v—u―t−s"
    normal = normalise(text)
    assert normal.text == "'a' \"b\" 'c' \"d\" 5' 6\" x-y-z-w-v-u-t-s"
    assert tuple(normal.origin) == tuple(range(len(text)))


def test_leading_and_trailing_white_space_runs_are_kept_as_one_space() -> None:
    normal = normalise("  \n a \n")
    assert normal.text == " a "
    assert tuple(normal.origin) == (0, 4, 5)


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "a",
        "a b",
        "  a\t\n b  ",
        "e\u0301 e\u0301",
        "\u0301x",
        " \u0301 a",
        "\u2019a\u2014 \u00a0 b",
        "a\n\n\n\nb c",
    ],
)
def test_the_quick_path_equals_the_letter_by_letter_one(text: str) -> None:
    quick = normalise(text)
    slow = _normalise_clusters(_EQUIVALENT_CHAR.sub(_equivalent, text))
    assert (quick.text, tuple(quick.origin), tuple(quick.ends)) == (slow.text, tuple(slow.origin), tuple(slow.ends))


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab \t\n\r\u00a0\u2003\u3000\x85\u2019\u201c\u2014-\u0301\u0327\u00e9."))))
def test_the_quick_path_equals_the_letter_by_letter_one_on_random_texts(text: str) -> None:
    quick = normalise(text)
    slow = _normalise_clusters(_EQUIVALENT_CHAR.sub(_equivalent, text))
    assert (quick.text, tuple(quick.origin), tuple(quick.ends)) == (slow.text, tuple(slow.origin), tuple(slow.ends))


def test_other_white_space_counts_too() -> None:
    assert normalise("a\u00a0\u2009b\u3000c").text == "a b c"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab \t\n\u00a0\u2003\x85\u2019\u201c\u2014-\u0301\u00e9."))))
def test_normal_form_is_the_matching_form_of_the_stripped_text(text: str) -> None:
    """normal_form skips normalise's positions (and its work on ASCII text) but gives the same text."""
    assert normal_form(text) == normalise(text.strip()).text


def test_normal_form_strips_outer_white_space() -> None:
    assert normal_form("  “over\n 60”  sorties\t") == '"over 60" sorties'
    assert normal_form("   ") == ""


def test_nothing_else_is_changed() -> None:
    text = "Case MATTERS, ... ellipsis… «guillemets» <b>&amp;</b> {{ x }}"
    assert normalise(text).text == text


# --- anchor ---------------------------------------------------------------------------------------------

TEXT = "The strikes hit Idlib. The strikes hit Idlib again on Sunday.\n\nThe   strikes\nhit Hama."


def test_found_gives_the_original_span() -> None:
    assert find(TEXT, "again on Sunday") == Found(45, 60)
    assert TEXT[45:60] == "again on Sunday"


def test_found_spans_white_space_runs_verbatim() -> None:
    result = find(TEXT, "The strikes hit Hama")
    assert isinstance(result, Found)
    assert TEXT[result.start : result.end] == "The   strikes\nhit Hama"


def test_outer_white_space_of_the_quote_is_ignored() -> None:
    assert find(TEXT, "  \n again on Sunday \t") == Found(45, 60)


def test_matching_is_case_sensitive() -> None:
    result = find(TEXT, "the Strikes hit Hama")
    assert isinstance(result, NotFound)
    assert result.closest == "The   strikes\nhit Hama."
    assert result.closest_start == 63


def test_typographic_and_ascii_forms_match_both_ways() -> None:
    text = "He said “sixty sorties” — the ministry’s figure."
    result = find(text, '"sixty sorties" - the ministry\'s')
    assert isinstance(result, Found)
    assert text[result.start : result.end] == "“sixty sorties” — the ministry’s"
    assert find('He said "sixty" - it\'s', "“sixty” — it’s") == Found(8, 22)


def test_ambiguous_lists_original_starts() -> None:
    assert find(TEXT, "The strikes hit") == Ambiguous((0, 23, 63))
    assert find(TEXT, "strikes hit Idlib") == Ambiguous((4, 27))


def test_overlapping_occurrences_are_all_counted() -> None:
    assert find("aaa", "aa") == Ambiguous((0, 1))
    assert find("aaa", "aa", occurrence=2) == Found(1, 3)


@pytest.mark.parametrize(("occurrence", "start"), [(1, 0), (2, 23), (3, 63)])
def test_occurrence_picks_one(occurrence: int, start: int) -> None:
    result = find(TEXT, "The strikes", occurrence=occurrence)
    assert isinstance(result, Found)
    assert result.start == start


def test_occurrence_out_of_range_gives_the_count() -> None:
    assert find(TEXT, "The strikes", occurrence=4) == OutOfRange(3)
    assert find(TEXT, "again", occurrence=2) == OutOfRange(1)


@pytest.mark.parametrize(
    ("prefix", "suffix", "expected"),
    [
        ("Idlib.", "", Found(23, 44)),
        ("Idlib. ", "", Found(23, 44)),
        ("hit Idlib.", "again", Found(23, 44)),
        ("", ". The", Found(0, 21)),
        ("", "again on", Found(23, 44)),
        ("", "  again\n on ", Found(23, 44)),
        ("", ".", Found(0, 21)),
        ("Sunday.", "", ContextMismatch(2)),
        ("", "on Monday", ContextMismatch(2)),
        ("Idlib.", ".", ContextMismatch(2)),
    ],
)
def test_prefix_and_suffix_choose_among_occurrences(prefix: str, suffix: str, expected) -> None:
    assert find(TEXT, "The strikes hit Idlib", prefix, suffix) == expected


def test_prefix_and_suffix_are_matched_in_normal_form() -> None:
    text = "He said “yes”. She said “yes” — twice."
    assert find(text, "said", prefix="She") == Found(19, 23)
    assert find(text, "yes", prefix='said "', suffix='" -') == Found(25, 28)


def test_a_prefix_that_leaves_several_still_needs_occurrence() -> None:
    text = "a x. b x. a x."
    assert find(text, "x", prefix="a") == Ambiguous((2, 12))
    assert find(text, "x", prefix="a", occurrence=2) == Found(12, 13)
    assert find(text, "x", prefix="a", occurrence=3) == OutOfRange(2)


def test_a_quote_may_cross_a_paragraph_break_here() -> None:
    """Anchoring matches text; keeping a passage within one paragraph is resolve's rule."""
    result = find(TEXT, "on Sunday. The strikes")
    assert isinstance(result, Found)
    assert TEXT[result.start : result.end] == "on Sunday.\n\nThe   strikes"


def test_not_found_suggests_the_closest_passage() -> None:
    result = find(TEXT, "hit Idlib again on Monday")
    assert isinstance(result, NotFound)
    assert result.closest == "hit Idlib again on Sunday."
    assert TEXT[result.closest_start :].startswith(result.closest)


@pytest.mark.parametrize("quote", ["", "   ", "\n"])
def test_an_empty_quote_is_not_found_and_has_no_suggestion(quote: str) -> None:
    assert find(TEXT, quote) == NotFound("", -1)


# --- closest_passage ----------------------------------------------------------------------------------------


def test_closest_passage_stays_within_one_paragraph() -> None:
    text = "First paragraph ends here.\n\nSecond one begins here and goes on."
    closest, start = closest_passage(text, "ends here. Second one begins")
    assert "\n\n" not in closest
    assert text[start : start + len(closest)] == closest


def test_closest_passage_prefers_the_nearest_words() -> None:
    text = "Russian jets flew more than 60 sorties.\n\nOfficials said 20 targets were hit."
    assert closest_passage(text, "more than 70 sorties") == ("more than 60 sorties.", 18)
    assert closest_passage(text, "Oficials sayd") == ("Officials said", 41)


def test_closest_passage_is_empty_when_nothing_is_close() -> None:
    assert closest_passage("Russian jets flew sorties.", "xyzzy plugh qwerty") == ("", -1)
    assert closest_passage("", "anything") == ("", -1)


def test_closest_passage_handles_lines_inside_a_paragraph() -> None:
    text = "Jets flew over 60\nsorties, the ministry said."
    closest, start = closest_passage(text, "over 70 sorties")
    assert closest == "over 60\nsorties,"
    assert start == 10


# --- property: random texts, random spans ---------------------------------------------------------------------

WORDS = ["the", "strikes", "hit", "Idlib", "60", "sorties", "a", "an", "Putin’s", "“said”", "—", "x-y", "it's"]
GAPS = [" ", " ", " ", "  ", "\n", "\t", " \n ", "\n\n", "\u00a0"]
ASCII = str.maketrans({"’": "'", "“": '"', "”": '"', "—": "-"})


def random_text(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(1, 40))]
    parts = [words[0]]
    for word in words[1:]:
        parts.append(rng.choice(GAPS))
        parts.append(word)
    return "".join(parts)


def occurrences(haystack: str, needle: str) -> list[int]:
    return [i for i in range(len(haystack) - len(needle) + 1) if haystack.startswith(needle, i)]


def reshape_quote(rng: random.Random, quote: str) -> str:
    """The same quote as an editor might type it: ASCII marks, any white space, padded."""
    if rng.random() < 0.5:
        quote = quote.translate(ASCII)
    if rng.random() < 0.5:
        quote = " ".join(quote.split())
    return rng.choice(["", " ", "\n"]) + quote + rng.choice(["", " ", "\t"])


@pytest.mark.parametrize("seed", range(8))
def test_random_unique_spans_are_found_exactly(seed: int) -> None:
    rng = random.Random(seed)
    checked = 0
    for _ in range(150):
        text = random_text(rng)
        normal = normalise(text)
        i, j = sorted(rng.sample(range(len(text) + 1), 2))
        span = text[i:j]
        if not span.strip():
            continue
        start = i + (len(span) - len(span.lstrip()))
        end = j - (len(span) - len(span.rstrip()))
        quote = text[start:end]
        starts = occurrences(normal.text, normal_form(quote))
        assert starts, "the span itself must occur"
        typed = reshape_quote(rng, quote)
        result = anchor(text, normal, typed)
        if len(starts) == 1:
            assert result == Found(start, end)
            checked += 1
        else:
            assert isinstance(result, Ambiguous)
            assert start in result.starts
            assert list(result.starts) == sorted(result.starts)
            which = result.starts.index(start) + 1
            assert anchor(text, normal, typed, occurrence=which) == Found(start, end)
            assert anchor(text, normal, typed, occurrence=len(starts) + 1) == OutOfRange(len(starts))
    assert checked > 20


@pytest.mark.parametrize("seed", range(4))
def test_random_prefix_and_suffix_pick_the_span(seed: int) -> None:
    rng = random.Random(1000 + seed)
    for _ in range(100):
        text = random_text(rng)
        normal = normalise(text)
        words = [(m_start, m_start + len(w)) for m_start, w in _words(text)]
        if len(words) < 3:
            continue
        k = rng.randrange(1, len(words) - 1)
        start, end = words[k]
        quote = text[start:end]
        prefix = text[words[k - 1][0] : words[k - 1][1]]
        suffix = text[words[k + 1][0] : words[k + 1][1]]
        result = anchor(text, normal, quote, prefix, suffix)
        assert isinstance(result, (Found, Ambiguous))
        if isinstance(result, Found):
            assert result == Found(start, end)
        else:
            assert start in result.starts


def _words(text: str) -> list[tuple[int, str]]:
    found = []
    position = 0
    for word in text.split():
        position = text.index(word, position)
        found.append((position, word))
        position += len(word)
    return found


def test_anchoring_a_long_text_is_quick() -> None:
    rng = random.Random(7)
    text = " ".join(rng.choice(WORDS) for _ in range(20000)) + " the unique ending"
    normal = normalise(text)
    assert anchor(text, normal, "the unique ending") == Found(len(text) - 17, len(text))


@pytest.mark.parametrize(
    ("text", "quote", "span"),
    [
        ("The caf\u00e9 was hit.", "cafe\u0301 was", (4, 12)),  # typed decomposed, printed composed
        ("The cafe\u0301 was hit.", "caf\u00e9 was", (4, 13)),  # typed composed, printed decomposed
        ("Hit cafe\u0301", "cafe\u0301", (4, 9)),  # the combining mark at the very end belongs to the quote
        ("\u0627\u0644\u0631\u0642\u0629 \U0001f4a5 Raqqa", "\U0001f4a5 Raqqa", (6, 13)),  # right-to-left and emoji
    ],
)
def test_canonically_equivalent_unicode_matches_and_keeps_the_printed_span(text: str, quote: str, span) -> None:
    found = anchor(text, normalise(text), quote)
    assert found == Found(*span)
    assert normal_form(text[span[0] : span[1]]) == normal_form(quote)
