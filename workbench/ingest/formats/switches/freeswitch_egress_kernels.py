"""One compiled pass for a leg's egress (``legs_columns``): which value each leg's egress is
taken from, then those bytes copied once.

``legs_columns`` made it from whole columns: the channel and bridged channel coalesced
(``channel_name``/``chan_name``, ``bridge_channel``/``last_bridge_channel``), the gateway and
host patterns run on both over every leg, two more coalesces over the candidates and an
``if_else`` on the direction: ~11 passes over 250 k legs, each building a string column.
Here a leg looks only at what its direction reads, in the order those coalesces read it, and
the patterns decide as ``gateway_spans`` does. Imported lazily (numba); compared with the
column code it replaces in ``tests/test_xmlrest_lazy.py``.
"""
from __future__ import annotations

import numba as nb
import numpy as np

from .freeswitch_legs_kernels import gateway_group, host_group, span_offsets

# where a leg's egress comes from: the sources' numbers in ``egress_spans``' arguments
NAME, IP, CHANNEL, CHAN_NAME, BRIDGE, LAST_BRIDGE = 0, 1, 2, 3, 4, 5


@nb.njit(cache=True, nogil=True)
def _first_group(j: int, host: bool, a_o: np.ndarray, a_d: np.ndarray, a_v: np.ndarray,
                 wa: int, b_o: np.ndarray, b_d: np.ndarray, b_v: np.ndarray, wb: int
                 ) -> tuple[int, int, int]:
    """(start, end, source) of the gateway (``host``: the host) group in row ``j`` of the
    first of two columns that is set there (sources ``wa``, ``wb``); start -1: none."""
    if a_v[j]:
        s, e = host_group(a_d, a_o[j], a_o[j + 1]) if host else \
            gateway_group(a_d, a_o[j], a_o[j + 1])
        return s, e, wa
    if b_v[j]:
        s, e = host_group(b_d, b_o[j], b_o[j + 1]) if host else \
            gateway_group(b_d, b_o[j], b_o[j + 1])
        return s, e, wb
    return -1, -1, -1


@nb.njit(cache=True, nogil=True)
def _no_sources(rows: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(source -1, start, end) of ``rows`` legs, to be filled."""
    return np.full(rows, -1, np.int8), np.zeros(rows, np.int64), np.zeros(rows, np.int64)


@nb.njit(cache=True, nogil=True)
def egress_spans(outbound: np.ndarray,
                 n_o: np.ndarray, n_d: np.ndarray, n_v: np.ndarray,
                 i_o: np.ndarray, i_d: np.ndarray, i_v: np.ndarray,
                 c_o: np.ndarray, c_d: np.ndarray, c_v: np.ndarray,
                 p_o: np.ndarray, p_d: np.ndarray, p_v: np.ndarray,
                 b_o: np.ndarray, b_d: np.ndarray, b_v: np.ndarray,
                 l_o: np.ndarray, l_d: np.ndarray, l_v: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(source, start, end) of every leg's egress; source -1 where it has none. Sources (each
    as offsets, bytes, set; set = valid and not empty): sip_gateway_name, sip_network_ip,
    channel_name, chan_name, bridge_channel, last_bridge_channel.

    Outbound: the gateway name, else the gateway in the channel, else the network address,
    else the host in the channel. Otherwise: the gateway in the bridged channel, else the
    gateway name, else the host in the bridged channel. The channel is channel_name, else
    chan_name; the bridged channel bridge_channel, else last_bridge_channel (neither: no
    pattern matches)."""
    rows = outbound.size
    src, gs, ge = _no_sources(rows)
    for j in range(rows):
        if outbound[j]:
            if n_v[j]:
                src[j], gs[j], ge[j] = NAME, n_o[j], n_o[j + 1]
                continue
            s, e, w = _first_group(j, False, c_o, c_d, c_v, CHANNEL, p_o, p_d, p_v, CHAN_NAME)
            if s < 0 and i_v[j]:
                s, e, w = i_o[j], i_o[j + 1], IP
            if s < 0:
                s, e, w = _first_group(j, True, c_o, c_d, c_v, CHANNEL, p_o, p_d, p_v,
                                       CHAN_NAME)
        else:
            s, e, w = _first_group(j, False, b_o, b_d, b_v, BRIDGE, l_o, l_d, l_v,
                                   LAST_BRIDGE)
            if s < 0 and n_v[j]:
                s, e, w = n_o[j], n_o[j + 1], NAME
            if s < 0:
                s, e, w = _first_group(j, True, b_o, b_d, b_v, BRIDGE, l_o, l_d, l_v,
                                       LAST_BRIDGE)
        if s >= 0:
            src[j], gs[j], ge[j] = w, s, e
    return src, gs, ge


@nb.njit(cache=True, nogil=True)
def _copy(buf: np.ndarray, offs: np.ndarray, src: np.ndarray, gs: np.ndarray,
          ge: np.ndarray, which: int, data: np.ndarray) -> None:
    """The spans of the rows whose source is ``which`` copied from its bytes ``data``."""
    for j in range(src.size):
        if src[j] == which:
            p = offs[j]
            for x in range(gs[j], ge[j]):
                buf[p] = data[x]
                p += 1


@nb.njit(cache=True, nogil=True)
def take_sourced(src: np.ndarray, gs: np.ndarray, ge: np.ndarray, d0: np.ndarray,
                 d1: np.ndarray, d2: np.ndarray, d3: np.ndarray, d4: np.ndarray,
                 d5: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(int64 offsets, bytes) of the spans, each in the bytes of its source (none: empty);
    a pass a source over ``src``."""
    offs = span_offsets(src, gs, ge)
    buf = np.empty(offs[-1], np.uint8)
    _copy(buf, offs, src, gs, ge, 0, d0)
    _copy(buf, offs, src, gs, ge, 1, d1)
    _copy(buf, offs, src, gs, ge, 2, d2)
    _copy(buf, offs, src, gs, ge, 3, d3)
    _copy(buf, offs, src, gs, ge, 4, d4)
    _copy(buf, offs, src, gs, ge, 5, d5)
    return offs, buf


@nb.njit(cache=True, nogil=True)
def ingress_spans(outbound: np.ndarray,
                  g_o: np.ndarray, g_v: np.ndarray, i_o: np.ndarray, i_v: np.ndarray,
                  r_o: np.ndarray, r_v: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(source, start, end) of every leg's ingress: none when outbound, else sip_gateway
    (source 0), else sip_network_ip (1), else sip_received_ip (2), the first set."""
    rows = outbound.size
    src, gs, ge = _no_sources(rows)
    for j in range(rows):
        if outbound[j]:
            continue
        if g_v[j]:
            src[j], gs[j], ge[j] = 0, g_o[j], g_o[j + 1]
        elif i_v[j]:
            src[j], gs[j], ge[j] = 1, i_o[j], i_o[j + 1]
        elif r_v[j]:
            src[j], gs[j], ge[j] = 2, r_o[j], r_o[j + 1]
    return src, gs, ge
