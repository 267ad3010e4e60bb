"""The report: every registered experiment as one static, offline HTML page.

:func:`build_report` runs each experiment into ``OUT/<id>/`` (or reuses what is already there
for the same configuration: scale, replications, seed, package version and source hash, see
:mod:`modelcollapse.provenance`, as recorded by the configuration hash in its ``meta.json``,
and only when every file it lists still has its checksum) and writes ``OUT/index.html``: one
section per paper, one subsection per experiment with its one-line verdicts, the table of
simulation beside theory, the figures, the notes, and the settings and provenance (seed,
replications, version, wall time). Every value printed is escaped, those read back from files
included. The page has no scripts, no external fonts or stylesheets and links only to files
under ``OUT``, so it works offline and can be archived as a directory.
"""

from __future__ import annotations

import html
import json
import math
import os
import re
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pandas as pd

from ._progress import reporter
from ._validation import check_int, fail
from .engine import _package_version
from .experiments import experiment_ids, get_experiment, run_experiment
from .experiments.context import Batch
from .experiments.runner import META_FILE, configuration_hash, file_checksum
from .experiments.verdicts import KINDS, NOT_INFORMATIVE, headline, tally
from .provenance import source_hash

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
        lambda i: not i.startswith(("xu2025", "he2025", "lm-")),
    ),
    (
        "beyond",
        "Beyond the papers: language models on real text",
        lambda i: i.startswith("lm-"),
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


#: A figure's or a file's name in ``meta.json``: a name inside the experiment's folder (no
#: separator, no control character, not hidden, so neither ``..`` nor a path elsewhere).
_FIGURE_NAME = re.compile(r"(?!\.)[^/\\\x00-\x1f]+")
#: The state of a folder that was never written (no message: it is simply run).
_ABSENT = "absent"


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _meta_problem(meta: Any) -> str | None:
    """What in a parsed ``meta.json`` has not the type the report reads, or None."""
    if not isinstance(meta, dict):
        return "meta.json does not hold an object"
    expected: tuple[tuple[str, Callable[[Any], bool], str], ...] = (
        ("id", lambda v: isinstance(v, str), "a string"),
        ("title", lambda v: isinstance(v, str), "a string"),
        ("paper", lambda v: isinstance(v, str), "a string"),
        ("figure", lambda v: isinstance(v, str), "a string"),
        ("seed", lambda v: _is_int(v) and v >= 0, "a non-negative integer"),
        ("replications", lambda v: _is_int(v) and v >= 0, "a non-negative integer"),
        ("quick", lambda v: isinstance(v, bool), "true or false"),
        ("workers", lambda v: _is_int(v) and v >= 1, "a positive integer"),
        ("wall_time_s", lambda v: _is_number(v) and v >= 0, "a non-negative number"),
        ("settings", lambda v: isinstance(v, dict), "an object"),
        (
            "versions",
            lambda v: isinstance(v, dict) and all(isinstance(x, str) for x in v.values()),
            "an object of strings",
        ),
        (
            "notes",
            lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v),
            "a list of strings",
        ),
        (
            "figures",
            lambda v: (
                isinstance(v, list)
                and all(isinstance(x, str) and _FIGURE_NAME.fullmatch(x) for x in v)
            ),
            "a list of file names",
        ),
        ("verdicts", lambda v: isinstance(v, list) and all(map(_verdict_ok, v)), "verdicts"),
        ("configuration_hash", lambda v: isinstance(v, str), "a string"),
        (
            "files",
            lambda v: (
                isinstance(v, dict)
                and all(
                    isinstance(k, str) and _FIGURE_NAME.fullmatch(k) and isinstance(x, str)
                    for k, x in v.items()
                )
            ),
            "an object of file names and checksums",
        ),
    )
    for name, ok, what in expected:
        if name not in meta:
            return f"meta.json has no {name}"
        if not ok(meta[name]):
            return f"meta.json's {name} is not {what}"
    return None


def _verdict_ok(verdict: Any) -> bool:
    """Whether one verdict of ``meta.json`` has the fields and types the report reads."""
    if not isinstance(verdict, dict):
        return False
    detectable = verdict.get("detectable")
    return (
        isinstance(verdict.get("claim"), str)
        and isinstance(verdict.get("evidence"), str)
        and verdict.get("kind", "simulation") in KINDS
        and "holds" in verdict
        and (verdict["holds"] is None or isinstance(verdict["holds"], bool))
        and (detectable is None or isinstance(detectable, str) or _is_number(detectable))
    )


