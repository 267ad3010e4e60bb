"""The options of a simulation, shared by ``modelcollapse simulate`` and configuration files.

One table of options, defined once as argparse arguments (:func:`add_simulate_arguments`): the
command line adds them to ``simulate``, and :mod:`modelcollapse.config` reads their names, types
and choices to validate a configuration file, so every command-line option ``--n-real`` has the
configuration name ``n_real``. :func:`simulate_from_options` turns a complete set of options
(a namespace's ``vars`` or a dictionary with every key) into a family and a
:func:`~modelcollapse.simulate` call.

Besides the built-in families, ``--family scipy:NAME`` is any :mod:`scipy.stats` distribution
(:class:`~modelcollapse.ScipyFamily`), its true parameters given by ``--params c=1.5,scale=2``
and the ones held at their true values by ``--fixed loc`` (:func:`scipy_family`).
"""

from __future__ import annotations

import argparse
import functools
from typing import Any

from ._validation import InvalidArgumentError, check_int, fail
from .cli._common import (
    SCIPY_PREFIX,
    FamilyChoices,
    is_class_path,
    is_scipy,
    registered_families,
)
from .engine import ENGINES, simulate
from .families import (
    FAMILIES,
    FAMILY_NAMES,
    ExponentialDistribution,
    Gaussian,
    LogisticRegression,
    make_family,
)
from .families.parameters import OneOf, constructor_options
from .regimes import REGIME_NAMES
from .results import SimulationResult
from .schedules import parse_bias

__all__ = [
    "SCIPY_OPTIONS",
    "add_simulate_arguments",
    "check_options",
    "class_family",
    "family_from_options",
    "family_options",
    "parse_bias",
    "parse_fixed",
    "parse_params",
    "parse_record",
    "scipy_family",
    "simulate_defaults",
    "simulate_from_options",
]


def _choices(family: Any, name: str) -> tuple[str, ...]:
    """The strings the option ``name`` of ``family`` allows (a :class:`OneOf` constraint)."""
    constraint = family.parameters[name]
    assert isinstance(constraint, OneOf)
    return constraint.values


