"""Benchmarks: a package, so that ``from benchmarks.baseline import ...`` finds this one and
not a ``benchmarks`` package that a library installs into site-packages (pyarrow does)."""
