"""Providers dock: every provider's dossier, the most concerning first.

Who keeps appearing, in which role, who answers late or never, whose answers its own CDRs
contradict, and its standing in the Robocall Mitigation Database. The dossiers come from
the session (rebuilt when a case opens and after each trace); this dock only shows them.
"""
from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDockWidget,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from workbench.analytics.dossier import ROLES, Dossier, Named

from ..errors import one_line
from .analysis_model import Column, RecordsTableModel, number_key

if TYPE_CHECKING:
    from ..session import CaseSession, Dossiers
    from ..worker import Task

ROLE_WORDS = {"terminating": "term.", "transit": "transit", "gateway": "gateway",
              "originator": "orig."}
EMPTY = ("<p style='color:gray'>Select a provider to read its dossier: its concerns in full, "
         "the upstreams and customers it named, and how it was matched in the RMD.</p>")


def _roles(d: Dossier) -> str:
    return ", ".join(f"{ROLE_WORDS[k]} {d.roles[k]}" for k in ROLES if d.roles.get(k)) or "—"


def _answered(d: Dossier) -> str:
    r = d.responses
    return f"{r.answered} of {r.requests}" if r.requests else "—"


def _hours(d: Dossier) -> str:
    h = d.responses.median_hours
    return "—" if h is None else f"{h:.1f}"


def _rmd(d: Dossier) -> str:
    return d.rmd_status or "no RMD loaded"


def _rmd_tip(d: Dossier) -> str:
    m = d.rmd_match
    if m is None:
        return "No RMD snapshot loaded: set [case] rmd = \"file.csv\" in case.toml"
    if m.basis is None:
        return f"{d.name}: {m.status}" + (f" — {m.note}" if m.note else "")
    return f"{m.number} matched by {m.basis}, {m.status}" + (f" — {m.note}" if m.note else "")


def _concerns_tip(d: Dossier) -> str:
    return "\n".join(f"• {c}" for c in d.concerns) or "No concerns"


COLUMNS: tuple[Column, ...] = (
    Column("Provider", lambda d: d.name, tip="Provider (canonical name)",
           bold=lambda d: bool(d.concerns)),
    Column("Tracebacks", lambda d: str(d.tracebacks), lambda d: d.tracebacks, numeric=True,
           tip="Traceback records and traced calls it appears in"),
    Column("Roles", _roles, lambda d: d.roles.get("originator", 0),
           tip="Tracebacks it appears in per role: terminating, transit, gateway, "
           "originator (sorts by the originator count)"),
    Column("Answered", _answered, lambda d: d.responses.answered, numeric=True,
           tip="Requests it answered, of those sent to it"),
    Column("Late", lambda d: str(d.responses.late), lambda d: d.responses.late, numeric=True,
           tip="Answers past the 24-hour response clock (the evidence packet's rule)"),
    Column("Never", lambda d: str(d.responses.no_response), lambda d: d.responses.no_response,
           numeric=True, tip="Requests it never answered (deadline passed)"),
    Column("Median h", _hours, lambda d: number_key(d.responses.median_hours), numeric=True,
           tip="Median hours from request to answer"),
    Column("Contradicted", lambda d: str(d.contradicted), lambda d: d.contradicted,
           numeric=True, tip="Traces where its own CDRs name another upstream than its answer"),
    Column("RMD", _rmd, tip="Robocall Mitigation Database: listed, removed (missing from the "
           "latest snapshot) or not listed", cell_tip=_rmd_tip),
    Column("Concerns", lambda d: "; ".join(d.concerns), lambda d: d.score,
           tip="Why it ranks where it does, most serious first", cell_tip=_concerns_tip),
)


