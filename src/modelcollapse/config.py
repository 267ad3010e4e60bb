"""Configuration files: a simulation or a sweep described in TOML.

The top-level keys are the options of ``modelcollapse simulate`` with underscores (``--n-real``
is ``n_real``; the names, types and choices come from :mod:`modelcollapse.options`, so every
command-line option has its configuration name). A ``[sweep]`` table turns the file into a sweep:
``[sweep.grid]`` lists values for any simulation option and the sweep runs every combination::

    family = "gaussian"
    n0 = 100
    generations = 200
    replications = 2000

    [sweep]
    out = "results/schedules"      # the result store (a directory)
    backend = "processes"          # serial | processes | dask
    workers = 2                    # processes or Dask workers
    # scheduler = "tcp://host:8786"  an existing Dask cluster (backend = "dask")
    # store = "parquet"            cell files as Parquet (needs pyarrow); default csv

    [sweep.grid]
    schedule = ["constant:n=100", "linear:n=100", "power:n0=100,s=1"]
    seed = [0, 1, 2, 3]

Lists are accepted where the command line takes a comma list (``beta = [1.0, -1.0]``, ``p =
[0.5, 0.3, 0.2]``, ``record = [0, 10, 100]``, ``bias = [-1.0, 0.5]``, ``fixed = ["loc"]``), and
a ``scipy:NAME`` family's ``params`` may be a table (``params = {c = 1.5, scale = 2.0}``) as well
as the command line's text (``params = "c=1.5,scale=2"``). Without ``[sweep]`` the
file is one simulation, and ``rows``, ``format`` and ``out`` (a file) have their ``simulate``
meaning.

Paths in a file (``[sweep] out``, a single simulation's ``out``) are relative to the file's
folder, not to the current directory, so a configuration means the same wherever it is run from
(``modelcollapse run --out`` on the command line stays relative to the current directory).

Every error names the file, the line and the key: a file that is not UTF-8, unknown keys, wrong
types, values outside the choices, a ``[sweep]`` without a non-empty ``[sweep.grid]`` table, a
grid value that is not a non-empty list, a key both fixed and in the grid.

A ``scheduler`` makes the sweep connect to that Dask scheduler, whose replies the client
deserialises (pickle): trust a configuration file that names one as you would trust code.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._validation import ConfigError, InvalidArgumentError
from .options import add_simulate_arguments, simulate_defaults

__all__ = ["BACKENDS", "ConfigError", "SweepConfig", "cell_hash", "load_config", "parse_config"]

#: Backends of a sweep.
BACKENDS = ("serial", "processes", "dask")
#: File formats of the result store.
STORES = ("csv", "parquet")
#: Keys of a single-simulation file that are not simulation options (``simulate``'s output).
_OUTPUT_KEYS = {"rows": int, "format": ("table", "json"), "out": str}
#: Keys of the ``[sweep]`` table and their types (a tuple: the allowed strings).
_SWEEP_KEYS: dict[str, Any] = {
    "out": str,
    "backend": BACKENDS,
    "workers": int,
    "scheduler": str,
    "store": STORES,
    "grid": dict,
}
#: Options whose command-line form is a comma list: a TOML list is joined with commas.
_LIST_OPTIONS = {"beta", "p", "record", "bias"}


def _spec() -> dict[str, argparse.Action]:
    parser = argparse.ArgumentParser(add_help=False)
    add_simulate_arguments(parser)
    return {a.dest: a for a in parser._actions}


_TABLE = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")


def _line_of(lines: Sequence[str], table: tuple[str, ...], key: str) -> int | None:
    """The 1-based line that sets ``key`` in ``table`` (None if it cannot be found)."""
    current: tuple[str, ...] = ()
    assign = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
    dotted = re.compile(rf"^\s*{re.escape('.'.join((*table, key)))}\s*=")
    for number, line in enumerate(lines, start=1):
        header = _TABLE.match(line)
        if header:
            current = tuple(part.strip().strip("\"'") for part in header.group(1).split("."))
            if current == (*table, key):  # a key that is a table is set by its header
                return number
            continue
        if (current == table and assign.match(line)) or (current == () and dotted.match(line)):
            return number
    return None


@dataclass
class _Reader:
    """Builds errors that point into the file."""

    path: Path | None
    lines: list[str]

    def error(self, table: tuple[str, ...], key: str, problem: str, value: Any) -> ConfigError:
        where = str(self.path) if self.path is not None else "<config>"
        line = _line_of(self.lines, table, key)
        if line is not None:
            where += f":{line}"
        name = ".".join((*table, key)) if table else key
        shown = repr(value)
        shown = shown if len(shown) <= 60 else shown[:57] + "..."
        return ConfigError(f"{where}: key '{name}': {problem} (got {shown})")


def _check_value(
    reader: _Reader, table: tuple[str, ...], key: str, value: Any, action: argparse.Action
) -> Any:
    """A value of simulation option ``key`` in the command line's type, or an error."""
    kind = action.type
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise reader.error(table, key, "must be an integer", value)
        return value
    if kind is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise reader.error(table, key, "must be a number", value)
        return float(value)
    if key == "params" and isinstance(value, dict):  # params = {c = 1.5, scale = 2.0}
        if not value or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in value.values()
        ):
            raise reader.error(table, key, "must be a non-empty table of numbers", value)
        return ",".join(f"{k}={v!r}" for k, v in value.items())
    if key == "fixed" and isinstance(value, list):  # fixed = ["loc", "scale"]
        if not value or not all(isinstance(v, str) for v in value):
            raise reader.error(table, key, "must be a non-empty list of parameter names", value)
        return ",".join(value)
    if isinstance(value, list) and key in _LIST_OPTIONS:
        if not value or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in value
        ):
            raise reader.error(table, key, "must be a non-empty list of numbers", value)
        value = ",".join(str(v) for v in value)
    elif isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise reader.error(table, key, "must be a string or a number", value)
    value = str(value)
    if action.choices is not None and value not in action.choices:
        raise reader.error(table, key, f"must be one of {', '.join(action.choices)}", value)
    return value


