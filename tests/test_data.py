"""The shipped Adult data: checksums, both cleaning conventions, types, the CLI."""

import gzip
import hashlib
from importlib import resources

import pandas as pd
import pytest

import modelcollapse.data as data
from modelcollapse import InvalidArgumentError
from modelcollapse.cli import main

PINNED = {
    "adult.data": "5b00264637dbfec36bdeaab5676b0b309ff9eb788d63554ca0a249491c86603d",
    "adult.test": "a2a9044bc167a35b2361efbabec64e89d69ce82d9790d2980119aac5fd7e9c05",
}


@pytest.mark.parametrize("name", sorted(PINNED))
def test_shipped_files_are_the_uci_bytes(name):
    packed = resources.files("modelcollapse.data").joinpath("adult", name + ".gz").read_bytes()
    assert hashlib.sha256(gzip.decompress(packed)).hexdigest() == PINNED[name]
    assert data._ADULT_FILES[name] == PINNED[name]
    licence = resources.files("modelcollapse.data").joinpath("adult", "README.md").read_text()
    assert "CC BY 4.0" in licence and "Kohavi" in licence


def test_complete_rows():
    adult = data.load_adult()
    assert adult.shape == (45_222, 15)
    assert tuple(adult.columns) == data.ADULT_COLUMNS
    assert not (adult[list(data.ADULT_CATEGORICAL)] == "?").any().any()
    for column in data.ADULT_NUMERIC:
        assert adult[column].dtype == "int64"
    for column in data.ADULT_CATEGORICAL:
        assert isinstance(adult[column].dtype, pd.CategoricalDtype)
    assert sorted(adult["income"].cat.categories) == ["<=50K", ">50K"]
    assert adult["workclass"].nunique() == 7
    # The UCI description: 30,162 complete training rows, 15,060 test rows.
    assert adult["income"].value_counts()[">50K"] == 11_208


def test_as_authors_keeps_every_row_with_question_marks():
    adult = data.load_adult("as-authors")
    assert adult.shape == (48_842, 15)
    assert adult["income"].value_counts().to_dict() == {"<=50K": 37_155, ">50K": 11_687}
    assert "?" in adult["workclass"].cat.categories
    assert adult["workclass"].nunique() == 9
    for column in ("workclass", "occupation", "native-country"):
        assert (adult[column] == "?").sum() > 0
    first = adult.iloc[0]
    assert (first["age"], first["workclass"], first["income"]) == (39, "State-gov", "<=50K")
    test_first = adult.iloc[32_561]  # the test file's first row, after its header line
    assert (test_first["age"], test_first["education"]) == (25, "11th")


def test_each_load_is_a_fresh_table():
    a = data.load_adult()
    a.loc[0, "age"] = -1
    assert data.load_adult().loc[0, "age"] == 39


def test_bad_cleaning():
    with pytest.raises(InvalidArgumentError, match="^cleaning: must be one of complete"):
        data.load_adult("none")


def test_altered_or_missing_file(monkeypatch):
    data._adult_raw_table.cache_clear()
    monkeypatch.setitem(data._ADULT_FILES, "adult.test", "0" * 64)
    with pytest.raises(data.DataIntegrityError, match="adult.test.gz does not hold the UCI file"):
        data.load_adult()
    data._adult_raw_table.cache_clear()
    monkeypatch.undo()

    real_files = resources.files

    class Missing:
        def joinpath(self, *parts):
            return real_files("modelcollapse.data").joinpath("adult", "nothing.gz")

    monkeypatch.setattr(data.resources, "files", lambda package: Missing())
    with pytest.raises(data.DataIntegrityError, match="missing from the modelcollapse package"):
        data.load_adult()
    monkeypatch.undo()
    data._adult_raw_table.cache_clear()
    assert data.load_adult().shape == (45_222, 15)


def test_cli_data_info(capsys):
    assert main(["data", "info", "adult", "--top", "3"]) == 0
    out = capsys.readouterr().out
    assert "45,222 rows, 15 columns" in out
    assert "workclass (7 categories)" in out and "Private" in out and "... 4 more" in out
    assert main(["data", "info", "adult", "--cleaning", "as-authors"]) == 0
    out = capsys.readouterr().out
    assert "48,842 rows" in out and "workclass (9 categories)" in out
    assert main(["data", "info", "iris"]) == 2
    assert "must be one of adult" in capsys.readouterr().err
