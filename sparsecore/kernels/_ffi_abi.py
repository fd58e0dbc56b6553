"""Numba-side view of XLA's typed FFI call frame (``xla/ffi/api/c_api.h``).

Everything here runs inside numba-compiled code.  A handler receives one
``XLA_FFI_CallFrame*``; these helpers read its fields by byte offset, turn the
argument and result buffers into numba arrays without copying, answer XLA's
metadata query, and build an ``XLA_FFI_Error`` when a kernel must fail.

The offsets below are those of FFI API major version 0 on an LP64 platform
(x86-64, aarch64).  They were checked, by compiling ``offsetof`` and the
``*_STRUCT_SIZE`` constants against each header, for every version listed in
:data:`sparsecore.kernels._ffi.VERIFIED_API_VERSIONS` (0.1 to 0.5): those
versions renamed ``XLA_FFI_Extension_Base`` to ``XLA_FFI_InternalExtension``
(0.4) and appended fields to ``XLA_FFI_Api``, ``XLA_FFI_Metadata`` and the
handler bundle, none of which moves a field read or written here.
:mod:`sparsecore.kernels._ffi` checks the installed header's version before
any handler is built.
"""
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic, register_jitable

# XLA_FFI_CallFrame
FRAME_EXTENSION_START = 8
FRAME_API = 16
FRAME_STAGE = 32
FRAME_ARGS_ARRAY = 72  # args.args  (void**)
FRAME_RETS_ARRAY = 112  # rets.rets  (void**)
# XLA_FFI_Buffer
BUFFER_DATA = 24
BUFFER_DIMS = 40
# XLA_FFI_Extension_Base / XLA_FFI_Metadata_Extension / XLA_FFI_Metadata
EXTENSION_TYPE = 8
EXTENSION_TYPE_METADATA = 1
METADATA_EXTENSION_METADATA = 24
METADATA_API_VERSION = 8  # XLA_FFI_Api_Version, 24 bytes
METADATA_TRAITS = 32
API_VERSION_STRUCT_SIZE = 24
# XLA_FFI_Api
API_ERROR_CREATE = 48
ERROR_CREATE_ARGS_STRUCT_SIZE = 28
STAGE_EXECUTE = 3
ERROR_CODE_INVALID_ARGUMENT = 3


def _int_of(builder, value, ty):
    if isinstance(ty, (types.RawPointer, types.CPointer)):
        return builder.ptrtoint(value, ir.IntType(64))
    return builder.sext(value, ir.IntType(64)) if value.type.width < 64 else value


@intrinsic
def address(typingctx, ptr):
    """The integer address held by a raw pointer."""
    def codegen(context, builder, sig, args):
        return builder.ptrtoint(args[0], ir.IntType(64))
    return types.int64(ptr), codegen


@intrinsic
def null(typingctx):
    """A NULL ``void*`` (what a handler returns on success)."""
    def codegen(context, builder, sig, args):
        return ir.Constant(ir.IntType(8).as_pointer(), None)
    return types.voidptr(), codegen


def _loader(bits):
    @intrinsic
    def load(typingctx, addr):
        def codegen(context, builder, sig, args):
            ptr = builder.inttoptr(args[0], ir.IntType(bits).as_pointer())
            value = builder.load(ptr)
            return builder.sext(value, ir.IntType(64)) if bits < 64 else value
        return types.int64(addr), codegen
    return load


def _storer(bits):
    @intrinsic
    def store(typingctx, addr, value):
        def codegen(context, builder, sig, args):
            ptr = builder.inttoptr(args[0], ir.IntType(bits).as_pointer())
            builder.store(builder.trunc(args[1], ir.IntType(bits)) if bits < 64 else args[1], ptr)
            return context.get_dummy_value()
        return types.none(addr, value), codegen
    return store


load_i32, load_i64 = _loader(32), _loader(64)
store_i32, store_i64 = _storer(32), _storer(64)


@intrinsic
def typed_pointer(typingctx, addr, dtype):
    """Reinterpret an integer address as a ``dtype*`` usable by ``numba.carray``."""
    element = dtype.dtype if isinstance(dtype, types.DTypeSpec) else dtype.instance_type
    ptr_type = types.CPointer(element)

    def codegen(context, builder, sig, args):
        return builder.inttoptr(args[0], context.get_value_type(ptr_type))
    return ptr_type(addr, dtype), codegen


@intrinsic(prefer_literal=True)
def create_error(typingctx, api, message):
    """Call ``api->XLA_FFI_Error_Create`` with a constant message."""
    if not isinstance(message, types.StringLiteral):
        return None
    text = message.literal_value.encode() + b"\0"

    def codegen(context, builder, sig, args):
        i8p = ir.IntType(8).as_pointer()
        i64 = ir.IntType(64)
        module = builder.module
        name = "sparsecore_ffi_msg_%d" % (abs(hash(text)))
        glob = module.globals.get(name)
        if glob is None:
            glob = cgutils.global_constant(module, name, ir.Constant(
                ir.ArrayType(ir.IntType(8), len(text)), bytearray(text)))
        # XLA_FFI_Error_Create_Args {size_t, void*, const char*, int32}
        args_type = ir.LiteralStructType([i64, i8p, i8p, ir.IntType(32)])
        slot = cgutils.alloca_once(builder, args_type)
        builder.store(ir.Constant(args_type, [ERROR_CREATE_ARGS_STRUCT_SIZE, None, None,
                                              ERROR_CODE_INVALID_ARGUMENT]), slot)
        builder.store(builder.bitcast(glob, i8p), cgutils.gep_inbounds(builder, slot, 0, 2))
        fn_type = ir.FunctionType(i8p, [args_type.as_pointer()])
        fn_addr_ptr = builder.inttoptr(builder.add(args[0], ir.Constant(i64, API_ERROR_CREATE)),
                                       fn_type.as_pointer().as_pointer())
        return builder.call(builder.load(fn_addr_ptr), [slot])
    return types.voidptr(api, message), codegen


@register_jitable(inline="always")
def argument(frame, i):
    """Address of the i-th argument ``XLA_FFI_Buffer``."""
    return load_i64(load_i64(frame + FRAME_ARGS_ARRAY) + 8 * i)


@register_jitable(inline="always")
def result(frame, i):
    """Address of the i-th result ``XLA_FFI_Buffer``."""
    return load_i64(load_i64(frame + FRAME_RETS_ARRAY) + 8 * i)


@register_jitable(inline="always")
def dim(buffer, axis):
    return load_i64(load_i64(buffer + BUFFER_DIMS) + 8 * axis)


@register_jitable(inline="always")
def data(buffer):
    return load_i64(buffer + BUFFER_DATA)


@register_jitable(inline="always")
def answer_metadata(frame, major, minor):
    """Fill XLA's metadata query; return True when the frame was one."""
    extension = load_i64(frame + FRAME_EXTENSION_START)
    if extension == 0 or load_i32(extension + EXTENSION_TYPE) != EXTENSION_TYPE_METADATA:
        return False
    metadata = load_i64(extension + METADATA_EXTENSION_METADATA)
    version = metadata + METADATA_API_VERSION
    store_i64(version, API_VERSION_STRUCT_SIZE)
    store_i64(version + 8, 0)
    store_i32(version + 16, major)
    store_i32(version + 20, minor)
    store_i32(metadata + METADATA_TRAITS, 0)
    return True


@register_jitable(inline="always")
def is_execute_stage(frame):
    return load_i32(frame + FRAME_STAGE) == STAGE_EXECUTE


@register_jitable(inline="always")
def api(frame):
    return load_i64(frame + FRAME_API)
