"""Traceback Workbench core: CDR import, normalization, tracing and evidence (no Qt here)."""
__version__ = "0.1.0"
