"""Side-by-side benchmarks of ketaclinic (``python -m benchmarks.run``); not shipped."""
