"""Shared helpers of the switch-format tests: the fixture folder and reading a fixture."""
from __future__ import annotations

import io
from datetime import timezone
from pathlib import Path

from workbench.ingest.formats import ReadOptions, get

FX = Path(__file__).parent / "fixtures" / "formats"
UTC = timezone.utc
# each switch fixture and the profile that reads it
FIXTURES = {
    "asterisk_master.csv": "asterisk", "asterisk_custom.csv": "asterisk_custom",
    "freepbx_cdr_table.csv": "freepbx_cdr",
    "freeswitch_example.csv": "freeswitch", "freeswitch_default.csv": "freeswitch",
    "freeswitch_sql.csv": "freeswitch", "freeswitch_mangled.csv": "freeswitch",
    "freeswitch_cdr.json": "freeswitch_json", "freeswitch_cdr.xml": "freeswitch_xml",
    "kamailio_acc.log": "kamailio", "kamailio_db_acc.csv": "kamailio_db",
    "cdr_StandAloneCluster_01_202406101601_12": "cucm", "cube_gw_accounting.csv": "cube",
    "sansay_vsx.cdr": "sansay", "broadworks_cdr.csv": "broadworks", "ribbon_sbc.ACT": "ribbon",
    "acme_sbc.csv": "acme",
}


def read(fmt: str, name: str, **opts):
    """A fixture read with a format profile."""
    return get(fmt).read(FX / name, ReadOptions(**opts))


def col(table, name: str) -> list:
    return table.columns[name].to_pylist()


def small_workbook(rows: int) -> bytes:
    """An XLSX of ``rows`` generic calls (start, calling, called, ingress): the seed the
    hostile-input and fuzz tests damage."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Call Start", "Calling Party", "Called Party", "Ingress Trunk"])
    for i in range(rows):
        ws.append([f"2026-03-01 10:{i:02d}:00", f"1312555{i:04d}", "16305550118", f"TG{i}"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
