"""The command line, end to end: exit codes, messages, and what builds leave on disk."""

from __future__ import annotations

import argparse
import io
import re
import subprocess
import sys
from pathlib import Path

import pytest

from explainer.cli import main, parser

from .conftest import ROOT, TEMPLATES


def run(*args: str) -> tuple[int, str, str]:
    """Run the CLI in-process; return (exit status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    try:
        code = main(list(args), templates=TEMPLATES, stdout=out, stderr=err)
    except SystemExit as exit_:  # argparse exits on bad usage and --help
        code = int(exit_.code or 0)
    return code, out.getvalue(), err.getvalue()


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_check_is_quiet_success_on_clean_content(make_content) -> None:
    folder = make_content()
    code, out, err = run("check", "--content", str(folder))
    assert (code, err) == (0, "")
    assert out == f"No problems in {folder}: 2 articles, 2 notes, 1 topic, 2 annotations, 1 compared pair.\n"


def test_check_reports_every_problem_sorted_then_a_summary(make_content) -> None:
    folder = make_content(
        {
            "annotations/sorties.yml": """\
                title: Counting the sorties
                annotations:
                  - id: sixty-sorties
                    relation: corroborate
                    passages:
                      - article: alpha
                        quote: more than 70 sorties
                """,
            "notes/idlib.md": "---\ntitle: Idlib\n---\nSee [[nowhere]].\n",
        }
    )
    code, out, err = run("check", "--content", str(folder))
    assert code == 1
    assert out == ""
    assert err.splitlines() == [
        f"{folder}/annotations/sorties.yml:4: unknown relation 'corroborate' (did you mean 'corroborates'?); "
        "expected one of: same-event, same-statement, corroborates, contradicts, differs, context, correction",
        f"{folder}/annotations/sorties.yml:7: quote not found in article 'alpha': \"more than 70 sorties\"; "
        'did you mean "more than 60 sorties" (paragraph 1)?',
        f"{folder}/notes/idlib.md:4: unknown note 'nowhere' in link [[nowhere]]",
        "3 errors in 2 files",
    ]


def test_a_build_ends_with_its_files_by_kind_and_prints_no_progress_when_quick(make_content, tmp_path: Path) -> None:
    out = tmp_path / "out"
    code, stdout, stderr = run("--content", str(make_content()), "--out", str(out))
    assert code == 0 and stderr == ""
    written = [str(p.relative_to(out)) for p in out.rglob("*") if p.is_file() and p.name != ".explainer-build"]
    pages = {kind: sum(1 for p in written if p.startswith(kind + "/")) for kind in ("articles", "notes", "topics")}
    match = re.fullmatch(r"Built (.+) in [0-9.]+ s: (\d+) files \((.+)\); no problems in (.+)\.\n", stdout)
    assert match and match[1] == str(out) and int(match[2]) == len(written)
    counted = [item.split(" ", 1) for item in match[3].split(", ")]
    kinds = {kind if count != "1" else kind + "s": count for count, kind in counted}  # "1 topic page"
    assert kinds["article pages"] == str(pages["articles"]) and kinds["note pages"] == str(pages["notes"])
    assert kinds["topic pages"] == str(pages["topics"]) and "search index files" in kinds
    assert sum(int(count) for count in kinds.values()) == len(written)
    assert match[4].startswith("2 articles, ")


def test_build_writes_every_page_kind(make_content, tmp_path: Path) -> None:
    out = tmp_path / "out"
    code, stdout, _ = run("--content", str(make_content()), "--out", str(out))
    assert code == 0
    assert stdout.startswith(f"Built {out} in ")
    assert {
        "index.html",
        "404.html",
        "articles/alpha.html",
        "articles/beta.html",
        "notes/idlib.html",
        "notes/andrei-kartapolov.html",
        "topics/sorties.html",
        "compare/alpha--beta.html",
        "data/annotations.jsonld",
        "data/explainer.json",
        "assets/style.css",
    } <= set(snapshot(out))


def test_two_builds_are_byte_identical(make_content, tmp_path: Path) -> None:
    content = make_content()
    run("--content", str(content), "--out", str(tmp_path / "one"))
    run("--content", str(content), "--out", str(tmp_path / "two"))
    assert snapshot(tmp_path / "one") == snapshot(tmp_path / "two")


def test_a_failed_build_writes_nothing_and_keeps_the_last_good_site(make_content, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run("--content", str(make_content()), "--out", str(out))[0] == 0
    before = snapshot(out)
    broken = make_content({"annotations/sorties.yml": "title: [unclosed\n"}, name="broken")
    code, _, err = run("--content", str(broken), "--out", str(out))
    assert code == 1
    assert err.endswith("1 error in 1 file\n")
    assert snapshot(out) == before


def test_refuses_to_replace_a_folder_of_unrelated_files(make_content, tmp_path: Path) -> None:
    out = tmp_path / "photos"
    out.mkdir()
    (out / "holiday.jpg").write_bytes(b"\xff\xd8")
    code, _, err = run("--content", str(make_content()), "--out", str(out))
    assert code == 1
    assert "refusing to replace" in err and "not made by explainer" in err
    assert snapshot(out) == {"holiday.jpg": b"\xff\xd8"}


def test_base_url_flag_sets_canonical_links(make_content, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run("--content", str(make_content()), "--out", str(out), "--base-url", "https://u.github.io/repo")
    page = (out / "articles" / "alpha.html").read_text()
    assert '<link rel="canonical" href="https://u.github.io/repo/articles/alpha.html">' in page


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["publish"], "invalid choice: 'publish'"),
        (["--colour"], "unrecognized arguments: --colour"),
        (["--base-url", "u.github.io"], "--base-url must start with http:// or https://"),
    ],
)
def test_bad_usage_exits_2(args: list[str], message: str) -> None:
    code, _, err = run(*args)
    assert code == 2
    assert message in err


def test_help_names_every_command_and_option() -> None:
    code, text, _ = run("--help")
    assert code == 0
    for word in ("build", "check", "serve", "--content", "--out", "--base-url"):
        assert word in text


def test_build_py_runs_as_a_script_and_exits_with_its_status_and_all_its_output(make_content, tmp_path: Path) -> None:
    content = make_content()
    out = tmp_path / "site"
    script = [sys.executable, str(ROOT / "build.py")]
    built = subprocess.run([*script, "--content", str(content), "--out", str(out)], capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    assert built.stdout.rstrip().startswith("Built ") and (out / "index.html").is_file()
    checked = subprocess.run([*script, "check", "--content", str(content)], capture_output=True, text=True)
    assert (checked.returncode, checked.stdout) == (0, run("check", "--content", str(content))[1])
    (content / "annotations" / "sorties.yml").write_text("title: [\n")
    failed = subprocess.run([*script, "check", "--content", str(content)], capture_output=True, text=True)
    assert failed.returncode == 1
    assert failed.stderr == run("check", "--content", str(content))[2]
    assert "sorties.yml:2: YAML syntax error" in failed.stderr


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        ([], {"command": None, "content": "content", "out": "site", "base_url": None, "port": 8000, "open": False}),
        (["--out", "X"], {"command": None, "out": "X", "content": "content"}),
        (["check", "--content", "X"], {"command": "check", "content": "X"}),
        (["--content", "X", "check"], {"command": "check", "content": "X"}),
        (["check", "--out", "X"], {"command": "check", "out": "X"}),
        (["serve", "--port", "9", "--open"], {"command": "serve", "port": 9, "open": True, "host": "127.0.0.1"}),
        (["--port", "9", "serve", "--host", "0.0.0.0"], {"command": "serve", "port": 9, "host": "0.0.0.0"}),
        (["report"], {"command": "report", "content": "content", "base_url": None}),
        (["build", "--base-url", "https://u.github.io/r/"], {"command": "build", "base_url": "https://u.github.io/r/"}),
    ],
)
def test_every_earlier_invocation_parses_as_before(argv: list[str], expected: dict[str, object]) -> None:
    """Options before or after the command, and options a command does not use, are accepted as they always were."""
    args = vars(parser().parse_args(argv))
    assert {key: args[key] for key in expected} == expected


# The documentation of the command line: every command the parser has, and each of its options, is in
# `--help`, in docs/cli.md (a section per command) and in the README's table of commands.

DOCS = ROOT / "docs" / "cli.md"
README = ROOT / "README.md"


def commands() -> dict[str, argparse.ArgumentParser]:
    """The commands, as the parser itself defines them."""
    (action,) = [a for a in parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(action.choices)


def options(command: argparse.ArgumentParser) -> list[str]:
    """A command's options as its help shows them (options kept only for old command lines are hidden)."""
    return [
        action.option_strings[-1]
        for action in command._actions
        if action.option_strings
        and action.help is not argparse.SUPPRESS
        and not isinstance(action, argparse._HelpAction)
    ]


