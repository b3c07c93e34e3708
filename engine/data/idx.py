"""The IDX format of MNIST: a magic number, the dimensions, then raw big-endian values.

Layout (LeCun's page): two zero bytes, one type byte (0x08 uint8, 0x09 int8, 0x0B int16,
0x0C int32, 0x0D float32, 0x0E float64), one byte giving the number of dimensions, then
each dimension as a big-endian uint32, then the values in C order.
"""

import struct
import zlib
from math import prod
from pathlib import Path

import numpy as np

from ..errors import DataError
from .limits import check_size
from .loaded import first_non_finite

_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_GZIP_MAGIC = b"\x1f\x8b"
#: More dimensions than NumPy arrays may have (32 in NumPy 1) mean a damaged header.
MAX_DIMS = 32


def from_idx(path) -> np.ndarray:
    """Reads one IDX file (such as `train-images-idx3-ubyte`, gzipped or not).

    Args:
        path: The file; a `.gz` file is recognised by its content, not its name.

    Returns:
        The array in its stored type (uint8 for MNIST), native byte order, writable:
        `(60000, 28, 28)` for MNIST training images, `(60000,)` for its labels.

    Raises:
        DataError: for a file that is not IDX, is truncated, holds NaN/inf values, or
            declares more than `engine.data.limits.MAX_BYTES` of data.
    """
    path = Path(path)
    try:
        check_size(path.stat().st_size, path.name)
        content = path.read_bytes()
    except OSError as exc:
        raise DataError(f"Cannot read {path}: {exc.strerror or exc}.") from None
    return parse_idx(content, path.name)


def parse_idx(content: bytes, name: str) -> np.ndarray:
    """Parses IDX bytes (gzipped or not); `name` is used in messages.

    The header is read first, and a file declaring more than `engine.data.limits.MAX_BYTES`
    is refused before anything of that size is allocated or decompressed.
    """
    try:
        return _parse(content, name)
    except MemoryError:
        raise DataError(f"{name} does not fit in this computer's memory. Fix: close other "
                        "programs, or lower engine.data.limits.MAX_BYTES so that files this "
                        "large are refused early.") from None


def _parse(content: bytes, name: str) -> np.ndarray:
    zipped = content[:2] == _GZIP_MAGIC
    head = _gunzip(content, name, 4 + 4 * 255) if zipped else content
    dtype, shape, header = _header(head, name)
    expected = prod(shape) * dtype.itemsize
    check_size(2 * expected, f"{name} (shape {shape}, {dtype.newbyteorder('=').name})")
    if zipped:
        content = _gunzip(content, name, header + expected + 1)
    if len(content) - header != expected:
        more = " at least" if zipped and len(content) > header + expected else ""
        raise DataError(
            f"{name}: the header announces shape {shape} ({expected:,} bytes of "
            f"{dtype.newbyteorder('=').name}), but the file holds{more} "
            f"{len(content) - header:,} bytes of data. The file is truncated or damaged; "
            "download it again.")
    array = np.frombuffer(content, dtype=dtype, offset=header).reshape(shape)
    array = array.astype(dtype.newbyteorder("="))  # native byte order, and a writable copy
    bad = first_non_finite(array)
    if bad is not None:
        raise DataError(f"{name}: the value at index {bad} is {array[bad].item()!r}, not a finite "
                        "number. Fix: repair or replace the file.")
    return array


def _header(content: bytes, name: str):
    """`(dtype, shape, header_length)` from the start of IDX bytes."""
    if len(content) < 4 or content[:2] != b"\0\0" or content[2] not in _TYPES:
        raise DataError(
            f"{name} is not an IDX file: it should start with two zero bytes and a type byte "
            f"(one of 08 09 0B 0C 0D 0E), but starts with {content[:4].hex(' ') or 'nothing'}. "
            "Fix: choose an IDX file such as MNIST's train-images-idx3-ubyte(.gz).")
    dtype, ndim = np.dtype(_TYPES[content[2]]), content[3]
    if not 1 <= ndim <= MAX_DIMS:
        raise DataError(f"{name}: the IDX header announces {ndim} dimensions, but an IDX file "
                        f"has 1 to {MAX_DIMS} (MNIST images have 3, labels 1). The file is "
                        "damaged; get it again.")
    header = 4 + 4 * ndim
    if len(content) < header:
        raise DataError(f"{name}: the IDX header announces {ndim} dimensions but the file "
                        f"ends after {len(content)} bytes. The file is damaged; get it again.")
    shape = struct.unpack(f">{ndim}I", content[4:header])
    if 0 in shape:
        raise DataError(f"{name}: the IDX header announces shape {shape}, which holds no "
                        "values. Fix: choose a file with at least one sample.")
    return dtype, shape, header


def _gunzip(content: bytes, name: str, max_length: int) -> bytes:
    """At most `max_length` decompressed bytes (of every gzip member, in order)."""
    out, size, rest = [], 0, content
    try:
        while rest[:2] == _GZIP_MAGIC and size < max_length:
            stream = zlib.decompressobj(16 + zlib.MAX_WBITS)
            part = stream.decompress(rest, max_length - size)
            out.append(part)
            size += len(part)
            if size >= max_length:
                break
            if not stream.eof:
                raise EOFError("the compressed data ends early")
            rest = stream.unused_data
    except (zlib.error, EOFError) as exc:
        raise DataError(f"{name} looks gzipped but cannot be decompressed ({exc}). The file "
                        "is truncated or damaged; download it again.") from None
    return b"".join(out)
