"""Backends: one sub-package per provider, all behind :class:`visionkit.backends.base.Analyzer`."""