def missing_from_help(text: str) -> list[str]:
    """Commands without their line in the list of commands of `--help`."""
    return [name for name in commands() if not re.search(rf"^ +{re.escape(name)} ", text, re.MULTILINE)]


def missing_from_docs(text: str) -> list[str]:
    """Commands without a section headed with the name in docs/cli.md, and options not named in their section."""
    sections = {part.split("\n", 1)[0].strip(): part for part in re.split(r"^## ", text, flags=re.MULTILINE)[1:]}
    missing = []
    for name, command in commands().items():
        section = sections.get(f"`{name}`")
        if section is None:
            missing.append(name)
            continue
        missing.extend(f"{name} {option}" for option in options(command) if f"`{option}" not in section)
    return missing


def missing_from_table(text: str) -> list[str]:
    """Commands without a row in the README's table of commands."""
    return [name for name in commands() if not re.search(rf"^\| `{re.escape(name)}`", text, re.MULTILINE)]


def test_the_parser_has_the_commands_the_docs_describe() -> None:
    assert set(commands()) >= {"build", "check", "serve", "report", "quote", "init"}
    assert options(commands()["serve"]) == ["--content", "--out", "--base-url", "--host", "--port", "--open"]
    assert options(commands()["quote"]) == ["--paragraph", "--content"]


