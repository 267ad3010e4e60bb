#!/usr/bin/env python3
"""Rebuild ``src/modelcollapse/data/web/web.txt.xz`` from the Debian package ``sword-text-web``.

The package holds the SWORD module ``engWEB2015eb`` (World English Bible with Deuterocanon,
OSIS markup, zText format, NRSVA versification). This script reads the module's verse index,
keeps the text of every verse position, strips the markup and writes one verse per line, in
the order of the versification, as UTF-8 compressed with xz (preset 9e). The output is a
plain-text corpus *derived from* the World English Bible; it is not the World English Bible
(see ``src/modelcollapse/data/web/README.md``).

Usage::

    apt-get download sword-text-web          # sword-text-web_426.0-1_all.deb
    python tools/build_web_corpus.py sword-text-web_426.0-1_all.deb

The argument is the ``.deb`` file or a folder it was extracted into (``dpkg-deb -x``). Only the
Python standard library is used; the same input gives the same bytes on every run.
"""

from __future__ import annotations

import argparse
import hashlib
import html
import io
import lzma
import re
import struct
import sys
import tarfile
import zlib
from pathlib import Path

MODULE = "engWEB2015eb"
MODULE_DIR = f"usr/share/sword/modules/texts/ztext/{MODULE}"
CONF = f"usr/share/sword/mods.d/{MODULE}.conf"
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "src/modelcollapse/data/web/web.txt.xz"