def _check_plain(reader: _Reader, table: tuple[str, ...], key: str, value: Any, kind: Any) -> Any:
    if isinstance(kind, tuple):
        if not isinstance(value, str) or value not in kind:
            raise reader.error(table, key, f"must be one of {', '.join(kind)}", value)
        return value
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise reader.error(table, key, "must be a positive integer", value)
        return value
    if not isinstance(value, kind):
        raise reader.error(table, key, f"must be a {kind.__name__}", value)
    return value


@dataclass(frozen=True)
class SweepConfig:
    """A parsed configuration file.

    Attributes
    ----------
    base : dict
        The fixed simulation options (command-line types; the grid's keys are absent).
    grid : dict
        Simulation option -> list of values, in file order (empty for a single simulation).
    sweep : dict
        The ``[sweep]`` settings (``out``, ``backend``, ``workers``, ``scheduler``, ``store``);
        None for a single simulation.
    output : dict
        ``rows``, ``format`` and ``out`` of a single simulation.
    path : Path or None
        The file read.
    """

    base: dict[str, Any]
    grid: dict[str, list[Any]] = field(default_factory=dict)
    sweep: dict[str, Any] | None = None
    output: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None

    @property
    def is_sweep(self) -> bool:
        return self.sweep is not None

    def located(self, err: InvalidArgumentError) -> InvalidArgumentError:
        """``err`` (``"name: problem"`` from validating a cell) pointed at the line of the file
        that sets ``name``, when it is set there; otherwise ``err`` itself."""
        name, sep, rest = str(err).partition(":")
        if not sep or self.path is None:
            return err
        table = ("sweep", "grid") if name in self.grid else ()
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except OSError:
            return err
        line = _line_of(lines, table, name)
        if line is None:
            return err
        key = ".".join((*table, name))
        return ConfigError(f"{self.path}:{line}: key '{key}':{rest}")

    def cells(self) -> list[dict[str, Any]]:
        """Every combination of the grid, each a complete set of simulation options."""
        keys = list(self.grid)
        cells = []
        for values in itertools.product(*(self.grid[k] for k in keys)):
            cells.append({**self.base, **dict(zip(keys, values, strict=True))})
        return cells


