"""The draws of modelcollapse.lm.engines: real lines, the sequence engine, the counts engine.

The counts engine is an approximation of the sequence engine; here the two are compared within
Monte Carlo error on a slice of the shipped corpus (surviving n-grams and lost real mass after
a few generations of the replace recursion), and each against what it must satisfy exactly.
"""

from __future__ import annotations

import numpy as np
import pytest

import modelcollapse as mc
from modelcollapse.data import load_text
from modelcollapse.lm import NGramCorpus
from modelcollapse.lm.engines import Transitions, draw_counts, draw_lines, draw_sequence
from modelcollapse.random import ReplicationRandom


def _rng(seed: int, size: int, stream: int = 1) -> ReplicationRandom:
    return ReplicationRandom(np.random.SeedSequence(seed), 0, size, stream=stream)


@pytest.fixture(scope="module")
def small():
    return NGramCorpus(load_text()[:300], order=2)


def _model(corpus, size):
    return np.broadcast_to(corpus.counts, (size, corpus.distinct_ngrams)).astype(float)


def test_real_lines_are_whole_lines(small):
    counts = draw_lines(small, 2000, _rng(1, 5, stream=0))
    tokens = counts.sum(axis=1)
    assert np.all(tokens >= 2000) and np.all(tokens < 2000 + small.line_tokens.max())
    # every row is a non-negative integer combination of lines: the start n-grams count lines
    start = Transitions.of(small).context_start[Transitions.of(small).start + 1]
    lines = counts[:, :start].sum(axis=1)
    assert np.all(lines == counts[:, small.next_token == 1].sum(axis=1))  # one </s> per line


def test_a_one_sentence_language_repeats_its_sentence():
    corpus = NGramCorpus(["a b c"], order=3)
    out = draw_sequence(corpus, _model(corpus, 3), 40, _rng(2, 3), chains=2)
    assert np.all(out.counts == 10 * corpus.counts)  # "a b c </s>" ten times
    assert out.sentences.tolist() == [10, 10, 10] and out.dead_ends.tolist() == [0, 0, 0]


def test_sequence_counts_have_the_models_frequencies(small):
    """One step from the pool: the mean counts of the 30 most frequent bigrams over 400
    replications equal n c / N within 4 standard errors (a simulation against an exact law up
    to the cut sentences, 4 of 2,000 tokens)."""
    n, reps = 2000, 400
    out = draw_sequence(small, _model(small, reps), n, _rng(3, reps), chains=4)
    assert np.all(out.counts.sum(axis=1) == n)
    top = np.argsort(small.counts)[-30:]
    expected = n * small.counts[top] / small.tokens
    mean = out.counts[:, top].mean(axis=0)
    se = out.counts[:, top].std(axis=0, ddof=1) / np.sqrt(reps)
    assert np.max(np.abs(mean - expected) / se) < 4


def test_walking_replications_in_groups_changes_nothing(small, monkeypatch):
    """The chains are walked a few replications at a time for the cache; the group size must
    not change a single count (the uniforms are drawn for every replication at once)."""
    import modelcollapse.lm.engines as engines

    model = _model(small, 5)
    one = draw_sequence(small, model, 3000, _rng(9, 5), chains=7)
    monkeypatch.setattr(engines, "_CACHE_FLOATS", 1)  # one replication per group
    alone = draw_sequence(small, model, 3000, _rng(9, 5), chains=7)
    assert np.array_equal(one.counts, alone.counts)
    assert np.array_equal(one.sentences, alone.sentences)


def test_a_dead_end_starts_a_new_sentence():
    corpus = NGramCorpus(["a b", "b a"], order=2)
    model = np.array([corpus.counts], dtype=float)
    b_next = [i for i, u in enumerate(corpus.universe) if corpus.ngram_text(u)[0] == "b"]
    model[0, b_next] = 0  # context "b" has no next token left
    out = draw_sequence(corpus, model, 50, _rng(4, 1))
    assert out.counts.sum() == 50 and out.dead_ends[0] > 0
    assert out.counts[0, b_next].sum() == 0


