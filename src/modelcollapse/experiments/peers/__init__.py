"""Reproductions of the related regimes (spec ``peers.md``), one module per experiment.

- :mod:`.regression`: ``peers-regression``, fixed-design linear regression under replace
  against accumulate (Gerstgrasser et al. 2024; Dohmatob et al.).
- :mod:`.bounds`: ``peers-bounds``, the Suresh et al. and Bertrand-style bounds on
  ``P(sigma_k > eps)`` against paper 1's exact probability and simulation.
- :mod:`.discrete`: ``peers-discrete``, categorical collapse as Wright-Fisher drift; its key
  table, notes and figures in :mod:`.discrete_report`, its verdicts in
  :mod:`.discrete_verdicts`.
- :mod:`.strategies`: ``strategies``, every way of training on synthetic data head to head; the
  strategies' options, laws, costs and simulation cells in :mod:`.strategies_arms`, its key
  table and notes in :mod:`.strategies_report`, its verdicts in :mod:`.strategies_verdicts`.

Each experiment's ``judge`` reads only its results table.
"""
