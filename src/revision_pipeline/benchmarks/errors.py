"""Errors of the benchmark adapters: one type per problem, each naming the file and row."""

from __future__ import annotations


class BenchmarkError(ValueError):
    """A benchmark cannot be read as published (base class of every adapter error)."""


class BenchmarkNotFound(BenchmarkError, FileNotFoundError):
    """A root, label file or image folder the adapter needs is absent (the path is named)."""


class UnknownBenchmark(BenchmarkError, KeyError):
    """No adapter is registered under this name."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class LayoutError(BenchmarkError):
    """A label file lacks a column the publisher's layout has, or cannot be parsed."""


class LabelError(BenchmarkError):
    """A label value is not one of the benchmark's classes (file and 1-based row named)."""


class EmptyBenchmark(BenchmarkError):
    """No labelled image is left after missing files were dropped."""


class SingleClassBenchmark(BenchmarkError):
    """Every labelled image has the same class: nothing can be scored."""
