"""The `workbench` command line: thin adapters over the core."""
