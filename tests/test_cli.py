"""The command line, end to end: exit codes, messages, and what builds leave on disk."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from explainer.cli import main

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


def test_build_py_runs_as_a_script(make_content, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "build.py"), "check", "--content", str(make_content())],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
