"""A synthetic content tree that follows the content contract and looks like real use, for benchmarks.

    python -m benchmarks.generate N [--out DIR] [--seed S]

N articles of about 800 words, grouped into stories of about ten. Each story has facts that
several of its articles report, in the same words (a shared passage) or with a different figure;
about one fact in twenty is also reported by an article of the next story. Every fact an article
reports is a passage of an annotation linking it to the other articles reporting it, so an article
has about twenty passages, with one or two single-passage annotations besides (some overlapping
another passage). Notes name the people, places, groups and events of each story (and a few that
recur everywhere), with aliases that occur in the text; topics hold about fifty annotations each.

The same N and seed always give the same files. `generate` returns them in memory (relative path
to text); `write_tree` writes them.
"""

from __future__ import annotations

import argparse
import datetime
import itertools
import math
import random
import re
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

STORY_SIZE = 10
WORDS_PER_ARTICLE = 800
FACTS_PER_ARTICLE = 18  # linked passages per article, on average
TOPIC_SIZE = 50
GLOBAL_ENTITIES = 20

OUTLETS = (
    "The Morning Ledger", "Capital Wire", "Northern Herald", "The Daily Courier", "Frontline Press",
    "Harbour Times", "The Evening Standard-Post", "Valley Gazette", "World Desk", "The Observer Review",
    "Coastal Tribune", "Union Dispatch",
)  # fmt: skip
PLURALS = (
    "people", "civilians", "fighters", "soldiers", "rockets", "shells", "families", "villages", "convoys",
    "checkpoints", "trucks", "aircraft", "drones", "hospitals", "schools", "bridges", "officials", "refugees",
    "volunteers", "vehicles", "buildings", "tents", "clinics", "wells", "markets", "farms", "positions",
    "patrols", "sorties", "strikes",
)  # fmt: skip
PARTICIPLES = (
    "killed", "wounded", "displaced", "destroyed", "damaged", "evacuated", "detained", "released", "counted",
    "sighted", "recovered", "moved", "seized", "rebuilt", "abandoned", "struck", "closed", "reopened", "flown",
    "resupplied",
)  # fmt: skip
REPORTING = (
    "said", "told reporters", "announced", "claimed", "confirmed", "estimated", "insisted", "acknowledged",
    "wrote", "reported",
)  # fmt: skip
PLACES = ("near", "around", "outside", "north of", "south of", "east of", "west of", "inside", "beyond")
TIMES = (
    "on Monday", "on Tuesday", "on Wednesday", "on Thursday", "on Friday", "on Saturday", "on Sunday",
    "overnight", "earlier this week", "since the start of the month", "within hours", "late on Friday",
    "during the night", "before dawn",
)  # fmt: skip
WORDS = (
    "the", "a", "of", "and", "in", "to", "with", "for", "on", "by", "after", "before", "while", "as",
    "government", "ministry", "army", "rebels", "talks", "border", "city", "province", "road", "river",
    "valley", "agency", "report", "statement", "witnesses", "residents", "analysts", "diplomats",
    "observers", "spokesman", "commander", "envoy", "council", "coalition", "offensive", "ceasefire",
    "withdrawal", "negotiations", "supplies", "aid", "water", "fuel", "food", "medicine", "winter",
    "summer", "morning", "evening", "week", "month", "year", "capital", "region", "front", "line",
    "pressure", "support", "warning", "promise", "delay", "plan", "deal", "vote", "crisis", "campaign",
    "heavy", "light", "new", "old", "local", "foreign", "regional", "fragile", "sudden", "renewed",
    "limited", "wider", "uncertain", "official", "independent", "early", "late", "quiet", "tense",
    "said", "added", "denied", "warned", "urged", "agreed", "rejected", "described", "called", "expected",
    "remained", "appeared", "continued", "began", "ended", "returned", "crossed", "reached", "left",
    "held", "met", "sent", "asked", "gave", "took", "kept", "found", "showed", "brought", "allowed",
    "again", "still", "only", "also", "never", "already", "perhaps", "largely", "briefly", "openly",
)  # fmt: skip
HEADINGS = (
    "What happened", "The response", "Counting the cost", "Behind the lines", "Diplomacy", "On the ground",
    "What comes next", "Conflicting accounts", "Aid and access", "A fragile calm",
)  # fmt: skip
ORGANISATION_WORDS = ("Brigade", "Council", "Front", "Movement", "Relief Committee", "Guard", "Alliance")
TITLES = ("General", "Minister", "Colonel", "Governor", "Commander", "Envoy")
SYLLABLES = (
    "ka", "ri", "mo", "ta", "len", "dor", "vi", "sa", "mir", "ol", "an", "bek", "zu", "ha", "rin", "tov",
    "el", "ma", "dun", "ar", "ys", "ko", "ne", "pa", "lu", "gar", "sel", "vo",
)  # fmt: skip


