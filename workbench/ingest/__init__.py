"""Reading what users bring: case.toml, CDR format profiles, traceback records, raw lines read back."""
