"""Graph of the workbench window."""
