"""Shared pieces of the command line: the parser class, errors and output-path checks."""

from __future__ import annotations

import argparse
import errno
import math
import os
from pathlib import Path
from typing import Any, NoReturn

PROG = "modelcollapse"

#: Each command: the module of this package that defines it, the function there that adds its
#: parser, and its one-line help (shown by ``modelcollapse --help``). The command line imports
#: only the module of the command it runs, so that ``--help``, ``--version`` and the ``theory``
#: commands start without loading the simulation engine.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "simulate": ("simulate", "_add_simulate", "run a batched recursion and print a summary table"),
    "list": ("experiments", "_add_list", "list the registered experiments"),
    "reproduce": ("experiments", "_add_reproduce", "reproduce a figure or table of the papers"),
    "theory": (
        "theory",
        "_add_theory",
        "closed-form predictions of both papers, without simulating: collapse and win "
        "probabilities, moments and schedules (paper 1), the optimal weight and the limiting "
        "error (paper 2)",
    ),
    "data": ("data", "_add_data", "the datasets shipped with the package"),
    "recurse": (
        "recurse",
        "_add_recurse",
        "recursive training of a tabular generator on your own table (papers 1 and 2)",
    ),
    "run": (
        "run",
        "_add_run",
        "run a simulation or a sweep described in a TOML configuration file",
    ),
    "plan": ("plan", "_add_plan", "which schedule, which weight: recommendations from the theory"),
    "lm": (
        "lm",
        "_add_lm",
        "an n-gram language model retrained on its own text: the lost tail and its law",
    ),
    "report": (
        "experiments",
        "_add_report",
        "reproduce both papers as a browsable offline HTML report",
    ),
}


_OUT_FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}


class UsageError(Exception):
    """A command-line error reported as one line with exit status 2."""


#: How ``--family`` names a :mod:`scipy.stats` distribution (``scipy:weibull_min``).
SCIPY_PREFIX = "scipy:"
#: The form listed among the choices of ``--family``.
SCIPY_FORM = "scipy:NAME"


class FamilyChoices(tuple):
    """The choices of a ``--family`` option: the names listed, any ``scipy:NAME`` and, with
    ``classes=True`` (``simulate``, ``run``), any ``module:Class`` and any name an installed
    package registers in the ``modelcollapse.families`` entry-point group.

    A tuple of the names followed by ``scipy:NAME`` and ``module:Class`` (so that help,
    argparse's "invalid choice" error and a configuration file's "must be one of" list every
    form), which also contains every text that starts with ``scipy:`` and every
    ``package.module:ClassName``; the distribution or class itself is checked where the family
    is built (:func:`modelcollapse.options.scipy_family`, :func:`~modelcollapse.options.
    class_family`).

    Examples
    --------
    >>> choices = FamilyChoices(("gaussian", "poisson"))
    >>> "scipy:weibull_min" in choices, "gauss" in choices, ", ".join(choices)
    (True, False, 'gaussian, poisson, scipy:NAME')
    >>> "pkg.mod:Model" in FamilyChoices(("gaussian",), classes=True)
    True
    """

    classes: bool
    names: tuple[str, ...]

    def __new__(cls, names: Any, classes: bool = False) -> FamilyChoices:
        made = super().__new__(cls, (*names, SCIPY_FORM, *((CLASS_FORM,) if classes else ())))
        made.classes = classes
        made.names = tuple(names)
        return made

    def __reduce__(self) -> tuple[Any, ...]:
        return (FamilyChoices, (self.names, self.classes))

    def __contains__(self, value: object) -> bool:
        if isinstance(value, str) and value.startswith(SCIPY_PREFIX):
            return True
        if self.classes and is_class_path(value):
            return True
        if tuple.__contains__(self, value):
            return True
        return self.classes and isinstance(value, str) and value in registered_families()


#: The form of a user's family class among the choices of ``--family``.
CLASS_FORM = "module:Class"
#: The entry-point group through which an installed package registers families by name.
ENTRY_POINT_GROUP = "modelcollapse.families"


def registered_families() -> dict[str, str]:
    """Families that installed packages register in the ``modelcollapse.families`` entry-point
    group: ``{name: "package.module:ClassName"}`` (read from the installed metadata on each
    call; no package is imported)."""
    from importlib.metadata import entry_points

    return {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}