def add_simulate_arguments(p: argparse.ArgumentParser) -> None:
    """Add the model, recursion and run options of a simulation to ``p``."""
    model = p.add_argument_group(
        "model", "the family and its true parameters; each option applies to the families named"
    )
    model.add_argument(
        "--family",
        default="gaussian",
        choices=FamilyChoices(FAMILY_NAMES, classes=True),
        help="statistical family: a built-in one, or scipy:NAME for any continuous or discrete "
        "scipy.stats distribution, e.g. scipy:weibull_min, fitted by weighted maximum "
        "likelihood (engines sample and asymptotic; with --params and --fixed), or "
        "package.module:ClassName for your own family class, built with --params, or the "
        "name an installed package registers in the modelcollapse.families entry-point group "
        "(default: %(default)s)",
    )
    model.add_argument(
        "--params",
        default=None,
        metavar="NAME=VALUE,...",
        help="scipy:NAME: the true parameters, the distribution's shape parameters and loc, "
        "scale (continuous) or loc (discrete), e.g. c=1.5,scale=2; a loc or scale not given "
        "keeps scipy's default 0 or 1 and is fixed; module:Class: its constructor's keyword "
        "arguments (numbers)",
    )
    model.add_argument(
        "--fixed",
        default=None,
        metavar="NAME,...",
        help="scipy:NAME: parameters held at their true values instead of estimated, a comma "
        "list, e.g. loc (default: none beyond a loc or scale not given)",
    )
    model.add_argument(
        "--dim",
        type=int,
        default=None,
        help="gaussian: dimension d of N(mu 1_d, sigma2 I_d) (default: 1)",
    )
    model.add_argument("--mu", type=float, default=None, help="gaussian: true mean (default: 0)")
    model.add_argument(
        "--sigma2", type=float, default=None, help="gaussian: true variance (default: 1)"
    )
    model.add_argument(
        "--variance",
        default=None,
        choices=_choices(Gaussian, "variance"),
        help="gaussian: variance estimator S/(n-1) or S/n (default: unbiased)",
    )
    model.add_argument(
        "--combine",
        default=None,
        choices=_choices(Gaussian, "combine"),
        help="gaussian: how weighted sources combine: convex combination of "
        "per-source covariances, or pooled with the between-source term "
        "(default: convex)",
    )
    model.add_argument(
        "--bias",
        default=None,
        metavar="BETA,GAMMA",
        help="gaussian: biased variance estimator, each estimate multiplied by "
        "1 + BETA n^-GAMMA (write --bias=-1,0.5 for a negative BETA)",
    )
    model.add_argument(
        "--rate", type=float, default=None, help="exponential, gamma: true rate (default: 1)"
    )
    model.add_argument(
        "--estimator",
        default=None,
        choices=_choices(ExponentialDistribution, "estimator"),
        help="exponential: rate estimator n/S or (n-1)/S (default: mle)",
    )
    model.add_argument("--lam", type=float, default=None, help="poisson: true mean (default: 1)")
    model.add_argument(
        "--p",
        default=None,
        help="bernoulli: success probability (default: 0.5); categorical: cell "
        "probabilities as a comma list, e.g. 0.5,0.3,0.2",
    )
    model.add_argument(
        "--k", type=int, default=None, help="categorical: uniform on k cells (default: 2)"
    )
    model.add_argument("--shape", type=float, default=None, help="gamma: true shape (default: 1)")
    model.add_argument(
        "--beta",
        default=None,
        help="regressions: true coefficients as a comma list, or one number repeated --dim "
        "times (default: 1,1)",
    )
    model.add_argument(
        "--cov",
        type=float,
        default=None,
        help="regressions: real covariates N(0, COV I) (default: 1)",
    )
    model.add_argument(
        "--synthetic-cov",
        type=float,
        default=None,
        help="linear-random, logistic, poisson-regression: synthetic covariates N(0, COV I) "
        "(default: the real law)",
    )
    model.add_argument(
        "--penalty",
        default=None,
        choices=_choices(LogisticRegression, "penalty"),
        help="logistic: unpenalised weighted MLE, or scikit-learn's L2 with C = 1 and weights "
        "summing to n + m (default: none)",
    )
    model.add_argument(
        "--clip",
        type=float,
        default=None,
        help="poisson-regression: clip of the linear predictor (default: 20)",
    )
    model.add_argument(
        "--design-rows",
        type=int,
        default=None,
        help="linear-fixed: rows of the fixed design, drawn once; every sample size must equal "
        "it (default: 100)",
    )
    rec = p.add_argument_group("recursion")
    rec.add_argument(
        "--n0",
        type=int,
        default=100,
        help="real sample size at generation 0 (default: %(default)s)",
    )
    rec.add_argument(
        "--schedule",
        default="constant:n=100",
        help="synthetic sample size n_synth(t) (default: %(default)s)",
    )
    rec.add_argument(
        "--n-real",
        default="0",
        help="fresh real sample size n_real(t) for t >= 1, a schedule; 0 is fully "
        "synthetic (default: 0)",
    )
    rec.add_argument(
        "--weight",
        default=None,
        help="weight w on fresh real data (with --n-real > 0): a number in [0, 1] (the same "
        "at every generation); proportional or naive: unweighted pooling, w = n_real/(n_real + "
        "n_synth); optimal: paper 2's w*(k) = (sqrt(k^2 + 4k) - k)/2 with k = n_real/n_synth "
        "(1/phi = 0.618 at k = 1); greedy: per generation, the weight minimising the next "
        "first-order error (default: proportional). The run's header prints the value used",
    )
    rec.add_argument(
        "--shrinkage",
        default=None,
        help="multiplicative shrinkage delta_t of each fit (low-temperature sampling): a "
        "number, or shrink:delta=D,p=P for delta_t = D t^-P",
    )
    rec.add_argument(
        "--regime",
        default="replace",
        help="how a generation's training set is formed: "
        + ", ".join(REGIME_NAMES)
        + " (anchor:alpha=A weighs the reused real data A; accumulate-subsample:size=N trains "
        "on N pooled points, default n0; default: %(default)s)",
    )
    rec.add_argument(
        "--generations",
        type=int,
        default=100,
        help="recursive generations T after generation 0 (default: %(default)s)",
    )
    run = p.add_argument_group("run")
    run.add_argument(
        "--replications",
        type=int,
        default=1000,
        help="independent replications R (default: %(default)s)",
    )
    run.add_argument(
        "--seed",
        type=int,
        default=None,
        help="root seed; the header shows the seed used when none is given",
    )
    run.add_argument(
        "--engine",
        default=None,
        choices=ENGINES,
        help="exact: draw sufficient statistics (cost independent of n); sample: draw the data; "
        "asymptotic: draw estimates from their normal limit (default: the family's first, "
        "exact where it has one)",
    )
    run.add_argument(
        "--eps",
        type=float,
        default=0.05,
        help="collapse threshold: a replication has collapsed when sigma2 <= eps "
        "(default: %(default)s)",
    )
    run.add_argument(
        "--record",
        default="auto",
        help="generations to record: auto, all, final or a comma list (default: %(default)s)",
    )
    run.add_argument(
        "--workers",
        type=int,
        default=1,
        help="processes sharing the replications, in whole blocks of 1024; the result is "
        "identical for any number (default: %(default)s)",
    )


