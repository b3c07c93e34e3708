"""The IDX format of MNIST: a magic number, the dimensions, then raw big-endian values.

Layout (LeCun's page): two zero bytes, one type byte (0x08 uint8, 0x09 int8, 0x0B int16,
0x0C int32, 0x0D float32, 0x0E float64), one byte giving the number of dimensions, then
each dimension as a big-endian uint32, then the values in C order.
"""

import gzip
import struct
import zlib
from pathlib import Path

import numpy as np

from ..errors import DataError
from .loaded import first_non_finite

_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_GZIP_MAGIC = b"\x1f\x8b"


def from_idx(path) -> np.ndarray:
    """Reads one IDX file (such as `train-images-idx3-ubyte`, gzipped or not).

    Args:
        path: The file; a `.gz` file is recognised by its content, not its name.

    Returns:
        The array in its stored type (uint8 for MNIST), native byte order, writable:
        `(60000, 28, 28)` for MNIST training images, `(60000,)` for its labels.

    Raises:
        DataError: for a file that is not IDX, is truncated, or holds NaN/inf values.
    """
    path = Path(path)
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise DataError(f"Cannot read {path}: {exc.strerror or exc}.") from None
    return parse_idx(content, path.name)


def parse_idx(content: bytes, name: str) -> np.ndarray:
    """Parses IDX bytes (gzipped or not); `name` is used in messages."""
    if content[:2] == _GZIP_MAGIC:
        content = _gunzip(content, name)
    if len(content) < 4 or content[:2] != b"\0\0" or content[2] not in _TYPES:
        raise DataError(
            f"{name} is not an IDX file: it should start with two zero bytes and a type byte "
            f"(one of 08 09 0B 0C 0D 0E), but starts with {content[:4].hex(' ') or 'nothing'}. "
            "Fix: choose an IDX file such as MNIST's train-images-idx3-ubyte(.gz).")
    dtype, ndim = np.dtype(_TYPES[content[2]]), content[3]
    header = 4 + 4 * ndim
    if ndim == 0 or len(content) < header:
        raise DataError(f"{name}: the IDX header announces {ndim} dimensions but the file "
                        f"ends after {len(content)} bytes. The file is damaged; get it again.")
    shape = struct.unpack(f">{ndim}I", content[4:header])
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(content) - header != expected:
        raise DataError(
            f"{name}: the header announces shape {shape} ({expected:,} bytes of "
            f"{dtype.newbyteorder('=').name}), but the file holds {len(content) - header:,} "
            "bytes of data. The file is truncated or damaged; download it again.")
    array = np.frombuffer(content, dtype=dtype, offset=header).reshape(shape)
    array = array.astype(dtype.newbyteorder("="))  # native byte order, and a writable copy
    bad = first_non_finite(array)
    if bad is not None:
        raise DataError(f"{name}: the value at index {bad} is {array[bad].item()!r}, not a finite "
                        "number. Fix: repair or replace the file.")
    return array


def _gunzip(content: bytes, name: str) -> bytes:
    try:
        return gzip.decompress(content)
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(f"{name} looks gzipped but cannot be decompressed ({exc}). The file "
                        "is truncated or damaged; download it again.") from None
