"""Tokenizer and n-gram universe of modelcollapse.lm.corpus, against a brute-force count."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

import modelcollapse as mc
from modelcollapse.lm import NGramCorpus, tokenize
from modelcollapse.lm.corpus import END, START

TEXT = [
    "In the beginning, God created the heavens and the earth.",
    "The earth was formless and empty.",
    "",
    "   ",
    "God said, \u201cLet there be light,\u201d and there was light.",
    "God saw the light, and saw that it was good. Don't go!",
]


def _brute_force(lines, order, level):
    """Counter of padded n-gram windows, one per predicted token."""
    counts = Counter()
    for line in lines:
        tokens = tokenize(line, level)
        if not tokens:
            continue
        padded = [START] * (order - 1) + tokens + [END]
        for i in range(order - 1, len(padded)):
            counts[tuple(padded[i - order + 1 : i + 1])] += 1
    return counts


@pytest.mark.parametrize("level", ["word", "char"])
@pytest.mark.parametrize("order", [1, 2, 3])
def test_the_universe_is_the_texts_distinct_ngrams(order, level):
    corpus = NGramCorpus(TEXT, order=order, level=level)
    expected = _brute_force(TEXT, order, level)
    got = {
        corpus.ngram_text(u): int(c) for u, c in zip(corpus.universe, corpus.counts, strict=True)
    }
    assert got == dict(expected)
    assert corpus.distinct_ngrams == len(expected)
    assert corpus.tokens == sum(expected.values()) == corpus.counts.sum()
    assert corpus.lines == 4  # the empty and blank lines are skipped
    assert np.array_equal(np.asarray(corpus.line_counts.sum(axis=1)).ravel(), corpus.line_tokens)
    assert np.all(np.diff(corpus.universe) > 0)
    # the n-grams of one context are contiguous and the contexts are numbered in order
    assert corpus.context[0] == 0 and np.all(np.diff(corpus.context) >= 0)
    assert corpus.contexts == len({k[:-1] for k in expected})


def test_tokenize():
    assert tokenize("Israel\u2019s sons; don't.") == ["israel\u2019s", "sons", ";", "don't", "."]
    assert tokenize("  A  b ", level="char") == ["a", " ", "b"]
    assert tokenize("") == []


def test_which_ngrams_contain_each_token():
    corpus = NGramCorpus(["a b a", "b c"], order=2)
    contains = corpus.word_ngrams().toarray()
    for v, token in enumerate(corpus.vocabulary):
        for g, code in enumerate(corpus.universe):
            assert contains[v, g] == (token in corpus.ngram_text(code))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lines": TEXT, "order": 0}, "order: must be an integer >= 1"),
        ({"lines": TEXT, "order": 5}, "order: must be an integer from 1 to 3"),
        ({"lines": TEXT, "level": "byte"}, "level: must be one of word, char"),
        ({"lines": ["", "  "]}, "lines: hold no tokens: the text is empty"),
        ({"lines": [b"bytes"]}, "lines: must be strings"),
    ],
)
def test_bad_inputs(kwargs, message):
    with pytest.raises(mc.InvalidArgumentError, match="^" + message):
        NGramCorpus(**kwargs)