def simulate_defaults() -> dict[str, Any]:
    """Every simulation option with its default (``None`` where the family decides)."""
    parser = argparse.ArgumentParser(add_help=False)
    add_simulate_arguments(parser)
    return vars(parser.parse_args([]))


#: Command-line names of constructor options named otherwise (linear-fixed's ``n``).
_CLI_NAMES = {"n": "design_rows"}


@functools.cache
def _model_options() -> frozenset[str]:
    """The family options the command line has: its model group, less the family itself and
    the scipy families' options."""
    parser = argparse.ArgumentParser(add_help=False)
    add_simulate_arguments(parser)
    group = next(g for g in parser._action_groups if g.title == "model")
    return frozenset(a.dest for a in group._group_actions) - {"family", *SCIPY_OPTIONS}


def family_options(name: str) -> tuple[str, ...]:
    """The command-line options of built-in family ``name``: the options of its constructor
    (:data:`~modelcollapse.families.FAMILIES`) that the command line has, in the
    constructor's order, linear-fixed's ``n`` as ``design_rows``.

    Examples
    --------
    >>> family_options("gaussian")
    ('dim', 'mu', 'sigma2', 'variance', 'combine', 'bias')
    >>> family_options("linear-fixed")
    ('beta', 'dim', 'design_rows', 'sigma2', 'cov')
    """
    cli = (_CLI_NAMES.get(key, key) for key in constructor_options(FAMILIES[name]))
    return tuple(key for key in cli if key in _model_options())


#: The options of a ``scipy:NAME`` family (the true parameters and the fixed ones).
SCIPY_OPTIONS = ("params", "fixed")


def parse_params(text: Any) -> dict[str, float]:
    """``--params``: ``"c=1.5,scale=2"`` (or a dictionary) as ``{"c": 1.5, "scale": 2.0}``.

    Examples
    --------
    >>> parse_params("c=1.5, scale=2")
    {'c': 1.5, 'scale': 2.0}
    """
    if isinstance(text, dict):
        items = [(str(k), v) for k, v in text.items()]
    else:
        items = []
        for part in str(text).split(","):
            if not part.strip():
                continue
            name, sep, value = part.partition("=")
            if not sep or not name.strip().isidentifier():
                raise fail(
                    "params",
                    "must be NAME=VALUE pairs separated by commas, e.g. c=1.5,scale=2",
                    text,
                )
            items.append((name.strip(), value.strip()))
    if not items:
        raise fail("params", "must give at least one NAME=VALUE pair, e.g. c=1.5,scale=2", text)
    out: dict[str, float] = {}
    for name, value in items:
        if name in out:
            raise fail("params", f"{name}: is given twice", text)
        if isinstance(value, bool):
            raise fail("params", f"{name}: must be a number", value)
        try:
            out[name] = float(value)
        except (TypeError, ValueError):
            raise fail("params", f"{name}: must be a number", value) from None
    return out


def parse_fixed(text: Any) -> tuple[str, ...]:
    """``--fixed``: ``"loc,scale"`` (or a sequence of names) as ``("loc", "scale")``.

    Examples
    --------
    >>> parse_fixed("loc, scale")
    ('loc', 'scale')
    """
    if text is None:
        return ()
    parts = str(text).split(",") if isinstance(text, str) else [str(v) for v in text]
    names = tuple(p.strip() for p in parts if p.strip())
    for name in names:
        if not name.isidentifier():
            raise fail("fixed", "must be parameter names separated by commas, e.g. loc", text)
    return names


