"""Public retinal benchmarks read in their publishers' layouts, as one table each.

Kedro-free and torch-free (pandas; openpyxl for ODIR's Excel sheet). Every adapter is
registered by name (:func:`register_benchmark`) and returns the same columns
(:func:`load_benchmark`). Datasets, licences and layouts: ``docs/benchmarks-data.md``.
"""

from revision_pipeline.benchmarks.errors import (
    BenchmarkError,
    BenchmarkNotFound,
    EmptyBenchmark,
    LabelError,
    LayoutError,
    SingleClassBenchmark,
    UnknownBenchmark,
)
from revision_pipeline.benchmarks.registry import (
    BenchmarkInfo,
    benchmark_info,
    list_benchmarks,
    load_benchmark,
    register_benchmark,
)

__all__ = [
    "BenchmarkError",
    "BenchmarkInfo",
    "BenchmarkNotFound",
    "EmptyBenchmark",
    "LabelError",
    "LayoutError",
    "SingleClassBenchmark",
    "UnknownBenchmark",
    "benchmark_info",
    "list_benchmarks",
    "load_benchmark",
    "register_benchmark",
]
