"""The synthetic corpus for benchmarks: valid content, deterministic, shaped like real use."""

from __future__ import annotations

import itertools
import statistics
from pathlib import Path

from benchmarks.generate import generate, main
from explainer import pipeline

from .conftest import write_tree


def test_a_generated_corpus_passes_check_and_looks_like_real_use(tmp_path: Path) -> None:
    site = pipeline.check(write_tree(tmp_path / "corpus", generate(25, 7)))
    assert len(site.articles) == 25
    words = statistics.mean(len(a.text.split()) for a in site.articles.values())
    assert 700 <= words <= 1000
    passages = statistics.mean(len(ids) for ids in site.passages_by_article.values())
    assert 15 <= passages <= 25
    assert all(len(topic.annotations) <= 60 for topic in site.topics.values())
    # Linked passages are mostly within a story (articles are numbered by story: <outlet>-<story>-<n>).
    linked = [a for a in site.annotations.values() if len(a.passages) > 1]
    stories = [len({p.article.rsplit("-", 2)[-2] for p in a.passages}) for a in linked]
    assert 0 < stories.count(2) < stories.count(1) / 5
    # Some passages overlap others; notes' aliases occur in the text.
    overlapping = sum(
        1
        for ids in site.passages_by_article.values()
        for a, b in itertools.pairwise(ids)
        if site.passages[b].start < site.passages[a].end
    )
    assert overlapping > 0
    named = {m.note for found in site.mentions.values() for m in found}
    assert len(named) > len(site.notes) / 2


def test_the_same_arguments_give_the_same_corpus() -> None:
    assert generate(12, 3) == generate(12, 3)
    assert generate(12, 3) != generate(12, 4)


def test_main_writes_a_corpus_and_refuses_a_folder_that_is_not_empty(tmp_path: Path, capsys) -> None:
    out = tmp_path / "corpus"
    assert main(["3", "--out", str(out), "--seed", "1"]) == 0
    assert "Wrote" in capsys.readouterr().out
    assert (out / "site.yml").is_file()
    assert main(["3", "--out", str(out)]) == 1
    assert "is not empty" in capsys.readouterr().err
