"""Data shipped with the package: the Adult (Census Income) table of the UCI repository, and a
text corpus derived from the World English Bible.

The two raw UCI files travel inside the package, gzip-compressed (``data/adult``, with their
attribution and licence, CC BY 4.0); nothing is downloaded. :func:`load_adult` checks their
SHA-256 against the values pinned here on every load and parses them into a typed table.
:func:`load_text` reads a shipped text corpus (``data/web``: one verse per line, xz-compressed,
public domain; its README says where it comes from and how it was made), checked the same way.

Examples
--------
>>> from modelcollapse.data import load_adult
>>> adult = load_adult()
>>> adult.shape
(45222, 15)
>>> load_adult("as-authors").shape
(48842, 15)
>>> list(adult["income"].cat.categories)
['<=50K', '>50K']
>>> int(adult["age"].max())
90
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import io
import lzma
from importlib import resources
from typing import Any

import pandas as pd

from .._validation import check_choice

__all__ = [
    "ADULT_CATEGORICAL",
    "ADULT_COLUMNS",
    "ADULT_NUMERIC",
    "DATASETS",
    "TEXTS",
    "DataIntegrityError",
    "dataset_info",
    "load_adult",
    "load_dataset",
    "load_text",
]

#: The Adult columns, in the order of the raw files.
ADULT_COLUMNS = (
    "age",
    "workclass",
    "fnlwgt",
    "education",
    "education-num",
    "marital-status",
    "occupation",
    "relationship",
    "race",
    "sex",
    "capital-gain",
    "capital-loss",
    "hours-per-week",
    "native-country",
    "income",
)
#: Integer-valued columns.
ADULT_NUMERIC = (
    "age",
    "fnlwgt",
    "education-num",
    "capital-gain",
    "capital-loss",
    "hours-per-week",
)
#: Columns returned as pandas ``category``.
ADULT_CATEGORICAL = tuple(c for c in ADULT_COLUMNS if c not in ADULT_NUMERIC)
#: SHA-256 of the raw (uncompressed) UCI files.
_ADULT_FILES = {
    "adult.data": "5b00264637dbfec36bdeaab5676b0b309ff9eb788d63554ca0a249491c86603d",
    "adult.test": "a2a9044bc167a35b2361efbabec64e89d69ce82d9790d2980119aac5fd7e9c05",
}
#: Cleaning conventions of :func:`load_adult`.
ADULT_CLEANING = ("complete", "as-authors")
#: Datasets known to :func:`load_dataset`.
DATASETS = ("adult",)
#: Text corpora known to :func:`load_text`.
TEXTS = ("web",)
#: SHA-256 of the uncompressed text of each corpus.
_TEXT_FILES = {
    "web": "e0387e0bdb3d9309f9a10a88928a10d73d659f42a31eeb77cff8061629db004d",
}
_MISSING = "?"


class DataIntegrityError(RuntimeError):
    """A shipped data file is missing or differs from the bytes the package pins."""


def _raw(name: str, expected: str) -> bytes:
    """The uncompressed bytes of a shipped file, checked against its pinned SHA-256."""
    resource = resources.files(__package__).joinpath("adult", name + ".gz")
    try:
        compressed = resource.read_bytes()
    except (FileNotFoundError, OSError):
        raise DataIntegrityError(
            f"the shipped data file adult/{name}.gz is missing from the modelcollapse package "
            "(reinstall the package)"
        ) from None
    try:
        raw = gzip.decompress(compressed)
    except (OSError, EOFError) as err:
        raise DataIntegrityError(f"adult/{name}.gz is not a valid gzip file ({err})") from None
    digest = hashlib.sha256(raw).hexdigest()
    if digest != expected:
        raise DataIntegrityError(
            f"adult/{name}.gz does not hold the UCI file: sha256 {digest}, expected {expected} "
            "(the file was altered; reinstall the package)"
        )
    return raw


def _parse(raw: bytes, skip_first: bool) -> pd.DataFrame:
    return pd.read_csv(
        io.BytesIO(raw),
        header=None,
        names=list(ADULT_COLUMNS),
        skiprows=1 if skip_first else 0,
        skipinitialspace=True,
        dtype={c: "int64" for c in ADULT_NUMERIC} | {c: str for c in ADULT_CATEGORICAL},
        na_filter=False,  # "?" is kept as text; cleaning decides what to do with it
    )


@functools.cache
def _adult_raw_table() -> pd.DataFrame:
    train = _parse(_raw("adult.data", _ADULT_FILES["adult.data"]), skip_first=False)
    # The test file starts with "|1x3 Cross validator" and writes its labels with a final dot.
    test = _parse(_raw("adult.test", _ADULT_FILES["adult.test"]), skip_first=True)
    test["income"] = test["income"].str.rstrip(".")
    return pd.concat([train, test], ignore_index=True)


def load_adult(cleaning: str = "complete") -> pd.DataFrame:
    """The Adult (Census Income) table: both UCI files, 15 typed columns.

    Parameters
    ----------
    cleaning : {"complete", "as-authors"}
        ``"complete"`` drops every row with a missing value (``?``): 45,222 rows.
        ``"as-authors"`` keeps all 48,842 rows with ``?`` as a category of workclass,
        occupation and native-country, as the loader of paper 2's code ends up doing (use it to
        reproduce Figure 10).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`ADULT_COLUMNS`: the integer columns as ``int64``, the others as
        ``category`` (categories sorted); ``income`` is ``"<=50K"`` or ``">50K"`` in both files.
        Rows of ``adult.data`` first, then ``adult.test``, with a fresh ``RangeIndex``.

    Raises
    ------
    DataIntegrityError
        If a shipped file is missing or its SHA-256 differs from the pinned UCI value.
    """
    cleaning = check_choice("cleaning", cleaning, ADULT_CLEANING)
    table = _adult_raw_table()
    if cleaning == "complete":
        missing = (table[list(ADULT_CATEGORICAL)] == _MISSING).any(axis=1)
        table = table[~missing]
    table = table.reset_index(drop=True)
    return table.astype({c: "category" for c in ADULT_CATEGORICAL})


def load_dataset(name: str, **options: Any) -> pd.DataFrame:
    """A shipped dataset by name (:data:`DATASETS`); options go to its loader."""
    name = check_choice("name", name, DATASETS)
    return load_adult(**options)


def _text_raw(name: str, expected: str) -> bytes:
    """The uncompressed bytes of a shipped corpus, checked against its pinned SHA-256."""
    where = f"{name}/{name}.txt.xz"
    resource = resources.files(__package__).joinpath(name, name + ".txt.xz")
    try:
        compressed = resource.read_bytes()
    except (FileNotFoundError, OSError):
        raise DataIntegrityError(
            f"the shipped data file {where} is missing from the modelcollapse package "
            "(reinstall the package)"
        ) from None
    try:
        raw = lzma.decompress(compressed)
    except lzma.LZMAError as err:
        raise DataIntegrityError(f"{where} is not a valid xz file ({err})") from None
    digest = hashlib.sha256(raw).hexdigest()
    if digest != expected:
        raise DataIntegrityError(
            f"{where} does not hold the shipped corpus: sha256 {digest}, expected {expected} "
            "(the file was altered; reinstall the package)"
        )
    return raw


@functools.cache
def _text_lines(name: str) -> tuple[str, ...]:
    return tuple(_text_raw(name, _TEXT_FILES[name]).decode("utf-8").splitlines())


def load_text(name: str = "web") -> tuple[str, ...]:
    """A shipped text corpus as its lines: one verse per line, in canonical order.

    ``"web"`` is a plain-text corpus derived from the World English Bible (public domain; the
    version with the deuterocanon, from the Debian package ``sword-text-web`` 426.0-1): 37,456
    lines, 905,531 words (runs of non-space characters). The markup, footnotes, headings and
    introductions are removed; case and punctuation are as in the source; tokenisation is left
    to the caller. ``data/web/README.md`` gives the provenance, the licence and what was
    removed.

    Parameters
    ----------
    name : {"web"}
        The corpus, one of :data:`TEXTS`.

    Returns
    -------
    tuple of str
        The lines, without their line ends; none is empty. The file is read, checked and decoded
        once per process; every call returns the same tuple (immutable, so callers cannot
        change what the next call sees).

    Raises
    ------
    InvalidArgumentError
        If ``name`` is not one of :data:`TEXTS`.
    DataIntegrityError
        If the shipped file is missing, is not xz, or its SHA-256 differs from the pinned one.

    Examples
    --------
    >>> from modelcollapse.data import load_text
    >>> lines = load_text("web")
    >>> len(lines)
    37456
    >>> lines[0].split()[:4]
    ['In', 'the', 'beginning,', 'God']
    """
    name = check_choice("name", name, TEXTS)
    return _text_lines(name)


def dataset_info(name: str, cleaning: str = "complete", top: int | None = None) -> str:
    """A text description of a shipped dataset: rows, columns, dtypes and category counts.

    Parameters
    ----------
    name : str
        One of :data:`DATASETS`.
    cleaning : str
        The loader's cleaning convention.
    top : int, optional
        Show at most this many categories per column (the most frequent); default all.
    """
    table = load_dataset(name, cleaning=cleaning)
    lines = [
        f"{name} (cleaning: {cleaning}): {len(table):,} rows, {table.shape[1]} columns",
        "",
        "numeric columns:",
    ]
    for column in table.columns:
        values = table[column]
        if isinstance(values.dtype, pd.CategoricalDtype):
            continue
        lines.append(
            f"  {column:16s} {values.dtype!s:8s} min {values.min():>9,}  "
            f"median {values.median():>11,.1f}  max {values.max():>9,}"
        )
    lines += ["", "categorical columns (rows per category):"]
    for column in table.columns:
        values = table[column]
        if not isinstance(values.dtype, pd.CategoricalDtype):
            continue
        counts = values.value_counts()
        lines.append(f"  {column} ({len(counts)} categories)")
        shown = counts if top is None else counts.iloc[:top]
        for category, count in shown.items():
            lines.append(f"    {category:28s} {count:>7,}")
        if top is not None and len(counts) > top:
            lines.append(f"    ... {len(counts) - top} more")
    return "\n".join(lines)
