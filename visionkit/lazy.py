"""Lazy package exports (PEP 562), shared by every package that has them.

``import visionkit`` must stay cheap: a package lists its public names and the
module each comes from, and a name's module is imported on first access. The
real imports sit under ``TYPE_CHECKING`` beside the table, for type checkers.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, MutableMapping
from typing import Any


def lazy_exports(
    package: str, exports: Mapping[str, str], namespace: MutableMapping[str, Any]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The module-level ``__getattr__`` and ``__dir__`` for ``package``.

    ``exports`` maps each public name to the module that defines it; a value is
    stored in ``namespace`` (the package's ``globals()``) once imported, so
    later lookups never reach ``__getattr__``.
    """

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace, *exports})

    return __getattr__, __dir__
