"""Damaged input files for fuzzing the data loaders, one family at a time.

Everything here is a plain function of a `random.Random`, so the same seed gives the same
file: the property tests (tests/engine/test_loader_fuzz.py) and bench/fuzz.py, which runs
many thousands of cases per family and counts outcomes, share it.

    rng = random.Random(7)
    family = FAMILIES["npz"]
    path = family.write(family.make(rng), directory)
    print(outcome(family.load, path))    # "loaded", "refused" or "crash: <type>: <message>"

Families: `csv`, `npy`, `npz`, `idx`, `image`. Each `make` returns the bytes of one file:
a small valid file, then mutated by `mutate_bytes` or by a mutation that knows the format
(a fuzzed header, a zip member rebuilt with a valid CRC, a PNG chunk with a fixed CRC).
"""

import gzip
import io
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

INTERESTING_BYTES = (0x00, 0x01, 0x7F, 0x80, 0xFF, 0x3F, 0x40, 0xFE)


# -- generic mutations -------------------------------------------------------------------------

def mutate_bytes(data: bytes, rng) -> bytes:
    """1 to 4 random edits: bit flips, byte sets, inserts, deletes, truncation, repeats."""
    out = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        _EDITS[rng.randrange(len(_EDITS))](out, rng)
    return bytes(out)


def _flip(out, rng):
    if out:
        out[rng.randrange(len(out))] ^= 1 << rng.randrange(8)


def _set(out, rng):
    if out:
        out[rng.randrange(len(out))] = rng.choice(INTERESTING_BYTES + (rng.randrange(256),))


def _insert(out, rng):
    at = rng.randint(0, len(out))
    out[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))


def _delete(out, rng):
    if out:
        at = rng.randrange(len(out))
        del out[at:at + rng.randint(1, 16)]


def _truncate(out, rng):
    del out[rng.randint(0, len(out)):]


def _repeat(out, rng):
    if out:
        at = rng.randrange(len(out))
        out[at:at] = out[at:at + rng.randint(1, 64)] * rng.randint(1, 4)


_EDITS = (_flip, _flip, _set, _set, _insert, _delete, _truncate, _repeat)


# -- CSV ---------------------------------------------------------------------------------------

_CSV_PIECES = (",", '"', "\n", "\r", ";", "\t", " ", "|", "nan", "inf", "1e999", "-", ".",
               "\x00", "é", "\ufeff", "?", "NA", "3.5", "x", '""', "\n\n", "1,2,3,a\n")


def valid_csv_bytes(rows: int = 6) -> bytes:
    lines = ["a,b,c,y"] + [f"{i * 0.5},{-i},{i % 3},{'cat' if i % 2 else 'dog'}"
                           for i in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def mutate_csv_text(text: str, rng) -> str:
    """1 to 4 edits that keep the text (inserted CSV syntax, deletions, a very long field)."""
    for _ in range(rng.randint(1, 4)):
        at = rng.randint(0, len(text))
        choice = rng.random()
        if choice < 0.6:
            text = text[:at] + rng.choice(_CSV_PIECES) + text[at:]
        elif choice < 0.85:
            text = text[:at] + text[at + rng.randint(1, 10):]
        elif choice < 0.95:
            text = text[:at] + "9" * rng.choice((999, 1001, 5000)) + text[at:]
        else:
            text = text[:at] + "x" * 140_000 + text[at:]  # beyond the csv module's limit
    return text


def mutated_csv(rng) -> bytes:
    if rng.random() < 0.8:
        return mutate_csv_text(valid_csv_bytes(rng.randint(1, 8)).decode(), rng).encode()
    return mutate_bytes(valid_csv_bytes(), rng)


# -- NumPy files -------------------------------------------------------------------------------

def valid_npy_bytes(array=None) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.arange(12, dtype=np.float32).reshape(4, 3) if array is None else array)
    return buffer.getvalue()


def valid_npz_bytes(compressed: bool = False, **arrays) -> bytes:
    arrays = arrays or {"x": np.arange(12, dtype=np.float32).reshape(4, 3),
                        "y": np.array([0, 1, 1, 0], dtype=np.int64)}
    buffer = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(buffer, **arrays)
    return buffer.getvalue()


_DESCRS = ("'<f8'", "'|u1'", "'>i4'", "'|O'", "'<c16'", "'|V8'", "'<U5'", "'|S3'", "'<M8[s]'",
           "[('a', '<f4')]", "('<f4', (2,))", "'<f8 '", "'x'", "1", "'<U999999999999'", "''")
