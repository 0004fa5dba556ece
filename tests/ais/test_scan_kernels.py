"""The word-at-a-time helpers of the scan kernel agree with plain numpy on any bytes."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from seawatch.ais._scan import _count_nl_bs, _newlines

_BYTES = st.binary(max_size=300) | st.lists(
    st.sampled_from([b"\n", b"\\", b"!AIVDM,1,1,,A,", b"x" * 7, b"\r\n"]), max_size=60
).map(b"".join)


@given(_BYTES, st.integers(0, 7))
def test_newlines_and_counts(data: bytes, skip: int) -> None:
    buf = np.frombuffer(data, np.uint8)[min(skip, len(data)) :]  # also unaligned starts
    n_nl, n_bs = _count_nl_bs(buf)
    assert n_nl == int((buf == 10).sum())
    assert n_bs == int((buf == 92).sum())
    out = np.full(n_nl, -1, np.int64)
    _newlines(buf, out)
    assert out.tolist() == np.flatnonzero(buf == 10).tolist()
