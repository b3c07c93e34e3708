"""The safetensors format, written and read strictly with `struct`, `json` and NumPy.

Layout: 8-byte little-endian header length N, N bytes of UTF-8 JSON header, raw tensor bytes.
The header maps each tensor name to `{"dtype", "shape", "data_offsets": [begin, end]}`
(offsets relative to the byte buffer after the header), plus an optional `"__metadata__"`
map of strings. Files written here are readable by `safetensors.numpy.load`.

Reading trusts nothing: dtypes come from a short allow-list, every shape must agree with its
byte range, ranges may not overlap and must cover the buffer exactly (as the safetensors
specification requires), and the header size is bounded. Nothing is ever executed.
"""

import json
import math
import struct

import numpy as np

#: safetensors dtype name -> little-endian NumPy dtype. Only these are read or written.
DTYPES = {"F32": np.dtype("<f4"), "F64": np.dtype("<f8"),
          "I32": np.dtype("<i4"), "I64": np.dtype("<i8")}
_NAMES = {dtype: name for name, dtype in DTYPES.items()}

#: The JSON header of any file we read is at most this many bytes.
MAX_HEADER_BYTES = 64 * 1024 * 1024
_HEADER_KEYS = {"dtype", "shape", "data_offsets"}


class SafetensorsFormatError(ValueError):
    """The bytes are not a valid safetensors buffer (the message says why)."""


def encode(tensors: dict, metadata: dict | None = None) -> bytes:
    """Serialises `{name: array}` (in the given order) to safetensors bytes.

    Args:
        tensors: Names to NumPy arrays of float32/float64/int32/int64 (any byte order).
        metadata: Optional string-to-string map stored as `"__metadata__"`.

    Returns:
        The file content.

    Raises:
        SafetensorsFormatError: for a name `"__metadata__"` or an unsupported dtype.
    """
    header, chunks, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    for name, array in tensors.items():
        array = np.asarray(array)
        dtype = _dtype_name(name, array)
        data = np.ascontiguousarray(array, dtype=DTYPES[dtype]).tobytes()
        header[name] = {"dtype": dtype, "shape": [int(d) for d in array.shape],
                        "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)  # the data starts 8-byte aligned, as the library does
    return struct.pack("<Q", len(text)) + text + b"".join(chunks)


def _dtype_name(name, array) -> str:
    if name == "__metadata__" or not isinstance(name, str):
        raise SafetensorsFormatError(f"Invalid tensor name {name!r}.")
    dtype = array.dtype.newbyteorder("<")
    if dtype not in _NAMES:
        raise SafetensorsFormatError(
            f"Tensor {name!r} has dtype {array.dtype}; only float32, float64, int32 and int64 "
            "can be saved.")
    return _NAMES[dtype]


def decode(data: bytes) -> tuple[dict, dict]:
    """Parses safetensors bytes into `({name: array}, metadata)`, checking everything.

    Tensors come back in the order of their data in the buffer, as independent (writable)
    native-endian arrays.

    Raises:
        SafetensorsFormatError: saying what is wrong with the buffer.
    """
    header, buffer = _split(data)
    metadata = header.pop("__metadata__", {})
    if not isinstance(metadata, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
        raise SafetensorsFormatError("'__metadata__' must map strings to strings.")
    entries = sorted((_entry(name, info) for name, info in header.items()),
                     key=lambda e: e[3][0])
    _check_layout(entries, len(buffer))
    tensors = {}
    for name, dtype, shape, (begin, end) in entries:
        count = math.prod(shape)
        array = np.frombuffer(buffer, dtype=dtype, count=count, offset=begin) if count else \
            np.empty(0, dtype=dtype)
        tensors[name] = array.reshape(shape).astype(dtype.newbyteorder("="), copy=True)
    return tensors, metadata


def _split(data: bytes) -> tuple[dict, memoryview]:
    if len(data) < 8:
        raise SafetensorsFormatError(f"Only {len(data)} bytes; a header length needs 8.")
    (size,) = struct.unpack("<Q", data[:8])
    if size > min(MAX_HEADER_BYTES, len(data) - 8):
        raise SafetensorsFormatError(
            f"The header claims {size} bytes, but only {len(data) - 8} follow (limit "
            f"{MAX_HEADER_BYTES}).")
    try:
        header = json.loads(bytes(data[8:8 + size]).decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise SafetensorsFormatError(f"The header is not valid JSON ({exc}).") from None
    if not isinstance(header, dict):
        raise SafetensorsFormatError("The header is not a JSON object.")
    return header, memoryview(data)[8 + size:]


def _entry(name, info):
    if not isinstance(info, dict) or set(info) != _HEADER_KEYS:
        raise SafetensorsFormatError(
            f"Tensor {name!r} must have exactly the keys dtype, shape, data_offsets.")
    dtype = DTYPES.get(info["dtype"]) if isinstance(info["dtype"], str) else None
    if dtype is None:
        raise SafetensorsFormatError(
            f"Tensor {name!r} has dtype {info['dtype']!r}; allowed: {', '.join(DTYPES)}.")
    shape, offsets = info["shape"], info["data_offsets"]
    if not isinstance(shape, list) or len(shape) > 32 or not all(
            _is_count(d) and d < 2**31 for d in shape):
        raise SafetensorsFormatError(f"Tensor {name!r} has an invalid shape {shape!r}.")
    if not isinstance(offsets, list) or len(offsets) != 2 or not all(map(_is_count, offsets)):
        raise SafetensorsFormatError(f"Tensor {name!r} has invalid data_offsets {offsets!r}.")
    begin, end = offsets
    if end < begin or end - begin != math.prod(shape) * dtype.itemsize:
        raise SafetensorsFormatError(
            f"Tensor {name!r}: shape {shape} of {info['dtype']} needs "
            f"{math.prod(shape) * dtype.itemsize} bytes, but data_offsets span {end - begin}.")
    return name, dtype, tuple(shape), (begin, end)


def _is_count(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _check_layout(entries, buffer_size: int) -> None:
    """Ranges must be back to back from 0 to the end of the buffer: no gap, no overlap."""
    position = 0
    for name, _, _, (begin, end) in entries:
        if begin != position:
            what = "overlaps the previous tensor" if begin < position else "leaves a gap"
            raise SafetensorsFormatError(f"Tensor {name!r} {what} (offset {begin}, expected "
                                         f"{position}).")
        position = end
    if position != buffer_size:
        raise SafetensorsFormatError(
            f"The tensors cover {position} bytes, but the data section has {buffer_size}.")
