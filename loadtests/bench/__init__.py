"""The benchmark runner behind ``sandbox bench`` (see ``runner`` for what one run does)."""

from loadtests.bench.report import ratio_lines
from loadtests.bench.runner import BenchOptions, run

__all__ = ["BenchOptions", "ratio_lines", "run"]