def scipy_family(family: str, params: Any = None, fixed: Any = None) -> Any:
    """The :class:`~modelcollapse.ScipyFamily` of ``--family scipy:NAME --params ... --fixed
    ...``.

    Every error names the option at fault: ``family`` (not a :mod:`scipy.stats` distribution),
    ``params`` (bad text, an unknown parameter, a missing shape parameter, a value outside its
    domain) or ``fixed`` (a name that is not a parameter, nothing left to estimate).

    Examples
    --------
    >>> scipy_family("scipy:weibull_min", "c=1.5,scale=2").param_labels
    ('c', 'scale')
    """
    name = str(family)[len(SCIPY_PREFIX) :].strip()
    from scipy import stats

    dist = getattr(stats, name, None) if name.isidentifier() else None
    if not isinstance(dist, (stats.rv_continuous, stats.rv_discrete)):
        raise fail(
            "family",
            "scipy:NAME needs NAME to be a continuous or discrete distribution of scipy.stats, "
            "e.g. scipy:weibull_min, scipy:lognorm, scipy:nbinom",
            family,
        )
    values = {} if params is None else parse_params(params)
    held = parse_fixed(fixed)
    from .families.generic import ScipyFamily

    try:
        return ScipyFamily(name, fixed=held, **values)
    except InvalidArgumentError as err:
        key, _, rest = str(err).partition(":")
        if key == "dist":
            raise InvalidArgumentError(f"family:{rest}") from None
        if key == "fixed" and rest.startswith(" leaves no parameter") and not held:
            raise fail(
                "params",
                f"leaves no parameter of {name} to estimate: a loc or scale not given is fixed "
                "at scipy's default; give the ones to estimate, e.g. loc=0,scale=1",
                params,
            ) from None
        if key == "fixed":
            raise
        raise InvalidArgumentError(f"params: {err}") from None


def _numbers(name: str, text: Any, problem: str) -> list[float]:
    try:
        return [float(v) for v in str(text).split(",") if v.strip()]
    except ValueError:
        raise fail(name, problem, text) from None


def class_family(family: str, params: Any = None) -> Any:
    """The family ``--family package.module:ClassName --params NAME=VALUE,...``: the class
    imported from its module and built with the ``--params`` as keyword arguments.

    Every error is one line naming the option: ``family`` (a module that cannot be imported, a
    name it does not define, not a class, a class that is not a family: the members of the
    :class:`~modelcollapse.families.base.Family` protocol it lacks) or ``params`` (a parameter
    its constructor does not take, or one it refuses).

    Examples
    --------
    >>> class_family("modelcollapse.families:Poisson", "lam=2.5")
    Poisson(lam=2.5)
    """
    import importlib
    import inspect

    from .families.base import protocol_gaps

    module_name, _, class_name = str(family).partition(":")
    try:
        module = importlib.import_module(module_name)
    except Exception as err:  # ImportError, or the module's own error at import
        reason = " ".join(str(err).split())
        raise fail("family", f"cannot import module {module_name} ({reason})", family) from None
    cls: Any = module
    for part in class_name.split("."):
        cls = getattr(cls, part, None)
    if cls is None:
        raise fail("family", f"module {module_name} has no {class_name}", family)
    if not inspect.isclass(cls):
        raise fail("family", f"{class_name} in {module_name} is not a class", family)
    given = {} if params is None else parse_params(params)
    try:
        takes = constructor_options(cls)
        signature = inspect.signature(cls).parameters.values()
        accepts_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in signature)
    except (TypeError, ValueError):  # no signature to read (a built-in type)
        takes, accepts_any = (), True
    for name, value in given.items():
        if name not in takes and not accepts_any:
            allowed = ", ".join(takes) or "no parameters"
            raise fail("params", f"{class_name} takes {allowed}; not {name}", value)
    try:
        made = cls(**given)
    except InvalidArgumentError as err:
        raise fail("params", f"{class_name} refuses them: {err}", params) from None
    except (TypeError, ValueError) as err:
        raise fail("params", f"{class_name}({params or ''}) failed: {err}", params) from None
    gaps = protocol_gaps(made)
    if gaps:
        raise fail(
            "family",
            f"{class_name} is not a family: it lacks {', '.join(gaps)} of the Family protocol",
            family,
        )
    return made


