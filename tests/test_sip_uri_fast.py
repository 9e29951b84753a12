"""``sip.uri_number`` runs the display-name search only where the URI held no number; it
must answer as the three-way coalesce it replaced, whatever mix of shapes a column holds."""
from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.columns import sip

SHAPES = st.one_of(
    st.builds("<sip:{}@192.0.2.5;user=phone>".format, st.from_regex(r"\+?1?[0-9]{10}", fullmatch=True)),
    st.builds("'{}'<sip:198.51.100.20:5060>".format, st.from_regex(r"[0-9]{10}", fullmatch=True)),
    st.builds("tel:{}".format, st.from_regex(r"\+1[0-9]{3}-[0-9]{3}-[0-9]{4}", fullmatch=True)),
    st.sampled_from(["anonymous", "", "<sip:host.example>", "SIP:+12025550143@x", "sip:1"]),
    st.text(max_size=12),
    st.none(),
)


def _reference(arr: pa.Array) -> pa.Array:
    def one(values: pa.Array) -> pa.Array:
        return pc.coalesce(sip._extract(values, sip._URI_USER),
                           sip._extract(values, sip._DISPLAY_NUMBER), values)
    return sip._on_distinct(arr, one)


@settings(max_examples=300, deadline=None)
@given(st.lists(SHAPES, max_size=40))
def test_same_numbers_as_the_coalesce_of_both_searches(values: list[str | None]) -> None:
    arr = pa.array(values, pa.string())
    assert sip.uri_number(arr).to_pylist() == _reference(arr).to_pylist()
