"""The checkpoint container: a zip with a manifest of SHA-256 hashes, written atomically.

This module knows bytes, not models: `pack` turns `{member: bytes}` into an archive,
`unpack` checks an archive from outside in (zip structure, member names, declared sizes,
compression ratio, manifest format and version, sizes and hashes) before returning its
members, and `write_bytes_atomically` puts a file in place so that a crash never leaves a
half-written file under the real name. Every failure is a `CheckpointError` that names the
file, says what is wrong and what to do.
"""

from datetime import datetime, timezone
import hashlib
import io
import json
import os
import struct
import zipfile
import zlib

from ..atomic_write import write_bytes_atomically  # noqa: F401 - part of this module's API
from ..errors import CheckpointError

FORMAT = "layercraft.checkpoint"
VERSION = 1
MANIFEST = "manifest.json"
#: Every member a checkpoint may hold; anything else makes the file refused.
MEMBERS = ("model.json", "weights.safetensors", "optimizer.safetensors", "training.json",
           "history.json")
REQUIRED = ("model.json", "weights.safetensors")
KINDS = ("model", "weights")

MAX_MEMBER_BYTES = 2 * 1024 ** 3  # each member, uncompressed
MAX_JSON_BYTES = 256 * 1024 ** 2
MAX_MANIFEST_BYTES = 1024 ** 2
MAX_RATIO = 200  # uncompressed / compressed, beyond the first MiB: a zip bomb otherwise
_RATIO_FLOOR = 1024 ** 2
_KERAS_MEMBERS = {"metadata.json", "config.json", "model.weights.h5", "model.weights.npz"}

_USE_ANOTHER = "Use an original copy or an earlier checkpoint."


def json_bytes(value) -> bytes:
    """`value` as UTF-8 JSON (NaN and infinities allowed: a diverged loss is history too)."""
    return json.dumps(value, indent=1, sort_keys=False).encode("utf-8")


# ----- writing --------------------------------------------------------------------------------
def pack(members: dict, kind: str, engine_version: str) -> bytes:
    """A checkpoint archive holding `members` (name -> bytes) and their manifest."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}; received {kind!r}")
    manifest = {
        "format": FORMAT, "version": VERSION, "engine_version": engine_version, "kind": kind,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "members": {name: {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
                    for name, data in members.items()},
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(_info(MANIFEST, zipfile.ZIP_DEFLATED), json_bytes(manifest))
        for name, data in members.items():
            if name not in MEMBERS:
                raise ValueError(f"{name!r} is not a checkpoint member")
            # Weights barely compress; storing them keeps saving fast.
            method = zipfile.ZIP_STORED if name.endswith(".safetensors") else zipfile.ZIP_DEFLATED
            archive.writestr(_info(name, method), data)
    return buffer.getvalue()


def _info(name: str, method: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=datetime.now().timetuple()[:6])
    info.compress_type = method
    info.external_attr = 0o644 << 16
    return info


# ----- reading --------------------------------------------------------------------------------
def is_layercraft(path) -> bool:
    """Whether `path` is a zip holding a LayerCraft manifest (a checkpoint saved under a
    `.keras` name where h5py was missing); False for anything else, unreadable included."""
    try:
        with zipfile.ZipFile(path) as archive:
            return MANIFEST in archive.namelist()
    except (OSError, zipfile.BadZipFile, ValueError):
        return False


def unpack(path) -> tuple[dict, dict]:
    """Reads and verifies the archive at `path`.

    Returns:
        `(manifest, members)`: the manifest dict and `{name: bytes}` of the verified members.

    Raises:
        CheckpointError: for a missing, foreign, truncated, corrupted, tampered, oversized or
            newer-format file, saying which and what to do.
    """
    path = os.fspath(path)
    with _open_file(path) as stream:
        try:
            archive = zipfile.ZipFile(stream)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError,
                struct.error, NotImplementedError):  # e.g. a "version needed" of 20.0
            raise CheckpointError(
                f"The checkpoint '{path}' is truncated or not a LayerCraft file (not a zip "
                "archive). Choose another file; if it is a copy, copy it again.") from None
        with archive:
            infos = _checked_infos(path, archive)
            manifest = _read_manifest(path, archive, infos.pop(MANIFEST))
            members = {name: _read_member(path, archive, info, manifest)
                       for name, info in infos.items()}
    return manifest, members


def _open_file(path: str):
    try:
        return open(path, "rb")
    except FileNotFoundError:
        raise CheckpointError(f"The checkpoint '{path}' does not exist. Check the path.") from None
    except IsADirectoryError:
        raise CheckpointError(f"'{path}' is a folder, not a checkpoint file. Choose a .lcm or "
                              ".weights.lcw file.") from None
    except OSError as exc:
        raise CheckpointError(f"Could not read the checkpoint '{path}': "
                              f"{exc.strerror or exc}.") from None


def _checked_infos(path: str, archive: zipfile.ZipFile) -> dict:
    """Member infos by name, after checking names, flags, methods and sizes."""
    infos = archive.infolist()
    names = [info.filename for info in infos]
    if MANIFEST not in names:
        raise CheckpointError(_foreign_message(path, names))
    infos_by_name = {}
    for info in infos:
        name = info.filename
        if name != MANIFEST and name not in MEMBERS:
            raise CheckpointError(
                f"The checkpoint '{path}' contains {name!r}, which is not part of a LayerCraft "
                "checkpoint. Files with unexpected content are refused, since they may have "
                f"been tampered with. {_USE_ANOTHER}")
        if name in infos_by_name:
            raise CheckpointError(f"The checkpoint '{path}' contains {name!r} twice, so it was "
                                  f"not written by LayerCraft. {_USE_ANOTHER}")
        _check_info(path, info)
        infos_by_name[name] = info
    missing = [name for name in REQUIRED if name not in infos_by_name]
    if missing:
        raise CheckpointError(f"The checkpoint '{path}' is incomplete: it has no "
                              f"{', '.join(missing)}. {_USE_ANOTHER}")
    return infos_by_name


def _foreign_message(path: str, names: list) -> str:
    if _KERAS_MEMBERS & set(names):
        return (f"'{path}' is a Keras archive, not a LayerCraft checkpoint. Open it with "
                "load_model() under a name ending in .keras (LayerCraft reads Keras 3 files), "
                "or choose a .lcm file.")
    return (f"'{path}' is a zip archive but not a LayerCraft checkpoint (it has no "
            f"{MANIFEST}). Choose a file saved by LayerCraft (.lcm or .weights.lcw).")


def _check_info(path: str, info: zipfile.ZipInfo) -> None:
    name = info.filename
    limit = MAX_MANIFEST_BYTES if name == MANIFEST else (
        MAX_JSON_BYTES if name.endswith(".json") else MAX_MEMBER_BYTES)
    check_member(path, info, limit, _USE_ANOTHER)


def check_member(path: str, info: zipfile.ZipInfo, limit: int, remedy: str) -> None:
    """Refuses an encrypted member, one of a compression we do not write, one declaring more
    than `limit` bytes, or a decompression bomb; every message ends with `remedy`. Shared by
    the checkpoint reader and the `.keras` reader."""
    name = info.filename
    if info.flag_bits & 0x1:
        raise CheckpointError(f"The member {name!r} of '{path}' is encrypted; LayerCraft never "
                              f"writes or reads encrypted files. {remedy}")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise CheckpointError(f"The member {name!r} of '{path}' uses a compression LayerCraft "
                              f"does not read (method {info.compress_type}). {remedy}")
    if info.file_size > limit:
        raise CheckpointError(f"The member {name!r} of '{path}' declares {info.file_size} "
                              f"bytes, over the limit of {limit}. {remedy}")
    if info.file_size > _RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
        raise CheckpointError(
            f"The member {name!r} of '{path}' would expand {info.compress_size} bytes into "
            f"{info.file_size} (a decompression bomb). The file is refused. {remedy}")


def _read_bytes(path: str, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    return read_member(path, archive, info, f"The checkpoint '{path}'", _USE_ANOTHER)


def read_member(path: str, archive: zipfile.ZipFile, info: zipfile.ZipInfo, what: str,
                remedy: str) -> bytes:
    """The bytes of a checked member; a CheckpointError saying `what` ("The checkpoint
    'x.lcm'") is damaged when the member cannot be read or has another size."""
    try:
        with archive.open(info) as stream:
            data = stream.read(info.file_size + 1)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, struct.error,
            NotImplementedError) as exc:
        raise CheckpointError(
            f"{what} is damaged: its member {info.filename!r} cannot be read ({exc}). The "
            f"file was truncated or corrupted after it was saved. {remedy}") from None
    if len(data) != info.file_size:
        raise CheckpointError(f"{what} is damaged: member {info.filename!r} does not have "
                              f"its declared size. {remedy}")
    return data


