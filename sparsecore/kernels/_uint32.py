"""Wrapping ``uint32`` arithmetic for numba kernels.

numba widens every integer operation on narrow types to 64 bits, so a hash
written with ``uint32`` values runs in 64-bit registers (and 64-bit vector
lanes, eight per AVX-512 register instead of sixteen).  These intrinsics
compute in 32 bits and wrap like ``uint32`` does in NumPy and JAX: each
truncates its integer arguments to their low 32 bits and returns a
``uint32``.  Chained, the conversions between them cancel in LLVM.

>>> import numba, numpy as np
>>> from sparsecore.kernels._uint32 import add, mul
>>> @numba.njit
... def wrapped(a, b):
...     return add(mul(a, b), 1)
>>> int(wrapped(np.uint32(0x80000000), np.uint32(2)))
1
"""
from llvmlite import ir
from numba.core import types
from numba.extending import intrinsic

__all__ = ["add", "sub", "mul", "and_", "or_", "xor", "shl", "shr", "low", "to_float32"]

_I32 = ir.IntType(32)


def _low32(builder, value, ty):
    if ty.bitwidth > 32:
        return builder.trunc(value, _I32)
    if ty.bitwidth < 32:
        return builder.zext(value, _I32)
    return value


def _binary(name: str, doc: str):
    def template(typingctx, a, b):
        if not (isinstance(a, types.Integer) and isinstance(b, types.Integer)):
            return None

        def codegen(context, builder, signature, args):
            x = _low32(builder, args[0], signature.args[0])
            y = _low32(builder, args[1], signature.args[1])
            return getattr(builder, name)(x, y)
        return types.uint32(a, b), codegen

    template.__name__ = template.__qualname__ = {"lshr": "shr"}.get(name, name)
    template.__doc__ = doc
    return intrinsic(template)


add = _binary("add", "``(a + b) mod 2**32``.")
sub = _binary("sub", "``(a - b) mod 2**32``.")
mul = _binary("mul", "``(a * b) mod 2**32``.")
and_ = _binary("and_", "``a & b`` of the low 32 bits.")
or_ = _binary("or_", "``a | b`` of the low 32 bits.")
xor = _binary("xor", "``a ^ b`` of the low 32 bits.")
shl = _binary("shl", "``(a << b) mod 2**32``; ``b`` must be below 32.")
shr = _binary("lshr", "``a >> b`` of the low 32 bits (logical); ``b`` must be below 32.")


@intrinsic
def low(typingctx, a):
    """The low 32 bits of ``a``, as a ``uint32``."""
    if not isinstance(a, types.Integer):
        return None

    def codegen(context, builder, signature, args):
        return _low32(builder, args[0], signature.args[0])
    return types.uint32(a), codegen


@intrinsic
def to_float32(typingctx, a):
    """The low 32 bits of ``a``, as an unsigned integer, rounded to float32."""
    if not isinstance(a, types.Integer):
        return None

    def codegen(context, builder, signature, args):
        return builder.uitofp(_low32(builder, args[0], signature.args[0]), ir.FloatType())
    return types.float32(a), codegen
