"""Kamailio / OpenSIPS acc: syslog lines (answer-time basis, BYE pairing, quirks) and DB exports."""
from __future__ import annotations

from datetime import datetime

from tests.format_fixtures import UTC, col, read
from workbench.ingest.formats import ReadOptions, get
from workbench.ingest.formats.switches.kamailio import parse_pairs


def test_syslog_invites_become_rows():
    t = read("kamailio", "kamailio_acc.log")
    assert list(t.lines) == [2, 4, 5, 7]  # line 1 is another syslog message, 3 a BYE
    assert col(t, "calling")[0] == "+12025550143"
    assert col(t, "called")[0] == "13125550178"
    assert col(t, "ingress")[0] == "198.51.100.20"  # src_ip
    assert col(t, "egress")[0] == "203.0.113.45"  # dst_domain
    assert col(t, "call_id")[0] == "4f2b9c1e77aa4d0e@198.51.100.20"
    assert col(t, "disposition")[:2] == ["200 OK", "486 Busy Here; try later"]


def test_start_is_the_answer_time_and_says_so():
    t = read("kamailio", "kamailio_acc.log")
    assert t.time_basis == "answer"
    assert any("answer time" in n for n in t.notes)
    assert col(t, "start")[0] == datetime(2024, 6, 10, 16, 0, 38, tzinfo=UTC)


def test_bye_closes_the_call():
    t = read("kamailio", "kamailio_acc.log")
    assert col(t, "end")[0] == datetime(2024, 6, 10, 16, 1, 14, tzinfo=UTC)
    assert col(t, "duration")[0] == "36"


def test_opensips_call_ended_uses_created():
    t = read("kamailio", "kamailio_acc.log")
    assert col(t, "start")[3] == datetime(2024, 6, 10, 16, 3, 20, tzinfo=UTC)  # created=
    assert col(t, "answer")[3] == datetime(2024, 6, 10, 16, 3, 25, tzinfo=UTC)
    assert col(t, "end")[3] == datetime(2024, 6, 10, 16, 4, 1, tzinfo=UTC)


def test_semicolon_inside_a_value_and_identity_parameters():
    t = read("kamailio", "kamailio_acc.log")
    ident = col(t, "identity")[2]
    assert ident.startswith("eyJhbGciOiJFUzI1NiIs")
    assert ident.endswith(";info=<https://cert.example.net/sti/sp-0142.pem>;alg=ES256;ppt=shaken")
    assert any("';' inside a value" in n for n in t.notes)


def test_truncated_acc_line_is_bad():
    t = read("kamailio", "kamailio_acc.log")
    assert [b.line for b in t.bad_lines] == [6]
    assert t.bad_lines[0].text.endswith("timestamp=17180")


def test_parse_pairs_quirks():
    pairs, odd = parse_pairs("reason=Busy; try later;pai=<sip:+12025550143;verstat=TN-Validation-"
                             "Passed@h;user=phone>;src_ip=192.0.2.1")
    assert pairs == {"reason": "Busy; try later",
                     "pai": "<sip:+12025550143;verstat=TN-Validation-Passed@h;user=phone>",
                     "src_ip": "192.0.2.1"}
    assert odd


def test_override_picks_another_key(tmp_path):
    p = tmp_path / "acc.log"
    p.write_text("ACC: transaction answered: timestamp=1718035238;method=INVITE;call_id=a@b;"
                 "code=200;reason=OK;src_user=anonymous;pai_user=+12025550143;dst_user=13125550178;"
                 "src_ip=198.51.100.20;dst_domain=203.0.113.45\n")
    t = get("kamailio").read(p, ReadOptions(columns={"calling": "pai_user"}))
    assert col(t, "calling") == ["+12025550143"]


def test_db_export_with_null_literals():
    t = read("kamailio_db", "kamailio_db_acc.csv")
    assert list(t.lines) == [2, 4]
    assert col(t, "start") == ["2024-06-10 16:00:38", "2024-06-10 16:02:05"]  # DATETIME text
    assert col(t, "end")[0] == "2024-06-10 16:01:14"  # from the BYE row
    assert col(t, "duration")[0] == "36"
    assert col(t, "called")[1] == "13125550191"  # dst_ouser NULL, dst_user set
    assert t.time_basis == "answer"
    assert {b.line for b in t.bad_lines} == {5, 6}  # NULL time; too few fields


def test_pai_with_uri_parameters_in_every_line(tmp_path):
    p = tmp_path / "acc.log"
    line = ("ACC: transaction answered: timestamp=1718035238;method=INVITE;call_id=c{i}@b;code=200;"
            "reason=OK;src_user=+1202555014{i};pai=<sip:+1202555014{i};verstat=TN-Validation-Passed"
            "@ims.example.net;user=phone>;dst_user=13125550178;src_ip=198.51.100.20;"
            "dst_domain=203.0.113.45\n")
    p.write_text("".join(line.format(i=i) for i in range(3)))
    t = get("kamailio").read(p, ReadOptions(columns={"verstat": "pai"}))
    assert col(t, "verstat")[0] == ("<sip:+12025550140;verstat=TN-Validation-Passed"
                                    "@ims.example.net;user=phone>")
    assert col(t, "ingress") == ["198.51.100.20"] * 3


def test_a_long_line_of_glued_segments_is_read_in_linear_time():
    """A value with an unclosed '<' glues every later segment to itself: recounting its '<'
    and '>' for each segment made one 200,000-segment line take minutes."""
    import time

    from workbench.ingest.formats.switches.kamailio import parse_pairs
    t = time.perf_counter()
    pairs, odd = parse_pairs("from_uri=<sip:x" + ";p" * 200_000 + ";code=200")
    assert time.perf_counter() - t < 5  # quadratic: several minutes
    assert pairs["from_uri"].count(";p") == 200_000 and not odd  # glued: a URI never closed