def is_class_path(family: Any) -> bool:
    """Whether ``family`` is a ``--family`` text of the form ``package.module:ClassName``.

    Examples
    --------
    >>> is_class_path("mypkg.models:Rayleigh"), is_class_path("scipy:norm"), is_class_path("x")
    (True, False, False)
    """
    if not isinstance(family, str) or is_scipy(family):
        return False
    module, sep, name = family.partition(":")
    parts = [*module.split("."), *name.split(".")]
    return bool(sep) and all(part.isidentifier() for part in parts)


def is_scipy(family: Any) -> bool:
    """Whether ``family`` is a ``--family`` text of the form ``scipy:NAME``."""
    return isinstance(family, str) and family.startswith(SCIPY_PREFIX)


class _HelpFormatter(argparse.HelpFormatter):
    """Help whose description and epilog wrap their unindented lines as paragraphs and keep
    their indented lines (an epilog's example command lines) as they are."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        out: list[str] = []
        paragraph: list[str] = []
        for line in [*text.splitlines(), ""]:
            if line.strip() and not line[0].isspace():
                paragraph.append(line)
                continue
            if paragraph:
                out.append(super()._fill_text(" ".join(paragraph), width, indent))
                paragraph = []
            out.append(indent + line.rstrip() if line.strip() else "")
        return "\n".join(out[:-1])


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _HelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _check_out_dir(path: str) -> Path:
    """``--out`` as a directory to be created later: an error now if it cannot be (a file, a
    symbolic link loop or one to a missing target on the way, no write permission), so that no
    command computes before finding out."""
    out = Path(path)
    for part in (out, *out.parents):
        try:
            os.stat(part)
        except OSError as err:
            if err.errno == errno.ENOENT and not os.path.islink(part):
                continue  # created later
            reason = "a symbolic link to a missing target" if err.errno == errno.ENOENT else None
            raise UsageError(
                f"--out: cannot create the directory ({reason or err.strerror}) (got {path!r})"
            ) from None
        existing = part
        break
    else:
        existing = Path(".")
    if existing == out and not out.is_dir():
        raise UsageError(f"--out: must be a directory (got {path!r})")
    if not existing.is_dir():
        raise UsageError(f"--out: cannot create the directory (Not a directory) (got {path!r})")
    if not os.access(existing, os.W_OK):
        raise UsageError(f"--out: the directory is not writable (got {path!r})")
    return out


def _version() -> str:
    """The installed package's version ("unknown" when run from a source tree)."""
    import modelcollapse  # light: its names load on first use

    return str(modelcollapse.__version__)