# The NRSVA versification of SWORD (canon_nrsva.h): for each book, its OSIS name and the number
# of verses of each chapter. It fixes the layout of the verse index (.bzv): entry 0 is the
# module heading, entry 1 the testament heading, then for each book one entry for the book
# introduction and, for each chapter, one entry for the chapter introduction followed by one
# per verse.
NRSVA_OT = """
Gen 31 25 24 26 32 22 24 22 29 32 32 20 18 24 21 16 27 33 38 18 34 24 20 67 34 35 46 22 35 43 55
32 20 31 29 43 36 30 23 23 57 38 34 34 28 34 31 22 33 26 Exod 22 25 22 31 23 30 25 32 35 29 10
51 22 31 27 36 16 27 25 26 36 31 33 18 40 37 21 43 46 38 18 35 23 35 35 38 29 31 43 38 Lev 17 16
17 35 19 30 38 36 24 20 47 8 59 57 33 34 16 30 37 27 24 33 44 23 55 46 34 Num 54 34 51 49 31 27
89 26 23 36 35 16 33 45 41 50 13 32 22 29 35 41 30 25 18 65 23 31 40 16 54 42 56 29 34 13 Deut
46 37 29 49 33 25 26 20 29 22 32 32 18 29 23 22 20 22 21 20 23 30 25 22 19 19 26 68 29 20 30 52
29 12 Josh 18 24 17 24 15 27 26 35 27 43 23 24 33 15 63 10 18 28 51 9 45 34 16 33 Judg 36 23 31
24 31 40 25 35 57 18 40 15 25 20 20 31 13 31 30 48 25 Ruth 22 23 18 22 1Sam 28 36 21 22 12 21 17
22 27 27 15 25 23 52 35 23 58 30 24 42 15 23 29 22 44 25 12 25 11 31 13 2Sam 27 32 39 12 25 23
29 18 13 19 27 31 39 33 37 23 29 33 43 26 22 51 39 25 1Kgs 53 46 28 34 18 38 51 66 28 29 43 33
34 31 34 34 24 46 21 43 29 53 2Kgs 18 25 27 44 27 33 20 29 37 36 21 21 25 29 38 20 41 37 37 21
26 20 37 20 30 1Chr 54 55 24 43 26 81 40 40 44 14 47 40 14 17 29 43 27 17 19 8 30 19 32 31 31 32
34 21 30 2Chr 17 18 17 22 14 42 22 18 31 19 23 16 22 15 19 14 19 34 11 37 20 12 21 27 28 23 9 27
36 27 21 33 25 33 27 23 Ezra 11 70 13 24 17 22 28 36 15 44 Neh 11 20 32 23 19 19 73 18 38 39 36
47 31 Esth 22 23 15 17 14 14 10 17 32 3 Job 22 13 26 21 27 30 21 22 35 22 20 25 28 22 35 22 16
21 29 29 34 30 17 25 6 14 23 28 25 31 40 22 33 37 16 33 24 41 30 24 34 17 Ps 6 12 8 8 12 10 17 9
20 18 7 8 6 7 5 11 15 50 14 9 13 31 6 10 22 12 14 9 11 12 24 11 22 22 28 12 40 22 13 17 13 11 5
26 17 11 9 14 20 23 19 9 6 7 23 13 11 11 17 12 8 12 11 10 13 20 7 35 36 5 24 20 28 23 10 12 20
72 13 19 16 8 18 12 13 17 7 18 52 17 16 15 5 23 11 13 12 9 9 5 8 28 22 35 45 48 43 13 31 7 10 10
9 8 18 19 2 29 176 7 8 9 4 8 5 6 5 6 8 8 3 18 3 3 21 26 9 8 24 13 10 7 12 15 21 10 20 14 9 6
Prov 33 22 35 27 23 35 27 36 18 32 31 28 25 35 33 33 28 24 29 30 31 29 35 34 28 28 27 28 27 33
31 Eccl 18 26 22 16 20 12 29 17 18 20 10 14 Song 17 17 11 16 16 13 13 14 Isa 31 22 26 6 30 13 25
22 21 34 16 6 22 32 9 14 14 7 25 6 17 25 18 23 12 21 13 29 24 33 9 20 24 17 10 22 38 22 8 31 29
25 28 28 25 13 15 22 26 11 23 15 12 17 13 12 21 14 21 22 11 12 19 12 25 24 Jer 19 37 25 31 31 30
34 22 26 25 23 17 27 22 21 21 27 23 15 18 14 30 40 10 38 24 22 17 32 24 40 44 26 22 19 32 21 28
18 16 18 22 13 30 5 28 7 47 39 46 64 34 Lam 22 22 66 22 22 Ezek 28 10 27 17 17 14 27 18 11 22 25
28 23 23 8 63 24 32 14 49 32 31 49 27 17 21 36 26 21 26 18 32 33 31 15 38 28 23 29 49 26 20 27
31 25 24 23 35 Dan 21 49 30 37 31 28 28 27 27 21 45 13 Hos 11 23 5 19 15 11 16 14 17 15 12 14 16
9 Joel 20 32 21 Amos 15 16 15 13 27 14 17 14 15 Obad 21 Jonah 17 10 10 11 Mic 16 13 12 13 15 16
20 Nah 15 13 19 Hab 17 20 19 Zeph 18 15 20 Hag 15 23 Zech 21 13 10 14 11 15 14 23 17 12 17 14 9
21 Mal 14 17 18 6 Tob 22 14 17 21 22 18 16 21 6 13 18 22 17 15 Jdt 16 28 10 15 24 21 32 36 14 23
23 20 20 19 14 25 EsthGr 22 23 15 17 14 14 10 17 32 13 12 6 18 19 16 24 Wis 16 24 19 20 23 25 30
21 18 21 26 27 19 31 19 29 21 25 22 Sir 30 18 31 31 15 37 36 19 18 31 34 18 26 27 20 30 32 33 30
31 28 27 27 34 26 29 30 26 28 25 31 24 33 31 26 31 31 34 35 30 22 25 33 23 26 20 25 25 16 29 30
Bar 22 35 37 37 9 73 PrAzar 68 Sus 64 Bel 42 1Macc 64 70 60 61 68 63 50 32 73 89 74 53 53 49 41
24 2Macc 36 32 40 50 27 31 42 36 29 38 38 45 26 46 39 1Esd 58 30 24 63 73 34 15 96 55 PrMan 15
AddPs 7 3Macc 29 33 30 21 51 41 23 2Esd 40 48 36 52 56 59 140 63 47 59 46 51 58 48 63 78 4Macc
35 24 21 26 38 35 23 29 32 21 27 19 27 20 32 25 24 24
"""
NRSVA_NT = """
Matt 25 23 17 25 48 34 29 34 38 42 30 50 58 36 39 28 27 35 30 34 46 46 39 51 46 75 66 20 Mark 45
28 35 41 43 56 37 38 50 52 33 44 37 72 47 20 Luke 80 52 38 44 39 49 50 56 62 42 54 59 35 35 32
31 37 43 48 47 38 71 56 53 John 51 25 36 54 47 71 53 59 41 42 57 50 38 31 27 33 26 40 42 31 25
Acts 26 47 26 37 42 15 60 40 43 48 30 25 52 28 41 40 34 28 41 38 40 30 35 27 27 32 44 31 Rom 32
29 31 25 21 23 25 39 33 21 36 21 14 23 33 27 1Cor 31 16 23 21 13 20 40 13 27 33 34 31 13 40 58
24 2Cor 24 17 18 18 21 18 16 24 15 18 33 21 14 Gal 24 21 29 31 26 18 Eph 23 22 21 32 33 24 Phil
30 30 21 23 Col 29 23 25 18 1Thess 10 20 13 18 28 2Thess 12 17 18 1Tim 20 15 16 16 25 21 2Tim 18
26 17 22 Titus 16 15 15 Phlm 25 Heb 14 18 19 16 14 20 28 13 28 39 40 29 25 Jas 27 26 18 17 20
1Pet 25 25 22 19 14 2Pet 21 22 18 1John 10 29 24 21 21 2John 13 3John 15 Jude 25 Rev 20 29 22 11
14 17 17 13 21 11 19 18 18 20 8 21 18 24 21 15 27 21
"""


