"""The main window: assembles the docks, menus, toolbar and status bar. No logic of its own."""
from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMainWindow, QMenu, QToolBar

from workbench.ingest.config import CASE_FILE

from . import actions, errors, settings
from .assets import icon
from .commands.batch import BatchCommands
from .commands.file import FileCommands, evidence_module
from .commands.trace import TraceCommands
from .commands.view import ViewCommands
from .docks.analysis_charts import AnalysisChartsDock
from .docks.analysis_dock import AnalysisDock
from .docks.calls_dock import CallsDock
from .docks.case_dock import CaseDock
from .docks.graph_dock import GraphDock
from .docks.hop_dock import HopDock
from .docks.providers_dock import ProvidersDock
from .docks.timeline_dock import TimelineDock
from .graph.chain_view import NO_CASE
from .session import CaseSession
from .status import TaskProgressWidget

APP_TITLE = "Traceback Workbench"


class MainWindow(QMainWindow):
    def __init__(self, session: CaseSession | None = None, *, restore: bool = True):
        super().__init__()
        self.setObjectName("main_window")
        self.session = session or CaseSession(parent=self)
        self.setWindowTitle(APP_TITLE)
        self.setWindowIcon(icon("app"))
        self.setAcceptDrops(True)
        self.setDockNestingEnabled(True)
        s = self.session
        self.case_dock, self.calls_dock = CaseDock(s, self), CallsDock(s, self)
        self.graph_dock, self.hop_dock = GraphDock(s, self), HopDock(s, self)
        self.timeline_dock = TimelineDock(s, self)
        self.analysis_dock, self.charts_dock = AnalysisDock(s, self), AnalysisChartsDock(s, self)
        self.providers_dock = ProvidersDock(s, self)
        self._place_docks()
        self.file, self.trace = FileCommands(self), TraceCommands(self)
        self.view, self.batch = ViewCommands(self), BatchCommands(self)
        self.actions = actions.build(self, {"file": self.file, "trace": self.trace,
                                            "view": self.view, "analysis": self.analysis_dock,
                                            "providers": self.providers_dock,
                                            "batch": self.batch})
        self._build_menus()
        self._build_toolbar()
        self.progress = TaskProgressWidget(s.runner, self)
        self.statusBar().addPermanentWidget(self.progress)
        self._connect()
        self._default_state = self.saveState()
        if restore:
            self._restore_layout()
        self.actions["trace.ask"].setChecked(settings.ask_upstream_in_step_mode())
        self.refresh_actions()

    # -- assembly -----------------------------------------------------------------------
    def _place_docks(self) -> None:
        area = Qt.DockWidgetArea
        self.addDockWidget(area.LeftDockWidgetArea, self.case_dock)
        self.addDockWidget(area.RightDockWidgetArea, self.graph_dock)
        self.splitDockWidget(self.graph_dock, self.hop_dock, Qt.Orientation.Horizontal)
        self.splitDockWidget(self.graph_dock, self.timeline_dock, Qt.Orientation.Vertical)
        self.splitDockWidget(self.timeline_dock, self.calls_dock, Qt.Orientation.Vertical)
        # the provider views share areas as tabs: the analysis the graph's, its charts the
        # timeline's, so its rows, charts and the calls they filter are in sight together;
        # the dossiers the calls table's
        self.tabifyDockWidget(self.graph_dock, self.analysis_dock)
        self.tabifyDockWidget(self.timeline_dock, self.charts_dock)
        self.tabifyDockWidget(self.calls_dock, self.providers_dock)
        for d in (self.graph_dock, self.timeline_dock, self.calls_dock):
            d.raise_()
        self.resizeDocks([self.case_dock, self.graph_dock, self.hop_dock], [360, 800, 380],
                         Qt.Orientation.Horizontal)
        self.resizeDocks([self.graph_dock, self.timeline_dock, self.calls_dock], [420, 190, 300],
                         Qt.Orientation.Vertical)

    def fit_layout_to(self, height: int, width: int | None = None) -> None:
        """On short screens (768 px) the timeline and the traffic charts share a tab with the
        calls table, which gets the larger share and compact rows (15 or more in sight);
        on narrow ones (1366 px) the Case dock is widened for its traceback records."""
        width = self.width() if width is None else width
        if height < 900 and self.timeline_dock not in self.tabifiedDockWidgets(self.calls_dock):
            self.tabifyDockWidget(self.calls_dock, self.timeline_dock)
            self.tabifyDockWidget(self.calls_dock, self.charts_dock)
            self.calls_dock.raise_()
        if height < 900:
            self.calls_dock.set_compact(True)
            self.case_dock.split.setSizes([175, 250, 125, 60])  # the records get the room
            self.resizeDocks([self.graph_dock, self.calls_dock], [int(height * 0.42),
                                                                  int(height * 0.58)],
                             Qt.Orientation.Vertical)
        if width < 1500:
            self.resizeDocks([self.case_dock, self.graph_dock, self.hop_dock],
                             [350, max(width - 350 - 300, 400), 300], Qt.Orientation.Horizontal)

    def _on_trace_changed(self, result) -> None:
        if result is not None and self.timeline_dock in self.tabifiedDockWidgets(self.calls_dock):
            self.timeline_dock.raise_()

    def _build_menus(self) -> None:
        menus: dict[str, QMenu] = {}
        for spec in actions.ACTIONS:
            menu = menus.get(spec.menu) or self.menuBar().addMenu(f"&{spec.menu}")
            menus[spec.menu] = menu
            if spec.separator_before:
                menu.addSeparator()
            menu.addAction(self.actions[spec.id])
            if spec.id == "file.open":
                self.recent_menu = menu.addMenu("Open &recent")
                self.recent_menu.aboutToShow.connect(self._fill_recent)
        view = menus["View"]
        view.addSeparator()
        docks = view.addMenu("&Docks")
        for d in (self.case_dock, self.calls_dock, self.graph_dock, self.hop_dock,
                  self.timeline_dock, self.analysis_dock, self.charts_dock, self.providers_dock):
            docks.addAction(d.toggleViewAction())
        self.view.theme_menu(view.addMenu("&Theme"))

    def _build_toolbar(self) -> None:
        tb = QToolBar("Main toolbar", self)
        tb.setObjectName("toolbar.main")
        tb.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
        last_menu = None
        for spec in actions.ACTIONS:
            if spec.toolbar:
                if last_menu and spec.menu != last_menu:
                    tb.addSeparator()
                tb.addAction(self.actions[spec.id])
                last_menu = spec.menu
        self.addToolBar(tb)
        self.toolbar = tb

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        items = settings.recent_cases()
        for p in items:
            a = self.recent_menu.addAction(p)
            a.triggered.connect(lambda checked=False, path=p: self.file.open(path))
        if not items:
            self.recent_menu.addAction("(none)").setEnabled(False)
        else:
            self.recent_menu.addSeparator()
            self.recent_menu.addAction("Clear the list", settings.clear_recent_cases)

    def _connect(self) -> None:
        s = self.session
        s.sig_failed.connect(self._on_failed)
        s.sig_status.connect(lambda text: self.statusBar().showMessage(text, 10000))
        for sig in (s.sig_case_changed, s.sig_trace_changed, s.sig_dirty_changed,
                    s.sig_revealed_changed, s.sig_traceback_selected):
            sig.connect(lambda *_: self.refresh_actions())
        s.runner.sig_started.connect(lambda *_: self.refresh_actions())
        s.runner.sig_started.connect(self._on_task_started)
        s.runner.sig_ended.connect(lambda *_: self.refresh_actions())
        s.sig_trace_changed.connect(self._on_trace_changed)
        self.calls_dock.sig_trace_requested.connect(self.trace.trace_selected_call)
        self.analysis_dock.sig_ingress_selected.connect(self.charts_dock.show_ingress)
        self.case_dock.sig_trace_traceback.connect(s.trace_traceback)
        self.case_dock.sig_edit_mappings.connect(self._edit_mappings)
        self.hop_dock.sig_map_ingress.connect(self._map_ingress)

    def _on_task_started(self, task) -> None:
        """While the first case opens, the empty views say so (the Case dock shows how far
        it is, with Cancel) instead of "No case open"."""
        if task.kind == "load" and self.session.case is None:
            self.graph_dock.chain.show_empty(f"<b>{html.escape(task.title)}…</b><br>"
                                             "The Case dock shows how far it is.")
            self.calls_dock.count.setText(f"{task.title}…")
            task.sig_ended.connect(self._on_load_ended)

    def _on_load_ended(self, task) -> None:
        if self.session.case is None:  # failed or cancelled
            self.graph_dock.chain.show_empty(NO_CASE)
            self.calls_dock.count.setText("No case open")

    def _edit_mappings(self, index: int, ingress: str | None = None, suggest: str = "") -> None:
        from .dialogs.mapping_dialog import MappingDialog
        dlg = MappingDialog(self.session, index, self, ingress=ingress, suggest=suggest)
        if not dlg.exec():
            return
        changes = dlg.changes()
        self.session.edit_source(dlg.source, **changes)
        if ingress is not None and ingress not in changes["upstreams"] \
                and ingress not in changes["customers"]:
            self.statusBar().showMessage(f"Ingress {ingress} still has no name: the trace "
                                         "stays stalled", 15000)
        elif dlg.retrace:  # written to case.toml; the reload traces the call again
            self.file.save()
        elif ingress is not None:
            self.statusBar().showMessage("Mapping staged: Ctrl+S writes it to case.toml and "
                                         "traces this call again", 15000)

    def _map_ingress(self, source, ingress: str, suggest: str) -> None:
        """A stalled hop's "Map this ingress…": the mapping editor of its file, on it."""
        case = self.session.case
        index = next((i for i, s in enumerate(case.sources) if s.id == source), None) \
            if case is not None else None
        if index is not None:
            self._edit_mappings(index, ingress, suggest)

    def _on_failed(self, title: str, exc: BaseException) -> None:
        self.statusBar().showMessage(errors.one_line(exc), 15000)
        errors.show_error(self, title, exc)

    # -- state --------------------------------------------------------------------------
    def state(self) -> set[str]:
        s = self.session
        out = set()
        if s.case is not None:
            out.add("case")
            if s.case.tracebacks:
                out.add("tracebacks")
        if s.result is not None:
            out.add("trace")
        if s.dirty:
            out.add("edits")
        if s.step_mode and s.can_reveal():
            out.add("reveal")
        if any(t.kind not in ("raw-line", "hop-raw") for t in s.runner.running):
            out.add("task")
        if evidence_module() is not None:
            out.add("evidence")
        return out

    def refresh_actions(self) -> None:
        actions.refresh(self.actions, self.state())
        s = self.session
        name = f"{s.case.name} — " if s.case is not None else ""
        self.setWindowTitle(f"{'* ' if s.dirty else ''}{name}{APP_TITLE}")

    def changeEvent(self, ev) -> None:  # noqa: N802 - Qt API
        from PySide6.QtCore import QEvent
        if ev.type() == QEvent.Type.ApplicationPaletteChange:  # system light/dark switch
            from .assets import clear_icon_cache
            clear_icon_cache()
            self.retint_icons()
        super().changeEvent(ev)

    def retint_icons(self) -> None:
        for spec in actions.ACTIONS:
            if spec.icon:
                self.actions[spec.id].setIcon(icon(spec.icon))

    # -- layout -------------------------------------------------------------------------
    def _restore_layout(self) -> None:
        geo, st = settings.window_geometry(), settings.window_state()
        if geo is not None:
            self.restoreGeometry(geo)
        else:
            avail = self.screen().availableGeometry()
            self.resize(min(1600, int(avail.width() * 0.95)), min(1000, int(avail.height() * 0.92)))
        if st is not None:
            self.restoreState(st)
        else:
            self.fit_layout_to(self.height())

    def restore_default_layout(self) -> None:
        self.restoreState(self._default_state)
        for d in (self.case_dock, self.calls_dock, self.graph_dock, self.hop_dock,
                  self.timeline_dock, self.analysis_dock, self.charts_dock, self.providers_dock):
            d.show()
        for d in (self.graph_dock, self.timeline_dock, self.calls_dock):
            d.raise_()

    def closeEvent(self, ev) -> None:  # noqa: N802 - Qt API
        if not self.file.confirm_discard():
            ev.ignore()
            return
        settings.save_window(self.saveGeometry(), self.saveState())
        self.session.runner.shutdown()
        ev.accept()

    # -- drag and drop ------------------------------------------------------------------
    @staticmethod
    def case_from_drop(mime) -> Path | None:
        for url in mime.urls() if mime.hasUrls() else []:
            p = Path(url.toLocalFile())
            if p.is_dir() and (p / CASE_FILE).exists():
                return p
            if p.is_file() and p.suffix.lower() == ".toml":
                return p
        return None

    def dragEnterEvent(self, ev) -> None:  # noqa: N802
        if self.case_from_drop(ev.mimeData()) is not None:
            ev.acceptProposedAction()
        else:
            ev.ignore()

    def dropEvent(self, ev) -> None:  # noqa: N802
        p = self.case_from_drop(ev.mimeData())
        if p is not None:
            ev.acceptProposedAction()
            self.file.open(p)
