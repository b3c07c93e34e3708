"""Reading `.npy` and `.npz` files defensively: headers first, data only once it is checked.

`np.load` trusts the file: it unpacks whatever a zip member holds, allocates whatever a
header declares, and lets `zipfile`, `zlib` and the header parser raise their own errors.
Here the kind of file is told by its first bytes (not its name), each array's header is read
and checked (shape, type, size against `limits.MAX_BYTES`) before its data, and any failure
of the file becomes a `DataError` that names the file and the array.
"""

import lzma
import struct
import tokenize
import zipfile
import zlib
from dataclasses import dataclass
from math import prod

import numpy as np

from ..errors import DataError
from .limits import check_size

NPY_MAGIC = b"\x93NUMPY"
ZIP_MAGIC = b"PK"

#: What the standard library and NumPy raise for damaged zips, streams and headers.
DAMAGED = (ValueError, TypeError, KeyError, IndexError, OverflowError, OSError, EOFError,
           NotImplementedError, RuntimeError, SyntaxError, tokenize.TokenError, struct.error,
           zipfile.BadZipFile, zlib.error, lzma.LZMAError)


@dataclass(frozen=True)
class Header:
    """What an array's `.npy` header declares."""

    shape: tuple
    dtype: np.dtype

    @property
    def nbytes(self) -> int:
        return prod(self.shape) * self.dtype.itemsize


class NumpyFile:
    """An open `.npy` file (one array, key `"array"`) or `.npz` archive (named arrays).

    Use as a context manager; `keys`, `header(key)` and `read(key)` raise `DataError` for
    anything damaged.
    """

    def __init__(self, path):
        self.path, self.name = path, path.name
        try:
            with open(path, "rb") as f:
                start = f.read(len(NPY_MAGIC))
        except OSError as exc:
            raise DataError(f"Cannot read {path}: {exc.strerror or exc}.") from None
        self.zip = None
        if start.startswith(ZIP_MAGIC):
            self.zip = self._open_zip()
        elif not start.startswith(NPY_MAGIC):
            raise DataError(
                f"{self.name} is not a NumPy file: a .npy file starts with \\x93NUMPY and a "
                f".npz file with PK, but it starts with {start.hex(' ') or 'nothing'}. Fix: "
                "choose a file written by np.save or np.savez.")

    @property
    def is_npz(self) -> bool:
        return self.zip is not None

    def _open_zip(self):
        try:
            archive = zipfile.ZipFile(self.path)
            names = archive.namelist()
        except DAMAGED as exc:
            raise DataError(f"{self.name} looks like a .npz (zip) archive but cannot be opened "
                            f"({_reason(exc)}). The file is damaged; save it again with "
                            "np.savez.") from None
        self.members = {}
        for name in names:
            self.members.setdefault(name[:-4] if name.endswith(".npy") else name, name)
        return archive

    @property
    def keys(self) -> list:
        return list(self.members) if self.is_npz else ["array"]

    def where(self, key) -> str:
        return f"{self.name}[{key!r}]"

    def header(self, key) -> Header:
        """The array's declared shape and type; refuses arrays the file cannot hold."""
        with self._open(key) as f:
            header = self._header(f, key)
            available = self._size(key) - f.tell()
        if header.nbytes > available:
            raise DataError(
                f"{self.where(key)} declares shape {header.shape} of {header.dtype} "
                f"({header.nbytes:,} bytes), but only {max(available, 0):,} bytes follow its "
                "header. The file is truncated or damaged. Fix: save the array again.")
        return header

    def _size(self, key) -> int:
        if self.is_npz:
            return self.zip.getinfo(self.members[key]).file_size
        return self.path.stat().st_size

    def read(self, key) -> np.ndarray:
        """The array's data; call only after checking `header(key)`."""
        with self._open(key) as f:
            try:
                return np.lib.format.read_array(f, allow_pickle=False)
            except MemoryError:
                raise DataError(f"{self.where(key)} does not fit in this computer's memory. "
                                "Fix: load a smaller file.") from None
            except DAMAGED as exc:
                raise DataError(f"{self.where(key)} cannot be read ({_reason(exc)}); the file "
                                "is truncated or damaged. Fix: save it again.") from None

    def _open(self, key):
        if not self.is_npz:
            return open(self.path, "rb")
        try:
            return self.zip.open(self.members[key])
        except DAMAGED as exc:
            raise DataError(f"{self.where(key)} cannot be unpacked from the archive "
                            f"({_reason(exc)}). The file is damaged, or was written by a zip "
                            "tool with settings NumPy does not use. Fix: save it again with "
                            "np.savez.") from None

    def _header(self, f, key) -> Header:
        where = self.where(key)
        try:
            start = f.read(len(NPY_MAGIC) + 2)
        except DAMAGED as exc:
            raise DataError(f"{where} cannot be read ({_reason(exc)}); the file is damaged. "
                            "Fix: save it again.") from None
        if start[:len(NPY_MAGIC)] != NPY_MAGIC:
            raise DataError(f"{where} is not a NumPy array (it starts with "
                            f"{start[:6].hex(' ') or 'nothing'}, not \\x93NUMPY). Fix: keep "
                            "only arrays saved by np.save / np.savez.")
        version = tuple(start[len(NPY_MAGIC):])
        if version not in _HEADER_READERS:
            raise DataError(f"{where} has .npy format version {version}; this LayerCraft reads "
                            "versions (1, 0) and (2, 0), which np.save writes for numeric "
                            "and text arrays. The file may be damaged.")
        try:
            shape, _, dtype = _HEADER_READERS[version](f)
        except DAMAGED + (MemoryError, RecursionError) as exc:
            raise DataError(f"{where} has a damaged header ({_reason(exc)}). Fix: save the "
                            "array again with np.save / np.savez.") from None
        if any(d < 0 for d in shape):
            raise DataError(f"{where} has a damaged header: it declares the negative shape "
                            f"{shape}. Fix: save the array again.")
        return Header(tuple(int(d) for d in shape), dtype)

    def close(self):
        if self.zip is not None:
            self.zip.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


def read_arrays(path, keys=None) -> dict:
    """Named arrays of a `.npz` (all of them, or `keys`), every header checked (no objects,
    no more than the file holds, `limits.MAX_BYTES` in all) before any data is read."""
    with NumpyFile(path) as arrays:
        keys = arrays.keys if keys is None else list(keys)
        missing = [key for key in keys if key not in arrays.keys]
        if missing:
            raise DataError(f"{arrays.name} lacks the array {missing[0]!r}; it holds "
                            f"{arrays.keys}, and {keys} were expected.")
        headers = {key: arrays.header(key) for key in keys}
        for key, header in headers.items():
            if header.dtype.hasobject:
                raise DataError(f"{arrays.where(key)} holds Python objects, which LayerCraft "
                                "never unpickles. Fix: save it as a numeric or text array.")
        check_size(sum(h.nbytes for h in headers.values()), arrays.name)
        return {key: arrays.read(key) for key in keys}


_HEADER_READERS = {(1, 0): np.lib.format.read_array_header_1_0,
                   (2, 0): np.lib.format.read_array_header_2_0}


def _reason(exc) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text if len(text) <= 200 else text[:200] + "..."