def parse_config(text: str, path: str | Path | None = None) -> SweepConfig:
    """Parse and validate the TOML ``text`` of a configuration file (module docstring).

    Examples
    --------
    >>> cfg = parse_config('''
    ... n0 = 50
    ... generations = 10
    ... [sweep]
    ... out = "results"
    ... [sweep.grid]
    ... seed = [0, 1]
    ... schedule = ["constant:n=50", "linear:n=50"]
    ... ''')
    >>> len(cfg.cells()), cfg.cells()[1]["schedule"], cfg.cells()[1]["seed"]
    (4, 'linear:n=50', 0)
    """
    path = None if path is None else Path(path)
    reader = _Reader(path, text.splitlines())
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        where = str(path) if path is not None else "<config>"
        raise ConfigError(f"{where}: not valid TOML: {err}") from None
    spec = _spec()
    defaults = simulate_defaults()
    sweep_table = data.pop("sweep", None)
    base: dict[str, Any] = {}
    output: dict[str, Any] = {}
    for key, value in data.items():
        if key in spec:
            base[key] = _check_value(reader, (), key, value, spec[key])
        elif key in _OUTPUT_KEYS and sweep_table is None:
            output[key] = _check_plain(reader, (), key, value, _OUTPUT_KEYS[key])
        elif key in _OUTPUT_KEYS:
            raise reader.error(
                (), key, "is a single simulation's output; a sweep writes to [sweep] out", value
            )
        else:
            allowed = ", ".join(sorted(spec)) + ", [sweep]"
            raise reader.error((), key, f"unknown key; the keys are {allowed}", value)
    if sweep_table is None:
        if "out" in output:
            output["out"] = _beside(path, output["out"])
        return SweepConfig(base={**defaults, **base}, output=output, path=path)
    if not isinstance(sweep_table, dict):
        raise reader.error((), "sweep", "must be a table ([sweep])", sweep_table)
    sweep: dict[str, Any] = {}
    grid: dict[str, list[Any]] = {}
    for key, value in sweep_table.items():
        if key not in _SWEEP_KEYS:
            allowed = ", ".join(_SWEEP_KEYS)
            raise reader.error(("sweep",), key, f"unknown key; the keys are {allowed}", value)
        if key == "grid":
            if not isinstance(value, dict):
                raise reader.error(
                    ("sweep",),
                    key,
                    "must be a table of option = [values] ([sweep.grid] with e.g. seed = [0, 1])",
                    value,
                )
            grid = _check_grid(reader, value, spec, base)
        else:
            sweep[key] = _check_plain(reader, ("sweep",), key, value, _SWEEP_KEYS[key])
    if "scheduler" in sweep and sweep.get("backend", "dask") != "dask":
        raise reader.error(
            ("sweep",), "scheduler", 'applies to backend = "dask" only', sweep["scheduler"]
        )
    if not grid:
        raise reader.error(
            ("sweep",),
            "grid",
            "a sweep needs at least one option to vary: [sweep.grid] with e.g. seed = [0, 1]",
            sweep_table.get("grid"),
        )
    if "out" in sweep:
        sweep["out"] = _beside(path, sweep["out"])
    if "seed" not in base and "seed" not in grid:
        raise reader.error(
            (), "seed", "a sweep needs a seed: a number, or a list in [sweep.grid]", None
        )
    return SweepConfig(
        base={k: v for k, v in {**defaults, **base}.items() if k not in grid},
        grid=grid,
        sweep=sweep,
        path=path,
    )


def _check_grid(
    reader: _Reader, table: Any, spec: dict[str, argparse.Action], base: dict[str, Any]
) -> dict[str, list[Any]]:
    grid: dict[str, list[Any]] = {}
    for key, values in table.items():
        if key not in spec:
            raise reader.error(("sweep", "grid"), key, "is not a simulation option", values)
        if key in base:
            raise reader.error(
                ("sweep", "grid"), key, "is also fixed at the top of the file; set it once", values
            )
        if not isinstance(values, list) or not values:
            raise reader.error(("sweep", "grid"), key, "must be a non-empty list of values", values)
        checked = [_check_value(reader, ("sweep", "grid"), key, v, spec[key]) for v in values]
        if len({json.dumps(v) for v in checked}) != len(checked):
            raise reader.error(("sweep", "grid"), key, "lists a value twice", values)
        grid[key] = checked
    return grid


def _beside(path: Path | None, value: str) -> str:
    """A path written in the file at ``path``: a relative one is relative to the file's folder
    (``~`` is expanded)."""
    target = Path(value).expanduser()
    if path is None or target.is_absolute():
        return str(target)
    return str(path.parent / target)


def load_config(path: str | Path) -> SweepConfig:
    """Read and validate the configuration file ``path`` (see :func:`parse_config`)."""
    file = Path(path)
    try:
        data = file.read_bytes()
    except OSError as err:
        raise ConfigError(f"{file}: cannot be read ({err.strerror or err})") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise ConfigError(
            f"{file}:{line}: not UTF-8 text (byte 0x{data[err.start]:02x} at offset "
            f"{err.start}); save the file as UTF-8"
        ) from None
    return parse_config(text, file)


def cell_hash(options: dict[str, Any]) -> str:
    """A stable 16-hex-digit hash of a cell's simulation options (None values left out).

    Examples
    --------
    >>> cell_hash({"n0": 100, "seed": 0}) == cell_hash({"seed": 0, "n0": 100, "mu": None})
    True
    """
    canonical = json.dumps(
        {k: v for k, v in options.items() if v is not None}, sort_keys=True, default=str
    )
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]