@dataclass(frozen=True)
class Entity:
    """A person, place, group or event: a note, and the names the articles use for it."""

    slug: str
    title: str
    kind: str
    aliases: tuple[str, ...]
    date: str  # events only


@dataclass(frozen=True)
class Fact:
    """Something a story's articles report: a sentence with a figure, and which articles report it."""

    key: str
    words: tuple[str, ...]  # the sentence, with '{n}' where the figure goes
    figures: Mapping[str, int]  # article slug -> the figure that article gives
    quote: tuple[int, int]  # the quoted words, [start, end) into `words`
    entity: Entity


@dataclass(frozen=True)
class Article:
    """A generated article before it is written out: metadata, paragraphs and where its facts are."""

    slug: str
    story: int
    title: str
    outlet: str
    published: str
    paragraphs: tuple[str, ...]  # '## ' starts a subheading


def generate(n: int, seed: int = 0) -> dict[str, str]:
    """A content tree of `n` articles, as relative path -> file text; the same arguments give the same tree."""
    if n < 2:
        raise ValueError("a corpus needs at least 2 articles")
    rng = random.Random(f"explainer-corpus-{n}-{seed}")
    names: set[str] = set()
    global_entities = [_entity(rng, names, kind) for kind in _kinds(rng, GLOBAL_ENTITIES)]
    stories = math.ceil(n / STORY_SIZE)
    slugs: list[list[str]] = [[] for _ in range(stories)]
    plans: list[tuple[str, int, str, str]] = []  # slug, story, outlet, published
    start = datetime.date(2015, 1, 5)
    for story in range(stories):
        size = min(STORY_SIZE, n - story * STORY_SIZE)
        outlets = rng.sample(OUTLETS, size)
        for index, outlet in enumerate(outlets):
            slug = f"{_slugify(outlet.removeprefix('The '))}-{story + 1:04d}-{index + 1:02d}"
            day = start + datetime.timedelta(days=story * 3 + rng.randint(0, 6))
            published = "" if rng.random() < 0.04 else day.isoformat()
            plans.append((slug, story, outlet, published))
            slugs[story].append(slug)

    story_entities = [[_entity(rng, names, kind) for kind in ("person", "place", "organization")] for _ in slugs]
    for story, entities in enumerate(story_entities):
        place = entities[1].title
        event = Entity(
            _slugify(f"{place} offensive {story + 1}"),
            f"{place} offensive",
            "event",
            (f"offensive on {place}",),
            (start + datetime.timedelta(days=story * 3)).isoformat(),
        )
        entities.append(event)

    facts: list[list[Fact]] = [[] for _ in slugs]
    for story, members in enumerate(slugs):
        count = round(FACTS_PER_ARTICLE * len(members) / 2.7)
        for number in range(count):
            reporters = rng.sample(members, min(len(members), rng.choice((2, 2, 2, 3, 3, 4))))
            if story + 1 < len(slugs) and rng.random() < 0.05:
                reporters.append(rng.choice(slugs[story + 1]))
            entity = rng.choice(story_entities[story] + global_entities[:4])
            facts[story].append(_fact(rng, f"s{story + 1}-f{number + 1}", entity, story_entities[story], reporters))

    reported: dict[str, list[Fact]] = {slug: [] for slug, *_ in plans}
    for story_facts in facts:
        for fact in story_facts:
            for slug in fact.figures:
                reported[slug].append(fact)
    articles = {}
    for slug, story, outlet, published in plans:
        entities = story_entities[story] + global_entities
        articles[slug] = _article(rng, slug, story, outlet, published, reported[slug], entities)

    files: dict[str, str] = {
        "site.yml": _yaml_lines(
            {
                "title": f"Synthetic explainer ({n} articles)",
                "description": "A generated corpus for benchmarks: stories reported by several outlets.",
                "language": "en",
            }
        ),
    }
    for article in articles.values():
        files[f"articles/{article.slug}.md"] = _article_file(rng, article)
    every_entity = [e for group in story_entities for e in group] + global_entities
    for entity in every_entity:
        related = [e for e in every_entity if e is not entity]
        files[f"notes/{entity.slug}.md"] = _note_file(rng, entity, rng.sample(related, 3))
    for story, story_facts in enumerate(facts):
        annotations = [_link_annotation(rng, fact, articles) for fact in story_facts]
        for slug in slugs[story]:
            annotations.extend(_single_annotations(rng, articles[slug], reported[slug]))
        rng.shuffle(annotations)
        chunks = max(1, round(len(annotations) / TOPIC_SIZE))
        place = story_entities[story][1]
        for chunk in range(chunks):
            topic = f"{_slugify(place.title)}-{story + 1:04d}-{chunk + 1}"
            title = f"{place.title} ({story + 1}): {HEADINGS[chunk % len(HEADINGS)].lower()}"
            summary = f"What the sources say about events around [[{place.slug}]], part {chunk + 1}."
            part = annotations[chunk::chunks]
            files[f"annotations/{topic}.yml"] = _topic_file(title, summary, part)
    return files


