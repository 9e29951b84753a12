"""Two fictional snapshots of the FCC Robocall Mitigation Database's public CSV download.

Written in the download's real layout (../shared/realworld_rmd/README.md): the 23-column
header, every field double-quoted, LF record ends, addresses over several lines, CRLF inside
some DBA lists, "None" written half a dozen ways, FRNs as zero-padded text. Every filer is
invented. Between the snapshots one of the case's providers (Harborline Networks) was
removed; one upstream (Marisol Telecom SA) never filed; Midway Transit, Lakeshore Carrier
Services and Bluefin Networks are found only by name, the others by the RMD number in
case.toml.
"""
from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass

HEADER = ["number", "frn", "business_name", "business_address", "foreign_voice_provider",
          "country", "other_frns", "other_dba_names", "previous_dba_names",
          "robocall_mitigation_contact_name", "contact_title", "contact_department",
          "contact_business_address", "contact_country", "contact_telephone_number",
          "contact_phone_extension", "implementation", "voice_service_provider_choice",
          "gateway_provider_choice", "intermediate_provider_choice", "last_updated",
          "last_recertified", "filing_url"]
SNAPSHOTS = ("rmd/rmd_2026-02-01.csv", "rmd/rmd_2026-03-01.csv")
COMPLETE = "Complete STIR/SHAKEN Implementation"
PARTIAL = "Partial STIR/SHAKEN Implementation - Performing Robocall Mitigation"
NO_SS = "No STIR/SHAKEN Implementation - Performing Robocall Mitigation"
USA = "United States of America"
_URL = ("https://fccprod.servicenowservices.com/rmd?id=rmd_form&table="
        "x_g_fmc_rmd_robocall_mitigation_database&sys_id={}&view=sp")


@dataclass(frozen=True)
class Filer:
    """One RMD filing; ``in_feb``/``in_mar`` say which snapshot lists it."""

    number: str
    frn: str
    business_name: str
    business_address: str
    contact: tuple[str, str, str, str]  # name, title, department, telephone
    implementation: str
    roles: str  # voice, gateway, intermediate as "YNN"
    dates: tuple[str, str, str]  # last_updated on Feb 1, last_updated on Mar 1, recertified
    other_frns: str = "None"
    other_dba_names: str = "None"
    previous_dba_names: str = "None"
    foreign: bool = False
    country: str = USA
    contact_address: str = ""  # "" = the business address
    contact_country: str | None = None  # None = the country
    extension: str = ""
    in_feb: bool = True
    in_mar: bool = True