def family_from_options(options: dict[str, Any]) -> Any:
    """The family ``options["family"]`` with the options given for it (not None); an option
    given for another family is an error. ``scipy:NAME`` takes ``params`` and ``fixed``
    (:func:`scipy_family`).

    Examples
    --------
    >>> family_from_options({"family": "categorical", "p": "0.5,0.3,0.2"})
    Categorical(K=3)
    """
    family = options.get("family") or "gaussian"
    if isinstance(family, str) and family not in FAMILY_NAMES and not is_scipy(family):
        family = registered_families().get(family, family)  # an entry point's class
    if is_class_path(family):
        others = {k: v for k, v in options.items() if k in _model_options() and v is not None}
        for key, value in others.items():
            raise fail(key, f"does not apply to a family class ({family} takes --params)", value)
        if options.get("fixed") is not None:
            raise fail("fixed", "applies to scipy:NAME families only", options["fixed"])
        return class_family(family, options.get("params"))
    scipy = is_scipy(family)
    if family not in FAMILY_NAMES and not scipy:
        names = ", ".join((*FAMILY_NAMES, "scipy:NAME"))
        raise fail("family", f"must be one of {names}", family)
    allowed = SCIPY_OPTIONS if scipy else family_options(family)
    known = sorted(_model_options() | set(SCIPY_OPTIONS))
    given = {key: options[key] for key in known if options.get(key) is not None}
    for key, value in given.items():
        if key in allowed:
            continue
        names = ", ".join(allowed) or "none"
        if key in SCIPY_OPTIONS:
            raise fail(
                key, f"applies to scipy:NAME families only (family {family} takes {names})", value
            )
        raise fail(key, f"does not apply to family {family}, whose options are {names}", value)
    if scipy:
        return scipy_family(family, given.get("params"), given.get("fixed"))
    if "bias" in given:
        given["bias"] = parse_bias(given["bias"])
    if "beta" in given:
        beta = _numbers("beta", given["beta"], "must be a comma list of numbers")
        given["beta"] = beta[0] if len(beta) == 1 else beta
    if "dim" in given and "beta" not in given and "beta" in allowed:
        given["beta"] = 1.0  # one coefficient per dimension
    if "design_rows" in given:
        given["n"] = given.pop("design_rows")
    if "p" in given:
        values = _numbers("p", given["p"], "must be a number or a comma list")
        if family == "categorical":
            given["p"] = values
        elif len(values) != 1:
            raise fail("p", "must be one probability for bernoulli", given["p"])
        else:
            given["p"] = values[0]
    try:
        return make_family(family, **given)
    except InvalidArgumentError as err:  # the family's n is the option design_rows
        message = str(err)
        if message.startswith("n:") and "design_rows" in options and options["design_rows"]:
            raise InvalidArgumentError("design_rows:" + message[2:]) from None
        raise


def parse_record(text: Any) -> str | list[int]:
    """``auto``, ``all``, ``final`` or a comma list of generations."""
    if text in ("auto", "all", "final"):
        return text
    if isinstance(text, (list, tuple)):
        text = ",".join(str(v) for v in text)
    try:
        return [int(s) for s in str(text).split(",") if s.strip()]
    except ValueError:
        raise fail(
            "record", "must be auto, all, final or a comma list of generations", text
        ) from None


def _simulate_arguments(merged: dict[str, Any]) -> dict[str, Any]:
    return {
        "n0": merged["n0"],
        "schedule": merged["schedule"],
        "generations": merged["generations"],
        "replications": merged["replications"],
        "seed": merged["seed"],
        "engine": merged["engine"],
        "n_real": merged["n_real"],
        "weight": merged["weight"],
        "regime": merged["regime"],
        "shrinkage": merged["shrinkage"],
        "record": parse_record(merged["record"]),
        "eps": merged["eps"],
        "workers": merged["workers"],
    }


def check_options(options: dict[str, Any]) -> None:
    """Validate simulation options as :func:`simulate_from_options` would, without running
    anything (raises :class:`~modelcollapse.InvalidArgumentError`)."""
    from .engine import _Plan

    merged = {**simulate_defaults(), **options}
    args = _simulate_arguments(merged)
    weight = args.pop("weight")
    workers = check_int("workers", args.pop("workers"), minimum=1)
    plan = _Plan(family_from_options(merged), **args, metrics=None, chunk_size=None)
    plan._weights(weight)
    plan.check_run_memory(1, workers)


def simulate_from_options(options: dict[str, Any], progress: Any = False) -> SimulationResult:
    """Run :func:`~modelcollapse.simulate` from simulation options (missing keys take their
    defaults), reporting to ``progress`` (see :func:`~modelcollapse.simulate`; default
    silent)."""
    merged = {**simulate_defaults(), **options}
    return simulate(family_from_options(merged), **_simulate_arguments(merged), progress=progress)
