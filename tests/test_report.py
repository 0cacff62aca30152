"""The editor's coverage report (`python build.py report`)."""

from __future__ import annotations

from explainer.pipeline import check
from explainer.report import coverage, format_report

from .test_cli import run


def test_coverage_counts_annotated_text_figures_names_pairs_and_relations(make_content) -> None:
    site = check(make_content())
    report = coverage(site)
    alpha, beta = report.sources
    assert alpha.article.slug == "alpha"
    # "more than 60 sorties" (20) and "The strikes hit Idlib" (21) of 84 + 7 + 61 code points.
    assert (alpha.annotated, alpha.total, alpha.passages) == (41, 152, 2)
    # "September 30" stands outside any passage; "60" is inside one.
    assert alpha.uncovered_figures == (
        (1, "Russian jets have flown “more than 60 sorties” since September 30, the general said."),
    )
    assert beta.uncovered_figures == ()
    assert "Russian" not in alpha.unnoted_names and "Idlib" not in alpha.unnoted_names
    assert report.pairs == (("alpha", "beta", 1),)
    assert report.uncited_notes == ()
    assert dict(report.relations)["corroborates"] == 1 and dict(report.relations)["context"] == 1
    assert report.cross_source == 1


def test_notes_nothing_cites_are_listed(make_content) -> None:
    lonely = "---\ntitle: Hama\nkind: place\n---\nA city.\n"
    report = coverage(check(make_content({"notes/hama.md": lonely})))
    assert report.uncited_notes == ("hama",)


def test_names_without_a_note_are_listed_and_sentence_starts_are_not_names(make_content) -> None:
    article = """\
        ---
        title: Gamma
        ---
        Officials in Damascus said so. Meanwhile the envoy met Staffan de Mistura in Geneva.

        A guard said, “No water here.” Fighters of al-Qaida came from Turkey and Qatar in Sept. 2015. Damascus agreed.
        """
    report = coverage(check(make_content({"articles/gamma.md": article})))
    gamma = next(s for s in report.sources if s.article.slug == "gamma")
    assert set(gamma.unnoted_names) == {"Damascus", "Staffan de Mistura", "Geneva", "al-Qaida", "Turkey", "Qatar"}
    assert gamma.unnoted_names[0] == "Damascus"  # most frequent first


def test_report_command_prints_the_report(make_content) -> None:
    code, out, err = run("report", "--content", str(make_content()))
    assert (code, err) == (0, "")
    assert out.startswith("Coverage report: Sample explainer\n")
    assert "  alpha: 27% annotated, 2 passages\n" in out
    assert "  alpha + beta: 1\n" in out
    assert "  in all: 2, of which 1 link passages in two or more sources\n" in out


def test_report_on_broken_content_reports_the_problems_instead(make_content) -> None:
    code, out, err = run("report", "--content", str(make_content({"site.yml": "title: [x\n"})))
    assert code == 1 and out == ""
    assert err.endswith("1 error in 1 file\n")


def test_format_report_flags_pairs_that_share_nothing(make_content) -> None:
    site = check(make_content({"annotations/sorties.yml": "title: Empty\n"}))
    assert "  alpha + beta: 0  <- none\n" in format_report(site, coverage(site))
