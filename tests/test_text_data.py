"""The shipped text corpus derived from the World English Bible: checksum, counts, cleaning."""

import hashlib
import lzma
import re
from importlib import resources

import pytest

import modelcollapse.data as data
from modelcollapse import InvalidArgumentError

PINNED = "e0387e0bdb3d9309f9a10a88928a10d73d659f42a31eeb77cff8061629db004d"


def _readme() -> str:
    return resources.files("modelcollapse.data").joinpath("web", "README.md").read_text("utf-8")


def _readme_number(label: str) -> int:
    match = re.search(rf"^- {label}: ([\d,]+)", _readme(), re.M)
    assert match, label
    return int(match.group(1).replace(",", ""))


def test_the_shipped_file_has_the_pinned_checksum():
    packed = resources.files("modelcollapse.data").joinpath("web", "web.txt.xz").read_bytes()
    assert hashlib.sha256(lzma.decompress(packed)).hexdigest() == PINNED
    assert data._TEXT_FILES["web"] == PINNED
    assert PINNED in _readme()


def test_counts_are_those_of_the_readme():
    lines = data.load_text("web")
    total = re.search(r"\| \*\*all\*\* \| \*\*([\d,]+)\*\* \| \*\*([\d,]+)\*\* \|", _readme())
    assert total
    assert len(lines) == int(total.group(1).replace(",", "")) == 37_456
    assert sum(len(line.split()) for line in lines) == int(total.group(2).replace(",", ""))
    assert sum(len(line) + 1 for line in lines) == _readme_number("characters")
    assert all(line and line == line.strip() and "\n" not in line for line in lines)


def test_no_markup_is_left():
    text = "\n".join(data.load_text("web"))
    for mark in ("<", ">", "&amp;", "&lt;", "strong:", "lemma=", "\x00", "\t"):
        assert mark not in text, mark
    assert "  " not in text


def test_first_and_known_verses():
    lines = data.load_text("web")
    assert lines[0] == "In the beginning, God created the heavens and the earth."
    assert lines[-1] == "The grace of the Lord Jesus Christ be with all the saints. Amen."
    john = "For God so loved the world, that he gave his only born Son, that whoever believes"
    assert sum(line.startswith(john) for line in lines) == 1
    # A psalm superscription is kept at the start of verse 1; a note leaves no gap before ")".
    assert "A Psalm by David. Yahweh is my shepherd; I shall lack nothing." in lines
    assert any("(the shekel is twenty gerahs);" in line for line in lines)


def test_the_loader_caches_an_immutable_tuple():
    first = data.load_text()
    assert isinstance(first, tuple) and data.load_text("web") is first


def test_a_corrupted_file_raises(monkeypatch):
    packed = resources.files("modelcollapse.data").joinpath("web", "web.txt.xz").read_bytes()
    text = lzma.decompress(packed).replace(b"God created", b"Gad created", 1)
    corrupted = lzma.compress(text, preset=0)

    class Resource:
        def __init__(self, content):
            self.content = content

        def read_bytes(self):
            if self.content is None:
                raise FileNotFoundError("web.txt.xz")
            return self.content

    class Files:
        def __init__(self, content):
            self.content = content

        def joinpath(self, *parts):
            return Resource(self.content)

    for content, message in [
        (corrupted, "web/web.txt.xz does not hold the shipped corpus: sha256"),
        (b"not xz", "web/web.txt.xz is not a valid xz file"),
        (None, "the shipped data file web/web.txt.xz is missing"),
    ]:
        data._text_lines.cache_clear()
        monkeypatch.setattr(data.resources, "files", lambda package, c=content: Files(c))
        with pytest.raises(data.DataIntegrityError, match="^" + re.escape(message)):
            data.load_text("web")
    monkeypatch.undo()
    data._text_lines.cache_clear()
    assert data.load_text("web")[0].startswith("In the beginning")


def test_a_bad_name_is_an_argument_error():
    with pytest.raises(InvalidArgumentError, match=r"^name: must be one of web \(got 'kjv'\)$"):
        data.load_text("kjv")
    with pytest.raises(InvalidArgumentError, match="^name: must be one of web"):
        data.load_text(None)  # type: ignore[arg-type]
    assert data.TEXTS == ("web",)
