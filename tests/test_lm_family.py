"""NGramModel in simulate: generation 0 is the text, the two engines agree on every metric
within Monte Carlo error, both follow the branching law (theory.ngram) under replace, accumulate
loses nothing, fresh real text with a weight runs, and bad inputs get one-line errors."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import modelcollapse as mc
from modelcollapse.data import load_text
from modelcollapse.lm.model import word_counts
from modelcollapse.theory import ngram

METRICS = ["distinct_ngrams", "vocabulary", "lost_mass", "context_error", "perplexity"]


@pytest.fixture(scope="module")
def family():
    return mc.NGramModel(load_text()[:600], order=2, holdout=0.05)


def _run(fam, engine, seed, generations=4, replications=40, **kwargs):
    return mc.simulate(
        fam,
        n0=fam.tokens,
        schedule=kwargs.pop("schedule", fam.tokens),
        generations=generations,
        replications=replications,
        seed=seed,
        engine=engine,
        **kwargs,
    )


def test_generation_0_is_the_text(tmp_path):
    """With --holdout 0 on a user's file, generation 0 counts exactly its distinct n-grams."""
    path = tmp_path / "mine.txt"
    lines = ["The cat sat.", "The dog sat!", "", "A cat saw a dog, then sat."]
    path.write_text("\n".join(lines), encoding="utf-8")
    fam = mc.NGramModel(path, order=2, holdout=0)
    distinct = set()
    for line in lines:
        tokens = mc.lm.tokenize(line)
        if tokens:
            padded = ["<s>", *tokens, "</s>"]
            distinct |= set(itertools.pairwise(padded))
    res = mc.simulate(fam, n0=fam.tokens, schedule=fam.tokens, generations=1, replications=3)
    assert res.values("distinct_ngrams")[:, 0].tolist() == [len(distinct)] * 3
    assert res.values("lost_mass")[:, 0].tolist() == [0.0] * 3
    assert res.values("kl")[:, 0].tolist() == [0.0] * 3
    assert "perplexity" not in res.metric_names  # no held-out lines
    assert res.config["family"]["text"] == str(path)


def _gap(a, b):
    se = np.sqrt(a.var(axis=0, ddof=1) / len(a) + b.var(axis=0, ddof=1) / len(b))
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where(se > 0, np.abs(a.mean(axis=0) - b.mean(axis=0)) / se, 0.0)
    return float(np.max(z))


def test_counts_engine_against_sequence_engine_on_every_metric(family):
    """Simulation against simulation: 40 replications each, 4 generations; the counts engine
    (independent n-grams) is an approximation of the sequence engine (whole sentences)."""
    counts = _run(family, "counts", 1, metrics=METRICS)
    sequence = _run(family, "sequence", 2, metrics=METRICS)
    for metric in METRICS:
        assert _gap(counts.values(metric), sequence.values(metric)) < 4, metric


def test_both_engines_follow_the_branching_law(family):
    """Against theory.ngram (a Poisson approximation of the binomial step, below 0.1% here):
    surviving n-grams, the words the model can produce and the lost mass, within 4 standard
    errors plus 0.5%."""
    sizes = np.full(4, family.tokens)
    expected = {
        "distinct_ngrams": ngram.expected_surviving(family.corpus.counts, sizes),
        "vocabulary": ngram.expected_surviving(word_counts(family.corpus), sizes, n0=family.tokens),
        "lost_mass": ngram.expected_lost_mass(family.corpus.counts, sizes),
    }
    for engine, seed in (("counts", 3), ("sequence", 4)):
        res = _run(family, engine, seed, metrics=list(expected))
        for metric, law in expected.items():
            values = res.values(metric)
            se = values.std(axis=0, ddof=1) / np.sqrt(len(values))
            assert np.all(np.abs(values.mean(axis=0) - law) <= 4 * se + 0.005 * law), metric


def test_accumulate_loses_nothing(family):
    res = _run(family, "counts", 5, regime="accumulate", metrics=["lost_mass", "distinct_ngrams"])
    assert np.all(res.values("lost_mass") == 0.0)
    assert np.all(res.values("distinct_ngrams") == family.corpus.distinct_ngrams)


