"""The report: every registered experiment as one static, offline HTML page.

:func:`build_report` runs each experiment into ``OUT/<id>/`` (or reuses what is already there
for the same configuration: scale, replications, seed and package version) and writes
``OUT/index.html``: one section per paper, one subsection per experiment with its one-line
verdicts, the table of simulation beside theory, the figures, the notes, and the settings and
provenance (seed, replications, version, wall time). The page has no scripts, no external fonts
or stylesheets and links only to files under ``OUT``, so it works offline and can be archived
as a directory.
"""

from __future__ import annotations

import html
import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from ._progress import reporter
from ._validation import check_int, fail
from .engine import _package_version
from .experiments import experiment_ids, get_experiment, run_experiment
from .experiments.verdicts import NOT_INFORMATIVE, headline, tally

__all__ = ["PAPERS", "build_report"]

#: Report sections: (title, predicate on an experiment id).
PAPERS: tuple[tuple[str, str, Callable[[str], bool]], ...] = (
    (
        "paper-1",
        "Paper 1: Xu, He & Cheng, A Probabilistic Perspective on Model Collapse",
        lambda i: i.startswith("xu2025"),
    ),
    (
        "paper-2",
        "Paper 2: He, Xu & Cheng, Golden Ratio Weighting Prevents Model Collapse",
        lambda i: i.startswith("he2025"),
    ),
    (
        "related",
        "Related regimes and every strategy compared",
        lambda i: not (i.startswith("xu2025") or i.startswith("he2025")),
    ),
)

_STYLE = """
body { font-family: system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; margin: 0 auto;
       max-width: 1180px; padding: 1.5em; color: #1d1d1f; line-height: 1.45; }
h1 { font-size: 1.7em; } h2 { border-bottom: 2px solid #ddd; padding-bottom: .2em;
margin-top: 2em; } h3 { margin-top: 1.6em; }
table { border-collapse: collapse; font-size: .85em; margin: .6em 0; display: block;
        overflow-x: auto; }
th, td { border: 1px solid #ccc; padding: .25em .5em; text-align: right; }
th { background: #f3f3f3; } td:first-child, th:first-child { text-align: left; }
.verdicts { list-style: none; padding-left: 0; }
.agree::before { content: "\\2713  "; color: #1a7f37; font-weight: bold; }
.disagree::before { content: "\\2717  "; color: #cf222e; font-weight: bold; }
.uninformative::before { content: "\\2013  "; color: #9a6700; font-weight: bold; }
.uninformative b { color: #9a6700; }
.kind { font-size: .8em; color: #555; border: 1px solid #ccc; border-radius: 3px;
        padding: 0 .3em; }
.agree b { color: #1a7f37; } .disagree b { color: #cf222e; }
.evidence { color: #555; font-size: .9em; }
img { max-width: 100%; border: 1px solid #eee; margin: .4em 0; }
.meta { font-size: .85em; color: #444; }
nav ul { columns: 2; font-size: .9em; }
code { background: #f6f8fa; padding: 0 .2em; }
"""


def _reusable(target: Path, quick: bool, replications: int | None, seed: int) -> bool:
    """Whether ``target`` holds a finished run of the same configuration."""
    meta_path = target / "meta.json"
    if not meta_path.exists() or not (target / "key.csv").exists():
        return False
    try:
        meta = json.loads(meta_path.read_text())
    except (OSError, ValueError):
        return False
    experiment = get_experiment(meta.get("id", ""))
    expected = replications or (experiment.quick_replications if quick else experiment.replications)
    same = (
        meta.get("quick") == quick
        and meta.get("seed") == seed
        and meta.get("replications") == expected
        and meta.get("versions", {}).get("modelcollapse") == _package_version()
    )
    figures = all((target / f"{name}.png").exists() for name in meta.get("figures", []))
    return bool(same and figures)