def _recursion(corpus, engine, generations, reps, seed, scale=1.0):
    """Surviving n-grams and lost real mass per replication after each generation (replace,
    constant size; ``scale`` multiplies the size, to perturb it)."""
    size = int(scale * corpus.tokens)
    model = _model(corpus, reps)
    mass = corpus.counts / corpus.tokens
    moves = Transitions.of(corpus)
    root = np.random.SeedSequence(seed)
    alive, lost = [], []
    for child in root.spawn(generations):
        rng = ReplicationRandom(child, 0, reps, stream=1)
        if engine == "counts":
            model = draw_counts(model, size, rng)
        else:
            model = draw_sequence(corpus, model, size, rng, transitions=moves).counts
        alive.append((model > 0).sum(axis=1))
        lost.append(((model == 0) * mass).sum(axis=1))
    return np.array(alive, dtype=float).T, np.array(lost).T


def test_the_counts_engine_matches_the_sequence_engine(small):
    """Simulation against simulation: 60 replications each, 5 generations; the standard error of
    the difference in surviving bigrams is about 6 (of 4,000), so a 1% gap would be found."""
    a_counts, l_counts = _recursion(small, "counts", 5, 60, 5)
    a_seq, l_seq = _recursion(small, "sequence", 5, 60, 6)
    assert _gap(a_counts, a_seq) < 4 and _gap(l_counts, l_seq) < 4


def _gap(x, y):
    se = np.sqrt(x.var(axis=0, ddof=1) / len(x) + y.var(axis=0, ddof=1) / len(y))
    return np.max(np.abs(x.mean(axis=0) - y.mean(axis=0)) / se)


def test_the_comparison_detects_a_size_off_by_5_percent(small):
    """The same comparison, with one arm drawing 5% fewer tokens: the gap is about 12 standard
    errors."""
    alive, _ = _recursion(small, "counts", 5, 60, 5)
    fewer, _ = _recursion(small, "counts", 5, 60, 6, scale=0.95)
    assert _gap(alive, fewer) > 4


def test_both_engines_follow_the_branching_law(small):
    """Against the theory's Poisson approximation (theory.ngram), within 4 standard errors
    plus 0.5% (the binomial-Poisson gap at N = 8,000 is below 0.1% after 5 generations)."""
    expected = mc.theory.expected_surviving(small.counts, np.full(5, small.tokens))[1:]
    for engine, seed in (("counts", 7), ("sequence", 8)):
        alive, _ = _recursion(small, engine, 5, 60, seed)
        se = alive.std(axis=0, ddof=1) / np.sqrt(len(alive))
        assert np.all(np.abs(alive.mean(axis=0) - expected) < 4 * se + 0.005 * expected)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda c: draw_counts(np.ones((2, 3)), 5, _rng(0, 3)), "counts: must have one row"),
        (lambda c: draw_counts(-np.ones((1, 3)), 5, _rng(0, 1)), "counts: must hold finite"),
        (lambda c: draw_counts(np.zeros((1, 3)), 5, _rng(0, 1)), "counts: has a replication"),
        (lambda c: draw_counts(np.ones((1, 3)), 0, _rng(0, 1)), "n: must be an integer >= 1"),
        (lambda c: draw_sequence(c, np.ones((1, 2)), 5, _rng(0, 1)), "counts: must have shape"),
        (
            lambda c: draw_sequence(c, _model(c, 1), 5, _rng(0, 1), chains=0),
            "chains: must be an integer >= 1",
        ),
        (lambda c: draw_lines(c, 0, _rng(0, 1)), "n: must be an integer >= 1"),
    ],
)
def test_bad_inputs(small, call, message):
    with pytest.raises(mc.InvalidArgumentError, match="^" + message):
        call(small)
