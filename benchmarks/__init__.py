"""Benchmarks that print ratios measured side by side in one run (shared/DESIGN.md §8).

Run from the repository root, one command each: ``python -m benchmarks.pages``,
``python -m benchmarks.load``, ``python -m benchmarks.sync``; ``--quick`` is the smoke mode CI
runs. Absolute figures depend on the machine; the ratios are what the targets are about, so
every comparison is measured in the same run, on the same machine, against its baseline.
"""
