"""The `.keras` container: a zip holding `config.json`, `metadata.json` and
`model.weights.h5`, as Keras 3's `saving_lib` writes it (members stored, not compressed).

Reading checks the archive from outside in before anything is parsed: a zip at all, only
the members Keras writes (no `assets/`, no `.npz` or sharded weights, which LayerCraft does
not read), none encrypted, none declaring more than the checkpoint limits, none expanding
like a decompression bomb, each read back at exactly its declared size.
"""

import io
import os
import struct
import zipfile
from datetime import datetime

from ..saving.archive import (MAX_JSON_BYTES, MAX_MEMBER_BYTES, check_member, json_bytes,
                                  parse_json, read_member)
from ..errors import CheckpointError

SUFFIX = ".keras"
CONFIG, METADATA, WEIGHTS = "config.json", "metadata.json", "model.weights.h5"
MEMBERS = (METADATA, CONFIG, WEIGHTS)
_ORIGINAL = "Use an original copy of the file."


def pack(members: dict) -> bytes:
    """A `.keras` archive of `members` (name -> bytes), in Keras's member order."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in MEMBERS:
            info = zipfile.ZipInfo(name, date_time=datetime.now().timetuple()[:6])
            info.external_attr = 0o644 << 16
            archive.writestr(info, members[name])
    return buffer.getvalue()


def metadata_bytes(keras_version: str, engine_version: str) -> bytes:
    return json_bytes({"keras_version": keras_version,
                       "date_saved": datetime.now().strftime("%Y-%m-%d@%H:%M:%S"),
                       "written_by": f"LayerCraft {engine_version}"})


def unpack(path: str) -> dict:
    """`{member: bytes}` of the `.keras` archive at `path`, after every check.

    Raises:
        CheckpointError: for a missing, foreign, truncated, oversized or unexpected file.
    """
    try:
        with open(path, "rb") as stream:
            return _unpack_stream(path, stream)
    except FileNotFoundError:
        raise CheckpointError(f"The Keras file '{path}' does not exist. Check the path.") from None
    except IsADirectoryError:
        raise CheckpointError(f"'{path}' is a folder, not a Keras file.") from None
    except OSError as exc:
        raise CheckpointError(f"Could not read the Keras file '{path}': "
                              f"{exc.strerror or exc}.") from None


def _unpack_stream(path, stream) -> dict:
    try:
        archive = zipfile.ZipFile(stream)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError,
            struct.error, NotImplementedError):
        raise CheckpointError(f"'{path}' is truncated or not a Keras file (not a zip archive). "
                              "Choose a file saved by Keras 3's model.save().") from None
    with archive:
        infos = _checked_infos(path, archive)
        return {name: _read(path, archive, info) for name, info in infos.items()}


def _checked_infos(path, archive) -> dict:
    infos = {}
    for info in archive.infolist():
        name = info.filename
        if name.endswith("/") and info.file_size == 0:
            continue  # a folder entry holds nothing
        if name not in MEMBERS:
            raise CheckpointError(_unexpected(path, name))
        if name in infos:
            raise CheckpointError(f"'{path}' contains {name!r} twice. {_ORIGINAL}")
        _check_info(path, info)
        infos[name] = info
    missing = [name for name in (CONFIG, WEIGHTS) if name not in infos]
    if missing:
        raise CheckpointError(f"'{path}' is not a complete Keras 3 file: it has no "
                              f"{' or '.join(missing)}. Save the model with Keras 3's "
                              "model.save('model.keras').")
    return infos


def _unexpected(path, name) -> str:
    if name.startswith("assets/"):
        return (f"'{path}' holds layer assets ({name!r}), which only Keras layers LayerCraft "
                "does not have (such as StringLookup) write. Remove those layers in Keras "
                "and save again.")
    if name.startswith("model.weights"):
        return (f"'{path}' keeps its weights as {name!r}; LayerCraft reads Keras's default, "
                "model.weights.h5. Save the model again with model.save('model.keras').")
    return (f"'{path}' contains {name!r}, which Keras 3 does not write into a .keras file. "
            f"Files with unexpected content are refused. {_ORIGINAL}")


def _check_info(path, info) -> None:
    limit = MAX_JSON_BYTES if info.filename.endswith(".json") else MAX_MEMBER_BYTES
    check_member(path, info, limit, _ORIGINAL)


def _read(path, archive, info) -> bytes:
    return read_member(path, archive, info, f"'{path}'", _ORIGINAL)


def read_json(path: str, members: dict, name: str):
    """A JSON member as data; a CheckpointError naming it when it is not JSON."""
    return parse_json(path, name, members[name])


def has_suffix(path) -> bool:
    return os.fspath(path).lower().endswith(SUFFIX)
