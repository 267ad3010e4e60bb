"""Probabilities, smoothings, held-out scoring and metrics of modelcollapse.lm.model.

The batched numpy code is checked against straightforward dict-based reference implementations
on a tiny corpus (orders 1 to 3), every smoothing's distributions against summing to one, and
the per-context error's theory against a direct simulation of independent categoricals (with a
wrong weight detected).
"""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np
import pytest

import modelcollapse as mc
from modelcollapse.data import load_text
from modelcollapse.lm import NGramCorpus, tokenize
from modelcollapse.lm.corpus import END, START
from modelcollapse.lm.model import (
    FLOOR,
    SMOOTHINGS,
    HeldOut,
    alive_ngrams,
    conditional,
    context_error,
    context_error_path,
    context_error_theory,
    design_effect,
    distinct_ngrams,
    heldout_log_prob,
    kl,
    lost_mass,
    perplexity,
    probability,
    tail_threshold,
    vocabulary,
)
from modelcollapse.theory import exact_limiting_error

TRAIN = [
    "the cat sat on the mat",
    "the dog sat on the log",
    "a cat and a dog",
    "",
    "the cat ran",
    "dogs ran on the mat",
]
HELD = ["the cat sat on a log", "a bird sat", "", "the mat ran on the dog", "dogs"]
UNK = "<unk>"


def _corpus(order: int, level: str = "word") -> NGramCorpus:
    return NGramCorpus(TRAIN, order=order, level=level)


def _models(corpus: NGramCorpus) -> np.ndarray:
    """Three integer models: the pool, a random one with zeros, and one with an emptied
    context (the most frequent context's counts all zero)."""
    rng = np.random.default_rng(corpus.order)
    size = corpus.distinct_ngrams
    emptied = corpus.counts.astype(float).copy()
    emptied[corpus.context == np.bincount(corpus.context, corpus.counts).argmax()] = 0
    return np.stack([corpus.counts.astype(float), rng.integers(0, 4, size), emptied])


def _text(corpus: NGramCorpus, windows: np.ndarray) -> list[tuple[str, ...]]:
    return [tuple(corpus.vocabulary[i] if i >= 0 else UNK for i in w) for w in windows]


# -- dict-based references ----------------------------------------------------------------------


def _reference_probability(corpus, row, window, smoothing, alpha=1.0, d=0.75):
    """``p(w | h)`` of one model row, from a dict of its n-gram counts."""
    order = corpus.order
    v = len(corpus.vocabulary) - 1
    top = {corpus.ngram_text(u): float(c) for u, c in zip(corpus.universe, row, strict=True)}
    h, w = tuple(window[:-1]), window[-1]
    if smoothing != "kn":
        total = sum(c for g, c in top.items() if g[:-1] == h)
        c = top.get(tuple(window), 0.0)
        if smoothing == "none":
            return c / total if total > 0 else 0.0
        return (c + alpha) / (total + alpha * v)
    levels = {order: top}
    for k in range(order - 1, 0, -1):  # continuation counts N1+(. s)
        cc: dict[tuple[str, ...], float] = defaultdict(float)
        for g, c in levels[k + 1].items():
            if c > 0:
                cc[g[1:]] += 1.0
        levels[k] = dict(cc)

    def p(k, h, w):
        if k == 0:
            return 1.0 / v
        members = {g: c for g, c in levels[k].items() if g[:-1] == h}
        total = sum(members.values())
        lower = p(k - 1, h[1:], w)
        if total == 0:
            return lower
        distinct = sum(1 for c in members.values() if c > 0)
        return (max(members.get((*h, w), 0.0) - d, 0.0) + d * distinct * lower) / total

    return p(order, h, w)


def _reference_windows(corpus, lines):
    out = []
    for line in lines:
        tokens = tokenize(line, corpus.level)
        if not tokens:
            continue
        ids = set(corpus.vocabulary)
        padded = [START] * (corpus.order - 1) + [t if t in ids else UNK for t in tokens] + [END]
        for i in range(corpus.order - 1, len(padded)):
            out.append(tuple(padded[i - corpus.order + 1 : i + 1]))
    return out


