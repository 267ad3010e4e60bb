"""Results that keep their provenance: :func:`save` and :func:`load` in Parquet.

A saved :class:`~modelcollapse.results.SimulationResult` is one Parquet file (an open, columnar
format that pandas, Arrow, DuckDB, R and Spark read): one row per (replication, recorded
generation) with the columns ``replication``, ``generation``, ``param:<label>`` for each
flattened parameter and ``metric:<name>`` for each metric (the prefixes keep a parameter and a
metric of the same name apart, e.g. the Gaussian's ``sigma2``), in float64, and in the file's
key-value metadata, under ``modelcollapse``, a JSON record of everything else: the run's
configuration, the recorded generations, the sizes and weights per generation, ``eps``, the
family's class and description, and the provenance of the package that wrote it (version,
source hash, commit, platform: :func:`modelcollapse.provenance.provenance`). :func:`load`
rebuilds the result exactly (the arrays bit for bit) and, when the family's description
rebuilds its class, the family itself, so ``rerun`` works.

Parquet needs ``pyarrow`` (``pip install modelcollapse[parquet]``).
"""

from __future__ import annotations

import importlib
import inspect
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from ._validation import fail

__all__ = ["FORMAT", "load", "save"]

#: The ``format`` field of a saved result's metadata.
FORMAT = "modelcollapse.result/1"
#: The Parquet metadata key holding the JSON record.
_KEY = b"modelcollapse"


def _pyarrow() -> Any:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise fail(
            "path",
            "saving and loading results need pyarrow: pip install modelcollapse[parquet]",
            "pyarrow",
        ) from None
    return pa, pq


def _class_path(family: Any) -> str:
    cls = type(family)
    return f"{cls.__module__}:{cls.__qualname__}"


