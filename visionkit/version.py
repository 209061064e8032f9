"""The package version, in a module of its own so that anything may import it.

``visionkit/__init__.py`` imports almost everything; a module that needed the
version from there (cache keys, ``visionkit --version``) would import the
package from inside it, a cycle.
"""

__version__ = "0.2.0"

__all__ = ["__version__"]
