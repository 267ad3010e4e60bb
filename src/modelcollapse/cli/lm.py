"""``modelcollapse lm``: an n-gram language model retrained on its own text."""

from __future__ import annotations

import argparse
from typing import Any

from ._common import COMMANDS, UsageError, _check_out


def _add_lm(sub: Any) -> None:
    p = sub.add_parser(
        "lm",
        help=COMMANDS["lm"][2],
        description=(
            "Fit an n-gram language model to a text (the shipped corpus derived from the World "
            "English Bible by default, or --text FILE: UTF-8, one sentence or document per "
            "line), then for T generations draw --schedule tokens of text from the previous "
            "model and refit it (add-0 maximum likelihood: a lost n-gram never returns), with "
            "fresh real lines weighted w when --n-real is given. Prints per-generation "
            "summaries of the distinct n-grams, the words the model can still produce, the "
            "real token mass on lost n-grams, the held-out perplexity, KL from the text's model "
            "and the per-context error; --theory puts the branching-process law of the lost "
            "tail beside them (modelcollapse.theory.ngram)."
        ),
        epilog=(
            "examples:\n"
            "  modelcollapse lm --generations 30 --replications 20 --theory\n"
            "  modelcollapse lm --schedule power:n0=100000,s=0.5 --tokens 100000 \\\n"
            "      --generations 20 --replications 10 --theory\n"
            "  modelcollapse lm --text mytext.txt --holdout 0 --order 3 --engine sequence \\\n"
            "      --generations 10 --replications 5"
        ),
    )
    text = p.add_argument_group("text and model")
    text.add_argument(
        "--text",
        default=None,
        metavar="FILE",
        help="a UTF-8 plain-text file, one sentence or document per line (default: the "
        "shipped corpus, 37,456 lines)",
    )
    text.add_argument("--order", type=int, default=2, help="n-gram order, 1 to 3 (default: 2)")
    text.add_argument(
        "--level", default="word", choices=("word", "char"), help="tokens (default: word)"
    )
    text.add_argument(
        "--smoothing",
        default="none",
        choices=("none", "add-alpha", "kn"),
        help="of the probabilities the metrics read; text is always drawn from the add-0 model "
        "(default: none)",
    )
    text.add_argument("--alpha", type=float, default=1.0, help="add-alpha's pseudo-count")
    text.add_argument("--discount", type=float, default=0.75, help="Kneser-Ney's discount")
    text.add_argument(
        "--holdout",
        type=float,
        default=0.05,
        help="fraction of lines held out for the perplexity, in [0, 0.5]; 0 trains on every "
        "line and skips the perplexity (default: 0.05)",
    )
    run = p.add_argument_group("recursion")
    run.add_argument(
        "--tokens",
        type=int,
        default=None,
        help="real tokens of generation 0 (whole lines; default: the whole training text)",
    )
    run.add_argument(
        "--schedule",
        default=None,
        help="synthetic tokens per generation, a schedule as in 'simulate' (default: "
        "constant at --tokens)",
    )
    run.add_argument(
        "--regime", default="replace", choices=("replace", "accumulate"), help="(default: replace)"
    )
    run.add_argument("--n-real", default="0", help="fresh real tokens per generation (default: 0)")
    run.add_argument(
        "--weight",
        default=None,
        help="weight on the fresh real text: a number, naive, optimal or greedy (default: pooling)",
    )
    run.add_argument(
        "--engine",
        default="counts",
        choices=("counts", "sequence"),
        help="counts: every n-gram's count drawn at once (fast, an approximation); sequence: "
        "text token by token in whole sentences (default: counts)",
    )
    run.add_argument(
        "--chains", type=int, default=None, help="the sequence engine's chains per replication"
    )
    run.add_argument("--generations", type=int, default=30, help="T (default: 30)")
    run.add_argument("--replications", type=int, default=20, help="R (default: 20)")
    run.add_argument("--seed", type=int, default=None, help="root seed")
    out = p.add_argument_group("output")
    out.add_argument("--rows", type=int, default=11, help="about this many generations shown")
    out.add_argument(
        "--theory",
        action="store_true",
        help="put the branching-process law beside the simulated means (replace, fully "
        "synthetic, generation 0 the whole text, add-0)",
    )
    out.add_argument("--quiet", action="store_true", help="no progress line on stderr")
    out.add_argument("--format", default="table", choices=("table", "json"))
    out.add_argument(
        "--out", default=None, metavar="FILE", help="the tidy table to FILE (.csv or .parquet)"
    )
    p.set_defaults(handler=_run_lm)


def _run_lm(args: argparse.Namespace) -> int:
    from .._validation import check_int
    from ..engine import simulate
    from ..lm import NGramModel
    from .simulate import write_result

    check_int("rows", args.rows, minimum=1)
    target = _check_out(args.out) if args.out else None
    family = NGramModel(
        args.text,
        order=args.order,
        level=args.level,
        holdout=args.holdout,
        smoothing=args.smoothing,
        alpha=args.alpha,
        discount=args.discount,
        chains=args.chains,
    )
    tokens = family.tokens if args.tokens is None else check_int("tokens", args.tokens, minimum=1)
    if tokens > family.tokens:
        raise UsageError(
            f"--tokens: the training text has {family.tokens:,} tokens; generation 0 draws "
            f"whole lines of it and cannot have more (got {tokens})"
        )
    result = simulate(
        family,
        n0=tokens,
        schedule=args.schedule if args.schedule is not None else tokens,
        generations=args.generations,
        replications=args.replications,
        seed=args.seed,
        engine=args.engine,
        n_real=args.n_real,
        weight=args.weight,
        regime=args.regime,
        progress=not args.quiet,
    )
    return write_result(result, args.format, args.rows, args.theory, target)
