"""Every public callable of the Python API documents its Parameters, Returns and an Example
(the Examples run in ``tests/test_docs.py``, with every docstring of the package).

The API checked: the callables in ``modelcollapse.__all__`` and ``modelcollapse.theory.__all__``
(modules and constants excluded), the functions and family classes of
``modelcollapse.families.__all__``, the public methods of
:class:`~modelcollapse.SimulationResult` and the methods of the family protocol
(:class:`~modelcollapse.families.base.Family`) as the public family classes define them. Classes
need Parameters (their constructor's) and Examples; functions also need Returns unless they
return ``None``. Parameters is not asked of a callable that takes no arguments (a weight rule
without options, a method taking only ``self``).
"""

from __future__ import annotations

import inspect
import types
import warnings
from collections.abc import Callable, Iterator
from typing import Any

from numpydoc.docscrape import NumpyDocString  # type: ignore[import-untyped]

import modelcollapse
from modelcollapse import families, theory
from modelcollapse.families.base import Family
from modelcollapse.results import SimulationResult

#: Protocol members whose implementations must be documented (``describe`` and ``broadcast``
#: included: they are part of :class:`Family`).
PROTOCOL = tuple(m for m in vars(Family) if not m.startswith("_"))


def _unwrap(member: Any) -> Any:
    return member.__func__ if isinstance(member, staticmethod | classmethod) else member


def _namespace(module: types.ModuleType) -> Iterator[tuple[str, Any]]:
    for name in module.__all__:
        obj = getattr(module, name)
        if isinstance(obj, types.ModuleType) or not callable(obj):
            continue
        yield f"{module.__name__}.{name}", obj


def _family_classes() -> list[type]:
    """The family classes of :mod:`modelcollapse.families` (they fit): not the records of
    parameters and statistics, nor the :class:`Family` protocol itself."""
    found: list[type] = []
    for name in families.__all__:
        obj = getattr(families, name)
        if inspect.isclass(obj) and hasattr(obj, "fit") and obj is not Family:
            found.append(obj)
    return found


def _family_functions() -> Iterator[tuple[str, Any]]:
    for name in families.__all__:
        obj = getattr(families, name)
        if inspect.isfunction(obj):
            yield f"{families.__name__}.{name}", obj


def public_api() -> dict[str, Any]:
    """Qualified name -> object, each function object once (under its first name)."""
    found: dict[str, Any] = {}
    seen: set[int] = set()

    def add(name: str, obj: Any) -> None:
        if id(obj) not in seen:
            seen.add(id(obj))
            found[name] = obj

    for module in (modelcollapse, theory):
        for name, obj in _namespace(module):
            add(name, obj)
    for name, obj in _family_functions():
        add(name, obj)
    for cls in _family_classes():
        add(f"{families.__name__}.{cls.__name__}", cls)
    for name, member in vars(SimulationResult).items():
        member = _unwrap(member)
        if not name.startswith("_") and inspect.isfunction(member):
            add(f"SimulationResult.{name}", member)
    for cls in _family_classes():
        for name in PROTOCOL:
            member = _unwrap(inspect.getattr_static(cls, name, None))
            if inspect.isfunction(member):
                add(f"{member.__qualname__}", member)
    return found


def _returns_none(obj: Callable[..., Any]) -> bool:
    annotation = inspect.signature(obj).return_annotation
    return annotation is None or annotation == "None"


def _takes_parameters(obj: Callable[..., Any]) -> bool:
    """Whether ``obj`` (a class: its constructor) takes an argument besides ``self``/``cls``."""
    try:
        signature = inspect.signature(obj)
    except (TypeError, ValueError):  # no signature to read: ask for the section
        return True
    return any(name not in ("self", "cls") for name in signature.parameters)


def missing_sections(obj: Any) -> list[str]:
    """The numpydoc sections ``obj``'s docstring lacks among those it needs: Parameters (unless
    it takes none), Returns (functions not returning None) and Examples."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # numpydoc warns about unknown sections
        doc = NumpyDocString(inspect.getdoc(obj) or "")
    needed = ["Parameters", "Examples"] if _takes_parameters(obj) else ["Examples"]
    if not inspect.isclass(obj) and not _returns_none(obj):
        needed.insert(-1, "Returns")
    return [section for section in needed if not doc[section]]


def offenders(api: dict[str, Any]) -> list[str]:
    return [
        f"{name}: {', '.join(missing)}"
        for name, obj in api.items()
        if (missing := missing_sections(obj))
    ]


API = public_api()


def test_the_api_is_found() -> None:
    assert "modelcollapse.simulate" in API
    assert "modelcollapse.theory.optimal_weight" in API
    assert "SimulationResult.summary" in API
    assert "DataFamily.draw" in API
    assert "modelcollapse.families.AsymptoticFamily" in API
    assert "AsymptoticFamily.draw" in API


def test_every_public_callable_has_parameters_returns_and_examples() -> None:
    bad = offenders(API)
    assert not bad, f"{len(bad)} docstrings lack sections:\n" + "\n".join(bad)


def test_the_checker_reports_a_missing_section() -> None:
    def documented(x: int) -> int:
        """Twice ``x``.

        Parameters
        ----------
        x : int
            A number.

        Returns
        -------
        int
            ``2 x``.

        Examples
        --------
        >>> documented(2)
        4
        """
        return 2 * x

    def undocumented(x: int) -> int:
        """Twice ``x``.

        Parameters
        ----------
        x : int
            A number.

        Returns
        -------
        int
            ``2 x``.
        """
        return 2 * x

    def silent(x: int) -> None:
        """Nothing.

        Parameters
        ----------
        x : int
            Ignored.

        Examples
        --------
        >>> silent(1)
        """

    assert missing_sections(documented) == []
    assert missing_sections(undocumented) == ["Examples"]
    assert missing_sections(silent) == []  # no Returns needed for None

    def bare() -> int:
        """One."""
        return 1

    assert missing_sections(bare) == ["Returns", "Examples"]  # no Parameters: it takes none
    assert offenders({"undocumented": undocumented, "documented": documented}) == [
        "undocumented: Examples"
    ]
