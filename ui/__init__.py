"""Traceback Workbench Qt application (presents the `workbench` core; no business logic)."""