class ProvidersDock(QDockWidget):
    def __init__(self, session: CaseSession, parent: QWidget | None = None):
        super().__init__("Providers", parent)
        self.setObjectName("dock.providers")
        self.session = session
        self.model = RecordsTableModel(COLUMNS, self)
        self._build()
        session.sig_dossiers_changed.connect(self._on_dossiers)
        session.sig_provider_selected.connect(self._on_provider_selected)
        session.runner.sig_started.connect(self._on_task)
        self._on_dossiers(session.dossiers)

    def _build(self) -> None:
        w = QWidget()
        lay = QVBoxLayout(w)
        lay.setContentsMargins(4, 4, 4, 4)
        head = QHBoxLayout()
        self.summary = QLabel("No case open", wordWrap=True)
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.setToolTip("Read the traceback records, the audit trail and the "
                                       "RMD again")
        self.refresh_button.setEnabled(False)
        head.addWidget(self.summary, 1)
        head.addWidget(self.refresh_button, 0, Qt.AlignmentFlag.AlignTop)
        lay.addLayout(head)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setSortingEnabled(True)
        self.view.horizontalHeader().setSortIndicator(0, Qt.SortOrder.AscendingOrder)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setAlternatingRowColors(True)
        self.view.setWordWrap(False)
        self.view.verticalHeader().setVisible(False)
        self.view.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        hh = self.view.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        hh.setStretchLastSection(True)
        self.details = QTextBrowser()
        self.details.setHtml(EMPTY)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.view)
        split.addWidget(self.details)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        lay.addWidget(split, 1)
        self.setWidget(w)
        self.refresh_button.clicked.connect(self.session.refresh_dossiers)
        self.view.selectionModel().selectionChanged.connect(self._on_row)

    def present(self) -> None:
        """Show the dock in front of its tab group."""
        self.show()
        self.raise_()
        self.view.setFocus()

    # -- session --------------------------------------------------------------------------
    def _on_task(self, task: Task) -> None:
        if task.kind == "dossiers":
            self.summary.setText("Building provider dossiers…")
            task.sig_failed.connect(lambda exc: self.summary.setText(
                "The provider dossiers could not be built: "
                f"{html.escape(one_line(exc))}"))

    def _on_dossiers(self, dossiers: Dossiers | None) -> None:
        case = self.session.case
        self.refresh_button.setEnabled(case is not None)
        self.model.set_records(dossiers.providers if dossiers is not None else [])
        self.view.horizontalHeader().setSortIndicator(0, Qt.SortOrder.AscendingOrder)
        self.details.setHtml(EMPTY)
        if dossiers is None:
            self.summary.setText("No case open" if case is None else "Building provider "
                                 "dossiers…")
            return
        flagged = sum(1 for d in dossiers.providers if d.concerns)
        rmd = dossiers.rmd
        snaps = ("; ".join(html.escape(s.label) for s in rmd.snapshots) if rmd is not None
                 else "none loaded (set <code>[case] rmd</code> in case.toml)")
        notes = "".join(f"<br><span style='color:#d62728'>{html.escape(n)}</span>"
                        for n in dossiers.notes)
        self.summary.setText(f"<b>{len(dossiers.providers)} providers</b>, {flagged} with "
                             f"concerns — most concerning first. <small>RMD snapshots: "
                             f"{snaps}</small>{notes}")
        self.view.resizeColumnsToContents()
        last = self.model.columnCount() - 1
        for col in range(1, last):  # keep the concerns in sight on narrow screens
            self.view.setColumnWidth(col, min(self.view.columnWidth(col), 200))

    def _on_row(self, *_: Any) -> None:
        rows = self.view.selectionModel().selectedRows()
        d = self.model.record(rows[0].row()) if rows else None
        self.details.setHtml(dossier_html(d) if d is not None else EMPTY)
        if d is not None:
            self.session.select_provider(d.name)

    def _on_provider_selected(self, name: str) -> None:
        rows = self.view.selectionModel().selectedRows()
        current = self.model.record(rows[0].row()) if rows else None
        if current is not None and current.name == name:
            return
        for row in range(self.model.rowCount()):
            if self.model.record(row).name == name:
                self.view.selectRow(row)
                return


def dossier_html(d: Dossier) -> str:
    """One provider's dossier in words: concerns, roles, answers, names, RMD."""
    r = d.responses
    e = html.escape
    parts = [f"<h3 style='margin:0'>#{d.rank} {e(d.name)}</h3>"]
    if d.concerns:
        parts.append("<ul style='margin-top:2px'>" + "".join(f"<li>{e(c)}</li>"
                                                             for c in d.concerns) + "</ul>")
    else:
        parts.append("<p style='color:gray'>No concerns.</p>")
    med = "" if r.median_hours is None else f", median {r.median_hours:.1f} h"
    facts = [("Appears in", f"{d.tracebacks} tracebacks ({d.traces} traced through CDRs): "
              + _roles(d)),
             ("Requests", f"{r.requests}: answered {r.answered}, late {r.late}, refused "
              f"{r.refused}, never {r.no_response}, pending {r.pending}{med}"),
             ("Contradicted by its CDRs", str(d.contradicted))]
    for title, names in (("Named upstreams", d.named_upstreams),
                         ("Named customers", d.named_customers),
                         ("Upstreams in its CDRs", d.cdr_upstreams),
                         ("Customers in its CDRs", d.cdr_customers)):
        if names:
            facts.append((title, _names(names)))
    facts.append(("RMD", _rmd_words(d)))
    parts.append("<table>" + "".join(
        f"<tr><td style='padding-right:12px; color:gray'>{e(k)}</td><td>{v}</td></tr>"
        for k, v in facts) + "</table>")
    return "".join(parts)


def _names(names: list[Named]) -> str:
    out = []
    for n in names:
        extra = [x for x in (n.rmd_status, "foreign" if n.foreign else None) if x]
        tail = f" <span style='color:gray'>({', '.join(extra)})</span>" if extra else ""
        out.append(f"{html.escape(n.name)} ×{n.count}{tail}")
    return ", ".join(out)


def _rmd_words(d: Dossier) -> str:
    m = d.rmd_match
    if m is None:
        return html.escape(f"{d.rmd or 'no number'} — no RMD snapshot loaded")
    words = [f"<b>{html.escape(m.status)}</b>"]
    if m.basis:
        words.append(f"{html.escape(m.number or '')} matched by {html.escape(m.basis)}")
        if m.filer is not None and m.filer.business_name != d.name:
            words.append(f"filed as '{html.escape(m.filer.business_name)}'")
        if m.implementation:
            words.append(f"STIR/SHAKEN: {html.escape(m.implementation)}")
        chosen = [k for k, v in (m.roles or {}).items() if v.strip().lower() in ("yes", "true")]
        if m.roles:
            words.append("provider types: " + (", ".join(chosen) or "none chosen"))
        if m.last_listed and m.status == "removed":
            words.append(f"last listed in {html.escape(m.last_listed)}")
    if m.note:
        words.append(html.escape(m.note))
    return "; ".join(words)


__all__ = ["COLUMNS", "ProvidersDock", "dossier_html"]
