"""What the New-case wizard has gathered so far (plain data; the pages edit it)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from workbench.case.draft import FileInspection, Preview, preview, raw_preview
from workbench.case.draft_checks import Action
from workbench.case.writer import DraftCase, relative_path
from workbench.common.errors import InputError
from workbench.ingest.config import SourceConfig
from workbench.ingest.formats.base import ReadOptions
from workbench.investigation.draft_review import DraftReview

#: The comment at the head of a case.toml the wizard writes (and shows before writing).
DRAFT_COMMENT = "Written by Traceback Workbench (New case from files)."


@dataclass
class FileDraft:
    """One CDR file as the wizard knows it."""

    path: Path
    provider: str = ""
    inspection: FileInspection | None = None
    format: str = "auto"
    timezone: str = "UTC"
    date_order: str | None = None
    time_basis: str | None = None
    mapping: dict[str, str | list[str]] = field(default_factory=dict)  # as edited
    auto_mapping: dict[str, str | list[str]] = field(default_factory=dict)  # as guessed
    ingress: list[tuple[str, int]] | None = None  # distinct ids with counts, once read
    upstreams: dict[str, str] = field(default_factory=dict)
    customers: dict[str, str] = field(default_factory=dict)

    @property
    def effective_format(self) -> str:
        if self.format != "auto":
            return self.format
        return self.inspection.format if self.inspection else "generic"

    @property
    def mappable(self) -> bool:
        return self.effective_format == "generic"

    def columns(self) -> dict[str, str | list[str]]:
        """The [sources.columns] to write: nothing if the reader's own guess is unchanged."""
        if not self.mappable or self.mapping == self.auto_mapping:
            return {}
        return {k: v for k, v in self.mapping.items() if v}

    def read_options(self) -> ReadOptions:
        return ReadOptions(columns=dict(self.columns()), timezone=self.timezone)

    def preview(self, country: str) -> Preview:
        """The first rows as the source will read them with the current settings."""
        return preview(self.path, self.effective_format, self.read_options(),
                       date_order=self.date_order, default_country=country,
                       time_basis=self.time_basis)

    def preview_or_raw(self, country: str) -> Preview:
        """The preview, or the raw rows with the reason when they cannot be read yet."""
        try:
            return self.preview(country)
        except (InputError, ValueError, OSError) as exc:
            text = str(exc).replace("map it in [sources.columns]",
                                    "map it in the Column mapping table")
            return raw_preview(self.path, text)


@dataclass
class WizardState:
    folder: Path | None = None
    name: str = ""
    country: str = "US"
    tracebacks: Path | None = None
    files: list[FileDraft] = field(default_factory=list)
    record_providers: list[str] = field(default_factory=list)  # named in the records
    review: DraftReview | None = None  # the last review of the draft, if current

    def draft(self, notes: str | None = None, root: Path | None = None) -> DraftCase:
        """The case.toml to write (paths relative to the case folder, or to ``root``)."""
        root = root or self.folder or Path.cwd()
        sources = [SourceConfig(provider=f.provider.strip(), path=relative_path(f.path, root),
                               format=f.effective_format, timezone=f.timezone,
                               date_order=f.date_order,
                               columns=f.columns(), upstreams=dict(f.upstreams),
                               customers=dict(f.customers), time_basis=f.time_basis)
                   for f in self.files]
        tbs = [relative_path(self.tracebacks, root)] if self.tracebacks else []
        return DraftCase(name=self.name.strip() or root.name, default_country=self.country,
                         sources=sources, tracebacks=tbs, notes=notes)

    def apply(self, action: Action) -> None:
        """Carry out a finding's one-click fix on the file it names."""
        f = self.files[action.file] if action.file is not None else None
        if f is None:
            return
        if action.kind == "set_zone" and action.zone:
            f.timezone = action.zone
        elif action.kind == "map_ingress":
            f.upstreams.update(action.upstreams)
            f.customers.update(action.customers)
        elif action.kind == "set_field" and action.column:
            f.mapping["ingress"] = action.column
        elif action.kind == "rename_provider" and action.provider:
            f.provider = action.provider
        if action.kind in ("set_zone", "set_field"):
            f.ingress = None  # read again with the new settings
        self.review = None