_SHAPES = ("(4, 3)", "()", "(0,)", "(4, 0)", "(-1, 3)", "(4,)", "(2**62, 2**62)",
           "(10000000000, 10000000)", "(4, 3, 1, 1)", "[4, 3]", "('4',)", "(4.0, 3)", "(4,3,",
           "((4,),)", "(True, 3)")


def crafted_npy(rng) -> bytes:
    """A `.npy` with a header built from odd but plausible pieces, and some data."""
    fields = [f"'descr': {rng.choice(_DESCRS)}",
              f"'fortran_order': {rng.choice(('False', 'True', '1', 'None'))}",
              f"'shape': {rng.choice(_SHAPES)}"]
    rng.shuffle(fields)
    if rng.random() < 0.2:
        fields.pop(rng.randrange(3))
    if rng.random() < 0.1:
        fields.append("'extra': 1")
    text = "{" + ", ".join(fields) + ", }"
    version = rng.choice(((1, 0), (1, 0), (2, 0), (3, 0), (9, 9)))
    size_format = "<H" if version[0] == 1 else "<I"
    prefix = 6 + 2 + struct.calcsize(size_format)
    padded = text.ljust(-(-(prefix + len(text) + 1) // 64) * 64 - prefix - 1) + "\n"
    header = b"\x93NUMPY" + bytes(version) + struct.pack(size_format, len(padded))
    return header + padded.encode("latin1") + bytes(rng.randrange(256) for _ in range(96))


def mutated_npy(rng) -> bytes:
    if rng.random() < 0.3:
        return crafted_npy(rng)
    return mutate_bytes(valid_npy_bytes(), rng)


def rebuilt_npz(rng) -> bytes:
    """An intact zip whose members are mutated or crafted `.npy` files (valid CRCs)."""
    buffer = io.BytesIO()
    method = rng.choice((zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED))
    with zipfile.ZipFile(buffer, "w", compression=method) as archive:
        for name in ("x", "y"):
            array = (np.arange(12, dtype=np.float32).reshape(4, 3) if name == "x"
                     else np.array([0, 1, 1, 0]))
            content = valid_npy_bytes(array)
            if rng.random() < 0.7:
                content = crafted_npy(rng) if rng.random() < 0.4 else mutate_bytes(content, rng)
            archive.writestr(name + rng.choice((".npy", ".npy", ".txt", "")), content)
    return buffer.getvalue()


def mutated_npz(rng) -> bytes:
    if rng.random() < 0.3:
        return rebuilt_npz(rng)
    return mutate_bytes(valid_npz_bytes(compressed=rng.random() < 0.5), rng)


# -- IDX ---------------------------------------------------------------------------------------

def valid_idx_bytes(array=None, type_code: int = 0x08) -> bytes:
    array = np.arange(24, dtype=np.uint8).reshape(2, 3, 4) if array is None else array
    header = struct.pack(">BBBB", 0, 0, type_code, array.ndim)
    return header + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()


def crafted_idx(rng) -> bytes:
    """An IDX header with an odd type, dimension count or sizes, and a short body."""
    type_code = rng.choice((0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E, 0x00, 0x0A, 0xFF))
    ndim = rng.choice((0, 1, 3, 32, 33, 64, 255))
    dims = [rng.choice((0, 1, 2, 28, 60000, 2**31, 2**32 - 1)) for _ in range(min(ndim, 40))]
    body = bytes(rng.randrange(256) for _ in range(rng.choice((0, 8, 100))))
    return bytes((0, 0, type_code, ndim)) + struct.pack(f">{len(dims)}I", *dims) + body


def mutated_idx(rng) -> bytes:
    content = crafted_idx(rng) if rng.random() < 0.3 else valid_idx_bytes()
    if rng.random() < 0.7:
        content = mutate_bytes(content, rng)
    if rng.random() < 0.5:
        content = gzip.compress(content)
        if rng.random() < 0.5:
            content = mutate_bytes(content, rng)
    return content


def idx_gzip_bomb(declared_bytes: int = 2**31) -> bytes:
    """A small gzip whose IDX header declares `declared_bytes` of zeros, holding a few."""
    return gzip.compress(bytes((0, 0, 0x08, 1)) + struct.pack(">I", declared_bytes)
                         + bytes(1000))


# -- images ------------------------------------------------------------------------------------

IMAGE_FORMATS = ("PNG", "JPEG", "BMP")


def valid_image_bytes(image_format: str = "PNG", size=(5, 4), mode: str = "RGB") -> bytes:
    from PIL import Image  # noqa: PLC0415 - only the image family needs Pillow

    pixels = (np.arange(size[0] * size[1] * len(mode)) * 37 % 256).astype(np.uint8)
    shape = (size[1], size[0]) if mode == "L" else (size[1], size[0], len(mode))
    image = Image.fromarray(pixels.reshape(shape))
    buffer = io.BytesIO()
    image.save(buffer, image_format)
    return buffer.getvalue()


def valid_png_bytes() -> bytes:
    return valid_image_bytes("PNG")


def fix_png_crcs(data: bytes) -> bytes:
    """Recomputes every PNG chunk's CRC, so a mutation reaches the decoder behind it."""
    out, at = bytearray(data), 8
    while at + 12 <= len(out):
        length = struct.unpack(">I", out[at:at + 4])[0]
        end = at + 8 + length
        if end + 4 > len(out):
            break
        out[end:end + 4] = struct.pack(">I", zlib.crc32(out[at + 4:end]))
        at = end + 4
    return bytes(out)


def mutated_image(rng) -> bytes:
    image_format = rng.choice(IMAGE_FORMATS)
    size = (rng.randint(1, 9), rng.randint(1, 9))
    data = mutate_bytes(valid_image_bytes(image_format, size, rng.choice(("RGB", "L"))), rng)
    return fix_png_crcs(data) if image_format == "PNG" and rng.random() < 0.6 else data


# -- writing and loading -----------------------------------------------------------------------

def write_file(suffix: str):
    def write(content: bytes, directory) -> Path:
        path = Path(directory) / f"case{suffix}"
        path.write_bytes(content)
        return path
    return write


def write_image_folder(content: bytes, directory) -> Path:
    """A two-class folder: `a/case.png` holds `content`, `b/ok.png` a valid image."""
    root = Path(directory) / "images"
    for name, data in (("a", content), ("b", valid_png_bytes())):
        (root / name).mkdir(parents=True, exist_ok=True)
        (root / name / ("case.png" if name == "a" else "ok.png")).write_bytes(data)
    return root


def load_csv(path):
    from engine.data import from_csv  # noqa: PLC0415

    return from_csv(path, label=-1)


def load_npy(path):
    from engine.data import from_numpy  # noqa: PLC0415

    return from_numpy(path)


load_npz = load_npy


def load_idx(path):
    from engine.data import from_idx  # noqa: PLC0415

    return from_idx(path)


def load_image(path):
    from engine.data import from_image_folder  # noqa: PLC0415

    return from_image_folder(path, image_size=(6, 6))


@dataclass(frozen=True)
class Family:
    make: Callable  # rng -> bytes
    write: Callable  # (bytes, directory) -> path
    load: Callable  # path -> result


FAMILIES = {
    "csv": Family(mutated_csv, write_file(".csv"), load_csv),
    "npy": Family(mutated_npy, write_file(".npy"), load_npy),
    "npz": Family(mutated_npz, write_file(".npz"), load_npz),
    "idx": Family(mutated_idx, write_file(".idx"), load_idx),
    "image": Family(mutated_image, write_image_folder, load_image),
}


def problem_with(result) -> str | None:
    """What is wrong with a loader's result (`None` when it is usable): arrays with samples,
    matching lengths, finite numbers and labels that are class indices when classes are named."""
    x = getattr(result, "x", result)
    y = getattr(result, "y", None)
    if not isinstance(x, np.ndarray) or x.ndim == 0 or x.size == 0:
        return f"x is not a non-empty array: {type(x).__name__} {getattr(x, 'shape', '')}"
    if x.dtype.kind not in "biuf" or (x.dtype.kind == "f" and not np.isfinite(x).all()):
        return f"x has dtype {x.dtype} or non-finite values"
    if y is not None and (not isinstance(y, np.ndarray) or len(y) != len(x)):
        return f"y does not match x: {getattr(y, 'shape', y)} for {x.shape}"
    names = getattr(result, "class_names", None)
    if names is not None and (y.min() < 0 or y.max() >= len(names)):
        return f"y holds indices outside class_names {names}"
    return None


def outcome(load, path) -> str:
    """`"loaded"`, `"refused"` (a LayerCraftError), `"invalid: <why>"` (a result that
    `problem_with` rejects) or `"crash: <type>: <message>"` (any other exception)."""
    from engine.errors import LayerCraftError  # noqa: PLC0415

    try:
        result = load(path)
    except LayerCraftError:
        return "refused"
    except Exception as exc:  # noqa: BLE001 - counting every other exception is the point
        return f"crash: {type(exc).__name__}: {str(exc)[:120]}"
    problem = problem_with(result)
    return "loaded" if problem is None else f"invalid: {problem}"
