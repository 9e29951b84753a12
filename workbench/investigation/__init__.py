"""One investigation: open a case, trace, export and reply through one object, with one audit policy."""
