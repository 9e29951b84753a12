"""Shared kernel: errors, progress/cancel callbacks, safe XML, atomic writes."""
