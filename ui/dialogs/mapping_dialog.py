"""Edit one source's upstream/customer tables and notes (staged; saved with Ctrl+S).

Opened from a stalled hop (``ingress`` given), it starts on that ingress and offers to
save the mapping and trace the call again at once.
"""
from __future__ import annotations

import html

from PySide6.QtCore import QItemSelectionModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
)

from .ingress_table import IngressMapModel, ingress_view


class MappingDialog(QDialog):
    def __init__(self, session, index: int, parent=None, *, ingress: str | None = None,
                 suggest: str = ""):
        super().__init__(parent)
        self.retrace = False  # "Save and trace again" was chosen (else: staged only)
        case = session.case
        src = case.sources[index]  # the row of the Case dock
        self.source = src.id
        cfg = src.config
        self.setWindowTitle(f"Mappings of {src.provider} — {cfg.path}")
        ups = session.pending(src.id, "upstreams", cfg.upstreams)
        cus = session.pending(src.id, "customers", cfg.customers)
        notes = session.pending(src.id, "notes", cfg.notes or "")
        self.model = IngressMapModel(self)
        self.model.set_rows(ingress_values(case, src.id), ups, cus)
        names = sorted(set(case.directory.providers) | set(case.providers_with_records()))
        self.view = ingress_view(self.model, names)
        self.notes = QPlainTextEdit(notes, placeholderText="Notes on this file (kept in case.toml)")
        self.notes.setMaximumHeight(90)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok |
                                   QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.retrace_button: QPushButton | None = None
        lay = QVBoxLayout(self)
        if ingress is not None:
            self._stalled_at(ingress, suggest, buttons, lay)
        lay.addWidget(QLabel("Each ingress id (trunk, IP, account) of this file is either the "
                             "<b>upstream provider</b> that handed the call over, or an <b>own "
                             "customer</b> of this provider — then the call started here.",
                             wordWrap=True))
        lay.addWidget(self.view, 1)
        lay.addWidget(QLabel("Notes:"))
        lay.addWidget(self.notes)
        lay.addWidget(buttons)
        self.resize(640, 520)

    def _stalled_at(self, ingress: str, suggest: str, buttons: QDialogButtonBox,
                    lay: QVBoxLayout) -> None:
        """Start on the ingress the trace stopped at: its row selected, marked an upstream
        (the usual answer), named after the traceback record's upstream when it names one."""
        row = next((i for i, r in enumerate(self.model.rows) if r.ingress == ingress), None)
        if row is None:  # not counted in the file (should not happen): add it
            self.model.set_rows([(r.ingress, r.count) for r in self.model.rows]
                                + [(ingress, 0)], *self.model.tables())
            row = len(self.model.rows) - 1
        r = self.model.rows[row]
        if not r.kind:
            self.model.set_entry(ingress, "upstream", suggest)
        self.view.selectionModel().setCurrentIndex(
            self.model.index(row, 3), QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows)
        self.view.scrollTo(self.model.index(row, 0), QAbstractItemView.ScrollHint.PositionAtCenter)
        hint = (f" The traceback record names <b>{html.escape(suggest)}</b>." if suggest else "")
        lay.addWidget(QLabel(f"The trace stopped here: ingress <b>{html.escape(ingress)}</b> is "
                             "in neither table of this file. Say who handed the call over on "
                             f"it (or that it is an own customer).{hint}", wordWrap=True,
                             objectName="mapping.stalled"))
        ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText("Stage only")
        ok.setToolTip("Keep the edit staged; Ctrl+S writes it to case.toml and traces again")
        self.retrace_button = QPushButton("Save and trace again")
        self.retrace_button.setToolTip("Write the mapping to case.toml (the old file is kept "
                                       "as case.toml.bak) and trace this call again")
        self.retrace_button.setDefault(True)
        buttons.addButton(self.retrace_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.retrace_button.clicked.connect(self._save_and_retrace)

    def _save_and_retrace(self) -> None:
        self.retrace = True
        self.accept()

    def changes(self) -> dict:
        ups, cus = self.model.tables()
        return {"upstreams": ups, "customers": cus, "notes": self.notes.toPlainText()}


def ingress_values(case, sid) -> list[tuple[str, int]]:
    """Distinct non-empty ingress ids of source ``sid`` with their row counts, most frequent
    first (through the case's store)."""
    counts = case.store.ingress_counts([sid]).get(sid, [])
    return sorted(((str(v), int(n)) for v, n in counts if v not in (None, "")),
                  key=lambda x: (-x[1], x[0]))
