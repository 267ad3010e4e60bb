"""Text as n-gram counts: a tokenizer and the fixed universe of a training pool's n-grams.

An n-gram language model of order ``n`` fitted by add-0 maximum likelihood is a set of
categorical distributions, one per context of ``n - 1`` tokens. Each line of the text is one
sentence: its tokens, then the end token ``</s>``, with the first contexts padded by the start
token ``<s>`` (so a model draws a sentence from ``<s> ... <s>`` to ``</s>``, and a chain never
starts at the end token). The n-grams of a line are its windows of ``n`` tokens over the padded
sequence, one per predicted token (the words and ``</s>``); the *tokens* of a text are those
predicted tokens, so a text's n-gram counts sum to its token count.

:class:`NGramCorpus` holds a training pool as the sorted array of its distinct n-grams (the
*universe*) and each line's counts over it (a sparse matrix). A model is a count vector over
the universe; an n-gram outside the universe never appears under add-0 estimation, since every
model descends from the pool's counts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from .._validation import check_choice, check_int, fail

__all__ = ["END", "LEVELS", "START", "NGramCorpus", "tokenize"]

#: Token levels: lower-case words and punctuation marks, or characters.
LEVELS = ("word", "char")
#: The start (padding) and end tokens, ids 0 and 1 of every vocabulary.
START, END = "<s>", "</s>"
#: Highest n-gram order (the n-gram codes are integers below ``V^order``).
MAX_ORDER = 3

# A word: letters or digits, with inner apostrophes (don't, Israel's); else one mark per token.
_WORD = re.compile(r"\w+(?:['\u2019]\w+)*|[^\w\s]")


def tokenize(line: str, level: str = "word") -> list[str]:
    """The tokens of one line of text, lower-cased.

    Parameters
    ----------
    line : str
        One sentence or document.
    level : {"word", "char"}
        ``"word"``: words (letters and digits with inner apostrophes) and each punctuation mark
        as its own token. ``"char"``: every character, spaces included (runs of white space are
        one space, and the ends are stripped).

    Returns
    -------
    list of str

    Examples
    --------
    >>> tokenize("In the beginning, God created the heavens.")
    ['in', 'the', 'beginning', ',', 'god', 'created', 'the', 'heavens', '.']
    >>> tokenize("Don't  go!", level="char")
    ['d', 'o', 'n', "'", 't', ' ', 'g', 'o', '!']
    """
    text = line.lower()
    if level == "word":
        return _WORD.findall(text)
    if level == "char":
        return list(" ".join(text.split()))
    raise fail("level", f"must be one of {', '.join(LEVELS)}", level)


class NGramCorpus:
    """A training pool as n-gram counts over its fixed universe of distinct n-grams.

    Parameters
    ----------
    lines : sequence of str
        The pool, one sentence or document per line; empty lines (no tokens) are skipped.
    order : int
        ``n``, 1 to 3: a unigram model has one context (the empty one).
    level : {"word", "char"}
        Tokens of :func:`tokenize`.

    Attributes
    ----------
    vocabulary : tuple of str
        The tokens, ``<s>`` and ``</s>`` first, then in order of first appearance.
    universe : numpy.ndarray of int64, shape (G,)
        The distinct n-grams, sorted, as codes ``sum_i token_i V^(n-1-i)`` (``V`` the vocabulary
        size), so that n-grams of one context are contiguous.
    context : numpy.ndarray of int64, shape (G,)
        The context index (``0..C-1``, in sorted order) of each n-gram.
    next_token : numpy.ndarray of int64, shape (G,)
        The predicted token of each n-gram.
    line_counts : scipy.sparse.csr_matrix, shape (L, G)
        Each kept line's n-gram counts.
    line_tokens : numpy.ndarray of int64, shape (L,)
        Each line's tokens (its words and ``</s>``): the row sums of ``line_counts``.
    counts : numpy.ndarray of int64, shape (G,)
        The pool's n-gram counts, summing to :attr:`tokens`.

    Examples
    --------
    >>> corpus = NGramCorpus(["the cat sat", "the dog sat"], order=2)
    >>> corpus.distinct_ngrams, corpus.tokens, corpus.vocabulary[2:]
    (6, 8, ('the', 'cat', 'sat', 'dog'))
    >>> corpus.ngram_text(corpus.universe[corpus.counts.argmax()])
    ('<s>', 'the')
    """

    def __init__(self, lines: Sequence[str] | Iterable[str], order: int = 2, level: str = "word"):
        from scipy import sparse

        self.order = check_int("order", order, minimum=1)
        if self.order > MAX_ORDER:
            raise fail("order", f"must be an integer from 1 to {MAX_ORDER}", order)
        self.level = check_choice("level", level, LEVELS)
        ids: dict[str, int] = {START: 0, END: 1}
        encoded = []
        for line in lines:
            if not isinstance(line, str):
                raise fail("lines", "must be strings, one line of text each", type(line).__name__)
            tokens = tokenize(line, self.level)
            if tokens:
                encoded.append([ids.setdefault(tok, len(ids)) for tok in tokens] + [1])
        if not encoded:
            raise fail("lines", "hold no tokens: the text is empty", "0 tokens")
        self.vocabulary = tuple(ids)
        size = len(ids)
        windows, lengths = _windows(encoded, self.order)
        codes = np.zeros(lengths.sum(), dtype=np.int64)
        for column in range(self.order):
            codes = codes * size + windows[:, column]
        self.universe, inverse = np.unique(codes, return_inverse=True)
        rows = np.repeat(np.arange(lengths.size), lengths)
        matrix = sparse.csr_matrix(
            (np.ones(codes.size, dtype=np.int64), (rows, inverse)),
            shape=(lengths.size, self.universe.size),
        )
        matrix.sum_duplicates()
        self.line_counts = matrix
        self.line_tokens = lengths
        self.counts = np.asarray(matrix.sum(axis=0), dtype=np.int64).ravel()
        self.next_token = self.universe % size
        _, self.context = np.unique(self.universe // size, return_inverse=True)
        self.context = self.context.astype(np.int64)

    # -- sizes ------------------------------------------------------------------------------
    @property
    def tokens(self) -> int:
        """Predicted tokens in the pool (its n-gram occurrences)."""
        return int(self.line_tokens.sum())

    @property
    def lines(self) -> int:
        """Lines kept (those with at least one token)."""
        return int(self.line_tokens.size)

    @property
    def distinct_ngrams(self) -> int:
        """``G``, the size of the universe."""
        return int(self.universe.size)

    @property
    def contexts(self) -> int:
        """Distinct contexts of ``n - 1`` tokens."""
        return int(self.context[-1]) + 1

    def __repr__(self) -> str:
        return (
            f"NGramCorpus(order={self.order}, level={self.level!r}, lines={self.lines:,}, "
            f"tokens={self.tokens:,}, distinct_ngrams={self.distinct_ngrams:,})"
        )

    # -- reading codes back -----------------------------------------------------------------
    def ngram_text(self, code: Any) -> tuple[str, ...]:
        """The tokens of one n-gram code, context first."""
        size = len(self.vocabulary)
        out = []
        value = int(code)
        for _ in range(self.order):
            value, token = divmod(value, size)
            out.append(self.vocabulary[token])
        return tuple(reversed(out))

    def word_ngrams(self) -> Any:
        """A sparse ``(V, G)`` 0/1 matrix: which n-grams contain each token (in any position,
        padding included): a model's vocabulary is the tokens with a surviving n-gram."""
        from scipy import sparse

        size = len(self.vocabulary)
        rows, cols = [], []
        value = self.universe.copy()
        for _ in range(self.order):
            value, token = np.divmod(value, size)
            rows.append(token)
            cols.append(np.arange(self.universe.size))
        r, c = np.concatenate(rows), np.concatenate(cols)
        shape = (size, self.universe.size)
        matrix = sparse.csr_matrix((np.ones(r.size, dtype=np.int64), (r, c)), shape=shape)
        matrix.sum_duplicates()
        matrix.data[:] = 1  # an n-gram that holds a token twice counts once
        return matrix