#: The case's own providers as filed (Marisol Telecom SA never filed).
CASE_FILERS = (
    Filer("RMD9001234", "0028811234", "Seaport Gateway, LLC",
          "1 Harbor Terminal Way\nSuite 400\nNewark NJ 07114",
          ("Dana Whitcombe", "Director of Network Operations", "Network Operations",
           "973-555-0142"), PARTIAL, "NYY", ("2026-01-22", "2026-02-16", "2026-02-16"),
          other_dba_names="SGW Voice", previous_dba_names="none"),
    Filer("RMD9002275", "0024402275", "MIDWAY TRANSIT, INC.", "2275 W Ogden Ave\nChicago IL 60612",
          ("Rafael Ostrowski", "VP Carrier Relations", "Carrier Services", "312 555 0177"),
          PARTIAL, "NNY", ("2025-11-03", "2026-02-24", "2026-02-24"), other_frns="NONE",
          other_dba_names="NONE", previous_dba_names="NONE",
          contact_address="2275 W Ogden Ave\nFloor 3\nChicago IL 60612\nIllinois",
          extension="none"),
    Filer("RMD9003318", "0027733318", "Great Lakes Interconnect Corp.",
          "3318 N Lake Shore Dr\nSuite 12\nMilwaukee WI 53211",
          ("Priya Raman", "Compliance Manager ", "Legal", "'+1 414-555-0133"), NO_SS, "NNY",
          ("2025-09-30", "2025-09-30", ""), other_frns="0027731840",
          other_dba_names="Lakeshore Carrier Services LLC\r\nLCS Voice",
          previous_dba_names="Great Lakes Voice Exchange", extension="ext 2"),
    Filer("RMD9004410", "0031444410", "Terminus Wireless Inc",
          "4410 W Lawrence Ave\nChicago IL 60630",
          ("Morgan Feld", "Director, Fraud Management", "Fraud Management", "3125550101"),
          COMPLETE, "YNN", ("2026-01-12", "2026-02-05", "2026-02-05"),
          other_dba_names="TWX Mobile"),
    Filer("RMD9005562", "0030055562", "Origin Voice Company",
          "5562 Commerce Pkwy\nSte 110\nDallas TX 75247",
          ("Travis Kettering", "CEO", "Executive", "214-555-0166"), COMPLETE, "YNN",
          ("2025-12-01", "2026-02-27", "2026-02-27"), other_frns="none",
          other_dba_names="OVC; Origin Voice", previous_dba_names="none"),
    Filer("RMD9006604", "0026616604", "Harborline Networks LLC",
          "6604 Pier Rd\nUnit B\nBaltimore MD 21224",
          ("Lee Ashgrove", "Owner", "Operations", "410.555.0190"), NO_SS, "NYY",
          ("2024-06-10", "", ""), other_frns="No", other_dba_names="non",
          previous_dba_names="No", in_mar=False),
    Filer("RMD9007713", "0029907713", "BLUEFIN NETWORKS, L.L.C.",
          "7713 Bayfront Blvd\nSuite 5\nTampa FL 33602",
          ("Casey Morrow", "Network Engineer", "Engineering", "8135550122"), PARTIAL, "YNY",
          ("2025-10-14", "2025-10-14", ""), previous_dba_names="Bluefin Telecom"),
    Filer("RMD9008120", "0025518120", "Prairie Exchange Corp",
          "8120 Prairie View Rd\nLincoln NE 68510",
          ("Jordan Haskell", "General Manager", "Management", "402-555-0158"), COMPLETE, "NNY",
          ("2025-08-19", "2026-02-11", "2026-02-11"), other_frns="NONE",
          other_dba_names="PRX", previous_dba_names="NONE"),
    Filer("RMD9008846", "0032208846", "Cobalt Voice LLC",
          "8846 Foundry St\nSuite 300\nDenver CO 80216",
          ("Alexis Brandt", "COO", "Operations", "720 555 0184"), PARTIAL, "YNY",
          ("2026-01-05", "2026-01-05", "")),
    Filer("RMD9009071", "0033019071", "Gullwing Telecom Ltd",
          "Unit 7, Quayside Works\nLondon E14 9ZZ\nUnited Kingdom",
          ("Oliver Penhaligon", "Head of Regulatory", "Regulatory", "'+44 20 7946 0991"), NO_SS,
          "YNY", ("2025-07-21", "2025-07-21", ""), other_frns="N/A",
          other_dba_names="Gullwing Voice; Gullwing Carrier Services", previous_dba_names="N/A",
          foreign=True, country="United Kingdom"),
)
#: Invented filers around them, so the file reads like a slice of the real download.
OTHER_FILERS = (
    Filer("RMD9001187", "0019901187", "Pinecone Valley Telephone Cooperative",
          "PO BOX 118\nPINECONE VALLEY MN 56599",
          ("Gretchen Aalberg", "Office Manager", "Customer Care", "218-555-0112"), PARTIAL, "YNN",
          ("2025-06-02", "2026-02-09", "2026-02-09"), other_dba_names="PVTC",
          contact_address="118 Main Street\nPinecone Valley MN 56599"),
    Filer("RMD9001502", "0021101502", "Glassfrog Voice LLC", "1502 Elm St\nSte 9\nAustin TX 78701",
          ("Nadia Okafor", "President", "Executive", "5125550128"), COMPLETE, "YNY",
          ("2026-01-28", "2026-01-28", ""), other_frns="none", other_dba_names="none",
          previous_dba_names="none"),
    Filer("RMD9001960", "0023301960", "Quillfeather Communications, Inc.",
          "1960 Market Street,\ufffdSuite 802,\nAkron OH 44308",
          ("Samuel Brightwater", "VP of Ops", "Operations", "330-555-0171"), PARTIAL, "NNN",
          ("", "", "")),
    Filer("RMD9002731", "0018702731", "Marigold Prairie Telephone Co.",
          "PO Box 27\nMarigold KS 67999",
          ("Hollis Wendt", "General Manager", "Administration", "620 555 0135"), PARTIAL, "YNN",
          ("2025-03-17", "2026-02-18", "2026-02-18"),
          other_frns="Marigold Prairie Long Distance -0018702749\r\nMarigold Cable-0018702757",
          other_dba_names="Marigold Prairie Long Distance\r\nMarigold Cable"),
    Filer("RMD9003065", "0022203065", "Owlbrook Networks Corp.", "3065 Birch Ln\nReno NV 89501",
          ("N/A", "N/A", "N/A", "N/A"), "N/A", "NNN", ("", "", ""), contact_address="N/A",
          contact_country=""),
    Filer("RMD9003340", "0027203340", "Lakeshore Carrier Solutions, Inc.",
          "3340 S Shore Dr\nCleveland OH 44102",
          ("Irene Vasquez", "Regulatory Counsel", "Legal", "216-555-0119"), COMPLETE, "YNN",
          ("2025-12-12", "2026-02-20", "2026-02-20"), other_dba_names="LCS Solutions"),
    Filer("RMD9003902", "0024503902", "Saltmarsh Dialtone, LLC", "3902 Dune Rd\nDover DE 19901",
          ("Pete Lindqvist", "Owner", "Operations", "302-555-0147"), NO_SS, "YNN",
          ("2023-11-02", "", ""), in_mar=False),
    Filer("RMD9004877", "0026104877", "Kettle Ridge Telecom",
          "4877 Ridge Rd\nKettle Ridge WV 24999",
          ("Amos Trent", "Plant Manager", "Network", "304-555-0160"), COMPLETE, "YNN",
          ("2025-05-05", "2026-02-02", "2026-02-02"), other_frns="NONE",
          other_dba_names="NONE", previous_dba_names="NONE", extension="4"),
    Filer("RMD9005109", "0028305109", "Lanternfish Voice Inc.",
          "5109 Harbor Blvd\nSuite 210\nOxnard CA 93035",
          ("Celeste Mbeki", "Compliance Officer", "Administration", "805-555-0193"), PARTIAL,
          "YYN", ("2026-01-19", "2026-02-25", "2026-02-25"),
          other_dba_names="Lanternfish Cloud\nLanternfish Cloud Voice"),
    Filer("RMD9006288", "0029506288", "Wrenfield Interconnect, LLC",
          "2 Wren  Ct\nSuite 100\nRaleigh NC 27601",
          ("Tobias Quint", "CTO", "Engineering", "919-555-0108"), COMPLETE, "NNY",
          ("2025-10-01", "2026-02-13", "2026-02-13"), other_frns="No", previous_dba_names="non",
          extension="Option 2"),
    Filer("RMD9007046", "0017807046", "Thistledown Rural Telephone Association",
          "P O BOX 46\nTHISTLEDOWN IA 50999",
          ("Marta Kovac", "Customer Care & Billing Manager", "Customer Care", "641-555-0151"),
          PARTIAL, "YNN", ("2025-04-22", "2025-04-22", ""), other_frns="0017807054",
          other_dba_names="Thistledown Telephone", previous_dba_names="none"),
    Filer("RMD9009342", "0034409342", "Aurora Transit Voice OÜ",
          "Tuulemaa 4\n 10128 Tallinn, Estonia",
          ("Kaarel Sepp", "Managing Director", "Management", "N/A"), NO_SS, "NNY",
          ("2025-09-09", "2025-09-09", ""), foreign=True, country="Estonia",
          other_dba_names="N/A", previous_dba_names="N/A", other_frns="N/A"),
    Filer("RMD9009518", "0034709518", "Kittiwake Telecom Pte. Ltd.",
          "18 Marina View\n#21-04\nSingapore 018999",
          ("Wei Ling Tan", "Director", "Carrier Relations", "N/A"), NO_SS, "YYY",
          ("2025-11-30", "2026-02-26", "2026-02-26"), foreign=True, country="Singapore"),
    Filer("RMD9009904", "0035109904", "Borealis Relay Ltd",
          "9904 Pacific Blvd\nVancouver BC V6B 9Z9",
          ("Heather MacLeod", "Operations Lead", "Operations", "'+1 604 555 0119"), PARTIAL, "NNY",
          ("", "2026-02-20", "2026-02-20"), foreign=True, country="Canada", in_feb=False),
)
FILERS = tuple(sorted(CASE_FILERS + OTHER_FILERS, key=lambda f: f.number))
#: How each of the case's providers is (or is not) in the RMD: the answer key for trainers.
LISTING = {
    "Terminus Wireless": "listed; RMD9004410 in case.toml",
    "Midway Transit": "listed by name only: business name 'MIDWAY TRANSIT, INC.' (RMD9002275)",
    "Lakeshore Carrier Services": "listed by name only: a DBA of 'Great Lakes Interconnect "
                                  "Corp.' (RMD9003318); 'Lakeshore Carrier Solutions, Inc.' "
                                  "is another company",
    "Seaport Gateway LLC": "listed; RMD9001234 in case.toml",
    "Origin Voice Co": "listed; RMD9005562 in case.toml",
    "Gullwing Telecom Ltd": "listed (foreign filer); RMD9009071 in case.toml",
    "Marisol Telecom SA": "NOT LISTED in either snapshot (a foreign upstream of Seaport)",
    "Harborline Networks": "REMOVED: in the 2026-02-01 snapshot, gone from 2026-03-01 "
                           "(RMD9006604)",
    "Bluefin Networks": "listed by name only: business name 'BLUEFIN NETWORKS, L.L.C.' "
                        "(RMD9007713)",
    "Prairie Exchange": "listed; RMD9008120 in case.toml",
    "Cobalt Voice": "listed; RMD9008846 in case.toml",
}


def _row(f: Filer, march: bool) -> list[str]:
    updated = f.dates[1] if march else f.dates[0]
    recert = f.dates[2] if march else ""  # recertification opened in February 2026
    yes = ["Yes" if c == "Y" else "No" for c in f.roles]
    sys_id = hashlib.sha256(f"fictional-rmd:{f.number}".encode()).hexdigest()[:32]
    name, title, dept, phone = f.contact
    return [f.number, f.frn, f.business_name, f.business_address, "Yes" if f.foreign else "No",
            f.country, f.other_frns, f.other_dba_names, f.previous_dba_names, name, title, dept,
            f.contact_address or f.business_address,
            f.country if f.contact_country is None else f.contact_country, phone, f.extension,
            f.implementation, *yes, updated, recert, _URL.format(sys_id)]


def snapshot_csv(march: bool) -> bytes:
    """One snapshot as the download writes it: all fields quoted, LF after every record."""
    buf = io.StringIO(newline="")
    w = csv.writer(buf, quoting=csv.QUOTE_ALL, lineterminator="\n")
    w.writerow(HEADER)
    for f in FILERS:
        if (f.in_mar if march else f.in_feb):
            w.writerow(_row(f, march))
    return buf.getvalue().encode("utf-8")

