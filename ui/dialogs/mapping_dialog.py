"""Edit one source's upstream/customer tables and notes (staged; saved with Ctrl+S)."""
from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QVBoxLayout

from .ingress_table import IngressMapModel, ingress_view


class MappingDialog(QDialog):
    def __init__(self, session, index: int, parent=None):
        super().__init__(parent)
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
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel("Each ingress id (trunk, IP, account) of this file is either the "
                             "<b>upstream provider</b> that handed the call over, or an <b>own "
                             "customer</b> of this provider — then the call started here.",
                             wordWrap=True))
        lay.addWidget(self.view, 1)
        lay.addWidget(QLabel("Notes:"))
        lay.addWidget(self.notes)
        lay.addWidget(buttons)
        self.resize(640, 520)

    def changes(self) -> dict:
        ups, cus = self.model.tables()
        return {"upstreams": ups, "customers": cus, "notes": self.notes.toPlainText()}


def ingress_values(case, sid) -> list[tuple[str, int]]:
    """Distinct non-empty ingress ids of source ``sid`` with their row counts, most frequent
    first (through the case's store)."""
    counts = case.store.ingress_counts([sid]).get(sid, [])
    return sorted(((str(v), int(n)) for v, n in counts if v not in (None, "")),
                  key=lambda x: (-x[1], x[0]))
