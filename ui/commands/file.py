"""File menu: open, new case, save edits, export the view, evidence packets (of a call, of a
provider), reply draft."""
from __future__ import annotations

from functools import cache
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox

from workbench.ingest.config import CASE_FILE
from workbench.investigation import Exported
from workbench.investigation.investigation import ExportedProvider

from .. import errors, settings
from ..assets import working_sample
from ..dialogs.written_dialog import WrittenDialog
from ..graph.export import export_png, export_svg
from ..wizard.wizard import NewCaseWizard


@cache  # asked on every action refresh: try the import once
def evidence_module():
    """``workbench.evidence`` if this build has it (export_packet and write_reply), else None."""
    try:
        from workbench import evidence
    except ImportError:
        return None
    return evidence if hasattr(evidence, "export_packet") and hasattr(evidence, "write_reply") \
        else None


class FileCommands:
    def __init__(self, window):
        self.w = window
        self.session = window.session
        self.wizard: NewCaseWizard | None = None
        self.written_dialog: WrittenDialog | None = None

    # -- opening ------------------------------------------------------------------------
    def confirm_discard(self) -> bool:
        """True if it is fine to drop the open case (saved, discarded, or nothing to lose)."""
        if not self.session.dirty:
            return True
        box = QMessageBox(QMessageBox.Icon.Question, "Unsaved changes",
                          "The case has edits that are not saved to case.toml.",
                          QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard |
                          QMessageBox.StandardButton.Cancel, self.w)
        box.setInformativeText("Save them before closing the case?")
        answer = box.exec()
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        if answer == QMessageBox.StandardButton.Discard:
            self.session.discard_edits()
            return True
        return False

    def open(self, path: str | Path) -> None:
        if self.confirm_discard():
            settings.set_last_dir(path)
            self.session.open(path)

    def open_dialog(self) -> None:
        f, _ = QFileDialog.getOpenFileName(self.w, "Open case", settings.last_dir(),
                                           f"Case file ({CASE_FILE});;TOML files (*.toml)")
        if f:
            self.open(f)

    def open_sample(self) -> None:
        try:
            p = working_sample()
        except OSError as exc:
            errors.show_error(self.w, "Sample case", exc)
            return
        if p is None:
            errors.show_error(self.w, "Sample case", "The sample case is not installed.")
            return
        self.open(p)

    def new_case(self) -> None:
        self.wizard = NewCaseWizard(self.session.runner, self.w)
        self.wizard.sig_case_written.connect(self._on_case_written)
        self.wizard.open()

    def _on_case_written(self, path: str, open_it: bool) -> None:
        self.w.statusBar().showMessage(f"Wrote {path}", 8000)
        if open_it:
            self.open(path)

    def reload(self) -> None:
        if self.confirm_discard():
            self.session.reload()

    def save(self) -> bool:
        try:
            self.session.save()
        except Exception as exc:  # shown in words; the edits stay staged
            errors.show_error(self.w, "The case could not be saved", exc)
            return False
        return True

    def quit(self) -> None:
        self.w.close()

    # -- exports ------------------------------------------------------------------------
    def _save_path(self, title: str, name: str, filt: str) -> Path | None:
        f, _ = QFileDialog.getSaveFileName(self.w, title, str(Path(settings.last_dir()) / name),
                                           filt)
        if not f:
            return None
        settings.set_last_dir(f)
        return Path(f)

    def _view_name(self, ext: str) -> str:
        r = self.session.result
        dock = self.w.graph_dock
        which = "chain" if dock.current_view() is dock.chain else "network"
        tag = (r.traceback_id or "trace") if r is not None and which == "chain" else "case"
        return f"{tag}-{which}.{ext}"

    def export_png(self, path: str | Path | None = None) -> Path | None:
        return self._export(export_png, path, "PNG", "png", "PNG image (*.png)")

    def export_svg(self, path: str | Path | None = None) -> Path | None:
        return self._export(export_svg, path, "SVG", "svg", "SVG drawing (*.svg)")

    def _export(self, fn, path, kind: str, ext: str, filt: str) -> Path | None:
        """Write the current graph view with ``fn``, asking where if no ``path`` is given."""
        path = path or self._save_path(f"Export view as {kind}", self._view_name(ext), filt)
        if not path:
            return None
        try:
            out = fn(self.w.graph_dock.current_view(), path)
        except OSError as exc:
            errors.show_error(self.w, "Export failed", exc)
            return None
        self.w.statusBar().showMessage(f"Saved {out}", 8000)
        return out

    def export_evidence(self) -> None:
        s = self.session
        if evidence_module() is None or s.result is None or s.investigation is None:
            return
        from ..dialogs.evidence_dialog import EvidenceDialog
        dlg = EvidenceDialog(s, self.w)
        if not dlg.exec():
            return
        out, opts = dlg.choices()
        settings.set_investigator(opts["investigator"] or "")
        self._write("Evidence packet", "Writing the evidence packet", s.investigation.export,
                    s.result, out, kind="export", **opts)

    def export_provider_packet(self) -> None:
        s = self.session
        if evidence_module() is None or s.case is None or s.investigation is None:
            return
        from ..dialogs.evidence_dialog import ProviderPacketDialog
        dlg = ProviderPacketDialog(s, self.w)
        if not dlg.exec():
            return
        provider, out, opts = dlg.choices()
        settings.set_investigator(opts["investigator"] or "")
        self._write("Provider packet", f"Writing the packet of {provider}",
                    s.investigation.export_provider, provider, out, kind="provider-export",
                    **opts)

    def reply_draft(self) -> None:
        s = self.session
        if evidence_module() is None or s.investigation is None:
            return
        from ..dialogs.evidence_dialog import ReplyDialog
        dlg = ReplyDialog(s, self.w)
        if not dlg.exec():
            return
        tid, provider, out = dlg.choices()
        self._write("Reply draft", "Drafting the reply", s.investigation.reply, tid, provider,
                    out, kind="reply")

    def _write(self, what: str, title: str, fn, *args, kind: str, **kwargs) -> None:
        """Run an export in the background; then say where it went, or why it failed."""
        self.session.runner.run(
            title, fn, *args, kind=kind,
            on_done=lambda done: self.written(what, Path(_written(done))),
            on_failed=lambda exc: errors.show_error(self.w, what, exc), **kwargs)

    def written(self, what: str, path: Path, detail: str = "") -> WrittenDialog:
        """Say where ``what`` went, with Open file / Open folder (the status bar says it too)."""
        self.w.statusBar().showMessage(f"{what} written: {path}", 10000)
        if self.written_dialog is not None:
            self.written_dialog.close()
        self.written_dialog = WrittenDialog(what, path, self.w, detail)
        self.written_dialog.show()
        return self.written_dialog


def _written(done: object) -> object:
    """The file an export wrote (a packet's path, or the draft's own path)."""
    return done.path if isinstance(done, (Exported, ExportedProvider)) else done
