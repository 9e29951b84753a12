"""Docks of the workbench window."""
