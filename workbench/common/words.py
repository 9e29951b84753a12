"""Eight bytes at a time in the compiled byte loops (numba): one unaligned load or store of a
word, the SWAR constants, the value of each hex digit byte, and a prefetch hint.

numba has no unaligned word access of a byte array (a ``view`` needs alignment and a whole
number of words), and a loop copying or comparing byte by byte costs ~1 ns a byte. Every
function here is unchecked, as the kernels' own indexing is: ``word`` checks its range
under ``NUMBA_BOUNDSCHECK=1`` (compiled in: use a fresh ``NUMBA_CACHE_DIR`` with it).
Imported only by kernel modules (numba is loaded lazily).
"""
from __future__ import annotations

import numba as nb
import numpy as np
from llvmlite import ir
from numba.core import cgutils, types
from numba.extending import intrinsic


@intrinsic
def load8(typingctx, arr, i):  # type: ignore[no-untyped-def]
    """The 8 bytes of ``arr`` from ``i`` as one unaligned uint64 load (unchecked)."""
    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        ary = context.make_array(signature.args[0])(context, builder, args[0])
        ptr = builder.gep(ary.data, [args[1]])
        return builder.load(builder.bitcast(ptr, ir.IntType(64).as_pointer()), align=1)
    return types.uint64(arr, types.intp), codegen


@intrinsic
def store8(typingctx, arr, i, w):  # type: ignore[no-untyped-def]
    """Write the word ``w`` to ``arr[i:i + 8]`` as one unaligned store (unchecked)."""
    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        ary = context.make_array(signature.args[0])(context, builder, args[0])
        ptr = builder.gep(ary.data, [args[1]])
        builder.store(args[2], builder.bitcast(ptr, ir.IntType(64).as_pointer()), align=1)
        return context.get_dummy_value()
    return types.void(arr, types.intp, types.uint64), codegen


@intrinsic
def prefetch(typingctx, arr, i):  # type: ignore[no-untyped-def]
    """Ask the memory for the cache line of ``arr[i]`` (no effect on the results; a hint
    that cannot fault, ``i`` kept inside the array all the same)."""
    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        ary = context.make_array(signature.args[0])(context, builder, args[0])
        i8p, i32 = ir.IntType(8).as_pointer(), ir.IntType(32)
        fn = cgutils.get_or_insert_function(  # type: ignore[no-untyped-call]
            builder.module, ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32]),
            "llvm.prefetch.p0i8")
        ptr = builder.bitcast(builder.gep(ary.data, [args[1]]), i8p)
        # (read, keep in all cache levels, data)
        builder.call(fn, [ptr, ir.Constant(i32, 0), ir.Constant(i32, 3), ir.Constant(i32, 1)])
        return context.get_dummy_value()
    return types.void(arr, types.intp), codegen


#: SWAR (a byte test over a whole word): ``(w - ONES) & ~w & HIGHS`` marks the zero bytes of
#: ``w``, exact for the lowest one (numba's ``trailing_zeros`` finds it)
ONES, HIGHS = np.uint64(0x0101010101010101), np.uint64(0x8080808080808080)
#: the value of each hex digit byte, -1 for any other byte
HEX = np.full(256, -1, np.int64)
for _digits, _first in ((b"0123456789", 0), (b"abcdef", 10), (b"ABCDEF", 10)):
    HEX[np.frombuffer(_digits, np.uint8)] = np.arange(_first, _first + len(_digits))

# words read past the array raise under NUMBA_BOUNDSCHECK=1 (with a fresh NUMBA_CACHE_DIR:
# the flag is compiled in, and the cache does not know it)
CHECKED = bool(getattr(nb.config, "BOUNDSCHECK", None))


@nb.njit(cache=True, nogil=True)
def word(arr: np.ndarray, i: int) -> np.uint64:
    """The 8 bytes of ``arr`` from ``i`` as one word (``0 <= i``, ``i + 8 <= arr.size``:
    the caller's to make sure; checked under NUMBA_BOUNDSCHECK)."""
    if CHECKED and (i < 0 or i + 8 > arr.size):
        raise IndexError("a word past the array")
    return load8(arr, i)  # type: ignore[call-arg]  # (typingctx: numba's)


@nb.njit(cache=True, nogil=True)
def put_word(arr: np.ndarray, i: int, w: np.uint64) -> None:
    """``arr[i:i + 8]`` = the bytes of ``w`` (range checked under NUMBA_BOUNDSCHECK)."""
    if CHECKED and (i < 0 or i + 8 > arr.size):
        raise IndexError("a word past the array")
    store8(arr, i, w)  # type: ignore[call-arg]


#: the first k bytes of a word in memory order (the machine's byte order), k = 0..7
HEAD = np.array([np.frombuffer(b"\xff" * k + b"\0" * (8 - k), np.uint64)[0] for k in range(8)])


def key_words(keys: np.ndarray) -> np.ndarray:
    """The rows of the byte matrix ``keys`` as uint64 words, zero-padded (one more word than
    a key needs: ``same_as_key`` compares a key's tail with a whole word, masked)."""
    wide = np.zeros((keys.shape[0], (keys.shape[1] // 8 + 1) * 8), np.uint8)
    wide[:, :keys.shape[1]] = keys
    return wide.view(np.uint64)


@nb.njit(cache=True, nogil=True)
def same_as_key(arr: np.ndarray, s: int, ln: int, words: np.ndarray, k: int) -> bool:
    """``arr[s:s + ln]`` is the key ``k`` of ``ln`` bytes (``words``: ``key_words`` of the
    keys), compared 8 bytes at a time (``s + ln + 8 <= arr.size``: the caller's to make
    sure)."""
    j = 0
    while j + 8 <= ln:
        if word(arr, s + j) != words[k, j >> 3]:
            return False
        j += 8
    return bool(((word(arr, s + j) ^ words[k, j >> 3]) & HEAD[ln - j]) == 0)


@nb.njit(cache=True, nogil=True)
def same_as_key_bytes(arr: np.ndarray, s: int, ln: int, keys: np.ndarray, k: int) -> bool:
    """``same_as_key`` byte by byte (``keys``: the keys' bytes, a row each), for a name
    within 8 bytes of the array's end."""
    for j in range(ln):
        if keys[k, j] != arr[s + j]:
            return False
    return True
