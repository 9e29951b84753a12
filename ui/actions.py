"""Every menu and toolbar action, declared once: text, shortcut, icon, tooltip, handler.

``build`` turns the table into QActions bound to handler methods of the command
objects; ``refresh`` enables them from the state they need.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from PySide6.QtGui import QAction, QKeySequence

from .assets import icon


@dataclass(frozen=True)
class ActionSpec:
    id: str
    menu: str  # "File", "Trace", "View", "Help"
    text: str
    handler: str  # "<commands>.<method>"
    shortcut: str | None = None
    icon: str | None = None
    tip: str = ""
    toolbar: bool = False
    checkable: bool = False
    needs: str | None = None  # state the action needs; see Window.state()
    separator_before: bool = False


ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec("file.new", "File", "&New case from files…", "file.new_case", "Ctrl+N",
               "new-case", "Build a case.toml from CDR files with a wizard", toolbar=True),
    ActionSpec("file.open", "File", "&Open case…", "file.open_dialog", "Ctrl+O", "open",
               "Open a case folder or its case.toml", toolbar=True),
    ActionSpec("file.sample", "File", "Open the &sample case", "file.open_sample", None, None,
               "Open the bundled fictional auto-warranty training case"),
    ActionSpec("file.save", "File", "&Save case edits", "file.save", "Ctrl+S", "save",
               "Write the edited mappings and notes to case.toml (atomically; the old file is "
               "kept as case.toml.bak)", toolbar=True, needs="edits"),
    ActionSpec("file.reload", "File", "&Reload case", "file.reload", "F5", "reload",
               "Read the case folder again (after editing files outside the workbench)",
               needs="case"),
    ActionSpec("file.trace_list", "File", "&Trace a list of calls…", "batch.trace_list",
               "Ctrl+Shift+L", None, "Trace every call of a CSV/XLSX list (calling, called, "
               "at) or of a traceback-records file at once, then save the results",
               needs="case", separator_before=True),
    ActionSpec("file.export_png", "File", "Export view as &PNG…", "file.export_png", "Ctrl+E",
               "export-png", "Save the graph view as a PNG image, exactly as on screen",
               needs="case"),
    ActionSpec("file.export_svg", "File", "Export view as S&VG…", "file.export_svg",
               "Ctrl+Shift+E", "export-svg", "Save the graph view as an SVG drawing, exactly as "
               "on screen", needs="case"),
    ActionSpec("file.evidence", "File", "Export &evidence packet…", "file.export_evidence",
               "Ctrl+Shift+P", "evidence", "Write the evidence packet (zipped BagIt bag) of the "
               "current trace", toolbar=True, needs="trace+evidence"),
    ActionSpec("file.provider_packet", "File", "Export p&rovider packet…",
               "file.export_provider_packet", None, "evidence", "Write the evidence packet of "
               "one provider: dossier, traffic analysis and every traceback it appears in",
               needs="case+evidence"),
    ActionSpec("file.reply", "File", "Reply &draft…", "file.reply_draft", "Ctrl+Shift+R",
               "reply", "Draft a provider's answer to a traceback request (.docx)",
               needs="tracebacks+evidence"),
    ActionSpec("file.quit", "File", "&Quit", "file.quit", "Ctrl+Q", "quit",
               "Close the workbench (asks about unsaved edits)", separator_before=True),
    ActionSpec("trace.call", "Trace", "Trace this &call", "trace.trace_selected_call", "Ctrl+T",
               "trace-call", "Trace the call selected in the Calls table to its origin",
               toolbar=True, needs="case"),
    ActionSpec("trace.traceback", "Trace", "Trace the &traceback record",
               "trace.trace_selected_traceback", "Ctrl+Shift+T", "traceback",
               "Trace the traceback record selected in the Case dock", toolbar=True,
               needs="case"),
    ActionSpec("trace.form", "Trace", "Trace a call by &number and time…", "trace.trace_form",
               "Ctrl+L", "trace-form", "Type the calling and called numbers and the time",
               toolbar=True, needs="case"),
    ActionSpec("trace.step", "Trace", "&Step mode (trainer)", "trace.toggle_step", "F7", "step",
               "Reveal a traced chain one hop at a time", toolbar=True, checkable=True,
               separator_before=True),
    ActionSpec("trace.ask", "Trace", "&Ask the trainee for the upstream first",
               "trace.toggle_ask", None, None,
               "In step mode, ask who handed the call over before revealing each hop",
               checkable=True),
    ActionSpec("trace.next", "Trace", "Reveal &next hop", "trace.reveal_next", "F8", "next-hop",
               "Step mode: reveal the next hop of the chain", toolbar=True, needs="reveal"),
    ActionSpec("trace.all", "Trace", "Reveal the &whole chain", "trace.reveal_all", "Shift+F8",
               "reveal-all", "Step mode: show every hop", needs="reveal"),
    ActionSpec("trace.cancel", "Trace", "&Cancel the running task", "trace.cancel_task", "Esc",
               "cancel", "Stop the import, trace or export that is running",
               separator_before=True, needs="task"),
    ActionSpec("view.chain", "View", "&Chain view", "view.show_chain", "Ctrl+1", "chain",
               "Show the traced chain", toolbar=True),
    ActionSpec("view.network", "View", "&Network view", "view.show_network", "Ctrl+2",
               "network", "Show every provider met in the case", toolbar=True),
    ActionSpec("view.fit", "View", "&Fit the graph", "view.fit", "Ctrl+0", "fit",
               "Zoom the graph to show everything", toolbar=True),
    ActionSpec("view.analyze", "View", "&Analyze provider…", "analysis.choose", "Ctrl+3", None,
               "Rank a provider's customers and upstreams by how suspicious their traffic "
               "looks in its own CDRs", needs="case", separator_before=True),
    ActionSpec("view.providers", "View", "Provider &dossiers", "providers.present", "Ctrl+4",
               None, "Every provider ranked: roles, late or missing answers, contradictions, "
               "RMD status", needs="case"),
    ActionSpec("view.reset", "View", "&Reset window layout", "view.reset_layout", None, None,
               "Put every dock back where it started", separator_before=True),
    ActionSpec("help.keys", "Help", "&Keyboard shortcuts", "view.shortcuts", "F1", "help",
               "List the keyboard shortcuts"),
    ActionSpec("help.about", "Help", "&About Traceback Workbench", "view.about", None, None,
               "Version and what the outcome categories mean"),
)


@cache  # asked for every action on every refresh of the window's state
def tooltip(spec: ActionSpec) -> str:
    key = QKeySequence(spec.shortcut).toString(QKeySequence.SequenceFormat.NativeText) \
        if spec.shortcut else ""
    return f"{spec.tip} ({key})" if key else spec.tip


def build(parent, handlers: dict[str, object]) -> dict[str, QAction]:
    """QActions for every spec, triggered into ``handlers[group].method``."""
    out: dict[str, QAction] = {}
    for spec in ACTIONS:
        a = QAction(spec.text, parent)
        a.setObjectName(spec.id)
        if spec.icon:
            a.setIcon(icon(spec.icon))
        if spec.shortcut:
            a.setShortcut(QKeySequence(spec.shortcut))
        a.setToolTip(tooltip(spec))
        a.setStatusTip(spec.tip)
        a.setCheckable(spec.checkable)
        group, method = spec.handler.split(".")
        fn = getattr(handlers[group], method)
        if spec.checkable:
            a.toggled.connect(fn)
        else:
            a.triggered.connect(lambda checked=False, f=fn: f())
        out[spec.id] = a
    return out


def refresh(actions: dict[str, QAction], state: set[str]) -> None:
    """Enable each action whose needs (``a+b``: all of them) are in ``state``."""
    for spec in ACTIONS:
        if spec.needs:
            ok = all(n in state for n in spec.needs.split("+"))
            actions[spec.id].setEnabled(ok)
            if not ok and "evidence" in spec.needs and "evidence" not in state:
                actions[spec.id].setToolTip("Evidence export is not installed in this build")
            elif ok:
                actions[spec.id].setToolTip(tooltip(spec))
