"""Hypothesis strategies for arbitrary JSON, shared by every mapper's untrusted-input test.

One definition, so the Azure, Google and AWS mappers are fed the same hostile
values: huge integers, NaN and infinities, short strings, nesting.
"""

from __future__ import annotations

from hypothesis import strategies as st

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=20,
)
