"""Every fictional number the case may use, and the ways carriers write them.

NANP numbers are always NPA-555-01xx; foreign numbers are UK drama-range numbers
(+44 20 7946 0xxx, +44 7700 900xxx), so nothing generated can ring a real line.
"""
from __future__ import annotations

import numpy as np
import pyarrow as pa

_NPAS = """201 202 203 205 206 207 208 209 210 212 213 214 215 216 217 218 219 224 225 228 229
231 234 239 240 248 251 252 253 254 256 260 262 267 269 270 276 281 301 302 303 304 305 307
308 309 310 312 313 314 315 316 317 318 319 320 321 323 325 330 331 334 336 337 339 347 351
352 360 361 385 386 401 402 404 405 406 407 408 409 410 412 413 414 415 417 419 423 424 425
430 432 434 435 440 442 443 469 470 475 478 479 480 484 501 502 503 504 505 507 508 509 510
512 513 515 516 517 518 520 530 540 541 551 559 561 562 563 567 570 571 573 574 575 580 585
586 601 602 603 605 606 607 608 609 610 612 614 615 616 617 618 619 620 623 626 628 630 631
636 641 646 650 651 657 660 661 662 667 669 678 682 701 702 703 704 706 707 708 712 713 714
715 716 717 718 719 720 724 725 727 731 732 734 737 740 747 754 757 760 762 763 765 769 770
772 773 774 775 779 781 785 786 801 802 803 804 805 806 808 810 812 813 814 815 816 817 818
828 830 831 832 843 845 847 848 850 856 857 858 859 860 862 863 864 865 870 872 878 901 903
904 906 907 908 909 910 912 913 914 915 916 917 918 919 920 925 928 929 931 936 937 938 940
941 947 949 951 952 954 956 970 971 972 973 978 979 980 985 989""".split()
_CHICAGO_NPAS = {"312", "773", "872", "630", "331", "847", "224", "708", "815", "779"}
_SIP_HOSTS = ("10.0.0.1", "10.0.0.7", "172.16.4.20")
FORMS = ("e164", "nanp11", "paren", "dotted", "sip", "ten", "dashed")


def format_number(d: str, form: str, i: int) -> str:
    """One E.164 number (digits, no '+') in one of the written forms carriers use."""
    if d.startswith("1") and len(d) == 11:
        npa, nxx, line = d[1:4], d[4:7], d[7:]
        return {"e164": f"+{d}", "nanp11": d, "paren": f"({npa}) {nxx}-{line}",
                "dotted": f"{npa}.{nxx}.{line}", "ten": d[1:],
                "sip": f"sip:+{d}@{_SIP_HOSTS[i % 3]};user=phone",
                "dashed": f"+1-{npa}-{nxx}-{line}"}[form]
    rest = d[2:]  # UK: London 20 7946 xxxx or mobile 7700 900xxx
    groups = [rest[:2], rest[2:6], rest[6:]] if rest.startswith("20") else [rest[:4], rest[4:]]
    return {"e164": f"+{d}", "nanp11": f"011{d}", "paren": "011 44 " + " ".join(groups),
            "dotted": "+44 " + " ".join(groups), "ten": f"+{d}",
            "sip": f"sip:+{d}@203.0.113.7;user=phone",
            "dashed": "+44-" + "-".join(groups)}[form]


class NumberBook:
    """Every number the case uses, by index, with its written forms built once."""

    def __init__(self) -> None:
        us = [f"1{npa}55501{k:02d}" for npa in _NPAS for k in range(100)]
        uk = [f"44207946{k:04d}" for k in range(1000)] + [f"447700900{k:03d}" for k in range(1000)]
        self.digits = us + uk
        self.index = {d: i for i, d in enumerate(self.digits)}
        self.n_us = len(us)
        self.chicago = np.array([i for i, d in enumerate(us) if d[1:4] in _CHICAGO_NPAS])
        self._forms: dict[str, pa.Array] = {}
        self.reserved: set[int] = set()

    def idx(self, e164: str) -> int:
        return self.index[e164.lstrip("+")]

    def pool(self, which: str) -> np.ndarray:
        """Indexes of "us", "chicago" or "foreign" numbers, minus those the traced calls hold."""
        base = {"us": np.arange(self.n_us), "chicago": self.chicago,
                "foreign": np.arange(self.n_us, len(self.digits))}[which]
        return np.setdiff1d(base, np.fromiter(self.reserved, np.int64, len(self.reserved)))

    def form(self, form: str) -> pa.Array:
        """Every number in one written form, indexable by number index."""
        if form not in self._forms:
            self._forms[form] = pa.array([format_number(d, form, i)
                                          for i, d in enumerate(self.digits)], pa.string())
        return self._forms[form]

    def text(self, i: int, form: str) -> str:
        return format_number(self.digits[i], form, i)
