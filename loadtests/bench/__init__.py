"""The benchmark runner behind ``sandbox bench`` (see ``runner`` for what one run does)."""

from loadtests.bench.report import ratio_lines
from loadtests.bench.runner import BenchOptions, run
from loadtests.bench.scaling import parse_counts, run_counts, table_lines

__all__ = ["BenchOptions", "parse_counts", "ratio_lines", "run", "run_counts", "table_lines"]
