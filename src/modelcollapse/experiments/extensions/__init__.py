"""Experiments beyond the two papers: language-model collapse on real text (``lm-tail``)."""
