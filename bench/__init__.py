"""Benchmarks: `make bench`. Times are noisy here, so every figure is a ratio
against a baseline measured in the same run, alongside counts that do not
depend on the machine (SQL statements per request)."""
