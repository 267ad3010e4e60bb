"""``modelcollapse lm``: the n-gram language model on the command line."""

from __future__ import annotations

import json

import pytest

from modelcollapse.cli import main


def _json(capsys, argv):
    assert main(["lm", *argv, "--format", "json", "--quiet"]) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


def _final(payload, metric, column="mean"):
    rows = [r for r in payload["summary"] if r["metric"] == metric]
    return rows[-1][column]


def test_a_users_file_with_holdout_0(tmp_path, capsys):
    """Generation 0 counts exactly the file's distinct n-grams; --theory gives the law."""
    path = tmp_path / "text.txt"
    path.write_text("the cat sat\nthe dog sat\n\na dog saw the cat\n", encoding="utf-8")
    payload = _json(
        capsys,
        [
            "--text",
            str(path),
            "--holdout",
            "0",
            "--generations",
            "3",
            "--replications",
            "4",
            "--seed",
            "1",
            "--theory",
        ],
    )
    first = [r for r in payload["summary"] if r["generation"] == 0]
    distinct = {r["metric"]: r["mean"] for r in first}["distinct_ngrams"]
    assert distinct == 11  # <s> the, the cat, cat sat, sat </s>, the dog, dog sat, <s> a, ...
    assert payload["config"]["family"]["text"] == str(path)
    assert {r["theory_kind"] for r in first if r["metric"] == "lost_mass"} == {"first-order"}
    assert "perplexity" not in {r["metric"] for r in payload["summary"]}


def test_the_shipped_text_by_default_with_theory(capsys):
    code = main(
        [
            "lm",
            "--tokens",
            "20000",
            "--generations",
            "2",
            "--replications",
            "3",
            "--quiet",
            "--theory",
            "--seed",
            "0",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0 and out.startswith("ngram (text=web, order=2, level=word")
    # generation 0 is a sample of the text here: the law needs the whole text
    assert "the law starts from the whole text" in out


def test_accumulate_and_fresh_text(capsys):
    base = ["--tokens", "20000", "--generations", "3", "--replications", "3", "--seed", "2"]
    acc = _json(capsys, [*base, "--regime", "accumulate"])
    lost = [r["mean"] for r in acc["summary"] if r["metric"] == "lost_mass"]
    assert len(lost) == 4 and len(set(lost)) == 1  # nothing lost after generation 0's sample
    mixed = _json(capsys, [*base, "--n-real", "10000", "--weight", "optimal"])
    assert mixed["config"]["weight"] == "optimal"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--tokens", "99999999"], "--tokens: the training text has"),
        (["--order", "0"], "--order: must be an integer >= 1"),
        (["--order", "5"], "--order: must be an integer from 1 to 3"),
        (["--holdout", "0.7"], "--holdout: must lie in [0, 0.5]"),
        (["--text", "no-such.txt"], "--text: is not a file"),
    ],
)
def test_bad_inputs(capsys, argv, message):
    assert main(["lm", *argv, "--generations", "1", "--replications", "1", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"modelcollapse lm: error: {message}") and err.count("\n") == 1