def _table_html(frame: pd.DataFrame) -> str:
    def fmt(value: Any) -> str:
        if value is None:
            return "-"
        if isinstance(value, float):
            return "-" if value != value else f"{value:.4g}"
        return str(value)

    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    rows = "".join(
        "<tr>" + "".join(f"<td>{html.escape(fmt(v))}</td>" for v in row) + "</tr>"
        for row in frame.itertuples(index=False)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def _section(target: Path) -> tuple[str, dict[str, Any]]:
    """The HTML of one experiment, and its ``meta.json``."""
    meta = json.loads((target / "meta.json").read_text())
    eid = meta["id"]
    key = pd.read_csv(target / "key.csv") if (target / "key.csv").exists() else pd.DataFrame()
    parts = [
        f'<section id="{html.escape(eid)}">',
        f"<h3>{html.escape(eid)}: {html.escape(meta['title'])}</h3>",
        f"<p>{html.escape(meta['paper'])}, {html.escape(meta['figure'])}.</p>",
        '<ul class="verdicts">',
    ]
    for v in meta["verdicts"]:
        if v["holds"] is None:
            css, word = "uninformative", NOT_INFORMATIVE
        else:
            css, word = ("agree", "agrees") if v["holds"] else ("disagree", "DISAGREES")
        kind = v.get("kind", "simulation")
        power = kind
        if v.get("detectable") is not None:
            detectable = v["detectable"]
            power += (
                f"; detects {detectable}"
                if isinstance(detectable, str)
                else f"; detects a {_relative(detectable)} discrepancy"
            )
        parts.append(
            f'<li class="{css}"><b>{html.escape(word)}</b> '
            f'<span class="kind">{html.escape(power)}</span>: {html.escape(v["claim"])} '
            f'<span class="evidence">{html.escape(v["evidence"])}</span></li>'
        )
    parts.append("</ul>")
    if not key.empty:
        parts += ["<h4>Simulation beside theory</h4>", _table_html(key)]
    for name in meta.get("figures", []):
        parts.append(
            f'<p><a href="{eid}/{name}.svg"><img src="{eid}/{name}.png" '
            f'alt="{html.escape(eid)}: {html.escape(name)}"></a></p>'
        )
    if meta.get("notes"):
        parts.append("<h4>Notes</h4><ul>")
        parts += [f"<li>{html.escape(n)}</li>" for n in meta["notes"]]
        parts.append("</ul>")
    versions = meta.get("versions", {})
    scale = _scale_of(meta)
    settings = json.dumps(meta.get("settings", {}), default=_json_default)
    parts.append(
        '<p class="meta">'
        f"Replications {meta['replications']:,} ({scale}); seed {meta['seed']}; "
        f"modelcollapse {html.escape(str(versions.get('modelcollapse', '?')))}, numpy "
        f"{html.escape(str(versions.get('numpy', '?')))}; {meta.get('workers', 1)} worker(s); "
        f"wall time {meta['wall_time_s']:.1f} s. Settings: <code>{html.escape(settings)}</code>. "
        f'Files: <a href="{eid}/results.csv">results.csv</a>, '
        f'<a href="{eid}/summary.md">summary.md</a>, <a href="{eid}/meta.json">meta.json</a>.'
        "</p>"
    )
    parts.append("</section>")
    return "\n".join(parts), meta


def _relative(value: float) -> str:
    return f"{value:.3g}x" if value >= 1 else f"{100 * value:.2g}%"


def _json_default(value: Any) -> Any:
    """Numpy scalars and arrays as JSON numbers and lists; anything else as text."""
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)


def _scale_of(meta: dict[str, Any]) -> str:
    """``"quick scale"``, ``"paper scale"`` or ``"custom scale"`` of one experiment's run."""
    try:
        experiment = get_experiment(meta["id"])
    except Exception:  # an experiment no longer registered
        return "custom scale"
    quick = bool(meta.get("quick"))
    default = experiment.quick_replications if quick else experiment.replications
    if meta.get("replications") != default:
        return "custom scale"
    return "quick scale" if quick else "paper scale"


