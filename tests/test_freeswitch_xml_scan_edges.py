"""Edges of the XML kernel's shortcuts (``freeswitch_xml_kernels``), each against the numpy
scan kept as the oracle (``_same_scan``): an end tag read by comparing its bytes with the
open element's name 8 at a time, names looked up 8 bytes at a time, and the runs walked with
unsigned indices and no test of the file's end before the file's last '>' (names, tags and
files cut at the end, bytes 0 and n - 1).
"""
from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from tests.test_freeswitch_xml_kernels import SETTINGS, _same_scan
from workbench.ingest.formats.switches.freeswitch_legs import scan_names

# names around 8 and 16 bytes (one word, two, a word and a byte), keys and not keys
_NAMES = ["ani", "billsec", "sip_verstat", "uuid", "abcdefgh", "abcdefghi", "abcdefg",
          "sip_gateway_name", "sip_h_P-Origination-ID", "destination_number", "x", "a.b-c_d",
          "caller_profile", "times", "hangup_time", "end_epoch"]


def _end_variants(name: str) -> list[str]:
    """End tags that name the open element, or a prefix of it, a longer name, a name with
    one byte changed, then '>' or not."""
    out = [f"</{name}>", f"</{name} >", f"</{name}\n>", f"</{name}\t\r\n>", f"</{name}/>",
           f"</{name} x>", f"</{name}", f"</{name} ", f"</{name}x>", f"</{name}.>",
           f"</{name}-1>", f"</{name}é>", f"</{name}<", f"</{name}&amp;>"]
    if len(name) > 1:
        out += [f"</{name[:-1]}>", f"</{name[1:]}>", f"</{name[:-1]}X>"]
    for j in {0, len(name) // 2, len(name) - 1, 7, 8}:
        if j < len(name):
            out.append(f"</{name[:j]}{'Z' if name[j] != 'Z' else 'Y'}{name[j + 1:]}>")
    return out


@st.composite
def _end_tag_doc(draw: st.DrawFn) -> str:
    name = draw(st.sampled_from(_NAMES))
    end = draw(st.sampled_from(_end_variants(name)))
    where = draw(st.sampled_from(["variables", "callflow><caller_profile", "callflow><times",
                                  "x"]))
    opens = where.split("><")
    close = "".join(f"</{o}>" for o in reversed(opens))
    doc = f"<cdr><{'><'.join(opens)}><{name}>v{end}{close}</cdr>"
    good = "<cdr><variables><ani>1</ani></variables></cdr>"
    text = draw(st.sampled_from(["", good + "\n"])) + doc + draw(st.sampled_from(
        ["", "\n", "\n" + good, good]))
    if draw(st.booleans()):  # cut anywhere: tags and names at the file's end
        text = text[:draw(st.integers(0, len(text)))]
    return text


@SETTINGS
@given(_end_tag_doc())
def test_end_tags_near_the_open_name(text: str) -> None:
    _same_scan(text.encode())


@SETTINGS
@given(st.sampled_from(_NAMES), st.sampled_from(_NAMES), st.integers(0, 40))
def test_every_cut_of_a_document_end(name: str, other: str, back: int) -> None:
    """A file ending anywhere in its last tags: inside a name, before its '>', in an end tag
    (the word compare needs 8 bytes past the name: here the byte by byte path decides)."""
    doc = (f"<cdr><variables><{name}>1</{name}><{other}>2</{other}></variables>"
           f"<callflow><caller_profile><{name}>3</{name}></caller_profile></callflow></cdr>")
    data = (doc + "\n" + doc).encode()
    _same_scan(data[:max(0, len(data) - back)])


def test_bytes_zero_and_last() -> None:
    """Runs that start at byte 0 or end at byte n - 1, files with no '>' at all, and files
    whose last '>' comes early."""
    doc = b"<cdr><variables><ani>1</ani></variables></cdr>"
    for data in (b">", b"<", b"<>", b"><", b"a", b"\n", b"<cdr>", b"<cdr><ani", b"<cdr>\n<a",
                 b"<cdr" + b"a" * 30, b"<cdr " + b"a" * 30, b"<cdr>" + b"x" * 20,
                 b"<cdr>" + b" " * 20, b"<cdr><a b='" + b"x" * 20, b"<cdr><a b" + b" " * 20,
                 doc, doc + b"<", doc + b"a", doc + b"\n<ani", doc + b"<cdr>",
                 b">" + doc, b"<" + doc, b"\n" + doc + b">", doc + b"</ani" + b" " * 9,
                 doc[:-1], doc[:-2], doc + doc[:-1]):
        _same_scan(data)


_VAR_KEYS = [b.decode() for b in scan_names()[0]]


@st.composite
def _near_key(draw: st.DrawFn) -> str:
    """A key, or one with a byte changed, cut, or grown (the word compare's masks)."""
    key = draw(st.sampled_from(_VAR_KEYS))
    how = draw(st.integers(0, 4))
    if how == 1:
        j = draw(st.integers(0, len(key) - 1))
        key = key[:j] + ("q" if key[j] != "q" else "r") + key[j + 1:]
    elif how == 2 and len(key) > 1:
        key = key[:draw(st.integers(1, len(key) - 1))]
    elif how == 3:
        key += draw(st.sampled_from(["x", "_", "1", "abcdefgh"]))
    return key


@SETTINGS
@given(st.lists(_near_key(), min_size=1, max_size=8), st.booleans())
def test_names_near_the_keys(names: list[str], cut: bool) -> None:
    """Elements named like the keys (one byte off, a prefix, longer) in every structure the
    reader walks, with the file cut after the last name or not."""
    body = "".join(f"<{n}>{k}</{n}>" for k, n in enumerate(names))
    doc = (f"<cdr><variables>{body}</variables><callflow><caller_profile>{body}"
           f"</caller_profile><times>{body}</times></callflow></cdr>\n")
    data = doc.encode()
    if cut:
        data += f"<cdr><variables><{names[-1]}".encode()
    _same_scan(data)


@SETTINGS
@given(st.binary(min_size=1, max_size=64), st.data())
def test_word_compare_is_byte_equality(raw: bytes, data: st.DataObject) -> None:
    from workbench.common import words as words_mod
    from workbench.ingest.formats.switches import freeswitch_xml_kernels as kern

    arr = np.frombuffer(raw + raw + bytes(8), np.uint8)  # (8 bytes past any name)
    room = arr.size - 8
    ln = data.draw(st.integers(0, min(room, 40)))
    a = data.draw(st.integers(0, room - ln))
    b = data.draw(st.integers(0, room - ln))
    want = bytes(arr[a:a + ln]) == bytes(arr[b:b + ln])
    assert kern._same_words(arr, a, b, ln) == want
    keys = scan_names()[1]
    words = words_mod.key_words(keys)
    k = data.draw(st.integers(0, len(keys) - 1))
    klen = int(scan_names()[2][k])
    if ln == klen:
        want = bytes(arr[a:a + ln]) == bytes(keys[k, :ln])
        assert words_mod.same_as_key(arr, a, ln, words, k) == want
        assert words_mod.same_as_key_bytes(arr, a, ln, keys, k) == want


def test_word_compare_of_keys_in_place() -> None:
    """Each key found where it stands, and not with any one byte changed."""
    from workbench.common import words as words_mod

    raw, keys, lengths, _ = scan_names()
    words = words_mod.key_words(keys)
    for k, name in enumerate(raw):
        arr = np.frombuffer(b"<" + name + b">" + bytes(8), np.uint8)
        assert words_mod.same_as_key(arr, 1, len(name), words, k)
        assert words_mod.same_as_key_bytes(arr, 1, len(name), keys, k)
        for j in range(len(name)):
            bad = bytearray(arr)
            bad[1 + j] ^= 0x20
            other = np.frombuffer(bytes(bad), np.uint8)
            assert not words_mod.same_as_key(other, 1, len(name), words, k)
            assert not words_mod.same_as_key_bytes(other, 1, len(name), keys, k)