def test_every_command_is_in_the_help_the_docs_and_the_readme() -> None:
    code, text, _ = run("--help")
    assert code == 0
    assert missing_from_help(text) == []
    assert missing_from_docs(DOCS.read_text(encoding="utf-8")) == []
    assert missing_from_table(README.read_text(encoding="utf-8")) == []


def test_every_command_has_its_own_help_with_its_options() -> None:
    for name, command in commands().items():
        code, text, _ = run(name, "--help")
        assert code == 0
        assert text.startswith(f"usage: python build.py {name} ")
        assert all(option in text for option in options(command)), name


@pytest.mark.parametrize("name", sorted(commands()))
def test_a_command_left_out_of_the_docs_is_caught(name: str) -> None:
    """The checks above fail when a command goes missing: each is run on a copy with the command taken out."""
    _, help_text, _ = run("--help")
    without_line = "\n".join(line for line in help_text.splitlines() if not re.match(rf" +{name} ", line))
    assert missing_from_help(without_line) == [name]
    docs = DOCS.read_text(encoding="utf-8").replace(f"## `{name}`", f"## {name}, removed")
    assert missing_from_docs(docs) == [name]
    readme = "\n".join(
        line for line in README.read_text(encoding="utf-8").splitlines() if not line.startswith(f"| `{name}`")
    )
    assert missing_from_table(readme) == [name]


@pytest.mark.parametrize(
    ("name", "option"), [(name, option) for name, command in sorted(commands().items()) for option in options(command)]
)
def test_an_option_left_out_of_the_docs_is_caught(name: str, option: str) -> None:
    text = DOCS.read_text(encoding="utf-8")
    start = text.index(f"## `{name}`")
    end = text.find("\n## ", start + 1)
    end = len(text) if end == -1 else end
    section = text[start:end].replace(f"`{option}", "`(removed)")
    assert missing_from_docs(text[:start] + section + text[end:]) == [f"{name} {option}"]
