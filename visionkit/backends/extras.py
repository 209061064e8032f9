"""Which optional extras are installed, found without importing them.

Four backends' features need a library the base install leaves out (OpenCV,
ONNX Runtime and RapidOCR, google-auth, botocore). ``visionkit backends`` says
which are there and prints the pip line for the rest. It must stay as fast as
``visionkit --help``, and OpenCV alone takes about 0.2 s to import (``python -X importtime
-c "import cv2"``: 222 ms, 2026-12-04), so installation is read from the import system's finders
(:func:`importlib.util.find_spec`), which locate a module without running it.

Finding a module is not proof it works (a broken wheel still has a spec); the
feature itself raises :class:`~visionkit.errors.MissingDependencyError` or
:class:`~visionkit.errors.ModelError` with the same pip line when it is used.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Extra:
    """One ``visionkit[...]`` extra: what it is for and the modules it brings."""

    name: str
    backend: str
    purpose: str
    modules: tuple[str, ...]
    cost: str = ""
    """For a feature computed only on request: what it costs, the reason it waits to be asked."""

    @property
    def pip(self) -> str:
        """The exact command that installs it."""
        return f"pip install 'visionkit[{self.name}]'"

    def missing(self) -> tuple[str, ...]:
        """The extra's modules that cannot be found (none: installed)."""
        return tuple(m for m in self.modules if not module_available(m))

    @property
    def installed(self) -> bool:
        return not self.missing()


EXTRAS: tuple[Extra, ...] = (
    Extra(
        "faces",
        "local",
        'features=["faces"]: OpenCV\'s Haar cascades',
        ("cv2",),
        cost="0.05 to 0.1 s a photo with a frontal face, 0.15 to 0.3 s without one",
    ),
    Extra(
        "ocr",
        "local",
        'features=["text"]: RapidOCR on ONNX Runtime',
        ("rapidocr", "onnxruntime"),
        cost="0.6 to 1.8 s a photo, and a second set of models in memory",
    ),
    Extra(
        "google",
        "google",
        "service accounts and Application Default Credentials (an API key needs nothing)",
        ("google.auth",),
    ),
    Extra("aws", "aws", "signing requests (SigV4) and finding credentials", ("botocore",)),
)
"""The extras a backend feature needs, as in ``pyproject.toml``'s optional dependencies."""


def module_available(name: str) -> bool:
    """Whether ``name`` can be imported, asked of the finders without importing it.

    For a dotted name the parent package is imported (for ``google.auth``,
    the namespace package ``google``: nothing runs); a missing parent means
    the module is missing too.
    """
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):  # no parent package; a module without a spec
        return False


__all__ = ["EXTRAS", "Extra", "module_available"]
