"""The version tag written into every saved comparison.

Its own module because both sides need it: the exporters write it, and
:meth:`~visionkit.comparison.comparison.Comparison.from_dict` checks it before
reading, and neither may import the other (the comparison calls the exporters).
Change it whenever the saved layout changes in a way old readers would misread.
"""

COMPARISON_SCHEMA = "visionkit.comparison/1"

__all__ = ["COMPARISON_SCHEMA"]
