"""The scaffold (`python build.py init DIR`): a new explainer that checks and builds at once, never over anything."""

from __future__ import annotations

import csv
import io
import json
import os
import textwrap
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator

from explainer import scaffold
from explainer.cli import main

from .conftest import ROOT, TEMPLATES

FILES = ("site.yml", "articles/example-article.md", "notes/verbatim-text.md", "annotations/example-topic.yml")


def run(*args: str) -> tuple[int, str, str]:
    """Run the CLI in-process; return (exit status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    try:
        code = main(list(args), templates=TEMPLATES, stdout=out, stderr=err)
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    return code, out.getvalue(), err.getvalue()


def snapshot(folder: Path) -> dict[str, bytes | None]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() if p.is_file() else None for p in sorted(folder.rglob("*"))
    }


def test_init_creates_an_explainer_that_checks_and_builds_at_once(tmp_path: Path) -> None:
    folder = tmp_path / "my-explainer"
    code, out, err = run("init", str(folder))
    assert (code, err) == (0, "")
    assert out == (
        f"Created a new explainer in {folder}: {', '.join(FILES)}.\n"
        "Check it, then preview it while you replace the examples with your own sources:\n"
        f"  python build.py check --content {folder}\n"
        f"  python build.py serve --content {folder}\n"
    )
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()) == sorted(FILES)
    code, out, err = run("check", "--content", str(folder))
    assert (code, err) == (0, "")
    assert out == f"No problems in {folder}: 1 article, 1 note, 1 topic, 2 annotations, 0 compared pairs.\n"
    site = tmp_path / "site"
    code, out, err = run("build", "--content", str(folder), "--out", str(site))
    assert (code, err) == (0, "")
    page = (site / "articles" / "example-article.html").read_text(encoding="utf-8")
    assert 'id="p-copied-exactly-1"' in page and 'id="p-another-example-passage-1"' in page
    assert "notes/verbatim-text.html" in page  # the note's mention in the text is linked
    assert (site / "topics" / "example-topic.html").is_file()
    assert (site / "notes" / "verbatim-text.html").is_file()
    # The exports and the schemas come with it: a CSV row per passage, each quote as the article has it.
    model = json.loads((site / "data" / "explainer.json").read_text(encoding="utf-8"))
    text = model["articles"][0]["text"]
    rows = list(csv.DictReader(io.StringIO((site / "data" / "annotations.csv").read_text(encoding="utf-8-sig"))))
    assert len(rows) == sum(len(a["passages"]) for a in model["annotations"]) == 2
    assert all(row["quote"] == text[int(row["start"]) : int(row["end"])] for row in rows)
    assert sorted(p.name for p in (site / "schemas").iterdir()) == [
        "article.schema.json",
        "note.schema.json",
        "site.schema.json",
        "topic.schema.json",
    ]


def test_the_commands_it_prints_work_from_where_it_was_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The README's three commands, with a relative folder, from the folder init ran in."""
    monkeypatch.chdir(tmp_path)
    code, out, _ = run("init", "my explainer")
    assert code == 0
    assert "  python build.py check --content 'my explainer'\n" in out
    assert run("check", "--content", "my explainer")[0] == 0


def test_the_example_is_honest_and_says_it_is_one(tmp_path: Path) -> None:
    folder = tmp_path / "new"
    scaffold.create(folder)
    article = (folder / "articles" / "example-article.md").read_text(encoding="utf-8")
    front = yaml.safe_load(article.split("---\n")[1])
    assert "example" in front["title"].lower() and "not a real source" in front["title_basis"].lower()
    assert not {"outlet", "author", "original_outlet", "url"} & front.keys()  # no real outlet or author named
    assert "This is an example article, not a real source." in article


def test_the_passages_of_the_example_are_what_quote_prints(tmp_path: Path) -> None:
    """The example's prefix is the one `quote` finds, so the example teaches what the tool does."""
    folder = tmp_path / "new"
    scaffold.create(folder)
    code, out, _ = run("quote", "--content", str(folder), "example-article", "example passage")
    assert code == 0
    topic = yaml.safe_load((folder / "annotations" / "example-topic.yml").read_text(encoding="utf-8"))
    (second,) = topic["annotations"][1]["passages"]
    assert yaml.safe_load(textwrap.dedent(out))[1] == second
    code, out, _ = run("quote", "--content", str(folder), "example-article", "copied exactly as published")
    assert yaml.safe_load(textwrap.dedent(out)) == topic["annotations"][0]["passages"]