def _reuse_problem(
    target: Path, experiment_id: str, quick: bool, replications: int | None, seed: int
) -> str | None:
    """Why ``target`` cannot be reused for this configuration, or None when it holds a finished,
    intact run of it: ``meta.json`` parses and has the types the report reads, its
    configuration hash is the expected one, and every file it lists is there with its
    checksum (the results, key table, summary and every figure are among them)."""
    if not (target.exists() or target.is_symlink()):
        return _ABSENT
    try:
        text = (target / META_FILE).read_text(encoding="utf-8")
    except FileNotFoundError:
        return "it has no meta.json (an unfinished run, or not an experiment's folder)"
    except (OSError, UnicodeDecodeError) as err:
        return f"cannot read its meta.json ({getattr(err, 'strerror', None) or err})"
    try:
        meta = json.loads(text)
    except ValueError:
        return "its meta.json does not parse"
    problem = _meta_problem(meta)
    if problem:
        return problem
    experiment = get_experiment(experiment_id)
    expected = replications or (experiment.quick_replications if quick else experiment.replications)
    version = _package_version()
    differences = [
        f"{name} {shown(meta_value)}, not {shown(value)}"
        for name, meta_value, value, shown in (
            ("id", meta["id"], experiment_id, str),
            ("seed", meta["seed"], seed, str),
            ("replications", meta["replications"], expected, str),
            ("scale", meta["quick"], quick, lambda q: "quick" if q else "full"),
            ("modelcollapse", meta["versions"].get("modelcollapse"), version, str),
        )
        if meta_value != value
    ]
    if differences:
        return "it was run with " + ", ".join(differences)
    recorded = meta.get("source_hash")
    if recorded != source_hash():
        if not isinstance(recorded, str):
            return "its meta.json records no source hash (made by an older version)"
        return f"it was run with other code (source hash {recorded[:12]}, not {source_hash()[:12]})"
    if meta["configuration_hash"] != configuration_hash(experiment_id, seed, expected, quick):
        return "its configuration hash does not match"
    files = meta["files"]
    needed = ["results.csv", "key.csv", "summary.md"]
    needed += [f"{name}{suffix}" for name in meta["figures"] for suffix in (".png", ".svg")]
    unlisted = [name for name in needed if name not in files]
    if unlisted:
        return f"its meta.json lists no checksum for {unlisted[0]}"
    for name, checksum in files.items():
        try:
            if file_checksum(target / name) != checksum:
                return f"{name} changed since it was written"
        except FileNotFoundError:
            return f"{name} is missing"
        except OSError as err:
            return f"cannot read {name} ({err.strerror})"
    return None


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
    """The HTML of one experiment, and its ``meta.json``. Every value printed is escaped, those
    read back from ``meta.json`` and ``key.csv`` included."""
    meta = json.loads((target / META_FILE).read_text(encoding="utf-8"))
    problem = _meta_problem(meta)
    if problem:
        raise ValueError(f"{target / META_FILE}: {problem}")
    eid = meta["id"]
    esc = html.escape
    link = esc(quote(eid))  # a folder name in an href
    key = pd.read_csv(target / "key.csv") if (target / "key.csv").exists() else pd.DataFrame()
    parts = [
        f'<section id="{esc(eid)}">',
        f"<h3>{esc(eid)}: {esc(meta['title'])}</h3>",
        f"<p>{esc(meta['paper'])}, {esc(meta['figure'])}.</p>",
        '<ul class="verdicts">',
    ]
    for v in meta["verdicts"]:
        if v["holds"] is None:
            css, word = "uninformative", NOT_INFORMATIVE
        else:
            css, word = ("agree", "agrees") if v["holds"] else ("disagree", "DISAGREES")
        power = str(v.get("kind", "simulation"))
        if v.get("detectable") is not None:
            detectable = v["detectable"]
            power += (
                f"; detects {detectable}"
                if isinstance(detectable, str)
                else f"; detects a {_relative(detectable)} discrepancy"
            )
        parts.append(
            f'<li class="{css}"><b>{esc(word)}</b> '
            f'<span class="kind">{esc(power)}</span>: {esc(v["claim"])} '
            f'<span class="evidence">{esc(v["evidence"])}</span></li>'
        )
    parts.append("</ul>")
    if not key.empty:
        parts += ["<h4>Simulation beside theory</h4>", _table_html(key)]
    for name in meta["figures"]:
        parts.append(
            f'<p><a href="{link}/{esc(quote(name))}.svg"><img src="{link}/{esc(quote(name))}.png" '
            f'alt="{esc(eid)}: {esc(name)}"></a></p>'
        )
    failures = meta.get("fit_failures") or []
    if failures:  # beside the figures of the panels they concern (each names its family)
        parts.append('<h4>Failed fits</h4><ul class="warning">')
        parts += [f"<li>{esc(str(m))}</li>" for m in failures]
        parts.append("</ul>")
    if meta["notes"]:
        parts.append("<h4>Notes</h4><ul>")
        parts += [f"<li>{esc(n)}</li>" for n in meta["notes"]]
        parts.append("</ul>")
    versions = meta["versions"]
    scale = _scale_of(meta)
    settings = json.dumps(meta["settings"], default=_json_default)
    parts.append(
        '<p class="meta">'
        f"Replications {meta['replications']:,} ({esc(scale)}); seed {esc(str(meta['seed']))}; "
        f"modelcollapse {esc(str(versions.get('modelcollapse', '?')))}, numpy "
        f"{esc(str(versions.get('numpy', '?')))}; {esc(str(meta['workers']))} worker(s); "
        f"wall time {float(meta['wall_time_s']):.1f} s. Settings: <code>{esc(settings)}</code>. "
        f'Files: <a href="{link}/results.csv">results.csv</a>, '
        f'<a href="{link}/summary.md">summary.md</a>, <a href="{link}/meta.json">meta.json</a>.'
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


def _check_report_dir(root: Path, ids: Sequence[str], shown: str) -> None:
    """Before anything runs: the report directory, if it exists, is a writable directory, its
    ``index.html``, if any, is a writable file, and no experiment's folder is a file."""
    if not (root.exists() or root.is_symlink()):
        return  # created by the first experiment run (checked there)
    if not root.is_dir():
        raise fail("out", "must be a directory", shown)
    if not os.access(root, os.W_OK):
        raise fail("out", "the directory is not writable", shown)
    index = root / "index.html"
    if index.is_symlink() or index.exists():
        if not index.is_file() or not os.access(index, os.W_OK):
            raise fail("out", "its index.html is not a writable file", shown)
    for eid in ids:
        folder = root / eid
        if (folder.exists() or folder.is_symlink()) and not folder.is_dir():
            raise fail("out", f"{eid} in it is not a directory", shown)


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
        Quick scale (about 2.5 minutes for everything on two idle cores).
    only : sequence of str, optional
        Experiment ids to include (default: all, in registry order).
    replications, seed, workers
        As in :func:`modelcollapse.experiments.run_experiment`.
    reuse : bool
        Keep an experiment's existing folder when its ``meta.json`` parses, records the same
        configuration hash and lists every file with its checksum unchanged; otherwise say why
        on the progress stream and run it again.
    progress : bool or callable
        Progress on stderr (True), none (False), or this function for the report's own lines
        (the experiments then print theirs on stderr). Each experiment run shows a progress
        line with its fraction done, elapsed time and time left, and the report's overall
        fraction and time left (by count of experiments to run, the running one by its
        fraction done).

    Returns
    -------
    pathlib.Path
        ``out/index.html``.

    Raises
    ------
    InvalidArgumentError
        Before anything runs, when ``out`` is not a writable directory, its ``index.html`` is
        not a writable file or an experiment's folder is a file; and as
        :func:`~modelcollapse.experiments.run_experiment` raises.
    """
    ids = list(experiment_ids()) if only is None else [get_experiment(i).id for i in only]
    workers = check_int("workers", workers, minimum=1)
    if replications is not None:
        replications = check_int("replications", replications, minimum=2)
    root = Path(out)
    _check_report_dir(root, ids, str(out))
    say = reporter(progress)
    start = time.perf_counter()
    problems = {
        eid: _reuse_problem(root / eid, eid, quick, replications, seed) if reuse else _ABSENT
        for eid in ids
    }
    batch = Batch(sum(problem is not None for problem in problems.values()))
    for number, eid in enumerate(ids, start=1):
        target, problem = root / eid, problems[eid]
        if problem is None:
            say(f"[{number}/{len(ids)}] {eid}: reusing {target}")
            continue
        if problem == _ABSENT:
            say(f"[{number}/{len(ids)}] {eid}: running")
        else:
            say(f"[{number}/{len(ids)}] {eid}: not reusing {target}: {problem}; running")
        run_experiment(
            eid,
            root,
            replications=replications,
            quick=quick,
            seed=seed,
            progress=bool(progress),
            workers=workers,
            batch=batch,
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
                f'<li><a href="#{html.escape(eid)}">{html.escape(eid)}</a> {mark} '
                f"{html.escape(headline(meta['verdicts']))}</li>"
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
    tmp = root / f".index.html.{os.getpid()}.tmp"
    try:
        tmp.write_text(page, encoding="utf-8")
        os.replace(tmp, index)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    say(f"report: {index} ({time.perf_counter() - start:.1f} s; {summary})")
    return index