def write_tree(files: Mapping[str, str], out: Path) -> None:
    """Write the files under `out` (created; it must not hold anything yet)."""
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f"{out} is not empty; choose a new folder with --out")
    for relative, text in sorted(files.items()):
        path = out / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: generate a corpus of N articles into a folder."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.generate", description=__doc__.split("\n\n")[0])
    parser.add_argument("n", type=int, metavar="N", help="how many articles")
    parser.add_argument("--out", metavar="DIR", help="where to write it (default: a folder in the temp folder)")
    parser.add_argument("--seed", type=int, default=0, help="another seed gives another corpus (default: 0)")
    args = parser.parse_args(argv)
    out = Path(args.out) if args.out else Path(tempfile.gettempdir()) / f"explainer-corpus-{args.n}-{args.seed}"
    try:
        files = generate(args.n, args.seed)
        write_tree(files, out)
    except (ValueError, FileExistsError) as error:
        print(f"python -m benchmarks.generate: {error}", file=sys.stderr)
        return 1
    counts = {section: sum(path.startswith(section) for path in files) for section in ("articles", "notes", "annot")}
    print(f"Wrote {out}: {counts['articles']} articles, {counts['notes']} notes, {counts['annot']} topics.")
    return 0


def _kinds(rng: random.Random, count: int) -> list[str]:
    return [rng.choice(("person", "organization", "place")) for _ in range(count)]


