"""``modelcollapse plan``: schedules and weights that keep collapse in check."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..theory.paper2 import CONSTANT_MODELS
from ._common import (
    COMMANDS,
    FamilyChoices,
    UsageError,
    _jsonable,
    _model_params,
    _Parser,
    _table,
    law_family,
    law_parameters,
)


def _add_law_arguments(p: argparse.ArgumentParser, family_help: str | None = None) -> None:
    """``--params`` and ``--fixed`` of ``--family scipy:NAME`` (and ``--family`` itself when
    ``family_help`` is given)."""
    if family_help is not None:
        p.add_argument(
            "--family",
            default=None,
            choices=FamilyChoices((), classes=True),
            metavar="scipy:NAME|module:Class",
            help=family_help,
        )
    p.add_argument(
        "--params",
        default=None,
        metavar="NAME=VALUE,...",
        help="the true parameters of --family scipy:NAME, as in 'simulate', e.g. c=1.5,scale=2; "
        "or the constructor arguments of --family module:Class",
    )
    p.add_argument(
        "--fixed",
        default=None,
        metavar="NAME,...",
        help="parameters of --family scipy:NAME held at their true values (not estimated)",
    )


def _law(args: argparse.Namespace) -> Any:
    """The family object of ``--family scipy:NAME`` or ``module:Class`` with ``--params`` (and
    ``--fixed``); or None, after checking that ``--params`` and ``--fixed`` are not given
    without one (:func:`~modelcollapse.cli._common.law_family`)."""
    return law_family(args, "plan")


def _add_plan(sub: Any) -> None:
    p = sub.add_parser(
        "plan",
        help=COMMANDS["plan"][2],
        description="Recommend a synthetic schedule (paper 1) or a weight on real data "
        "(paper 2) from the closed forms; no simulation.",
        epilog="examples:\n"
        "  modelcollapse plan schedule --n0 100 --generations 1000 --max-inflation 1.5\n"
        "  modelcollapse plan weight --n-real 100 --n-synth 400",
    )
    kinds = p.add_subparsers(dest="kind", required=True, metavar="KIND", parser_class=_Parser)
    sched = kinds.add_parser(
        "schedule",
        help="the cheapest growing schedule that meets a target",
        description="The cheapest power, exponential or two-phase schedule for T generations "
        "from n0 real points that meets one target, beside constant and linear schedules.",
        epilog="examples:\n"
        "  modelcollapse plan schedule --n0 100 --generations 1000 --max-inflation 1.5\n"
        "  modelcollapse plan schedule --n0 100 --generations 1000 --budget 1000000\n"
        "  modelcollapse plan schedule --n0 100 --generations 100 \\\n"
        "      --target-win-probability 0.2 --family scipy:weibull_min --params c=1.5",
    )
    sched.add_argument("--n0", type=int, required=True, help="real sample size at generation 0")
    sched.add_argument("--generations", type=int, required=True, help="horizon T")
    target = sched.add_mutually_exclusive_group(required=True)
    target.add_argument("--max-inflation", type=float, help="largest risk inflation 1 + r_T (> 1)")
    target.add_argument(
        "--target-win-probability",
        type=float,
        help="smallest probability Q_T that the generation-T fit beats the real-data fit "
        "(in (0, 0.5))",
    )
    target.add_argument(
        "--budget", type=float, help="synthetic samples available over the T generations"
    )
    sched.add_argument(
        "--dim",
        type=int,
        default=1,
        help="parameters d compared by Q_T (default: 1; with --family scipy:NAME, its free "
        "parameters)",
    )
    _add_law_arguments(
        sched,
        "any parametric model: a scipy.stats law, e.g. scipy:weibull_min, or a family class "
        "package.module:ClassName with an asymptotic_covariance method, whose free "
        "parameters set d for --target-win-probability (the risk inflation and the verdict "
        "are the same for every family)",
    )
    sched.add_argument(
        "--bias",
        metavar="BETA,GAMMA",
        default=None,
        help="biased variance estimator (1 + BETA n^-GAMMA): only schedules stable under it are "
        "recommended; write a negative BETA as --bias=-1,0.5",
    )
    sched.add_argument(
        "--variance",
        default="unbiased",
        choices=("unbiased", "mle"),
        help="variance estimator the bias multiplies (default: %(default)s)",
    )
    sched.add_argument("--format", default="table", choices=("table", "json"))
    sched.add_argument(
        "--quiet",
        action="store_true",
        help="no progress on stderr (shown for horizons of a million generations or more, "
        "whose search takes seconds)",
    )
    sched.set_defaults(handler=_run_plan_schedule)
    weight = kinds.add_parser(
        "weight",
        help="the optimal weight on fresh real data",
        description="w* = (sqrt(k^2+4k) - k)/2 with k = n_real/n_synth minimises the limiting "
        "error of repeated generations, each fitted to n_real fresh real points and n_synth "
        "synthetic points drawn from the previous generation's fit (paper 2); it is not the "
        "best weight for a one-off mix. Prints the limiting error at w*, at naive pooling and "
        "with real data only (in the family's units with --family, at the true parameters it "
        "states) and the per-point sample weights of a weighted fit: w/n_real on each real "
        "point, (1-w)/n_synth on each synthetic one.",
        epilog="examples:\n"
        "  modelcollapse plan weight --n-real 100 --n-synth 100\n"
        "  modelcollapse plan weight --n-real 100 --n-synth 400 --family gaussian-mean",
    )
    weight.add_argument("--n-real", type=int, required=True, help="real points per generation")
    weight.add_argument(
        "--n-synth", type=int, required=True, help="synthetic points per generation"
    )
    weight.add_argument(
        "--family",
        default=None,
        choices=FamilyChoices(CONSTANT_MODELS, classes=True),
        help="a model whose constant C gives the error in its units; scipy:NAME is any "
        "scipy.stats law (with --params, --fixed), C = tr(I^-1) from its Fisher information I; "
        "module:Class is a family class (with --params), C the trace of its "
        "asymptotic_covariance",
    )
    _add_law_arguments(weight)
    weight.add_argument(
        "--dim", type=int, default=1, help="dimension of the model (default: %(default)s)"
    )
    weight.add_argument(
        "--sigma2",
        type=float,
        default=1.0,
        help="true variance: of the Gaussian (its covariance is sigma2 I) or of the noise "
        "(linear-random) (default: %(default)s)",
    )
    weight.add_argument(
        "--beta",
        default=None,
        metavar="B1,B2,...",
        help="true coefficients of logistic and poisson-regression, with covariates x ~ N(0, I) "
        "(default: 1 for each of --dim)",
    )
    weight.add_argument(
        "--p",
        default=None,
        metavar="P1,P2,...",
        help="true cell probabilities of categorical (default: 0.5,0.5)",
    )
    weight.add_argument("--format", default="table", choices=("table", "json"))
    weight.set_defaults(handler=_run_plan_weight)


def _run_plan_schedule(args: argparse.Namespace) -> int:
    from ..planner import plan_schedule
    from ..schedules import parse_bias

    law = _law(args)
    dim = args.dim
    if law is not None:
        dim = len(law.param_labels)
        if args.dim not in (1, dim):
            raise UsageError(
                f"--dim: is set by --family {args.family}: its free parameters number "
                f"d = {dim} (got {args.dim})"
            )
        if args.bias is not None or args.variance != "unbiased":
            flag, value = (
                ("bias", args.bias) if args.bias is not None else ("variance", args.variance)
            )
            raise UsageError(
                f"--{flag}: models the Gaussian variance estimator, not --family {args.family} "
                f"(got {value!r})"
            )
    plan = plan_schedule(
        args.n0,
        args.generations,
        max_inflation=args.max_inflation,
        target_win_probability=args.target_win_probability,
        budget=args.budget,
        dim=dim,
        bias=parse_bias(args.bias),
        variance=args.variance,
        progress=not args.quiet,
    )
    if law is not None:
        plan.target["family"] = law.name
        plan.target["free_parameters"] = list(law.param_labels)
    if args.format == "json":
        json.dump(_jsonable(plan.to_dict()), sys.stdout, indent=1, default=float)
        sys.stdout.write("\n")
        return 0
    if law is not None:
        print(
            f"{law.name}: d = {dim} free parameters ({', '.join(law.param_labels)}); the risk "
            "inflation 1 + r_T and the verdict (collapse iff sum 1/n_t diverges) hold for "
            f"any family, Q_T is the plug-in form with d = {dim}\n"
        )
    best = plan.best
    print(
        f"recommended: {best['schedule']}  ({best['total_synthetic']:,} synthetic samples over "
        f"T = {args.generations}, inflation 1 + r_T = {best['inflation']:.4g}, "
        f"Q_T = {best['win_probability']:.4g}, {best['verdict']})"
    )
    columns = ["schedule", "total_synthetic", "inflation", "win_probability", "verdict"]
    print("\ncandidates (growing, meeting the target):")
    print(plan.candidates[columns].head(8).to_string(index=False, float_format="%.4g"))
    if len(plan.comparison):
        print("\nconstant and linear, for comparison:")
        print(plan.comparison[columns].to_string(index=False, float_format="%.4g"))
    return 0


def _weight_params(args: argparse.Namespace) -> dict[str, Any]:
    """The family's true parameters from ``--dim``, ``--sigma2``, ``--beta`` and ``--p``."""
    if args.beta is not None and args.family not in ("logistic", "poisson-regression"):
        raise UsageError(
            f"--beta: applies to --family logistic and poisson-regression (got {args.beta!r})"
        )
    if args.p is not None and args.family != "categorical":
        raise UsageError(f"--p: applies to --family categorical (got {args.p!r})")
    params = _model_params(args)
    if args.beta is not None:
        try:
            beta = [float(v) for v in args.beta.split(",")]
        except ValueError:
            raise UsageError(
                f"--beta: must be a comma list of coefficients (got {args.beta!r})"
            ) from None
        if args.dim not in (1, len(beta)):
            raise UsageError(
                f"--beta: has {len(beta)} coefficients, --dim is {args.dim} (got {args.beta!r})"
            )
        params["beta"] = beta
    return params


