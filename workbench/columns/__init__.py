"""Vectorized column kernels: numbers to E.164 keys, times to UTC, SIP headers, byte views, radix sort."""
