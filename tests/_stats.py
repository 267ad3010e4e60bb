"""Helpers for statistical assertions with tolerances from Monte Carlo standard errors."""


def z_within(estimate: float, expected: float, se: float, sigmas: float = 4.0) -> bool:
    """Whether ``estimate`` is within ``sigmas`` Monte Carlo standard errors of ``expected``."""
    return bool(abs(estimate - expected) <= sigmas * se)
