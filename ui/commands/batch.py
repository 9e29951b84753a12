"""File → Trace a list of calls…: read a CSV/XLSX list (or a traceback-records file), trace it
in a worker with progress and Cancel, show the outcomes, save them, open one chain.

The same core path as ``workbench trace CASE --batch FILE --out RESULTS``: ``read_call_list``,
``Investigation.trace_batch`` and the CLI's writer for .jsonl/.csv/.xlsx.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog

from workbench.cli.batch import FORMATS
from workbench.cli.batch import _render as render_results  # the CLI's own writer
from workbench.common.atomic import atomic_write_bytes
from workbench.common.errors import InputError
from workbench.common.progress import ProgressFn, StopFn, check
from workbench.ingest.call_list import read_call_list
from workbench.investigation import Investigation, TraceRequest
from workbench.trace.batch import BatchCall

from .. import errors, settings
from ..dialogs.batch_dialog import BatchDialog, TracedList, summary_words

LIST_FILTER = "Lists of calls (*.csv *.xlsx *.txt *.json);;All files (*)"
RESULT_FILTER = "JSON lines, one trace per call (*.jsonl);;CSV, one row per hop (*.csv);;" \
                "Excel workbook, one row per hop (*.xlsx)"


class BatchCommands:
    def __init__(self, window):
        self.w = window
        self.session = window.session
        self.dialog: BatchDialog | None = None
        self.task = None

    def trace_list(self, path: str | Path | None = None) -> BatchDialog | None:
        """Ask for a list file (unless ``path``) and trace every call of it in a worker."""
        inv = self.session.investigation
        if inv is None:
            return None
        if path is None:
            f, _ = QFileDialog.getOpenFileName(self.w, "Trace a list of calls",
                                               settings.last_dir(), LIST_FILTER)
            if not f:
                return None
            settings.set_last_dir(f)
            path = f
        path = Path(path)
        if self.dialog is not None:
            self.dialog.close()
        dlg = self.dialog = BatchDialog(path, self.w)
        self.task = task = self.session.runner.run(
            f"Tracing the calls of {path.name}", trace_list_file, inv, path, kind="batch",
            on_done=lambda traced: self._on_traced(dlg, traced),
            on_failed=lambda exc: dlg.on_stopped(f"Not traced: {errors.one_line(exc)}"),
            on_cancelled=lambda: dlg.on_stopped("Cancelled: the list was not traced"))
        task.sig_progress.connect(dlg.on_progress)
        dlg.sig_cancel.connect(task.cancel)
        dlg.sig_save.connect(lambda: self.save_results(dlg))
        dlg.sig_show.connect(lambda row: self.show_row(dlg, row))
        dlg.show()
        return dlg

    def _on_traced(self, dlg: BatchDialog, traced: TracedList) -> None:
        dlg.on_done(traced)
        self.w.statusBar().showMessage(f"Traced {traced.path.name}: "
                                       f"{summary_words(traced.results)}", 15000)

    def save_results(self, dlg: BatchDialog, path: str | Path | None = None) -> Path | None:
        """Write the dialog's results where the user says (the CLI's formats)."""
        traced = dlg.model.traced
        if traced is None:
            return None
        if path is None:
            name = str(Path(settings.last_dir()) / f"{traced.path.stem}-results.jsonl")
            f, chosen = QFileDialog.getSaveFileName(dlg, "Save the results", name, RESULT_FILTER)
            if not f:
                return None
            path = _with_suffix(Path(f), chosen)
        path = Path(path)
        try:
            if path.suffix.lower() not in FORMATS:
                raise InputError(f"results must end in {', '.join(FORMATS)}", file=str(path))
            atomic_write_bytes(path, render_results(path.suffix.lower(), traced.calls,
                                                    traced.results))
        except (OSError, InputError) as exc:
            errors.show_error(dlg, "The results could not be saved", exc)
            return None
        settings.set_last_dir(path)
        self.w.file.written("Results", path, summary_words(traced.results))
        return path

    def show_row(self, dlg: BatchDialog, row: int) -> None:
        """Show row ``row``'s chain in the main window (it may be re-traced after edits)."""
        traced = dlg.model.traced
        result = traced.results[row]
        call = traced.calls[row]
        case = self.session.case
        known = case is not None and call.traceback is not None and any(
            t.traceback_id == call.traceback.traceback_id for t in case.tracebacks)
        req = (TraceRequest(traceback_id=call.traceback.traceback_id) if known else
               TraceRequest(calling=result.calling, called=result.called, at=result.at_us))
        self.session.show_result(result, req)


def trace_list_file(inv: Investigation, path: Path, *, progress: ProgressFn,
                    should_stop: StopFn) -> TracedList:
    """Read the list (as the CLI does: the case's country, its records' zone) and trace it."""
    progress(0.0, f"reading {path.name}")
    cfg = inv.case.config
    listed = read_call_list(path, default_country=cfg.default_country,
                            timezone=cfg.tracebacks[0].timezone if cfg.tracebacks else "UTC")
    check(should_stop)
    calls = [BatchCall(c.calling, c.called, c.at, c.traceback, c.line) for c in listed]
    results = inv.trace_batch(calls, source=str(path), progress=progress,
                              should_stop=should_stop)
    return TracedList(path, calls, results)


def _with_suffix(path: Path, chosen_filter: str) -> Path:
    """The suffix of the chosen filter when the typed name has none of ours."""
    if path.suffix.lower() in FORMATS:
        return path
    for ext in FORMATS:
        if f"*{ext}" in chosen_filter:
            return path.with_name(path.name + ext)
    return path.with_name(path.name + ".jsonl")
