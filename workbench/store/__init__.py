"""Normalized CDR rows and the CdrStore protocol through which everything above reaches them."""
