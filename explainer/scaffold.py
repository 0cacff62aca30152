"""Scaffold: a new content folder holding a small example of every kind of file, ready to check and build."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

SCHEMAS = Path(__file__).resolve().parent / "schemas"


class ScaffoldRefusedError(Exception):
    """The folder cannot be filled without touching what is already there."""


SITE = """\
# The explainer as a whole (docs/content-format.md). Only title is required.
title: An example explainer
description: >-
  An example made by python build.py init. Replace the example article, note and topic with your
  own sources, context notes and annotations.
language: en
# The address the site will be published at; pages link to each other relatively either way.
# base_url: https://user.github.io/repo/
"""

ARTICLE = """\
---
# A source article: YAML front matter, then the source's text, verbatim.
# This one is an example written for the scaffold, not a real source: replace it.
title: An example source article
# Set title_basis when the title is not the source's own headline.
title_basis: Not a real source; written as an example of the format.
# outlet, author, original_outlet and url: only as the source itself establishes them.
published: 2024-01-15
date_basis: An example date.
# What the captured page carried that is not article text, so nothing is dropped silently.
omitted:
  - An example of a caption left out of the text
---
This is an example article, not a real source. Replace it with the text of a real report, copied
exactly as published: paragraphs are separated by blank lines, and nothing else is markup.

## An example subheading

A paragraph that starts with two hash signs and a space is a subheading. An annotation points at a
passage of this text by quoting its words, and the topic file in annotations/ quotes some of them.

Words can occur more than once: here is an example passage, and here is another example passage.
A prefix or a suffix picks one of them; python build.py quote finds the fewest words that do, and
python build.py check names the paragraph of every match. Each paragraph can name the subjects of
context notes, such as verbatim text, and the page links the first mention to the note.
"""

NOTE = """\
---
# A context note: a person, place, organisation, event, weapon system, concept or outlet.
title: Verbatim text
kind: concept
# Other names the sources use for it; every mention of the title or an alias links to the note.
aliases: [verbatim text]
summary: An example note. Source articles are kept word for word, as they were published.
---
This is an example context note: replace it with notes on the people, places, organisations and
events your sources name. The body is **Markdown**; a note links to another note by putting its
file name (without `.md`) in double square brackets.
"""

TOPIC = """\
# A topic: a titled group of annotations (docs/content-format.md).
title: An example topic
summary: An example topic. Its annotations point at passages of the example article.
annotations:
  # Each annotation has an id (unique across the explainer), a relation, an optional comment and
  # notes, and the passages it points at. The relations same-event, same-statement, corroborates,
  # contradicts and differs link passages of two or more sources; context and correction can
  # point at one passage.
  - id: copied-exactly
    relation: context
    comment: Source articles are kept **verbatim**, so each passage reads as it was published.
    notes: [verbatim-text]
    passages:
      - article: example-article
        quote: copied exactly as published
  # "example passage" occurs twice in the article: the prefix picks the second.
  - id: another-example-passage
    relation: context
    comment: An example of a quote that needs a prefix.
    passages:
      - article: example-article
        quote: example passage
        prefix: another
"""


def schema_reference(annotations: Path, schema: Path) -> str:
    """The topic schema as a topic file in `annotations` can name it: a relative path, or else a file URI."""
    try:
        return Path(os.path.relpath(schema, annotations.resolve())).as_posix()
    except ValueError:  # no relative path between them (another drive on Windows)
        return schema.resolve().as_uri()


def scaffold_files(folder: Path, schemas: Path = SCHEMAS) -> dict[str, str]:
    """The files of a new explainer in `folder`, by path relative to it."""
    schema = schema_reference(folder / "annotations", schemas / "topic.schema.json")
    return {
        "site.yml": SITE,
        "articles/example-article.md": ARTICLE,
        "notes/verbatim-text.md": NOTE,
        "annotations/example-topic.yml": f"# yaml-language-server: $schema={schema}\n{TOPIC}",
    }


def create(folder: Path, schemas: Path = SCHEMAS) -> tuple[str, ...]:
    """Create a new explainer in `folder` (absent or empty); return the files written, relative to it.

    Refuses, touching nothing, when `folder` is a file or holds anything. Files are created
    exclusively, so nothing that appears meanwhile is overwritten; on failure, what this call
    created is removed again.
    """
    if folder.exists() or folder.is_symlink():
        if not folder.is_dir():
            raise ScaffoldRefusedError(f"refusing to create an explainer in {folder}: it is a file, not a folder")
        held = sorted(entry.name for entry in folder.iterdir())
        if held:
            shown = ", ".join(held[:3]) + (", ..." if len(held) > 3 else "")
            raise ScaffoldRefusedError(
                f"refusing to create an explainer in {folder}: the folder is not empty (it holds {shown})"
            )
    files = scaffold_files(folder, schemas)
    created: list[Path] = []
    try:
        for missing in reversed([folder, *folder.parents]):
            if not missing.exists():
                missing.mkdir()
                created.append(missing)
        for relative, text in files.items():
            path = folder / relative
            if not path.parent.exists():
                path.parent.mkdir()
                created.append(path.parent)
            with path.open("x", encoding="utf-8", newline="\n") as file:
                created.append(path)
                file.write(text)
    except OSError:
        for path in reversed(created):
            with contextlib.suppress(OSError):  # a folder something else wrote into meanwhile stays
                if path.is_dir():
                    path.rmdir()
                else:
                    path.unlink()
        raise
    return tuple(files)
