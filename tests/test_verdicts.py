"""The verdict toolkit: kinds, power, comparisons, the headline; and the figure text check."""

import numpy as np
import pandas as pd
import pytest

from modelcollapse.experiments.verdicts import (
    MAX_DETECTABLE,
    Verdict,
    binomial_se,
    compare,
    headline,
    perturbed,
    tally,
    threshold,
    within,
)
from modelcollapse.plots import new_figure, text_problems


def test_threshold_is_four_se_then_bonferroni():
    assert threshold(1) == 4.0
    assert threshold(10_000) > 5.0
    assert threshold(10_000) == pytest.approx(5.73, abs=0.01)  # norm.isf(1e-4 / 2e4)


def test_within_and_binomial_se():
    assert within([1.0, 1.5], [1.0, 1.0], [0.1, 0.1]).tolist() == [True, False]
    np.testing.assert_allclose(binomial_se([0.5, 0.0], 100), [0.05, 0.0])


def test_compare_detectable_is_the_most_sensitive_cell():
    c = compare([10.0, 100.0], [10.0, 100.0], [0.1, 10.0])
    # (threshold + 2) se / |expected|: about 0.06 for the first cell, 0.6 for the second
    assert c.detectable == pytest.approx((threshold(2) + 2) * 0.1 / 10.0)
    assert c.agree and c.holds() is True
    # too coarse: not informative
    coarse = compare([1.0], [1.0], [1.0])
    assert coarse.detectable == pytest.approx(6.0)
    assert coarse.holds() is None and coarse.holds(limit=10) is True
    # a natural scale where the reference is zero
    zero = compare([0.01], [0.0], [0.01], scale=1.0)
    assert zero.detectable == pytest.approx(0.06)


def test_a_discrepancy_of_twice_detectable_always_fails():
    rng = np.random.default_rng(0)
    expected = rng.uniform(1, 10, size=50)
    se = rng.uniform(0.01, 0.2, size=50)
    sim = expected + se * rng.standard_normal(50)
    c = compare(sim, expected, se)
    assert c.agree
    assert not compare(sim * (1 + 2 * c.detectable), expected, se).agree


def test_a_tolerance_allows_an_approximate_law_and_still_fails_beyond_it():
    """An approximate law: a 2% bias passes a 3% allowance, and a discrepancy of twice the
    stated detectable (which includes the allowance) fails."""
    rng = np.random.default_rng(1)
    expected = rng.uniform(1, 10, size=50)
    se = rng.uniform(0.001, 0.01, size=50)
    sim = 1.02 * expected + se * rng.standard_normal(50)
    assert not compare(sim, expected, se).agree
    c = compare(sim, expected, se, tolerance=0.03)
    assert c.agree and c.detectable > 0.03
    assert not compare(sim * (1 + 2 * c.detectable), expected, se, tolerance=0.03).agree


def test_verdict_kinds_are_validated():
    with pytest.raises(ValueError, match="kind"):
        Verdict("c", True, "e", kind="guess")
    with pytest.raises(ValueError, match="detectable"):
        Verdict("c", True, "e", kind="simulation", inputs=("x",))
    with pytest.raises(ValueError, match="inputs"):
        Verdict("c", True, "e", kind="simulation", detectable=0.1)
    with pytest.raises(ValueError, match="theory"):
        Verdict("c", True, "e", kind="theory", detectable=0.1)
    with pytest.raises(ValueError, match="theory"):
        Verdict("c", None, "e", kind="theory")
    v = Verdict("c", np.bool_(True), "e", kind="simulation", detectable=0.1, inputs=["x"])
    assert v.holds is True and v.inputs == ("x",)
    assert v.to_json() == {
        "claim": "c",
        "kind": "simulation",
        "holds": True,
        "detectable": 0.1,
        "evidence": "e",
        "inputs": ["x"],
    }
    assert (
        "not informative at this scale"
        in Verdict("c", None, "e", detectable=MAX_DETECTABLE * 2, inputs=("x",)).line()
    )


def _judge(table):
    c = compare(table["sim"], table["exact"], table["se"])
    return [
        Verdict("matches", c.holds(), c.text(), detectable=c.detectable, inputs=("sim",)),
        Verdict("exact is positive", bool((table["exact"] > 0).all()), "", kind="theory"),
    ]


def test_perturbed_rejudges_the_table():
    table = pd.DataFrame({"sim": [1.0, 2.0], "exact": [1.0, 2.0], "se": [0.01, 0.01]})
    first = _judge(table)[0]
    assert first.holds is True
    assert perturbed(_judge, table, first).holds is False
    assert perturbed(_judge, table, first, size=0.0).holds is True
    with pytest.raises(ValueError, match="theory"):
        perturbed(_judge, table, _judge(table)[1])


def test_headline_counts_each_kind():
    verdicts = [
        Verdict("a", True, "", detectable=0.1, inputs=("x",)),
        Verdict("b", False, "", detectable=0.1, inputs=("x",)),
        Verdict("c", None, "", detectable=2.0, inputs=("x",)),
        Verdict("d", True, "", kind="approximation", detectable=0.1, inputs=("x",)),
        Verdict("e", True, "", kind="theory"),
    ]
    assert tally(verdicts)["simulation"] == {"agree": 1, "disagree": 1, "not_informative": 1}
    assert headline(verdicts) == (
        "1 simulation tests agree, 1 disagree, 1 not informative at this scale; "
        "1 approximation tests agree; 1 theory statements hold"
    )
    assert headline([v.to_json() for v in verdicts]) == headline(verdicts)


def test_text_problems_flags_clipped_and_overlapping_text():
    fig, axes = new_figure(2)
    for ax in axes:
        ax.plot([1, 2], [1, 2], label="a")
        ax.legend()
        ax.set(xlabel="x", ylabel="y (units)", title="short")
    assert text_problems(fig) == []
    fig, axes = new_figure(2, width=2.0)
    for ax in axes:
        ax.plot([1, 2], [1, 2], label="a")
        ax.set(title="a title far too long for a panel two inches wide, it runs on and on")
    problems = text_problems(fig)
    assert any("outside the canvas" in p for p in problems)
    assert any("overlaps" in p for p in problems)


def test_text_problems_counts_a_suptitle_once():
    fig, axes = new_figure(2)
    for ax in axes:
        ax.plot([1, 2], [1, 2], label="a")
        ax.legend()
        ax.set(xlabel="x", ylabel="y (units)", title="short")
    fig.suptitle("A heading for the whole figure")
    assert text_problems(fig) == []
