"""The wrapping uint32 intrinsics of the numba JITC generator against NumPy's uint32."""
import numpy as np
import pytest

numba = pytest.importorskip("numba")

from sparsecore.kernels import _uint32 as U  # noqa: E402


@numba.njit
def _all_ops(a, b, s, out, out_f):
    for i in range(a.shape[0]):
        out[0, i] = U.add(a[i], b[i])
        out[1, i] = U.sub(a[i], b[i])
        out[2, i] = U.mul(a[i], b[i])
        out[3, i] = U.and_(a[i], b[i])
        out[4, i] = U.or_(a[i], b[i])
        out[5, i] = U.xor(a[i], b[i])
        out[6, i] = U.shl(a[i], s[i])
        out[7, i] = U.shr(a[i], s[i])
        out[8, i] = U.low(np.uint64(a[i]) * np.uint64(b[i]))
        out_f[i] = U.to_float32(a[i])


def test_uint32_ops_wrap_like_numpy():
    rng = np.random.default_rng(0)
    edges = np.array([0, 1, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1], np.uint32)
    a = np.concatenate([rng.integers(0, 2 ** 32, 2000, dtype=np.uint32), edges, edges])
    b = np.concatenate([rng.integers(0, 2 ** 32, 2000, dtype=np.uint32), edges, edges[::-1]])
    s = rng.integers(0, 32, a.size).astype(np.int64)
    out = np.zeros((9, a.size), np.uint32)
    out_f = np.zeros(a.size, np.float32)
    _all_ops(a, b, s, out, out_f)
    with np.errstate(over="ignore"):
        expected = [a + b, a - b, a * b, a & b, a | b, a ^ b,
                    (a.astype(np.uint64) << s.astype(np.uint64)).astype(np.uint32),
                    a >> s.astype(np.uint32), a * b]
    for got, want in zip(out, expected):
        np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(out_f, a.astype(np.float32))