def versification(table: str) -> list[tuple[str, list[int]]]:
    """The books of a testament, in order, with the verse count of each chapter."""
    books: list[tuple[str, list[int]]] = []
    for token in table.split():
        if token.isdigit():
            books[-1][1].append(int(token))
        else:
            books.append((token, []))
    return books


def layout(table: str) -> list[tuple[str, int, int] | None]:
    """For each verse-index entry of a testament: ``(book, chapter, verse)`` for a verse,
    ``None`` for a heading or introduction."""
    entries: list[tuple[str, int, int] | None] = [None, None]
    for book, chapters in versification(table):
        entries.append(None)
        for chapter, verses in enumerate(chapters, start=1):
            entries.append(None)
            entries.extend((book, chapter, verse) for verse in range(1, verses + 1))
    return entries


def read_module(source: Path) -> dict[str, bytes]:
    """The module's files (``ot.bzs`` ... ``nt.bzz`` and ``conf``) from a .deb or a folder."""
    names = [f"{t}.{e}" for t in ("ot", "nt") for e in ("bzs", "bzv", "bzz")]
    if source.is_dir():
        files = {n: (source / MODULE_DIR / n).read_bytes() for n in names}
        files["conf"] = (source / CONF).read_bytes()
        return files
    data = source.read_bytes()
    if not data.startswith(b"!<arch>\n"):
        raise SystemExit(f"{source}: not a .deb (ar archive) or a folder")
    pos, members = 8, {}
    while pos < len(data):  # ar members: 60-byte header, data padded to an even length
        header = data[pos : pos + 60]
        name = header[:16].decode().strip().rstrip("/")
        size = int(header[48:58].decode())
        members[name] = data[pos + 60 : pos + 60 + size]
        pos += 60 + size + (size % 2)
    (member,) = [n for n in members if n.startswith("data.tar")]
    files = {}
    with tarfile.open(fileobj=io.BytesIO(members[member])) as tar:
        for info in tar.getmembers():
            path = info.name.removeprefix("./")
            if path == CONF:
                key = "conf"
            elif path.startswith(MODULE_DIR + "/") and path.rsplit("/", 1)[1] in names:
                key = path.rsplit("/", 1)[1]
            else:
                continue
            extracted = tar.extractfile(info)
            assert extracted is not None
            files[key] = extracted.read()
    missing = sorted((set(names) | {"conf"}) - set(files))
    if missing:
        raise SystemExit(f"{source}: module files missing: {', '.join(missing)}")
    return files


def raw_entries(files: dict[str, bytes], testament: str) -> list[tuple[int, int, int, str]]:
    """The verse-index entries of a testament: (block, offset, size, raw OSIS text).

    ``.bzs``: per block, offset and size in ``.bzz`` and uncompressed size (3 x uint32 LE);
    ``.bzv``: per entry, block number and offset (uint32 LE) and size (uint16 LE) inside the
    uncompressed block; ``.bzz``: the zlib-compressed blocks.
    """
    bzs, bzv, bzz = (files[f"{testament}.{e}"] for e in ("bzs", "bzv", "bzz"))
    blocks = []
    for offset, size, usize in struct.iter_unpack("<III", bzs):
        block = zlib.decompress(bzz[offset : offset + size]) if size else b""
        if len(block) != usize:
            raise SystemExit(f"{testament}.bzz: a block decompresses to {len(block)} bytes")
        blocks.append(block)
    return [
        (b, o, s, blocks[b][o : o + s].decode("utf-8") if s else "")
        for b, o, s in struct.iter_unpack("<IIH", bzv)
    ]


