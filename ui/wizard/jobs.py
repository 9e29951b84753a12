"""The New-case wizard's heavy jobs: plain functions of plain data, run in worker processes.

Each takes what the pages gathered (paths, ``FileDraft``/``WizardState`` dataclasses),
returns picklable results, and reports failures that concern one file in words naming the
user's file. No Qt here: ``ProcessJobs`` imports this module in its worker processes.
"""
from __future__ import annotations

from pathlib import Path

from workbench.case.draft import (
    FileInspection,
    Preview,
    effective_mapping,
    ingress_counts,
    inspect_file,
    preview_problem,
    record_providers,
)
from workbench.common.errors import Cancelled, InputError
from workbench.common.progress import ProgressFn, StopFn, check
from workbench.investigation.draft_review import DraftReview, review_draft

from .state import FileDraft, WizardState


def in_words(exc: BaseException) -> str:
    """An error as one line (no Qt), pointing at the wizard's table rather than case.toml."""
    if isinstance(exc, InputError):
        text = exc.one_line()
    elif isinstance(exc, OSError) and exc.strerror:
        name = getattr(exc, "filename", None)
        text = f"{name}: {exc.strerror}" if name else exc.strerror
    else:
        text = str(exc) or type(exc).__name__
    return text.replace("map it in [sources.columns]", "map it in the Column mapping table")


def inspect_files(paths: list[Path], tracebacks: Path | None, *, progress: ProgressFn,
                  should_stop: StopFn) -> tuple[list[str], list[FileInspection], list[str]]:
    """(providers the records name, inspections, one-line problems naming the user's file):
    the heavy half of adding files."""
    known = record_providers(tracebacks) if tracebacks else []
    out, problems = [], []
    for k, p in enumerate(paths):
        check(should_stop)
        progress(k / max(len(paths), 1), f"detecting the format of {p.name}")
        try:
            out.append(inspect_file(p, known))
        except Cancelled:
            raise
        except Exception as exc:  # noqa: BLE001 - said per file; the others are added
            text = in_words(exc)
            problems.append(text if str(p) in text else f"{p}: {text}")
    return known, out, problems


def first_problem(files: list[FileDraft], country: str, *, progress: ProgressFn,
                  should_stop: StopFn) -> tuple[int, str] | None:
    """(file index, why) for the first file that cannot become a source; None if all read."""
    for i, f in enumerate(files):
        check(should_stop)
        progress(i / max(len(files), 1), f"checking {f.path.name}")
        problem = file_problem(f, country)
        if problem:
            return i, problem
    return None


def file_problem(f: FileDraft, country: str) -> str | None:
    """Why ``f`` cannot become a source as set up, in words (None if it reads)."""
    try:
        if f.mappable and f.inspection and f.inspection.headers:
            effective_mapping(f.inspection.headers, f.columns(), f.path)
        pv = f.preview(country)
    except Exception as exc:  # noqa: BLE001 - shown in words; the user fixes format or mapping
        return in_words(exc)
    return preview_problem(pv, f.effective_format)


def preview_file(f: FileDraft, country: str, *, progress: ProgressFn,
                 should_stop: StopFn) -> Preview:  # noqa: ARG001 - one short read
    """The first rows as read with the page's settings (or as written, with the reason)."""
    progress(0.1, f"previewing {f.path.name}")
    return f.preview_or_raw(country)


def count_ingress(f: FileDraft, *, progress: ProgressFn,
                  should_stop: StopFn) -> list[tuple[str, int]]:
    """The file's distinct ingress ids with their counts, read with the page's settings."""
    try:
        return ingress_counts(f.path, f.effective_format, f.read_options(), progress=progress,
                              should_stop=should_stop)
    except (Cancelled, InputError):
        raise
    except Exception as exc:  # noqa: BLE001 - a reader's own error: name the user's file
        text = in_words(exc)
        raise InputError(text, file=None if str(f.path) in text else str(f.path)) from None


def review_state(state: WizardState, *, progress: ProgressFn,
                 should_stop: StopFn) -> DraftReview:
    """The review of the draft as it stands; read against the nearest existing folder,
    since the case folder is only created when case.toml is written."""
    root = (state.folder or Path.cwd()).absolute()
    while not root.is_dir() and root != root.parent:
        root = root.parent
    return review_draft(state.draft(root=root), root, progress=progress,
                        should_stop=should_stop)