def test_the_topic_names_the_engines_schema(tmp_path: Path) -> None:
    folder = tmp_path / "deep" / "new"
    scaffold.create(folder)
    first = (folder / "annotations" / "example-topic.yml").read_text(encoding="utf-8").splitlines()[0]
    prefix = "# yaml-language-server: $schema="
    assert first.startswith(prefix)
    reference = first.removeprefix(prefix)
    assert not Path(reference).is_absolute()
    target = ROOT / "explainer" / "schemas" / "topic.schema.json"
    assert os.path.normpath(folder / "annotations" / reference) == str(target)
    # The schema it names accepts the example topic, as an editor's YAML tooling would check it.
    schema = json.loads((folder / "annotations" / reference).read_text(encoding="utf-8"))
    topic = yaml.safe_load((folder / "annotations" / "example-topic.yml").read_text(encoding="utf-8"))
    Draft202012Validator(schema).validate(topic)


def test_the_schema_is_a_file_uri_when_no_relative_path_exists(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_relative_path(path: str, start: str) -> str:
        raise ValueError("path is on mount 'D:', start on mount 'C:'")

    monkeypatch.setattr(os.path, "relpath", no_relative_path)
    schema = Path("/engine/explainer/schemas/topic.schema.json")
    assert scaffold.schema_reference(Path("/elsewhere/annotations"), schema) == schema.as_uri()


def test_init_fills_an_empty_folder(tmp_path: Path) -> None:
    folder = tmp_path / "empty"
    folder.mkdir()
    assert run("init", str(folder))[0] == 0
    assert run("check", "--content", str(folder))[0] == 0


def test_init_makes_missing_parent_folders(tmp_path: Path) -> None:
    folder = tmp_path / "a" / "b" / "c"
    assert run("init", str(folder))[0] == 0
    assert (folder / "site.yml").is_file()


@pytest.mark.parametrize(
    ("files", "message"),
    [
        (
            {"notes.txt": b"mine"},
            "python build.py init: refusing to create an explainer in {folder}: the folder is not empty "
            "(it holds notes.txt)",
        ),
        (
            {".git/HEAD": b"ref", "a": b"", "b": b"", "site.yml": b"title: Mine\n"},
            "python build.py init: refusing to create an explainer in {folder}: the folder is not empty "
            "(it holds .git, a, b, ...)",
        ),
    ],
)
def test_init_never_touches_a_folder_that_holds_anything(tmp_path: Path, files: dict[str, bytes], message: str) -> None:
    folder = tmp_path / "taken"
    for relative, body in files.items():
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        (folder / relative).write_bytes(body)
    before = snapshot(folder)
    code, out, err = run("init", str(folder))
    assert (code, out) == (1, "")
    assert err == message.format(folder=folder) + "\n"
    assert snapshot(folder) == before


def test_init_refuses_a_file(tmp_path: Path) -> None:
    path = tmp_path / "explainer.txt"
    path.write_bytes(b"mine")
    code, _, err = run("init", str(path))
    assert code == 1
    assert err == f"python build.py init: refusing to create an explainer in {path}: it is a file, not a folder\n"
    assert path.read_bytes() == b"mine"


def test_a_failure_part_way_removes_only_what_init_created(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "parent" / "new"
    (tmp_path / "parent").mkdir()
    (tmp_path / "parent" / "keep.txt").write_bytes(b"mine")
    real_open = Path.open

    def failing_open(self: Path, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        if self.name == "verbatim-text.md":
            raise PermissionError(13, "Permission denied")
        return real_open(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "open", failing_open)
    code, out, err = run("init", str(folder))
    assert (code, out) == (1, "")
    assert err == f"python build.py init: cannot create {folder}: Permission denied\n"
    assert snapshot(tmp_path / "parent") == {"keep.txt": b"mine"}


def test_init_needs_a_folder() -> None:
    code, _, err = run("init")
    assert code == 2
    assert "the following arguments are required: DIR" in err