# -- held-out lines -----------------------------------------------------------------------------


@pytest.mark.parametrize("level", ["word", "char"])
@pytest.mark.parametrize("order", [1, 2, 3])
def test_heldout_lines_are_windowed_and_looked_up_as_the_corpus_does(order, level):
    corpus = _corpus(order, level)
    held = HeldOut.of(corpus, HELD)
    expected = _reference_windows(corpus, HELD)
    assert _text(corpus, held.windows) == expected
    assert held.tokens == len(expected) == held.ngram.size
    index = {corpus.ngram_text(u): g for g, u in enumerate(corpus.universe)}
    contexts = {
        corpus.ngram_text(u)[:-1]: int(h)
        for u, h in zip(corpus.universe, corpus.context, strict=True)
    }
    assert held.ngram.tolist() == [index.get(w, -1) for w in expected]
    assert held.context.tolist() == [contexts.get(w[:-1], -1) for w in expected]
    assert held.known_token.tolist() == [w[-1] != UNK for w in expected]
    # the pool's own lines are all found
    own = HeldOut.of(corpus, TRAIN)
    assert np.all(own.ngram >= 0)
    assert np.array_equal(np.bincount(own.ngram, minlength=corpus.distinct_ngrams), corpus.counts)
    assert np.array_equal(own.context, corpus.context[own.ngram])


# -- probabilities against the references -------------------------------------------------------


