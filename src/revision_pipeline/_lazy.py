"""Lazy package exports (PEP 562), so importing a light name never loads torch."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def lazy_exports(
    package: str, exports: dict[str, str], namespace: dict[str, Any]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """A package's ``__getattr__`` and ``__dir__`` for names living in its submodules.

    Args:
        package: the package's ``__name__``.
        exports: public name -> submodule (relative to the package) that defines it.
        namespace: the package's ``globals()``.
    """

    def __getattr__(name: str) -> Any:
        if name in exports:
            module = importlib.import_module(f"{package}.{exports[name]}")
            return getattr(module, name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted(list(namespace) + list(exports))

    return __getattr__, __dir__
