"""Weights as safetensors bytes, through the `safetensors` library with our limits around it.

The library's parser is the format's reference and is fuzzed upstream: it checks the header
(size, JSON, offsets inside the buffer, no overlap, no gap, every shape matching its byte
range). Around it we keep what is ours to decide: only float32, float64, int32 and int64 are
written or read (anything else in a file is refused before an array is made), names are
strings, and every failure is a `SafetensorsFormatError` with a message, never the library's
own exception. Nothing is ever executed.
"""

import numpy as np
import safetensors
from safetensors.numpy import save as _library_save

#: safetensors dtype name -> little-endian NumPy dtype. Only these are read or written.
DTYPES = {"F32": np.dtype("<f4"), "F64": np.dtype("<f8"),
          "I32": np.dtype("<i4"), "I64": np.dtype("<i8")}
_NAMES = {dtype: name for name, dtype in DTYPES.items()}


class SafetensorsFormatError(ValueError):
    """The bytes are not a valid safetensors buffer (the message says why)."""


def encode(tensors: dict) -> bytes:
    """Serialises `{name: array}` to safetensors bytes.

    Args:
        tensors: Names to NumPy arrays of float32/float64/int32/int64 (any byte order).

    Raises:
        SafetensorsFormatError: for a name that is not a string or an unsupported dtype.
    """
    checked = {}
    for name, array in tensors.items():
        array = np.asarray(array)
        dtype = DTYPES[_dtype_name(name, array)]
        checked[name] = np.asarray(array, dtype=dtype, order="C")  # 0-d stays 0-d
    try:
        return _library_save(checked)
    except (safetensors.SafetensorError, ValueError, TypeError) as exc:
        raise SafetensorsFormatError(f"Could not encode the tensors ({exc}).") from None


def _dtype_name(name, array) -> str:
    if name == "__metadata__" or not isinstance(name, str):
        raise SafetensorsFormatError(f"Invalid tensor name {name!r}.")
    dtype = array.dtype.newbyteorder("<")
    if dtype not in _NAMES:
        raise SafetensorsFormatError(
            f"Tensor {name!r} has dtype {array.dtype}; only float32, float64, int32 and int64 "
            "can be saved.")
    return _NAMES[dtype]


def decode(data: bytes) -> dict:
    """Parses safetensors bytes into `{name: array}`.

    Arrays come back as independent, writable, native-endian arrays.

    Raises:
        SafetensorsFormatError: saying what is wrong with the buffer.
    """
    try:
        views = safetensors.deserialize(bytes(data))
    except (safetensors.SafetensorError, ValueError, TypeError, OverflowError) as exc:
        raise SafetensorsFormatError(f"The safetensors data is invalid ({exc}).") from None
    tensors = {}
    for name, view in views:
        dtype = DTYPES.get(view["dtype"])
        if dtype is None:
            raise SafetensorsFormatError(
                f"Tensor {name!r} has dtype {view['dtype']!r}; allowed: {', '.join(DTYPES)}.")
        array = np.frombuffer(view["data"], dtype=dtype).reshape(view["shape"])
        tensors[name] = array.astype(dtype.newbyteorder("="), copy=True)
    return tensors
