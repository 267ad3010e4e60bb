"""n-gram language models retrained on their own text.

- :class:`NGramModel` (:mod:`modelcollapse.lm.family`): the model as a family of
  :func:`modelcollapse.simulate`, with the ``sequence`` and ``counts`` engines.
- :mod:`modelcollapse.lm.corpus`: a tokenizer and :class:`NGramCorpus`, a training pool as
  n-gram counts over its fixed universe of distinct n-grams.
- :mod:`modelcollapse.lm.engines`: drawing text as n-gram counts batched over replications:
  real lines, the ``sequence`` engine (token by token) and the ``counts`` engine (a multinomial
  over the model's n-gram frequencies, an approximation of the sequence engine).
- :mod:`modelcollapse.lm.model`: next-token probabilities (add-0, add-alpha, interpolated
  Kneser-Ney), held-out perplexity, and the per-generation metrics (distinct n-grams,
  vocabulary, lost real mass, KL from the generation-0 model, per-context error and paper 2's
  per-context prediction of it).

The lost tail's closed form is :mod:`modelcollapse.theory.ngram`.
"""

from __future__ import annotations

from .corpus import NGramCorpus, tokenize
from .family import NGramModel

__all__ = ["NGramCorpus", "NGramModel", "tokenize"]