def build_report(
    out: str | Path,
    *,
    quick: bool = False,
    only: Sequence[str] | None = None,
    replications: int | None = None,
    seed: int = 0,
    workers: int = 1,
    reuse: bool = True,
    progress: bool | Callable[[str], None] = True,
) -> Path:
    """Run (or reuse) the experiments and write ``OUT/index.html`` (module docstring).

    Parameters
    ----------
    out : path
        The report directory; each experiment's files go to ``out/<id>/``.
    quick : bool
        Quick scale (a few minutes for everything on two cores).
    only : sequence of str, optional
        Experiment ids to include (default: all, in registry order).
    replications, seed, workers
        As in :func:`modelcollapse.experiments.run_experiment`.
    reuse : bool
        Keep an experiment's existing files when they are of the same configuration.
    progress : bool or callable
        Progress lines on stderr (True), none (False), or this function.

    Returns
    -------
    pathlib.Path
        ``out/index.html``.
    """
    ids = list(experiment_ids()) if only is None else [get_experiment(i).id for i in only]
    workers = check_int("workers", workers, minimum=1)
    if replications is not None:
        replications = check_int("replications", replications, minimum=2)
    root = Path(out)
    if root.exists() and not root.is_dir():
        raise fail("out", "must be a directory", str(out))
    root.mkdir(parents=True, exist_ok=True)
    say = reporter(progress)
    start = time.perf_counter()
    for number, eid in enumerate(ids, start=1):
        target = root / eid
        if reuse and _reusable(target, quick, replications, seed):
            say(f"[{number}/{len(ids)}] {eid}: reusing {target}")
            continue
        say(f"[{number}/{len(ids)}] {eid}: running")
        run_experiment(
            eid,
            root,
            replications=replications,
            quick=quick,
            seed=seed,
            progress=bool(progress),
            workers=workers,
        )
    sections = []
    every: list[dict[str, Any]] = []
    scales = set()
    nav = []
    for anchor, title, member in PAPERS:
        chosen = [i for i in ids if member(i)]
        if not chosen:
            continue
        body = []
        for eid in chosen:
            text, meta = _section(root / eid)
            every += meta["verdicts"]
            scales.add(_scale_of(meta))
            body.append(text)
            counts = tally(meta["verdicts"])
            bad = sum(c["disagree"] for c in counts.values())
            mark = "&#10003;" if not bad else "&#10007;"
            nav.append(
                f'<li><a href="#{eid}">{eid}</a> {mark} {html.escape(headline(meta["verdicts"]))}'
                "</li>"
            )
        sections.append(f'<h2 id="{anchor}">{html.escape(title)}</h2>\n' + "\n".join(body))
    scale = scales.pop() if len(scales) == 1 else "mixed scales"
    summary = headline(every)
    page = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>modelcollapse report{"" if scale == "paper scale" else f" at {scale}"}</title>
<style>{_STYLE}</style>
</head>
<body>
<h1>modelcollapse: both papers reproduced{"" if scale == "paper scale" else f" at {scale}"}</h1>
<p><b>{len(ids)} experiments at {scale}: {html.escape(summary)}.</b>
modelcollapse {html.escape(_package_version())}. Each claim's verdict is computed from the
numbers and says what kind of test it is: <i>simulation</i> (simulated against an exact law,
within Monte Carlo standard errors), <i>approximation</i> (simulated against a first-order or
asymptotic law: the discrepancy is reported, and the verdict judges the paper's claim) or
<i>theory</i> (a property of the closed forms, no simulation). Simulated verdicts state the
smallest relative discrepancy their test detects at the scale run; a test too coarse for its
claim is reported as {NOT_INFORMATIVE}, not as agreeing. Figures show simulation as solid lines
or points with 95% bands and theory as dashed lines. Click a figure for its SVG.</p>
<nav><ul>
{"".join(nav)}
</ul></nav>
{"".join(sections)}
</body>
</html>
"""
    index = root / "index.html"
    index.write_text(page, encoding="utf-8")
    say(f"report: {index} ({time.perf_counter() - start:.1f} s; {summary})")
    return index
