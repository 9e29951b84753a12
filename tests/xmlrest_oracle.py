"""The code that ``freeswitch_legs.legs_columns`` (eager ``_coalesce``) and
``normalize._fill_from_identity`` (every claim spread, then encoded) were before they made
only what they use: kept as the oracle of ``tests/test_xmlrest_lazy.py``."""
from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from workbench.columns.sip import CLAIM_COLUMNS, _claim, _distinct, decode_identity
from workbench.ingest.formats.switches.freeswitch_legs import (  # (eager: as it was)
    _GATEWAY,
    _SOFIA_HOST,
    _coalesce,
    _group,
    _set,
    micros,
)
from workbench.ingest.formats.switches.freeswitch_record import FIELDS, TEXT_RULES, TIME_KEYS
from workbench.store.cache_absent import constant
from workbench.store.normalize import NAT, _dict_strings, _plain_strings, _text_column


def old_legs_columns(var: dict[str, pa.Array], prof: dict[str, pa.Array],
                     times: dict[str, pa.Array]) -> dict[str, pa.Array]:
    v = {k: _set(a) for k, a in var.items()}
    p = {k: _set(a) for k, a in prof.items()}
    out: dict[str, pa.Array] = {}
    for canon, (uvar, ctime, svar) in TIME_KEYS.items():
        out[canon] = _coalesce(micros(v[uvar], 1), times[ctime], micros(v[svar], 10**6))
    for canon, rule in TEXT_RULES.items():
        out[canon] = _coalesce(*((p if src == "p" else v)[k] for src, k in rule))
    text = pa.string()
    direction = _coalesce(v["direction"], v["call_direction"], pa.scalar("inbound"))
    outbound = pc.fill_null(pc.equal(direction, "outbound"), False)
    chan = _coalesce(v["channel_name"], p["chan_name"], pa.scalar(""))
    bridged = _coalesce(v["bridge_channel"], v["last_bridge_channel"], pa.scalar(""))
    egress_out = _coalesce(v["sip_gateway_name"], _group(chan, _GATEWAY),
                              v["sip_network_ip"], _group(chan, _SOFIA_HOST))
    egress_in = _coalesce(_group(bridged, _GATEWAY), v["sip_gateway_name"],
                             _group(bridged, _SOFIA_HOST))
    ingress_in = _coalesce(v["sip_gateway"], v["sip_network_ip"], v["sip_received_ip"])
    out["egress"] = pc.if_else(outbound, egress_out, egress_in)
    out["ingress"] = pc.if_else(outbound, pa.scalar(None, text), ingress_in)
    return {k: out[k] for k in FIELDS}


def old_identity_claims(arr: pa.Array) -> dict[str, pa.Array]:
    values, indices = _distinct(arr)
    decoded = [decode_identity(v) for v in values.to_pylist()]
    cols = {}
    for name, typ in CLAIM_COLUMNS.items():
        vals = [_claim(d, name) for d in decoded]
        if typ == pa.int64():
            vals = [v if isinstance(v, int) and -2**62 < v < 2**62 else None for v in vals]
        cols[name] = pc.take(pa.array(vals, typ), indices)
    return cols


def old_fill_from_identity(identity: pa.Array | pa.ChunkedArray | None,
                           out: dict[str, Any], n: int) -> None:
    if identity is None:
        out["pp_orig"], out["pp_x5u"] = _dict_strings(None, n), _dict_strings(None, n)
        out["pp_dest"] = _plain_strings(None, n)
        out["pp_iat"] = constant(n, NAT)
        return
    claims = old_identity_claims(identity)
    for name in ("attest", "origid"):
        if name not in claims:
            continue
        have, encode = out[name], _text_column(name)
        if pc.all(pc.is_null(have)).as_py():
            out[name] = encode(claims[name], n)
        else:
            out[name] = encode(pc.coalesce(pc.cast(have, pa.string()),
                                           pc.cast(claims[name], pa.string())), n)
    out["pp_orig"], out["pp_x5u"] = _dict_strings(claims["orig"], n), _dict_strings(
        claims["x5u"], n)
    out["pp_dest"] = _plain_strings(claims["dests"], n)
    out["pp_iat"] = pc.fill_null(claims["iat_us"], NAT).to_numpy(zero_copy_only=False)
