"""The pipeline's own work between the steps (pipeline.py): memory handed back after resolving."""

from __future__ import annotations

import ctypes
import subprocess
import sys
from pathlib import Path

import pytest

from explainer import pipeline

from .conftest import ROOT, TEMPLATES, ContentMaker


def resident_mib() -> float:
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * 4096 / 2**20


@pytest.mark.skipif(not hasattr(ctypes.CDLL(None), "malloc_trim"), reason="glibc's malloc_trim only")
def test_memory_freed_in_pieces_is_handed_back_to_the_system() -> None:
    # 200 MB in small blocks, of which every eighth is kept: glibc keeps the pages of the rest.
    blocks = [b"x" * 2000 + bytes([number % 256]) for number in range(100_000)]
    blocks = blocks[::8]
    before = resident_mib()
    pipeline.return_freed_memory()
    assert before - resident_mib() > 50
    assert len(blocks) == 12_500


def test_a_build_hands_back_what_resolving_freed_before_it_renders(
    make_content: ContentMaker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    steps: list[str] = []
    real_check, real_files = pipeline.check, pipeline.built_files
    monkeypatch.setattr(pipeline, "check", lambda *args: steps.append("check") or real_check(*args))
    monkeypatch.setattr(pipeline, "return_freed_memory", lambda: steps.append("freed"))
    monkeypatch.setattr(pipeline, "built_files", lambda *args: steps.append("render") or real_files(*args))
    pipeline.build(make_content(), tmp_path / "site", TEMPLATES)
    assert steps == ["check", "freed", "render"]


def test_pages_are_rendered_beside_pagefind_only_while_it_makes_the_index(
    make_content: ContentMaker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    beside: list[bool] = []
    real_stream = pipeline.stream_site

    def stream(*args: object, beside_index: bool = False, **options: object) -> object:
        beside.append(beside_index)
        return real_stream(*args, beside_index=beside_index, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline, "stream_site", stream)
    content, cache = make_content(), tmp_path / "cache"
    pipeline.build(content, tmp_path / "site", TEMPLATES, cache=cache)
    pipeline.build(content, tmp_path / "site", TEMPLATES, cache=cache)  # the index is taken from the cache
    assert beside == [True, False]


def test_jinja_is_imported_only_to_render_once_pagefind_has_started() -> None:
    # Importing it takes about 25 ms of the Syria build, which Pagefind can spend indexing instead.
    probe = "import sys, explainer.cli; print(sorted(m for m in sys.modules if m.split('.')[0] == 'jinja2'))"
    printed = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT)
    assert printed.stdout == "[]\n"