def test_fresh_real_text_with_the_optimal_weight(family):
    """Fresh real lines each generation, weighted w*: n-grams come back, the loss stays far
    below the fully synthetic loss at the same sizes."""
    half = family.tokens // 2
    mixed = _run(family, "counts", 6, n_real=half, weight="optimal", schedule=half)
    alone = _run(family, "counts", 6, schedule=half)
    assert mixed.values("lost_mass")[:, -1].mean() < 0.5 * alone.values("lost_mass")[:, -1].mean()
    assert np.all(mixed.weights[1:] == pytest.approx(mc.theory.optimal_weight(1.0)))


def test_smoothed_metrics_state_their_threshold():
    fam = mc.NGramModel(load_text()[:200], order=2, holdout=0.1, smoothing="kn")
    assert fam.describe()["kept_threshold"] == pytest.approx(1 / fam.tokens)
    res = _run(fam, "counts", 7, generations=2, replications=5)
    assert np.all(np.isfinite(res.values("kl")))  # a smoothed model never gives zero
    assert np.all(res.values("perplexity") < 1 / fam.floor)


def test_same_seed_same_numbers(family):
    """The sequence engine is a function of the seed (a chunk smaller than a random block of
    1,024 replications is rounded up to it, so here both runs are one chunk)."""
    a = _run(family, "sequence", 8, replications=6, metrics=["distinct_ngrams"])
    b = _run(family, "sequence", 8, replications=6, metrics=["distinct_ngrams"], chunk_size=1)
    assert np.array_equal(a.values("distinct_ngrams"), b.values("distinct_ngrams"))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"text": ["", "  "]}, "text: holds no tokens to train on"),
        ({"text": ["a b"], "order": 0}, "order: must be an integer >= 1"),
        ({"text": ["a b"], "order": 5}, "order: must be an integer from 1 to 3"),
        ({"text": ["a b"], "smoothing": "witten-bell"}, "smoothing: must be one of none"),
        ({"text": ["a b"], "holdout": 0.6}, "holdout: must lie in \\[0, 0.5\\]"),
        ({"text": ["a b"], "holdout": -0.1}, "holdout: must lie in \\[0, 0.5\\]"),
        ({"text": ["a"], "order": 3}, "text: has 2 tokens, fewer than the order 3 needs"),
        ({"text": "no-such-file.txt"}, "text: is not a file"),
        ({"text": 42}, "text: must be a file, the name of a shipped text"),
    ],
)
def test_bad_inputs(kwargs, message):
    with pytest.raises(mc.InvalidArgumentError, match="^" + message):
        mc.NGramModel(**kwargs)


def test_a_binary_file_is_refused(tmp_path):
    path = tmp_path / "data.bin"
    path.write_bytes(b"\x00\x01\x02 binary")
    with pytest.raises(mc.InvalidArgumentError, match="^text: is a binary file"):
        mc.NGramModel(path)


def test_more_real_tokens_than_the_text_has(family):
    with pytest.raises(mc.InvalidArgumentError, match="^n0: real text"):
        mc.simulate(family, n0=family.tokens + 1, schedule=100, generations=1, replications=2)


def test_raw_points_are_the_drawn_ngrams():
    """sample gives n n-gram indices per replication; their statistics are n tokens of the
    model's own n-grams (from the truth: the first n tokens of whole lines)."""
    from modelcollapse.random import ReplicationRandom

    fam = mc.NGramModel(["a b c", "b c", "a a"] * 5, holdout=0)
    truth = fam.broadcast(fam.truth(), 4)
    points = fam.sample(truth, 7, ReplicationRandom(np.random.SeedSequence(3), 0, 4))
    assert points.shape == (4, 7) and np.all(np.diff(points, axis=1) >= 0)
    stats = fam.statistics(points)
    assert stats.tokens.tolist() == [7.0] * 4
    assert np.all(stats.counts <= fam.corpus.counts)  # at most what the lines hold
