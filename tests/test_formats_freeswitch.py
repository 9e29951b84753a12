"""FreeSWITCH mod_cdr_csv templates and the per-call XML / JSON CDR documents."""
from __future__ import annotations

from datetime import datetime

import pytest

from tests.format_fixtures import FX, UTC, col, read
from workbench.common.errors import InputError
from workbench.ingest.formats import ReadOptions, get


def test_example_template():
    t = read("freeswitch", "freeswitch_example.csv")
    assert list(t.lines) == [1, 2, 3, 5]
    assert col(t, "calling")[0] == "+12025550143"
    assert col(t, "called")[0] == "13125550178"
    assert col(t, "start")[0] == "2024-06-10 11:00:31"
    assert col(t, "answer")[1] is None  # not answered: empty answer_stamp
    assert col(t, "duration")[0] == "36"
    assert col(t, "disposition")[:2] == ["NORMAL_CLEARING", "NO_ANSWER"]
    assert col(t, "call_id")[0] == "6f1c2a9e-3b7d-4e21-9a55-0c8d4e2f7b10"
    assert col(t, "ingress") == ["LARKSPUR", "LARKSPUR", "LARKSPUR", None]


def test_unescaped_quote_in_a_value_is_recovered():
    t = read("freeswitch", "freeswitch_example.csv")
    assert col(t, "calling_name")[2] == 'Bob "The Closer", LLC'
    assert col(t, "calling")[2] == "+12025550144"
    assert any("unescaped" in n and "3" in n for n in t.notes)


def test_truncated_line_is_reported_and_the_next_line_still_read():
    t = read("freeswitch", "freeswitch_example.csv")
    assert [b.line for b in t.bad_lines] == [4]
    assert t.bad_lines[0].text.endswith('"2024-06-')
    assert 5 in t.lines  # the open quote did not swallow line 5


def test_default_template_with_its_stray_space():
    t = read("freeswitch", "freeswitch_default.csv")
    assert col(t, "ingress") == ["LARKSPUR", None]  # ` "LARKSPUR"` and ` ""`
    assert "13 fields" in t.notes[0]


def test_sql_template():
    t = read("freeswitch", "freeswitch_sql.csv")
    assert list(t.lines) == [1, 2]
    assert col(t, "called") == ["13125550178", "13125550191"]
    assert col(t, "ingress") == ["LARKSPUR", "LARKSPUR"]
    assert "sql" in t.notes[0]


def test_spreadsheet_round_trip_is_noticed():
    t = read("freeswitch", "freeswitch_mangled.csv")
    assert t.low_precision
    assert col(t, "start")[0] == "2024/6/10 11:00"
    assert any("scientific notation" in n for n in t.notes)


def test_xml_documents():
    t = read("freeswitch_xml", "freeswitch_cdr.xml")
    assert list(t.lines) == [2, 52]  # the <cdr> line of each document
    assert col(t, "start")[0] == datetime(2024, 6, 10, 16, 0, 31, 204512, tzinfo=UTC)
    assert col(t, "answer")[0] == datetime(2024, 6, 10, 16, 0, 38, 11000, tzinfo=UTC)
    assert col(t, "calling")[0] == "+12025550143"
    assert col(t, "called")[0] == "13125550178"
    assert col(t, "ingress") == ["larkspur", None]  # sip_gateway on the inbound leg
    assert col(t, "egress") == ["oxbow", "oxbow"]  # bridge_channel / sip_gateway_name
    assert col(t, "call_id")[0] == "4f2b9c1e77aa4d0e@198.51.100.20"  # URL-decoded
    assert col(t, "identity")[0].endswith(";alg=ES256;ppt=shaken")
    assert col(t, "verstat")[0] == "TN-Validation-Passed-B"


def test_xml_broken_document_is_a_bad_line():
    t = read("freeswitch_xml", "freeswitch_cdr.xml")
    assert [b.line for b in t.bad_lines] == [45]
    assert t.bad_lines[0].reason.startswith("XML")
    assert t.bad_lines[0].text.startswith("<cdr ")


def test_json_lines():
    t = read("freeswitch_json", "freeswitch_cdr.json")
    assert list(t.lines) == [1, 3]
    assert [b.line for b in t.bad_lines] == [2]
    assert col(t, "start")[1] == datetime(2024, 6, 10, 16, 2, 5, tzinfo=UTC)
    assert col(t, "answer")[1] is None  # answered_time 0
    assert col(t, "calling")[1] == "+12025550143"  # %2B decoded
    assert col(t, "ingress") == ["198.51.100.20", "larkspur"]  # sip_network_ip, sip_gateway
    assert col(t, "egress")[0] == "203.0.113.45"  # host of bridge_channel
    assert col(t, "call_id")[1] == "7d31e0b2c4f94a17@198.51.100.20"
    assert col(t, "verstat")[0] == "TN-Validation-Passed"


def test_concatenated_documents_keep_their_own_lines(tmp_path):
    one = (FX / "freeswitch_cdr.json").read_text().splitlines()[0]
    p = tmp_path / "calls.json"
    p.write_text(f"{one}\n\n{one}\n")
    assert list(get("freeswitch_json").read(p, ReadOptions()).lines) == [1, 3]


def test_a_folder_of_documents_is_a_clear_error(tmp_path):
    with pytest.raises(InputError, match="join them into one file"):
        get("freeswitch_xml").read(tmp_path, ReadOptions())


def test_damaged_json_documents_cost_their_own_length_not_the_file_before_them(
        tmp_path, monkeypatch):
    """json's error counts lines from the start of the string it decodes: decoding each
    document inside the whole text made every damaged one cost the file before it."""
    import json.decoder
    seen: list[int] = []

    class Counting(json.decoder.JSONDecodeError):
        def __init__(self, msg, doc, pos):
            seen.append(len(doc))
            super().__init__(msg, doc, pos)

    monkeypatch.setattr(json.decoder, "JSONDecodeError", Counting)
    good, damaged = (FX / "freeswitch_cdr.json").read_text().splitlines()[:2]
    p = tmp_path / "calls.json"
    text = "\n".join([good, damaged] * 300) + "\n"
    p.write_text(text)
    t = get("freeswitch_json").read(p, ReadOptions())
    assert len(t) == 300 and t.bad_line_count == 300
    assert t.bad_lines[1].line == 4 and "line 4, column" in t.bad_lines[1].reason
    assert sum(seen) < 3 * len(text)  # quadratic: ~150 × len(text)


def test_pretty_printed_json_documents_and_an_unindented_nested_object(tmp_path):
    import json
    one = json.loads((FX / "freeswitch_cdr.json").read_text().splitlines()[0])
    pretty = json.dumps(one, indent=2)
    flat_nested = pretty.replace('\n  "variables": {', '\n"variables":\n{')  # '{' at a line start
    p = tmp_path / "calls.json"
    p.write_text(f"[{pretty},\n{flat_nested},\n{pretty}]\n")
    t = get("freeswitch_json").read(p, ReadOptions())
    assert len(t) == 3 and not t.bad_lines
    assert list(t.lines)[0] == 1