def save(result: Any, path: str | os.PathLike[str]) -> Path:
    """Write ``result`` to the Parquet file ``path`` (see the module docstring), atomically: a
    temporary file beside it, renamed into place when complete.

    Parameters
    ----------
    result : SimulationResult
        A result of :func:`~modelcollapse.simulate`.
    path : str or path-like
        The file to write (``.parquet`` is customary); an existing file is replaced.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    pa, pq = _pyarrow()
    from .provenance import provenance

    target = Path(path)
    if target.is_dir():
        raise fail("path", "is a directory, not a file to write", str(path))
    r = result.replications
    g = result.generations.size
    columns: dict[str, Any] = {
        "replication": np.repeat(np.arange(r, dtype=np.int64), g),
        "generation": np.tile(np.asarray(result.generations, dtype=np.int64), r),
    }
    labels = list(result.family.param_labels) if result.flat_params is not None else []
    for i, label in enumerate(labels):
        columns[f"param:{label}"] = np.ascontiguousarray(result.flat_params[:, :, i]).ravel()
    for name in result.metric_names:
        columns[f"metric:{name}"] = np.asarray(result.metrics[name], dtype=float).ravel()
    record = {
        "format": FORMAT,
        "config": result.config,
        "eps": result.eps,
        "generations": [int(t) for t in result.generations],
        "n_real": [int(v) for v in result.n_real],
        "n_synth": [int(v) for v in result.n_synth],
        "weights": [float(v) for v in result.weights],
        "metric_names": list(result.metric_names),
        "param_labels": labels,
        "family_class": _class_path(result.family),
        "provenance": provenance(),
    }
    table = pa.table(columns).replace_schema_metadata({_KEY: json.dumps(record).encode()})
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        # Doubles are written plain (dictionaries and compression cost more than they save on
        # them: 0.6-0.7 s against 1.3 s for 32 million), the index columns compressed.
        compression = {name: "zstd" if ":" not in name else "none" for name in columns}
        pq.write_table(table, tmp, use_dictionary=False, compression=compression)
        os.replace(tmp, target)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        raise fail("path", f"cannot write it ({err.strerror or err})", str(path)) from None
    return target


class StoredFamily:
    """The family of a loaded result whose class could not be rebuilt from its description
    (a class built from callables or a data table, or one that cannot be imported here): its
    name, parameter labels and description, enough for the values, metrics and summaries."""

    def __init__(self, description: dict[str, Any], param_labels: list[str], why: str) -> None:
        self.name = str(description.get("family", "unknown"))
        self.param_labels = tuple(param_labels)
        self.description = description
        self.why = why

    def describe(self) -> dict[str, Any]:
        return dict(self.description)

    def __repr__(self) -> str:
        return f"StoredFamily({self.name!r}: {self.why})"


def _rebuild(class_path: str, description: dict[str, Any], labels: list[str]) -> Any:
    """The family ``class_path(**description)``, or a :class:`StoredFamily` saying why not."""
    module_name, _, name = class_path.partition(":")
    try:
        cls: Any = importlib.import_module(module_name)
        for part in name.split("."):
            cls = getattr(cls, part)
        options = {k: v for k, v in description.items() if k != "family"}
        signature = inspect.signature(cls).parameters
        extra = [p.name for p in signature.values() if p.kind is inspect.Parameter.VAR_KEYWORD]
        if extra and isinstance(options.get(extra[0]), dict):
            options.update(options.pop(extra[0]))
        family = cls(**options)
        if family.describe() != description:
            raise ValueError("the rebuilt family describes itself differently")
        return family
    except Exception as err:  # any failure: keep what was stored
        return StoredFamily(description, labels, f"{class_path} not rebuilt: {err}")


def load(path: str | os.PathLike[str]) -> Any:
    """Read a result written by :func:`save` (or :meth:`SimulationResult.save`).

    Parameters
    ----------
    path : str or path-like
        The Parquet file.

    Returns
    -------
    SimulationResult
        Its parameters, metrics, generations, sizes, weights and configuration as saved, bit
        for bit; its family rebuilt from the saved description (a
        :class:`StoredFamily` when that is not possible); ``provenance`` holds the saved
        provenance record.

    Raises
    ------
    InvalidArgumentError
        ``path: ...`` when the file is missing, not Parquet, or not a saved result.

    Examples
    --------
    >>> import pathlib, tempfile, modelcollapse as mc
    >>> res = mc.simulate(mc.Gaussian(), n0=20, schedule=20, generations=3,
    ...                   replications=50, seed=0, metrics=["sigma2"])
    >>> back = load(res.save(pathlib.Path(tempfile.mkdtemp()) / "run.parquet"))
    >>> back.generations.tolist(), bool((back.values("sigma2") == res.values("sigma2")).all())
    ([0, 1, 2, 3], True)
    """
    pa, pq = _pyarrow()
    from .results import SimulationResult

    source = Path(path)
    if not source.is_file():
        raise fail("path", "is not a file", str(path))
    try:
        table = pq.read_table(source)
    except (OSError, pa.ArrowInvalid) as err:
        reason = " ".join(str(err).split())
        raise fail("path", f"is not a Parquet file ({reason})", str(path)) from None
    raw = (table.schema.metadata or {}).get(_KEY)
    if raw is None:
        raise fail(
            "path", "is not a saved modelcollapse result (no modelcollapse metadata)", str(path)
        )
    record = json.loads(raw)
    if record.get("format") != FORMAT:
        raise fail("path", f"holds format {record.get('format')!r}, not {FORMAT}", str(path))
    g, r = len(record["generations"]), int(record["config"]["replications"])
    if table.num_rows != r * g:
        raise fail("path", f"holds {table.num_rows} rows, not {r} x {g}", str(path))

    def column(name: str) -> np.ndarray:
        return table.column(name).to_numpy().reshape(r, g)

    # The arrays are read by position: the rows must be in the order save wrote them.
    rows = (column("replication"), column("generation"))
    if not (
        np.array_equal(rows[0], np.repeat(np.arange(r), g).reshape(r, g))
        and np.array_equal(rows[1], np.broadcast_to(record["generations"], (r, g)))
    ):
        raise fail("path", "has its rows out of the order save wrote them in", str(path))

    labels = record["param_labels"]
    flat = np.stack([column(f"param:{x}") for x in labels], axis=-1) if labels else None
    metrics = {name: column(f"metric:{name}") for name in record["metric_names"]}
    config = record["config"]
    family = _rebuild(record["family_class"], config["family"], labels)
    result = SimulationResult(
        family=family,
        generations=np.asarray(record["generations"]),
        flat_params=flat,
        metrics=metrics,
        eps=record["eps"],
        n_real=np.asarray(record["n_real"]),
        n_synth=np.asarray(record["n_synth"]),
        weights=np.asarray(record["weights"], dtype=float),
        config=config,
        call=_call(family, config, record),
    )
    result.provenance = record["provenance"]
    return result


def _call(family: Any, config: dict[str, Any], record: dict[str, Any]) -> dict[str, Any]:
    """The arguments of :func:`~modelcollapse.simulate` that made the result (for ``rerun``)."""
    seed = config["seed"]
    return {
        "family": family,
        "n0": config["n0"],
        "schedule": config["schedule"],
        "generations": config["generations"],
        "replications": config["replications"],
        "seed": np.random.SeedSequence(seed["entropy"], spawn_key=tuple(seed["spawn_key"])),
        "engine": config["engine"],
        "n_real": config["n_real"],
        "weight": config["weight"],
        "regime": config["regime"],
        "shrinkage": config["shrinkage"],
        "record": record["generations"],
        "metrics": record["metric_names"],
        "eps": record["eps"],
    }
