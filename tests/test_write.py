"""The output folder: swapped into place whole, never replacing what explainer did not write."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from explainer.write import (
    MARKER,
    MARKER_HEADER,
    PARTIAL,
    OutputChangedError,
    OutputRefusedError,
    Written,
    check_output,
    discard,
    stage_files,
    update_site,
    write_site,
)


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_writes_files_and_a_marker_listing_them(tmp_path: Path) -> None:
    out = tmp_path / "site"
    write_site(out, {"index.html": b"home", "articles/a.html": b"a"})
    tree = _tree(out)
    assert tree["index.html"] == b"home"
    assert tree["articles/a.html"] == b"a"
    assert tree[MARKER].decode().splitlines()[1:] == ["articles/a.html", "index.html"]


def test_a_rebuild_removes_stale_pages_and_leaves_no_temporary_folders(tmp_path: Path) -> None:
    out = tmp_path / "site"
    write_site(out, {"old.html": b"old", "index.html": b"1"})
    check_output(out, {})
    write_site(out, {"index.html": b"2"})
    assert set(_tree(out)) == {"index.html", MARKER}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


def test_a_rebuild_links_the_files_it_would_write_unchanged_and_writes_the_others(tmp_path: Path) -> None:
    out = tmp_path / "site"
    write_site(out, {"same.html": b"same", "changed.html": b"old!", "grown.html": b"a", "gone.html": b"g"})
    before = {name: (out / name).stat().st_ino for name in ("same.html", "changed.html", "grown.html")}
    rebuilt = [("same.html", b"same"), ("changed.html", b"new!"), ("grown.html", b"ab"), ("new.html", b"n")]
    written = write_site(out, rebuilt)
    assert written.bytes == len(b"samenew!abn")
    assert _tree(out) == {
        MARKER: _tree(out)[MARKER],
        "same.html": b"same",
        "changed.html": b"new!",
        "grown.html": b"ab",
        "new.html": b"n",
    }
    after = {name: (out / name).stat().st_ino for name in before}
    assert after["same.html"] == before["same.html"]  # linked: the very file the last build wrote
    assert after["changed.html"] != before["changed.html"] and after["grown.html"] != before["grown.html"]
    assert (out / "same.html").stat().st_nlink == 1  # the earlier build's folder is gone
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


def test_a_rebuild_writes_what_it_must_not_or_cannot_link(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "site"
    outside = tmp_path / "outside.html"
    outside.write_bytes(b"mine")
    write_site(out, {"linked.html": b"mine"})
    (out / "linked.html").unlink()
    (out / "linked.html").symlink_to(outside)  # a symbolic link is never followed, nor linked
    write_site(out, {"linked.html": b"mine"})
    assert not (out / "linked.html").is_symlink() and (out / "linked.html").read_bytes() == b"mine"
    assert outside.read_bytes() == b"mine" and outside.stat().st_nlink == 1
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "notes").mkdir(parents=True)
    (elsewhere / "notes" / "n.html").write_bytes(b"note")
    write_site(out, {"linked.html": b"mine", "notes/n.html": b"note"})
    shutil.rmtree(out / "notes")
    (out / "notes").symlink_to(elsewhere / "notes")  # nor is a file reached through a linked folder
    write_site(out, {"linked.html": b"mine", "notes/n.html": b"note"})
    assert (elsewhere / "notes" / "n.html").stat().st_nlink == 1 and not (out / "notes").is_symlink()

    def no_links(*_: object, **__: object) -> None:
        raise OSError("no hard links on this file system")

    monkeypatch.setattr("explainer.write.os.link", no_links)
    inode = (out / "linked.html").stat().st_ino
    write_site(out, {"linked.html": b"mine"})
    assert (out / "linked.html").read_bytes() == b"mine" and (out / "linked.html").stat().st_ino != inode


def test_refuses_a_folder_it_did_not_make(tmp_path: Path) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.docx").write_bytes(b"precious")
    with pytest.raises(OutputRefusedError, match="it was not made by explainer"):
        check_output(out, {})
    assert (out / "thesis.docx").read_bytes() == b"precious"


def test_refuses_a_built_folder_holding_files_a_build_did_not_write(tmp_path: Path) -> None:
    out = tmp_path / "site"
    write_site(out, {"index.html": b"1"})
    (out / "CNAME").write_text("example.org")
    with pytest.raises(OutputRefusedError, match=r"holds files an earlier build did not write \(CNAME\)"):
        check_output(out, {})


def test_accepts_an_empty_or_missing_folder(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    check_output(tmp_path / "empty", {})
    check_output(tmp_path / "missing", {})


@pytest.mark.parametrize("target", ["content", "content/..", "."])
def test_refuses_output_that_is_or_contains_a_protected_folder(tmp_path: Path, target: str) -> None:
    content = tmp_path / "content"
    content.mkdir()
    with pytest.raises(OutputRefusedError, match="it is or contains the content folder"):
        check_output(content / ".." / target if target != "." else tmp_path, {"content folder": content})


def test_a_failure_while_writing_keeps_the_previous_site(tmp_path: Path) -> None:
    out = tmp_path / "site"
    write_site(out, {"index.html": b"good"})

    class Exploding(dict):
        def items(self):  # type: ignore[override]
            yield "index.html", b"new"
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_site(out, Exploding(x=b""))
    assert _tree(out)["index.html"] == b"good"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


def test_swapping_is_held_only_while_the_new_folder_takes_the_old_ones_place(tmp_path: Path) -> None:
    out = tmp_path / "site"
    write_site(out, {"index.html": b"old"})
    held: list[bytes] = []

    class Swapping:
        def __enter__(self) -> None:
            held.append((out / "index.html").read_bytes())

        def __exit__(self, *exc: object) -> None:
            held.append((out / "index.html").read_bytes())

    def made() -> Iterator[tuple[str, bytes]]:
        for name in ("index.html", "other.html"):
            assert not held, "a file was made while `swapping` was held"
            yield name, b"new"

    write_site(out, made(), swapping=Swapping())  # type: ignore[arg-type]
    assert held == [b"old", b"new"]
    assert {path: data for path, data in _tree(out).items() if path != MARKER} == {
        "index.html": b"new",
        "other.html": b"new",
    }


def test_recovers_when_a_build_was_killed_between_the_two_renames(tmp_path: Path) -> None:
    out = tmp_path / "site"
    write_site(out, {"index.html": b"good"})
    out.rename(tmp_path / ".site.old-999")  # as a kill -9 mid-swap would leave it
    check_output(out, {})
    write_site(out, {"index.html": b"next"})
    assert _tree(out)["index.html"] == b"next"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


# --- Updates in place (the preview) ----------------------------------------------------------------


def test_staged_files_are_written_beside_their_place_and_renamed_into_it_by_an_update(tmp_path: Path) -> None:
    out = tmp_path / "site"
    first = {"index.html": b"1", "data/big.json": b"old"}
    write_site(out, first)
    made = stage_files(out, [("data/big.json", iter([b"new ", b"data"])), ("data/more/new.csv", iter([b"a,b"]))], first)
    staged = {file.path: file for file in made}
    assert _tree(out)["data/big.json"] == b"old"  # not yet in place
    assert staged["data/big.json"].partial.read_bytes() == b"new data"
    update_site(out, staged, [], first)
    expected = {"index.html": b"1", "data/big.json": b"new data", "data/more/new.csv": b"a,b"}
    write_site(tmp_path / "full", expected)
    assert _tree(out) == _tree(tmp_path / "full")
    check_output(out, {})


def test_a_staged_file_whose_pieces_fail_or_that_is_discarded_leaves_nothing(tmp_path: Path) -> None:
    out = tmp_path / "site"
    write_site(out, {"index.html": b"1"})
    before = _tree(out)

    def failing() -> Iterator[bytes]:
        yield b"half"
        raise RuntimeError("gave up")

    with pytest.raises(RuntimeError, match="gave up"):
        list(stage_files(out, [("data/new.json", failing())], ["index.html"]))
    discard(stage_files(out, [("fresh/folder/x.json", iter([b"x"]))], ["index.html"]), out)
    assert _tree(out) == before and sorted(p.name for p in out.iterdir()) == [MARKER, "index.html"]


def test_nothing_is_staged_in_a_folder_that_no_longer_holds_the_build(tmp_path: Path) -> None:
    out = tmp_path / "site"
    write_site(out, {"index.html": b"1"})
    with pytest.raises(OutputChangedError):
        next(stage_files(out, [("data/new.json", iter([b"x"]))], ["index.html", "other.html"]))
    assert sorted(p.name for p in out.iterdir()) == [MARKER, "index.html"]


def test_an_update_writes_changed_files_removes_gone_ones_and_keeps_the_marker_true(tmp_path: Path) -> None:
    out = tmp_path / "site"
    first = {"index.html": b"1", "notes/a.html": b"a", "notes/b.html": b"b", "topics/t.html": b"t"}
    write_site(out, first)
    update_site(out, {"index.html": b"2", "articles/new.html": b"new"}, ["notes/a.html", "topics/t.html"], first)
    expected = {"index.html": b"2", "notes/b.html": b"b", "articles/new.html": b"new"}
    write_site(tmp_path / "full", expected)
    assert _tree(out) == _tree(tmp_path / "full")
    assert not (out / "topics").exists()  # a full build would not have the emptied folder either
    check_output(out, {})


def test_an_update_of_a_folder_that_changed_since_is_refused_untouched(tmp_path: Path) -> None:
    out = tmp_path / "site"
    write_site(out, {"index.html": b"1", "other.html": b"o"})
    before = _tree(out)
    with pytest.raises(OutputChangedError):
        update_site(out, {"index.html": b"2"}, [], ["index.html"])  # not what the folder holds
    assert _tree(out) == before


def test_an_interrupted_update_leaves_a_folder_that_is_still_ours(tmp_path: Path) -> None:
    out = tmp_path / "site"
    write_site(out, {"index.html": b"1"})

    class Exploding(dict):
        def items(self):  # type: ignore[override]
            yield "new.html", b"new"
            raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        update_site(out, Exploding({"new.html": b"new", "index.html": b"2"}), [], ["index.html"])
    (out / f"index.html{PARTIAL}").write_bytes(b"half")  # as a kill -9 while writing would leave it
    check_output(out, {})
    write_site(out, {"index.html": b"3"})
    assert set(_tree(out)) == {"index.html", MARKER}


# --- Writing a site as it is made ------------------------------------------------------------------


def test_a_stream_of_files_is_written_whole_or_in_pieces_with_the_marker_listing_them(tmp_path: Path) -> None:
    out = tmp_path / "site"

    def made() -> Iterator[tuple[str, bytes | Iterator[bytes]]]:
        yield "index.html", b"home"
        yield "data/big.json", iter([b"[", b"1,", b"2", b"]"])
        yield "data/empty.json", iter([])
        yield "articles/a.html", b"a"

    written = write_site(out, made())
    paths = frozenset({"index.html", "data/big.json", "data/empty.json", "articles/a.html"})
    assert written == Written(files=4, bytes=len(b"home[1,2]a"), paths=paths)
    tree = _tree(out)
    assert tree["data/big.json"] == b"[1,2]" and tree["data/empty.json"] == b"" and tree["index.html"] == b"home"
    assert tree[MARKER].decode().splitlines()[1:] == [
        "articles/a.html",
        "data/big.json",
        "data/empty.json",
        "index.html",
    ]


def test_a_stream_that_fails_midway_or_repeats_a_file_keeps_the_previous_site(tmp_path: Path) -> None:
    out = tmp_path / "site"
    write_site(out, {"index.html": b"good"})

    def failing() -> Iterator[tuple[str, bytes | Iterator[bytes]]]:
        yield "index.html", b"new"
        yield "data/big.json", _pieces_then_failure()

    def _pieces_then_failure() -> Iterator[bytes]:
        yield b"["
        raise RuntimeError("a worker failed")

    with pytest.raises(RuntimeError, match="a worker failed"):
        write_site(out, failing())
    with pytest.raises(ValueError, match=r"cannot write index\.html twice"):
        write_site(out, iter([("index.html", b"1"), ("index.html", b"2")]))
    assert _tree(out) == {"index.html": b"good", MARKER: (MARKER_HEADER + "index.html\n").encode()}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]