def parse_json(path: str, name: str, data: bytes):
    """JSON from a member's bytes, or a CheckpointError naming the member."""
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise CheckpointError(f"The member {name!r} of '{path}' is not valid JSON ({exc}). "
                              f"{_USE_ANOTHER}") from None


def _read_manifest(path: str, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> dict:
    manifest = parse_json(path, MANIFEST, _read_bytes(path, archive, info))
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise CheckpointError(f"'{path}' is not a LayerCraft checkpoint (its manifest has "
                              "another format). Choose a file saved by LayerCraft.")
    version = manifest.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise CheckpointError(f"The checkpoint '{path}' has an invalid format version "
                              f"{version!r}. {_USE_ANOTHER}")
    if version > VERSION:
        raise CheckpointError(
            f"The checkpoint '{path}' was written by a newer LayerCraft "
            f"({manifest.get('engine_version', 'unknown version')}, checkpoint format version "
            f"{version}); this LayerCraft reads format version {VERSION}. Update LayerCraft to "
            "open it.")
    _check_manifest_fields(path, manifest, set(archive.namelist()) - {MANIFEST})
    return manifest


def _check_manifest_fields(path: str, manifest: dict, present: set) -> None:
    if manifest.get("kind") not in KINDS:
        raise CheckpointError(f"The checkpoint '{path}' has an unknown kind "
                              f"{manifest.get('kind')!r} (expected model or weights). "
                              f"{_USE_ANOTHER}")
    listed = manifest.get("members")
    if not isinstance(listed, dict) or set(listed) != present or not all(
            isinstance(v, dict) and isinstance(v.get("sha256"), str)
            and isinstance(v.get("size"), int) for v in listed.values()):
        raise CheckpointError(
            f"The checkpoint '{path}' was modified after it was saved: its manifest does not "
            f"list exactly the files it contains. {_USE_ANOTHER}")


def _read_member(path: str, archive, info: zipfile.ZipInfo, manifest: dict) -> bytes:
    expected = manifest["members"][info.filename]
    if expected["size"] != info.file_size:
        raise CheckpointError(
            f"The checkpoint '{path}' was modified after it was saved: {info.filename!r} has "
            f"{info.file_size} bytes, its manifest says {expected['size']}. {_USE_ANOTHER}")
    data = _read_bytes(path, archive, info)
    if hashlib.sha256(data).hexdigest() != expected["sha256"]:
        raise CheckpointError(
            f"The checkpoint '{path}' was modified after it was saved: the SHA-256 of "
            f"{info.filename!r} does not match its manifest, so it is refused. {_USE_ANOTHER}")
    return data