def _vector(values: Any) -> str:
    """``(1, 1, 1)``, or ``1 for each of the 40 coordinates`` for a long constant vector."""
    import numpy as np

    values = np.asarray(values, dtype=float).ravel()
    if values.size > 6 and np.all(values == values[0]):
        return f"{values[0]:g} for each of the {values.size} coordinates"
    return "(" + ", ".join(f"{v:g}" for v in values) + ")"


def _identity(matrix: Any) -> str:
    """``sigma2 I_d`` when ``matrix`` is a multiple of the identity, else its diagonal."""
    import numpy as np

    m = np.atleast_2d(np.asarray(matrix, dtype=float))
    d = m.shape[0]
    if np.array_equal(m, m[0, 0] * np.eye(d)):
        return f"I_{d}" if m[0, 0] == 1 else f"{m[0, 0]:g} I_{d}"
    return "the matrix given"


def _assumptions(family: str, params: dict[str, Any]) -> str:
    """The true parameters ``C`` was computed at, and the options that change them."""
    if family in ("logistic", "poisson-regression"):
        return (
            f"the true coefficients beta = {_vector(params['beta'])} and covariates x ~ "
            f"N(0, {_identity(params['cov_x'])}); change them with --beta B1,B2,... or --dim"
        )
    if family in ("gaussian-mean", "gaussian-covariance"):
        return f"the true covariance {_identity(params['cov'])}; change it with --sigma2 and --dim"
    if family == "gaussian-variance":
        return f"the true variance sigma2 = {params['sigma2']:g}; change it with --sigma2"
    if family == "linear-random":
        return (
            f"covariates x ~ N(0, {_identity(params['cov_x'])}) and the true noise variance "
            f"sigma2 = {params['sigma2']:g}; change them with --dim and --sigma2"
        )
    if family == "categorical":
        return f"the true cell probabilities p = {_vector(params['p'])}; change them with --p"
    raise ValueError(f"no parameters to state for {family}")


