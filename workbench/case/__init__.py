"""The case: its model (sources, tracebacks, provider directory), case.toml writing, drafts, audit trail."""