def _name(rng: random.Random, names: set[str], syllables: int) -> str:
    """A name not used yet; a syllable longer after every 50 tries, since large corpora use up the short ones."""
    for tries in itertools.count():
        name = "".join(rng.choice(SYLLABLES) for _ in range(syllables + tries // 50)).capitalize()
        if name not in names:
            names.add(name)
            return name


def _entity(rng: random.Random, names: set[str], kind: str) -> Entity:
    """A new person, place or organisation with a unique name and an alias or two."""
    if kind == "person":
        first, last = _name(rng, names, 2), _name(rng, names, rng.choice((2, 3)))
        title = f"{first} {last}"
        aliases: tuple[str, ...] = (f"{rng.choice(TITLES)} {last}",)
    elif kind == "place":
        base = _name(rng, names, rng.choice((2, 3)))
        title = f"{base} {rng.choice(('Valley', 'Province', 'Heights', 'District'))}"
        aliases = (f"{base} region",)
    else:
        words = f"{_name(rng, names, 2)} {rng.choice(ORGANISATION_WORDS)}"
        title = words
        aliases = (f"the {words.split()[0]} group",)
    return Entity(_slugify(title), title, kind, aliases, "")


def _fact(rng: random.Random, key: str, entity: Entity, locals_: list[Entity], reporters: list[str]) -> Fact:
    """A sentence with a figure; some reporters give another figure than the rest."""
    place = locals_[1]
    name = rng.choice((entity.title, *entity.aliases))
    words = [
        *name.split(),
        *rng.choice(REPORTING).split(),
        "that",
        *rng.choice(("at least", "more than", "about", "nearly", "over")).split(),
        "{n}",
        rng.choice(PLURALS),
        "had",
        "been",
        rng.choice(PARTICIPLES),
        *rng.choice(PLACES).split(),
        *rng.choice((place.title, *place.aliases)).split(),
        *rng.choice(TIMES).split(),
    ]
    figure = rng.randint(3, 400)
    differs = rng.random() < 0.25
    figures = {slug: figure + (rng.randint(1, 40) if differs and i > 0 else 0) for i, slug in enumerate(reporters)}
    at = words.index("{n}")
    first = max(0, at - rng.randint(0, 2))
    last = min(len(words), at + rng.randint(4, 7))
    return Fact(key, tuple(words), figures, (first, last), entity)


def _sentence(rng: random.Random, entities: list[Entity]) -> str:
    """A filler sentence; one in three names an entity."""
    words = [rng.choice(WORDS) for _ in range(rng.randint(8, 18))]
    if rng.random() < 0.33:
        entity = rng.choice(entities)
        words.insert(rng.randint(1, len(words)), rng.choice((entity.title, *entity.aliases)))
    words[0] = words[0].capitalize()
    return " ".join(words) + "."


def _fact_text(fact: Fact, slug: str) -> str:
    text = " ".join(fact.words).replace("{n}", str(fact.figures[slug]))
    return text[0].upper() + text[1:] + "."


def _article(
    rng: random.Random,
    slug: str,
    story: int,
    outlet: str,
    published: str,
    facts: list[Fact],
    entities: list[Entity],
) -> Article:
    """About 800 words in paragraphs of about 65, with two subheadings and every reported fact once."""
    sentences = [_fact_text(fact, slug) for fact in facts]
    words = sum(len(s.split()) for s in sentences)
    while words < WORDS_PER_ARTICLE:
        sentence = _sentence(rng, entities)
        sentences.append(sentence)
        words += len(sentence.split())
    rng.shuffle(sentences)
    paragraphs: list[str] = []
    current: list[str] = []
    for sentence in sentences:
        current.append(sentence)
        if sum(len(s.split()) for s in current) >= 65:
            paragraphs.append(" ".join(current))
            current = []
    if current:
        paragraphs.append(" ".join(current))
    for at in (len(paragraphs) // 3, 2 * len(paragraphs) // 3):
        paragraphs.insert(at, "## " + rng.choice(HEADINGS))
    title_entity = entities[rng.randrange(4)]
    title = f"{rng.choice(('Fighting near', 'Talks over', 'Claims about', 'Aid reaches', 'Questions over'))} "
    title += f"{title_entity.title} {rng.choice(('continue', 'grow', 'stall', 'deepen', 'resume'))}"
    return Article(slug, story, title, outlet, published, tuple(paragraphs))


def _text(article: Article) -> str:
    """The article's text as the content contract defines it."""
    return "\n\n".join(p.removeprefix("## ") for p in article.paragraphs)


def _occurrences(text: str, quote: str) -> list[int]:
    """Where a quote matches, overlapping matches included; as in matching, white space runs are one space."""
    pattern = r"\s+".join(map(re.escape, quote.split(" ")))
    return [match.start() for match in re.finditer(f"(?={pattern})", text)]


def _passage(article: Article, quote: str, at: int | None = None) -> dict[str, object]:
    """A passage quoting `quote` in the article; 'occurrence' picks it when the words recur."""
    passage: dict[str, object] = {"article": article.slug, "quote": quote}
    starts = _occurrences(_text(article), quote)
    if not starts:
        raise AssertionError(f"generator bug: {quote!r} is not in {article.slug}")
    if len(starts) > 1:
        passage["occurrence"] = starts.index(at) + 1 if at is not None and at in starts else 1
    return passage


def _fact_quote(fact: Fact, slug: str) -> str:
    first, last = fact.quote
    words = list(fact.words[first:last])
    return " ".join(words).replace("{n}", str(fact.figures[slug]))


def _fact_passage(fact: Fact, article: Article) -> dict[str, object]:
    """The passage quoting a fact in one article, located by its sentence (its words may recur elsewhere)."""
    text = _text(article)
    sentence = _fact_text(fact, article.slug)
    quote = _fact_quote(fact, article.slug)
    return _passage(article, quote, text.index(sentence) + sentence.lower().index(quote.lower()))


def _link_annotation(rng: random.Random, fact: Fact, articles: Mapping[str, Article]) -> dict[str, object]:
    figures = set(fact.figures.values())
    if len(figures) > 1:
        relation = rng.choice(("differs", "differs", "contradicts"))
        comment = f"The figures differ: {', '.join(map(str, sorted(figures)))}. Neither source says how it counted."
    else:
        relation = rng.choice(("corroborates", "same-event", "same-statement"))
        comment = f"The sources agree on **{figures.pop()}**, and both attribute it to [[{fact.entity.slug}]]."
    annotation: dict[str, object] = {"id": fact.key, "relation": relation, "comment": comment}
    if rng.random() < 0.6:
        annotation["notes"] = [fact.entity.slug]
    annotation["passages"] = [_fact_passage(fact, articles[slug]) for slug in fact.figures]
    return annotation


def _single_annotations(rng: random.Random, article: Article, facts: list[Fact]) -> list[dict[str, object]]:
    """One or two context or correction notes on an article; some overlap one of its fact passages."""
    text = _text(article)
    result = []
    for number in range(rng.choice((1, 2, 2))):
        overlap = facts and rng.random() < 0.35
        if overlap:
            fact = rng.choice(facts)
            sentence = _fact_text(fact, article.slug)
            quote = _fact_quote(fact, article.slug)
            at = text.index(sentence) + sentence.lower().index(quote.lower())
            # From a few words before the fact's passage (never before its paragraph) to its middle.
            paragraph_start = text.rfind("\n\n", 0, at) + 2 if "\n\n" in text[:at] else 0
            start = max(paragraph_start, text.rfind(" ", 0, max(0, at - 12)) + 1)
            end = text.find(" ", at + len(quote) // 2)
        else:
            paragraph = rng.choice([p for p in article.paragraphs if not p.startswith("## ")])
            words = paragraph.split(" ")
            first = rng.randrange(max(1, len(words) - 8))
            quote = " ".join(words[first : first + rng.randint(5, 8)])
            start = text.index(paragraph) + len(" ".join(words[:first])) + (1 if first else 0)
            end = start + len(quote)
        quote = text[start:end]
        relation = rng.choice(("context", "context", "correction"))
        comment = (
            "Background the reader needs: this is the outlet's own wording."
            if relation == "context"
            else ("The record says otherwise; see the *other* reports.")
        )
        result.append(
            {
                "id": f"{article.slug}-note-{number + 1}",
                "relation": relation,
                "comment": comment,
                "passages": [_passage(article, quote, start)],
            }
        )
    return result


def _slugify(text: str) -> str:
    cleaned = "".join(c if c.isalnum() else " " for c in text.lower())
    return "-".join(cleaned.split())


def _quoted(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _yaml_lines(values: Mapping[str, object], indent: str = "") -> str:
    """Flat YAML: strings single-quoted as editors write them, lists of strings in brackets."""
    lines = []
    for key, value in values.items():
        if isinstance(value, list):
            lines.append(f"{indent}{key}: [{', '.join(_quoted(str(v)) for v in value)}]")
        elif isinstance(value, int):
            lines.append(f"{indent}{key}: {value}")
        else:
            lines.append(f"{indent}{key}: {_quoted(str(value))}")
    return "\n".join(lines) + "\n"


def _article_file(rng: random.Random, article: Article) -> str:
    front: dict[str, object] = {"title": article.title, "outlet": article.outlet}
    if article.published:
        front["published"] = article.published
    if rng.random() < 0.3:
        front["omitted"] = ["Newsletter signup box", "Photo caption and credit"]
    return "---\n" + _yaml_lines(front) + "---\n" + "\n\n".join(article.paragraphs) + "\n"


def _note_file(rng: random.Random, entity: Entity, related: list[Entity]) -> str:
    front: dict[str, object] = {"title": entity.title, "kind": entity.kind, "aliases": list(entity.aliases)}
    if entity.date:
        front["date"] = entity.date
    article = "An" if entity.kind[0] in "aeiou" else "A"
    front["summary"] = f"{article} {entity.kind} that several of the stories mention."
    body = (
        f"{entity.title} appears in the reports of several outlets. See [[{related[0].slug}]] and "
        f"[[{related[1].slug}|{related[1].title.split()[0]}]].\n\n"
        f"Also related: [[{related[2].slug}]]. {' '.join(rng.choice(WORDS) for _ in range(20)).capitalize()}.\n"
    )
    return "---\n" + _yaml_lines(front) + "---\n" + body


def _topic_file(title: str, summary: str, annotations: list[dict[str, object]]) -> str:
    out = [f"title: {_quoted(title)}", f"summary: {_quoted(summary)}", "annotations:"]
    for annotation in annotations:
        out.append(f"  - id: {annotation['id']}")
        out.append(f"    relation: {annotation['relation']}")
        out.append(f"    comment: {_quoted(str(annotation['comment']))}")
        if "notes" in annotation:
            out.append(f"    notes: [{', '.join(annotation['notes'])}]")  # type: ignore[arg-type]
        out.append("    passages:")
        for passage in annotation["passages"]:  # type: ignore[attr-defined]
            out.append(f"      - article: {passage['article']}")
            out.append(f"        quote: {_quoted(passage['quote'])}")
            if "occurrence" in passage:
                out.append(f"        occurrence: {passage['occurrence']}")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    sys.exit(main())
