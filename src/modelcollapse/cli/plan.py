"""``modelcollapse plan``: schedules and weights that keep collapse in check."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..options import parse_bias
from ..theory.paper2 import CONSTANT_MODELS
from ._common import _jsonable, _model_params, _Parser


def _add_plan(sub: Any) -> None:
    p = sub.add_parser(
        "plan",
        help="which schedule, which weight: recommendations from the theory",
        description="Recommend a synthetic schedule (paper 1) or a weight on real data "
        "(paper 2) from the closed forms; no simulation.",
    )
    kinds = p.add_subparsers(dest="kind", required=True, metavar="KIND", parser_class=_Parser)
    sched = kinds.add_parser(
        "schedule",
        help="the cheapest growing schedule that meets a target",
        description="The cheapest power, exponential or two-phase schedule for T generations "
        "from n0 real points that meets one target, beside constant and linear schedules.",
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
        "--dim", type=int, default=1, help="parameters compared by Q_T: 1 or 2 (default: 1)"
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
    sched.set_defaults(handler=_run_plan_schedule)
    weight = kinds.add_parser(
        "weight",
        help="the optimal weight on fresh real data",
        description="w* = (sqrt(k^2+4k) - k)/2 with k = n_real/n_synth, and the limiting error "
        "at w*, at naive pooling and with real data only (in the family's units with --family).",
    )
    weight.add_argument("--n-real", type=int, required=True, help="real points per generation")
    weight.add_argument(
        "--n-synth", type=int, required=True, help="synthetic points per generation"
    )
    weight.add_argument(
        "--family",
        default=None,
        choices=CONSTANT_MODELS,
        help="a model whose constant C gives the error in its units",
    )
    weight.add_argument("--dim", type=int, default=1, help="dimension of the model (default 1)")
    weight.add_argument("--sigma2", type=float, default=1.0, help="Gaussian/noise variance")
    weight.add_argument("--format", default="table", choices=("table", "json"))
    weight.set_defaults(handler=_run_plan_weight)


def _run_plan_schedule(args: argparse.Namespace) -> int:
    from ..planner import plan_schedule

    plan = plan_schedule(
        args.n0,
        args.generations,
        max_inflation=args.max_inflation,
        target_win_probability=args.target_win_probability,
        budget=args.budget,
        dim=args.dim,
        bias=parse_bias(args.bias),
        variance=args.variance,
    )
    if args.format == "json":
        json.dump(_jsonable(plan.to_dict()), sys.stdout, indent=1, default=float)
        sys.stdout.write("\n")
        return 0
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


def _run_plan_weight(args: argparse.Namespace) -> int:
    from ..planner import plan_weight

    params = {} if args.family is None else _model_params(args)
    plan = plan_weight(args.n_real, args.n_synth, args.family, **params)
    if args.format == "json":
        json.dump(_jsonable(plan.to_dict()), sys.stdout, indent=1, default=float)
        sys.stdout.write("\n")
        return 0
    print(
        f"k = n_real/n_synth = {plan.k:.4g}: optimal weight w* = {plan.optimal_weight:.4f} "
        f"(naive pooling {plan.naive_weight:.4f})"
        + ("" if plan.constant is None else f"; {plan.family}: C = {plan.constant:.4g}")
    )
    print(plan.table().to_string(index=False, float_format="%.4g"))
    return 0