def _windows(encoded: Sequence[Sequence[int]], order: int) -> tuple[np.ndarray, np.ndarray]:
    """The n-gram windows of encoded lines, one row per predicted token, and the lines' lengths.

    Each line of ``encoded`` holds its token ids followed by the end token; it is padded with
    ``order - 1`` start tokens (id 0), and row ``i`` of the windows holds the ``order`` ids ending
    at the ``i``-th predicted token, context first (lines in order, shape ``(sum lengths,
    order)``).
    """
    pad = order - 1
    lengths = np.array([len(e) for e in encoded], dtype=np.int64)
    stream = np.concatenate([np.array([0] * pad + list(e), dtype=np.int64) for e in encoded])
    # The window ending at each predicted token: position p of a line's padded sequence.
    starts = np.concatenate([[0], np.cumsum(lengths + pad)[:-1]])
    ends = np.repeat(starts + pad, lengths) + _ranges(lengths)  # index of the predicted token
    columns = [stream[ends - back] for back in range(order - 1, -1, -1)]
    return np.stack(columns, axis=1), lengths


def _ranges(lengths: np.ndarray) -> np.ndarray:
    """``[0..l_0-1, 0..l_1-1, ...]`` for the given lengths."""
    total = int(lengths.sum())
    offsets = np.repeat(np.cumsum(lengths) - lengths, lengths)
    return np.arange(total, dtype=np.int64) - offsets