def _run_plan_weight(args: argparse.Namespace) -> int:
    from ..planner import WEIGHT_OBJECTIVE, plan_weight

    law = _law(args)
    if law is not None:
        for flag, default in (("beta", None), ("p", None), ("dim", 1), ("sigma2", 1.0)):
            if getattr(args, flag) != default:
                raise UsageError(
                    f"--{flag}: give the true parameters of --family {args.family} with "
                    f"--params (got {getattr(args, flag)!r})"
                )
        plan = plan_weight(args.n_real, args.n_synth, law)
    else:
        params = {} if args.family is None else _weight_params(args)
        if args.family is None:
            for flag, default in (("beta", None), ("p", None), ("dim", 1), ("sigma2", 1.0)):
                if getattr(args, flag) != default:
                    raise UsageError(
                        f"--{flag}: applies with --family (got {getattr(args, flag)!r})"
                    )
        plan = plan_weight(args.n_real, args.n_synth, args.family, **params)
    if args.format == "json":
        json.dump(_jsonable(plan.to_dict()), sys.stdout, indent=1, default=float)
        sys.stdout.write("\n")
        return 0
    import textwrap

    real, synth = plan.sample_weights()
    lines = [
        f"{WEIGHT_OBJECTIVE}.",
        f"Sample weights of a weighted fit at w*: {real:.4g} on each real point (w*/n_real), "
        f"{synth:.4g} on each synthetic point ((1 - w*)/n_synth); they sum to 1.",
    ]
    if plan.family == "cdf":
        lines.append(f"cdf: C = {plan.constant:.4g} for any continuous distribution.")
    elif law is not None and plan.constant is not None:
        shown = law_parameters(law)
        method = getattr(law, "information_method", None)
        labels = f"d = {len(law.param_labels)} free parameters ({', '.join(law.param_labels)})"
        if method is not None:
            lines.append(
                f"{plan.family}: C = tr(I^-1) = {plan.constant:.4g}, the first-order "
                f"n E|theta_hat - theta*|^2 of the MLE of its {labels}, with the Fisher "
                f"information I by {method}, computed at the true parameters {shown}; change "
                "them with --params and --fixed."
            )
        else:
            lines.append(
                f"{plan.family}: C = {plan.constant:.4g}, the trace of the family's "
                f"asymptotic_covariance (the first-order n E|theta_hat - theta*|^2 of its "
                f"{labels}), computed at the true parameters {shown}; change them with --params."
            )
    elif plan.constant is not None:
        assert plan.family is not None  # a plan with a constant names its family
        lines.append(
            f"{plan.family}: C = {plan.constant:.4g}, computed at "
            f"{_assumptions(plan.family, plan.params)}."
        )
    print(
        f"k = n_real/n_synth = {plan.k:.4g}: optimal weight w* = {plan.optimal_weight:.4f} "
        f"(naive pooling {plan.naive_weight:.4f})"
    )
    for line in lines:
        print(textwrap.fill(line, width=88, break_on_hyphens=False))
    print()
    rows = plan.rows()
    print(_table({name: [row[name] for row in rows] for name in rows[0]}, number="{:.4g}"))
    return 0