@pytest.mark.parametrize("smoothing", SMOOTHINGS)
@pytest.mark.parametrize("order", [1, 2, 3])
def test_probabilities_match_the_dict_reference(order, smoothing):
    corpus = _corpus(order)
    models = _models(corpus)
    held = HeldOut.of(corpus, HELD)
    options = {"alpha": 0.3, "discount": 0.6}
    got_held = probability(corpus, models, held.windows, smoothing, **options)
    got_universe = conditional(corpus, models, smoothing, **options)
    for r, row in enumerate(models):
        expected = [
            _reference_probability(corpus, row, w, smoothing, 0.3, 0.6)
            for w in _text(corpus, held.windows)
        ]
        np.testing.assert_allclose(got_held[r], expected, rtol=1e-12, atol=1e-15)
        expected = [
            _reference_probability(corpus, row, corpus.ngram_text(u), smoothing, 0.3, 0.6)
            for u in corpus.universe
        ]
        np.testing.assert_allclose(got_universe[r], expected, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("smoothing", SMOOTHINGS)
def test_blocks_of_replications_give_the_same_probabilities(smoothing, monkeypatch):
    import modelcollapse.lm.model as module

    corpus = _corpus(3)
    models = _models(corpus)
    whole = conditional(corpus, models, smoothing)
    monkeypatch.setattr(module, "_BLOCK", 2 * corpus.distinct_ngrams)  # two replications a block
    assert np.array_equal(conditional(corpus, models, smoothing), whole)


def test_add_zero_is_counts_over_the_context_total():
    corpus = _corpus(2)
    models = _models(corpus)
    totals = np.stack([np.bincount(corpus.context, row) for row in models])[:, corpus.context]
    with np.errstate(invalid="ignore"):
        expected = np.where(totals > 0, models / totals, 0.0)
    assert np.array_equal(conditional(corpus, models), expected)


def _all_next_tokens(corpus, contexts):
    """Windows of every predictable token after each context: shape (len(contexts) * V, n)."""
    tokens = np.arange(1, len(corpus.vocabulary))
    rows = [np.append(h, t) for h in contexts for t in tokens]
    return np.array(rows, dtype=np.int64).reshape(-1, corpus.order), tokens.size


@pytest.mark.parametrize("smoothing", SMOOTHINGS)
@pytest.mark.parametrize("order", [1, 2, 3])
def test_every_context_distribution_sums_to_one(order, smoothing):
    corpus = _corpus(order)
    rng = np.random.default_rng(5)
    fractional = rng.uniform(0, 2, (2, corpus.distinct_ngrams))
    fractional[1, rng.random(corpus.distinct_ngrams) < 0.5] = 0.0  # some below D, some zero
    models = np.concatenate([_models(corpus), fractional])
    seen = np.unique(corpus.universe // len(corpus.vocabulary))
    known = [[*_digits(code, len(corpus.vocabulary), order - 1)] for code in seen]
    # contexts the universe lacks: out of vocabulary, and (the, the)
    unknown = [] if order == 1 else [[-1] * (order - 1)] + ([[2, 2]] if order == 3 else [])
    windows, v = _all_next_tokens(corpus, known + unknown)
    sums = probability(corpus, models, windows, smoothing).reshape(len(models), -1, v).sum(2)
    if smoothing == "none":  # one where the model has counts in the context, else zero
        expected = np.zeros_like(sums)  # the known contexts are numbered in sorted order
        totals = np.stack([np.bincount(corpus.context, row) for row in models])
        expected[:, : len(known)] = (totals > 0).astype(float)
        np.testing.assert_allclose(sums, expected, rtol=0, atol=1e-12)
    else:
        np.testing.assert_allclose(sums, 1.0, rtol=0, atol=1e-12)


def _digits(code, size, width):
    out = []
    for _ in range(width):
        code, d = divmod(int(code), size)
        out.append(d)
    return out[::-1]


def test_smoothed_models_give_every_token_a_positive_probability():
    corpus = _corpus(3)
    held = HeldOut.of(corpus, HELD)
    models = _models(corpus)
    assert np.any(probability(corpus, models, held.windows) == 0)
    for smoothing in ("add-alpha", "kn"):
        assert np.all(probability(corpus, models, held.windows, smoothing) > 0)


# -- held-out scoring ---------------------------------------------------------------------------


@pytest.mark.parametrize("smoothing", SMOOTHINGS)
def test_heldout_log_prob_is_the_mean_log_probability_with_the_floor(smoothing):
    corpus = _corpus(2)
    models = _models(corpus)
    held = HeldOut.of(corpus, HELD)
    got = heldout_log_prob(corpus, models, held, smoothing, floor=1e-4)
    for r, row in enumerate(models):
        logs = []
        for w in _text(corpus, held.windows):
            p = _reference_probability(corpus, row, w, smoothing)
            logs.append(math.log(p if p > 0 else 1e-4))
        assert got[r] == pytest.approx(sum(logs) / len(logs), rel=1e-12)
    np.testing.assert_allclose(
        perplexity(corpus, models, held, smoothing, floor=1e-4), np.exp(-got), rtol=1e-15
    )


def test_the_floor_bounds_add_zero_perplexity_and_is_stated():
    corpus = _corpus(3)
    held = HeldOut.of(corpus, ["zebra zebra zebra"])  # nothing known but </s>'s token
    worst = perplexity(corpus, _models(corpus), held)
    assert FLOOR == 1e-6
    assert np.all(worst <= 1 / FLOOR) and np.all(worst > 1e5)
    # scoring the pool on itself: the model's own log-likelihood per token
    own = HeldOut.of(corpus, TRAIN)
    p = conditional(corpus, corpus.counts[None, :])[0]
    expected = corpus.counts @ np.log(p) / corpus.tokens
    assert heldout_log_prob(corpus, corpus.counts[None, :], own)[0] == pytest.approx(expected)


# -- metrics ------------------------------------------------------------------------------------


def test_distinct_ngrams_vocabulary_and_lost_mass():
    corpus = _corpus(2)
    models = _models(corpus)
    alive = alive_ngrams(models)
    assert distinct_ngrams(models).tolist() == (models > 0).sum(axis=1).tolist()
    words = set(corpus.vocabulary) - {START, END}
    for r in range(len(models)):
        present = {corpus.ngram_text(corpus.universe[g])[-1] for g in np.flatnonzero(alive[r])}
        assert vocabulary(corpus, alive)[r] == len(present & words)
        ref = corpus.counts
        assert lost_mass(ref, alive)[r] == pytest.approx(ref[~alive[r]].sum() / ref.sum())
    assert vocabulary(corpus, corpus.counts[None, :] > 0).tolist() == [len(words)]
    assert lost_mass(corpus.counts, corpus.counts[None, :] > 0).tolist() == [0.0]
    # smoothed models: against a stated probability threshold
    p = conditional(corpus, models, "kn")
    threshold = tail_threshold(corpus)
    assert threshold == 1 / corpus.tokens
    assert distinct_ngrams(p, threshold).tolist() == (p >= threshold).sum(axis=1).tolist()


@pytest.mark.parametrize("smoothing", SMOOTHINGS)
def test_kl_matches_the_definition(smoothing):
    corpus = _corpus(2)
    models = _models(corpus)
    ref = corpus.counts.astype(float)
    got = kl(corpus, ref, models, smoothing)
    for r, row in enumerate(models):
        total = 0.0
        for u, c in zip(corpus.universe, ref, strict=True):
            w = corpus.ngram_text(u)
            p_ref = _reference_probability(corpus, ref, w, "none")
            p = _reference_probability(corpus, row, w, smoothing)
            total += (c / ref.sum()) * (math.log(p_ref / p) if p > 0 else math.inf)
        assert got[r] == pytest.approx(total, rel=1e-12, abs=1e-15)
    assert np.all(got >= 0)
    if smoothing == "none":
        assert got[0] == 0.0 and np.isinf(got[2])  # the pool itself; an emptied context
    else:
        assert np.all(np.isfinite(got))


def test_context_error_matches_the_definition():
    corpus = _corpus(2)
    models = _models(corpus)
    ref = corpus.counts.astype(float)
    out = context_error(corpus, ref, models, min_count=3)
    totals = np.bincount(corpus.context, ref)
    assert out.contexts.tolist() == np.flatnonzero(totals >= 3).tolist()
    assert out.reference_counts.tolist() == totals[totals >= 3].tolist()
    p, p_ref = conditional(corpus, models), conditional(corpus, ref[None, :])[0]
    for r in range(len(models)):
        per = [((p[r] - p_ref)[corpus.context == h] ** 2).sum() for h in out.contexts]
        np.testing.assert_allclose(out.per_context[r], per, rtol=1e-14)
        assert out.error[r] == pytest.approx(np.mean(per), rel=1e-14)
    assert out.error[0] == 0.0


# -- the per-context theory ---------------------------------------------------------------------


def test_context_theory_is_paper_2s_exact_categorical_error_per_context():
    corpus = _corpus(2)
    ref = corpus.counts.astype(float)
    n, m, w = 4 * corpus.tokens, 6 * corpus.tokens, 0.35
    out = context_error_theory(corpus, ref, w, n, m, min_count=2)
    p_ref = conditional(corpus, ref[None, :])[0]
    share = np.bincount(corpus.context, ref)[out.contexts] / ref.sum()
    np.testing.assert_allclose(out.real, n * share, rtol=1e-14)
    np.testing.assert_allclose(out.synthetic, m * share, rtol=1e-14)
    checked = 0
    for h, err, n_c, m_c in zip(
        out.contexts, out.per_context, out.real, out.synthetic, strict=True
    ):
        cells = p_ref[corpus.context == h]
        if cells.size < 2:
            assert err == 0.0
            continue
        exact = cells.size * exact_limiting_error("categorical", w, round(n_c), round(m_c), p=cells)
        assert err == pytest.approx(float(exact), rel=1e-12)
        checked += 1
    assert checked >= 2
    assert out.error == pytest.approx(out.per_context.mean())
    # the design effect divides both sizes
    halved = context_error_theory(corpus, ref, w, n // 2, m // 2, min_count=2)
    effect = context_error_theory(corpus, ref, w, n, m, min_count=2, design_effect=2.0)
    np.testing.assert_allclose(effect.per_context, halved.per_context, rtol=1e-14)


def _simulate(corpus, ref, w, n, m, min_count, replications, generations, seed):
    """Per replication, the mean over the kept contexts of ``sum_x (p_t - p)^2`` after
    ``generations`` of the weighted recursion, each context an independent categorical with
    fixed sizes ``n_c``, ``m_c``."""
    rng = np.random.default_rng(seed)
    p_ref = conditional(corpus, ref[None, :])[0]
    theory = context_error_theory(corpus, ref, w, n, m, min_count=min_count)
    errors = []
    for h, n_c, m_c in zip(theory.contexts, theory.real, theory.synthetic, strict=True):
        p = p_ref[corpus.context == h]
        n_c, m_c = round(n_c), round(m_c)
        p_t = rng.multinomial(n_c, p, size=replications) / n_c
        for _ in range(generations):
            real = rng.multinomial(n_c, p, size=replications) / n_c
            pvals = p_t / p_t.sum(axis=1, keepdims=True)
            p_t = w * real + (1 - w) * rng.multinomial(m_c, pvals) / m_c
        errors.append(((p_t - p) ** 2).sum(axis=1))
    per_replication = np.mean(errors, axis=0)
    return per_replication.mean(), per_replication.std(ddof=1) / np.sqrt(replications)


def test_context_theory_agrees_with_a_simulation_and_a_wrong_weight_is_detected():
    corpus = _corpus(2)
    ref = 3.0 * corpus.counts
    n, m = 2 * int(ref.sum()), 3 * int(ref.sum())
    mean, se = _simulate(corpus, ref, 0.6, n, m, 6, 4000, 25, seed=11)
    theory = context_error_theory(corpus, ref, 0.6, n, m, min_count=6).error
    assert abs(mean - theory) < 4 * se
    wrong = context_error_theory(corpus, ref, 0.4, n, m, min_count=6).error
    assert abs(mean - wrong) > 4 * se


def test_context_error_path_before_the_limit_and_a_wrong_weight_is_detected():
    """Three generations, far from the limit: the exact expected path against the same
    per-context simulation (an exact law: each context an independent categorical)."""
    corpus = _corpus(2)
    ref = 3.0 * corpus.counts
    n, m = 2 * int(ref.sum()), 3 * int(ref.sum())
    mean, se = _simulate(corpus, ref, 0.3, n, m, 6, 4000, 3, seed=12)
    path = context_error_path(corpus, ref, 0.3, n, m, 3, min_count=6)
    assert abs(mean - path[-1]) < 4 * se
    limit = context_error_theory(corpus, ref, 0.3, n, m, min_count=6).error
    assert abs(mean - limit) > 4 * se  # not yet at the limit: the path is needed
    wrong = context_error_path(corpus, ref, 0.5, n, m, 3, min_count=6)
    assert abs(mean - wrong[-1]) > 4 * se


# -- bad inputs ---------------------------------------------------------------------------------


def test_bad_options_are_refused_in_one_line():
    corpus = _corpus(2)
    held = HeldOut.of(corpus, HELD)
    model = corpus.counts[None, :]
    trigram = _corpus(3)
    with pytest.raises(mc.InvalidArgumentError) as err:
        conditional(corpus, model, smoothing="x")
    assert str(err.value) == "smoothing: must be one of none, add-alpha, kn (got 'x')"
    cases = [
        (lambda: conditional(corpus, model, "add-alpha", alpha=0), "alpha: must lie in (0, inf)"),
        (lambda: probability(corpus, model, held.windows, alpha=-1.0), "alpha: must lie in"),
        (lambda: conditional(corpus, model, "kn", discount=0), "discount: must lie in (0, 1)"),
        (lambda: conditional(corpus, model, "kn", discount=1), "discount: must lie in (0, 1)"),
        (lambda: perplexity(corpus, model, held, floor=0), "floor: must lie in (0, 1)"),
        (lambda: heldout_log_prob(corpus, model, held, floor=1.0), "floor: must lie in (0, 1)"),
        (lambda: conditional(corpus, corpus.counts), "counts: must have shape (R,"),
        (lambda: conditional(corpus, -model), "counts: must hold finite non-negative"),
        (lambda: HeldOut.of(corpus, ["", " "]), "lines: hold no tokens"),
        (lambda: HeldOut.of(corpus, [3]), "lines: must be strings"),
        (lambda: heldout_log_prob(trigram, trigram.counts[None, :], held), "heldout: must be"),
        (lambda: probability(corpus, model, [[0, 99]]), "windows: must hold token ids"),
        (lambda: probability(corpus, model, [[0.0, 1.0]]), "windows: must be token ids"),
        (lambda: kl(corpus, model, model), "reference: must have shape"),
        (lambda: lost_mass([0, 0], [[True, False]]), "reference: must hold"),
        (lambda: vocabulary(corpus, model), "alive: must be a boolean array"),
        (lambda: alive_ngrams(model, threshold=0), "threshold: must lie in (0, 1]"),
        (lambda: context_error(corpus, corpus.counts, model, 1e9), "min_count: leaves no"),
        (lambda: context_error(corpus, corpus.counts, model, 0), "min_count: must lie in"),
        (lambda: context_error_theory(corpus, corpus.counts, 1.5, 10, 10), "w: must lie in"),
        (lambda: context_error_theory(corpus, corpus.counts, 0.5, 0, 10), "n: must be"),
        (
            lambda: context_error_theory(corpus, corpus.counts, 0.5, 9, 9, design_effect=0),
            "design_effect: must lie in",
        ),
    ]
    for call, message in cases:
        with pytest.raises(mc.InvalidArgumentError) as err:
            call()
        assert str(err.value).startswith(message), str(err.value)
        assert "\n" not in str(err.value)


# -- the design effect of drawing whole lines ---------------------------------------------------


def _line_error(corpus, n, replications, seed, min_count):
    """Mean over replications of each kept context's squared error, for fits to lines drawn
    with replacement until n tokens."""
    from modelcollapse.lm.engines import draw_lines
    from modelcollapse.random import ReplicationRandom

    rng = ReplicationRandom(np.random.SeedSequence(seed), 0, replications)
    counts = draw_lines(corpus, n, rng)
    out = context_error(corpus, corpus.counts, counts, min_count=min_count)
    return out.per_context, out


@pytest.mark.parametrize(("lines", "expected"), [(["a b a b", "a c a c"], 2.0), (["a b a c"], 0.0)])
def test_design_effect_of_repeated_contexts(lines, expected):
    """A context used twice per line with the same next token doubles the variance (D = 2);
    with one of each next token it removes it (D = 0). Simulated errors of line draws, against
    D C_c / m_c (the delta method: an approximation, here within 4 SE + 5%)."""
    corpus = NGramCorpus(lines * 100, order=2)
    effect = design_effect(corpus, min_count=100)
    size = len(corpus.vocabulary)
    a = corpus.vocabulary.index("a")
    context_a = int(corpus.context[corpus.universe // size == a][0])  # the context "a"
    slot = list(effect.contexts).index(context_a)
    assert effect.per_context[slot] == pytest.approx(expected, abs=1e-12)
    per, _ = _line_error(corpus, 400, 2000, 11, 100)
    sim = per[:, slot]
    in_a = corpus.counts[corpus.context == context_a]
    p = in_a / in_a.sum()
    m_c = 400 * in_a.sum() / corpus.tokens
    law = expected * (1 - np.sum(p**2)) / m_c
    se = sim.std(ddof=1) / np.sqrt(sim.size)
    assert abs(sim.mean() - law) <= 4 * se + 0.05 * law + 1e-15


def test_design_effect_on_the_shipped_text():
    """On 3,000 lines of the shipped text: D C_c / m_c predicts the mean per-context error of
    fits to whole lines (within 4 SE + 3%); with D = 1 it would be off by the stated D - 1."""
    corpus = NGramCorpus(load_text()[:3000], order=2)
    effect = design_effect(corpus, min_count=100)
    per, out = _line_error(corpus, 20_000, 300, 12, 100)
    sim = per.mean(axis=1)
    share = out.reference_counts / corpus.tokens
    p = conditional(corpus, corpus.counts[None, :])[0]
    purity = np.bincount(corpus.context, p * p)[effect.contexts]
    law = np.mean(effect.per_context * (1 - purity) / (20_000 * share))
    se = sim.std(ddof=1) / np.sqrt(sim.size)
    assert abs(sim.mean() - law) <= 4 * se + 0.03 * law
    assert 1.0 < effect.overall < 1.2
