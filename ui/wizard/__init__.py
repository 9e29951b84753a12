"""Wizard of the workbench window."""