BOOK_END = re.compile(r'<div\b[^>]*\beID="[^"]*"[^>]*type="book"[^>]*/>')
NOTE = re.compile(r"<note\b[^>]*>.*?</note>", re.S)
SPEAKER = re.compile(r"<speaker\b[^>]*>.*?</speaker>", re.S)
TITLE = re.compile(r"<title\b([^>]*)>.*?</title>", re.S)
INLINE = re.compile(r"</?(?:w|q|name|seg|transChange|hi|foreign|divineName)\b[^>]*>")
TAG = re.compile(r"<[^>]*>")
NOTE_MARK = "\x00"
NOTE_BETWEEN_WORDS = re.compile(r"(?<=[\w,.;:!?’”)\]])\x00+(?=[\w“‘(\[])")
SPACE = re.compile(r"\s+")


def clean(osis: str) -> str:
    """The words of one verse entry: the markup, notes and editorial labels removed."""
    end = BOOK_END.search(osis)
    if end:  # what follows a book's end marker is not verse text (the glossary after Rev)
        osis = osis[: end.start()]
    # Footnotes and cross-references go with their contents; where one stood is marked, to
    # decide below whether the words on its two sides need a space between them.
    osis = NOTE.sub(NOTE_MARK, osis)
    osis = SPEAKER.sub(" ", osis)  # speaker labels in the Song of Songs
    # Headings go; a canonical title (a psalm's superscription) is text of the verse.
    osis = TITLE.sub(lambda m: m.group(0) if 'canonical="true"' in m.group(1) else " ", osis)
    # Word-level markup (<w> with its Strong's numbers, <q>, <name>, <seg>) is removed without
    # a space; structural markup (<l/>, <lg/>, <lb/>, <div/>, <chapter/>, <milestone/>, <list>,
    # <item>, <title>) is replaced by one.
    osis = INLINE.sub("", osis)
    osis = TAG.sub(" ", osis)
    # A note stood between two words ("God<note/>created"), or after a word and before
    # punctuation ("gerahs<note/>);"): a space in the first case only.
    osis = NOTE_BETWEEN_WORDS.sub(" ", osis).replace(NOTE_MARK, "")
    return SPACE.sub(" ", html.unescape(osis)).strip()


def build(files: dict[str, bytes]) -> tuple[str, dict[str, int]]:
    """The corpus text (one verse per line, final newline) and counts of what was kept."""
    lines: list[str] = []
    stats = {"verse entries": 0, "linked": 0, "empty": 0, "non-verse entries with text": 0}
    for testament, table in (("ot", NRSVA_OT), ("nt", NRSVA_NT)):
        entries = raw_entries(files, testament)
        where = layout(table)
        if len(entries) != len(where):
            raise SystemExit(
                f"{testament}.bzv has {len(entries)} entries; NRSVA needs {len(where)}"
            )
        seen = set()
        for (block, offset, size, osis), ref in zip(entries, where, strict=True):
            if ref is None:
                stats["non-verse entries with text"] += bool(clean(osis))
                continue
            stats["verse entries"] += 1
            if size and (block, offset, size) in seen:  # a verse linked to the one before
                stats["linked"] += 1
                continue
            seen.add((block, offset, size))
            text = clean(osis)
            if not text:
                stats["empty"] += 1
                continue
            lines.append(text)
    return "".join(line + "\n" for line in lines), stats


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "source", type=Path, help="sword-text-web .deb, or a folder it was extracted into"
    )
    parser.add_argument("-o", "--output", type=Path, default=DEFAULT_OUT, help="the .xz to write")
    args = parser.parse_args(argv)
    files = read_module(args.source)
    version = re.search(rb"^Version=(.*)$", files["conf"], re.M)
    text, stats = build(files)
    data = text.encode("utf-8")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_bytes(lzma.compress(data, preset=9 | lzma.PRESET_EXTREME))
    print(f"module {MODULE} version {version.group(1).decode() if version else '?'}")
    for key, value in stats.items():
        print(f"{key}: {value}")
    print(f"lines {text.count(chr(10))}, words {len(text.split())}, characters {len(text)}")
    print(f"sha256 (uncompressed) {hashlib.sha256(data).hexdigest()}")
    print(f"wrote {args.output} ({args.output.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