class _VersionAction(argparse.Action):
    """``--version``: print ``modelcollapse VERSION`` and exit, looking the version up only
    then (reading the package metadata takes longer than the rest of ``--help``)."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: Any) -> None:
        kwargs.setdefault("help", "show the program's version number and exit")
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *_: Any) -> NoReturn:
        parser.exit(message=f"{parser.prog} {_version()}\n")


def _check_out(path: str) -> tuple[Path, str]:
    target = Path(path)
    kind = _OUT_FORMATS.get(target.suffix.lower())
    if kind is None:
        raise UsageError(f"--out: the file must end in .csv or .parquet (got {path!r})")
    if kind == "parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise UsageError(
                "--out: writing Parquet needs pyarrow: pip install 'modelcollapse[parquet]' "
                f"(got {path!r})"
            ) from None
    if target.is_dir():
        raise UsageError(f"--out: is a directory, not a file (got {path!r})")
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise UsageError(f"--out: the directory {str(parent)!r} does not exist (got {path!r})")
    if not os.access(parent, os.W_OK) or (target.exists() and not os.access(target, os.W_OK)):
        raise UsageError(f"--out: the file is not writable (got {path!r})")
    return target, kind


def _jsonable(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def _table(columns: dict[str, Any], number: str = "{:.6g}") -> str:
    """Columns of values as a text table: right-aligned, two spaces apart, a header line
    first. Floats are written with ``number``; everything else with ``str``."""
    cells = {
        name: [number.format(v) if isinstance(v, float) else str(v) for v in values]
        for name, values in columns.items()
    }
    widths = {name: max(len(name), *map(len, col)) for name, col in cells.items()}
    rows = zip(*cells.values(), strict=True)
    lines = ["  ".join(name.rjust(widths[name]) for name in cells)]
    lines += [
        "  ".join(c.rjust(w) for c, w in zip(row, widths.values(), strict=True)) for row in rows
    ]
    return "\n".join(lines)


def _option_name(message: str) -> str:
    """Prefix the argument named by a library error with ``--`` when it is a CLI option."""
    name, sep, rest = message.partition(":")
    if sep and name.split(" ")[0].isidentifier():
        return f"--{name.replace('_', '-')}:{rest}"
    return message


def _model_params(args: argparse.Namespace) -> dict[str, Any]:
    """The parameters of ``theory.model_constant`` for ``--family`` from ``--dim``,
    ``--sigma2`` and (categorical, where the command has it) ``--p``."""
    import numpy as np

    from .._validation import check_int

    dim = 1 if args.dim is None else check_int("dim", args.dim, minimum=1)
    if args.family in ("gaussian-mean", "gaussian-covariance"):
        return {"cov": args.sigma2 * np.eye(dim)}
    if args.family == "gaussian-variance":
        return {"sigma2": args.sigma2}
    if args.family == "linear-random":
        return {"cov_x": np.eye(dim), "sigma2": args.sigma2}
    if args.family in ("logistic", "poisson-regression"):
        return {"beta": np.ones(dim)}
    if args.family == "categorical" and getattr(args, "p", None) is not None:
        try:
            return {"p": [float(v) for v in args.p.split(",")]}
        except ValueError:
            raise UsageError(
                f"--p: must be a comma list of probabilities (got {args.p!r})"
            ) from None
    if args.family == "linear-fixed":
        raise UsageError(
            "--family: linear-fixed needs a design matrix; use the Python API "
            "theory.model_constant (got 'linear-fixed')"
        )
    return {}


#: What each theory hook gives a command, for the error that names a missing one.
_HOOK_PURPOSE = {
    "asymptotic_covariance": "the covariance of sqrt(n)(theta_hat - theta), whose trace is C",
    "fisher_information": "the Fisher information of one observation",
}


def law_family(args: argparse.Namespace, command: str) -> Any:
    """The family object of ``--family`` for the first-order theory of ``command``
    (``theory``, ``plan``): ``scipy:NAME`` with ``--params`` and ``--fixed``, or a family class
    (``package.module:ClassName``, or a name an installed package registers) with ``--params``;
    None for any other ``--family``, after refusing ``--params`` and ``--fixed`` there.

    A class must offer ``asymptotic_covariance`` (declared in its capabilities, or a method
    where it declares none): without it the error is one line naming the missing method.
    """
    family = args.family
    if isinstance(family, str) and not is_scipy(family) and not is_class_path(family):
        family = registered_families().get(family, family)
    if is_scipy(family):
        from ..options import scipy_family

        return scipy_family(family, args.params, args.fixed)
    if is_class_path(family):
        if args.fixed is not None:
            raise UsageError(f"--fixed: applies with --family scipy:NAME (got {args.fixed!r})")
        from ..families.capabilities import capabilities_of
        from ..options import class_family

        made = class_family(family, args.params)
        missing = [h for h in ("asymptotic_covariance",) if not capabilities_of(made).offers(h)]
        if missing:
            hook = missing[0]
            raise UsageError(
                f"--family: {type(made).__name__} lacks {hook}(params), which '{command}' "
                f"needs: {_HOOK_PURPOSE[hook]} (got {args.family!r})"
            )
        return made
    for flag, forms in (("params", "scipy:NAME or module:Class"), ("fixed", "scipy:NAME")):
        if getattr(args, flag) is not None:
            raise UsageError(
                f"--{flag}: applies with --family {forms} (got {getattr(args, flag)!r})"
            )
    return None


def law_parameters(family: Any) -> str:
    """The true parameters of a family object as text, ``c=1.5, scale=2 fixed`` (held ones
    marked): a :class:`~modelcollapse.ScipyFamily`'s ``theta`` and ``fixed``, or the
    constructor arguments of its ``describe()``."""
    theta = getattr(family, "theta", None)
    if isinstance(theta, dict):
        fixed = set(getattr(family, "fixed", ()))
        return ", ".join(f"{k}={v:g}" + (" fixed" if k in fixed else "") for k, v in theta.items())
    described = {k: v for k, v in family.describe().items() if k not in ("family", "name")}
    return ", ".join(
        f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in described.items()
    )
