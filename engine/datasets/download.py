"""Downloads into the user's cache, checked against known SHA-256 sums.

Files go to `~/.cache/layercraft/datasets` (or `$LAYERCRAFT_DATA_DIR`). A download is
written to `<file>.part` beside its target, resumed from there with an HTTP Range request
when a previous attempt was cut off, checked, and only then renamed into place
(`os.replace`), so a half-written or tampered file is never read as data. A file whose sum
does not match is deleted.
"""

import hashlib
import http.client
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from ..errors import DataError, describe_choices

ENV_VAR = "LAYERCRAFT_DATA_DIR"
CHUNK_BYTES = 1 << 20
KERAS_BASE = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"


@dataclass(frozen=True)
class RemoteFile:
    """One file to fetch: where it goes in the cache, where it comes from, its SHA-256."""

    path: str
    url: str
    sha256: str | None  # None: not checked (engine.utils.get_file without a hash)
    size: int


def _fashion(name, sha256, size):
    return RemoteFile(f"fashion-mnist/{name}", KERAS_BASE + name, sha256, size)


#: Every known file by its path in the cache. Sums as published by Keras (MNIST,
#: Fashion-MNIST) and TensorFlow Datasets (the CIFAR-10 binary version; LayerCraft reads
#: the binary archive, never the pickled "python version" Keras uses).
FILES = {f.path: f for f in (
    RemoteFile("mnist.npz", KERAS_BASE + "mnist.npz",
               "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1", 11490434),
    _fashion("train-labels-idx1-ubyte.gz",
             "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845", 29515),
    _fashion("train-images-idx3-ubyte.gz",
             "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84", 26421880),
    _fashion("t10k-labels-idx1-ubyte.gz",
             "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5", 5148),
    _fashion("t10k-images-idx3-ubyte.gz",
             "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073", 4422102),
    RemoteFile("cifar-10-binary.tar.gz", "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz",
               "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd", 170052171),
)}

#: The files each downloadable data set needs.
DATASET_FILES = {
    "mnist": ("mnist.npz",),
    "fashion_mnist": tuple(p for p in FILES if p.startswith("fashion-mnist/")),
    "cifar10": ("cifar-10-binary.tar.gz",),
}


def cache_dir() -> Path:
    """`$LAYERCRAFT_DATA_DIR`, else `~/.cache/layercraft/datasets`."""
    override = os.environ.get(ENV_VAR)
    if override:
        return Path(override).expanduser()
    return Path.home() / ".cache" / "layercraft" / "datasets"


def local_path(key: str) -> Path:
    """Where the file `key` (a key of `FILES`) lives once downloaded."""
    return cache_dir() / FILES[key].path


def is_cached(name: str) -> bool:
    """Whether every file of data set `name` is in the cache (sums are checked on load)."""
    return all(local_path(key).is_file() for key in DATASET_FILES[name])


def fetch_dataset(name: str, progress=None, cancel=None) -> list[Path]:
    """Fetches every file of data set `name`; `progress(done, total)` counts all of them."""
    if name not in DATASET_FILES:
        raise DataError(f"No download for {name!r}. Downloadable sets: "
                        f"{describe_choices(DATASET_FILES)}.")
    keys = DATASET_FILES[name]
    total = sum(FILES[k].size for k in keys)
    paths, offset = [], 0
    for key in keys:
        report = None if progress is None else _shifted(progress, offset, total)
        paths.append(fetch(key, progress=report, cancel=cancel))
        offset += FILES[key].size
    return paths


def _shifted(progress, offset, total):
    return lambda done, _size: progress(offset + done, total)


def fetch(key: str, progress=None, cancel=None, timeout=30.0) -> Path:
    """Returns the checked local copy of `FILES[key]`, downloading it when needed.

    Args:
        key: A key of `FILES`, e.g. `"mnist.npz"`.
        progress: Optional `progress(bytes_done, bytes_total)`, called as data arrives.
        cancel: Optional object with `is_set()` (a `threading.Event`); when set, the
            download stops after the current chunk, keeping the `.part` file to resume.
        timeout: Seconds to wait for the server on each read.

    Raises:
        DataError: offline or refused (saying where to put the file by hand), a wrong
            checksum (the file is deleted), or a cache folder that cannot be written.
    """
    if key not in FILES:
        raise DataError(f"Unknown file {key!r}. Known files: {describe_choices(FILES)}.")
    remote = FILES[key]
    target = local_path(key)
    if target.is_file():
        if sha256_of(target) == remote.sha256:
            if progress is not None:
                progress(remote.size, remote.size)
            return target
        target.unlink()  # damaged or not the expected file: fetch it again
    return fetch_remote(remote, target, progress, cancel, timeout)


def fetch_remote(remote: RemoteFile, target: Path, progress=None, cancel=None,
                 timeout=30.0) -> Path:
    """Downloads `remote.url` to `target` through `<target>.part` (resumed when a previous
    attempt was cut off), checks it against `remote.sha256` when that is set, and only then
    renames it into place; `remote.size` is the most bytes accepted.

    Used by `fetch` for the known files and by `engine.utils.get_file` for any URL; the
    arguments and errors are `fetch`'s.
    """
    part = target.with_name(target.name + ".part")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        _download(remote, part, progress, cancel, timeout)
    except urllib.error.HTTPError as exc:
        raise DataError(
            f"The server answered HTTP {exc.code} ({exc.reason}) for {remote.url}. Fix: try "
            f"again later, or download the file by hand and copy it to {target}.") from None
    except (urllib.error.URLError, http.client.HTTPException, ConnectionError,
            TimeoutError) as exc:
        raise DataError(_offline_message(remote, target, exc)) from None
    except OSError as exc:
        raise DataError(f"Cannot write {part} ({exc.strerror or exc}). Fix: free some disk "
                        f"space, or set {ENV_VAR} to a folder you can write to.") from None
    if remote.sha256:
        _verify(remote, part, target)
    os.replace(part, target)
    return target


def _download(remote, part, progress, cancel, timeout):
    done = part.stat().st_size if part.is_file() else 0
    headers = {"User-Agent": "LayerCraft"}
    if done:
        headers["Range"] = f"bytes={done}-"
    request = urllib.request.Request(remote.url, headers=headers)
    try:
        response = urllib.request.urlopen(request, timeout=timeout)  # noqa: S310 - https URLs
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and done:  # nothing left to send: the .part is complete
            return
        raise
    with response:
        if done and response.status != 206:  # the server ignored the range: start over
            done = 0
        length = response.headers.get("Content-Length")
        total = done + int(length) if length else remote.size
        with open(part, "ab" if done else "wb") as out:
            _copy(response, out, done, total, progress, cancel, remote)


def _copy(response, out, done, total, progress, cancel, remote):
    if progress is not None:
        progress(done, total)
    while chunk := response.read(CHUNK_BYTES):
        if done + len(chunk) > remote.size:  # never let a server fill the disk
            raise DataError(f"{remote.url} sent more than the expected {remote.size:,} bytes, "
                            f"so it is not the expected file; the download was stopped. Fix: "
                            "try again later, or download the file by hand.")
        out.write(chunk)
        done += len(chunk)
        if progress is not None:
            progress(done, total)
        if cancel is not None and cancel.is_set():
            raise DataError(f"The download of {remote.url} was cancelled; what arrived is kept "
                            f"in {out.name} and the next attempt resumes from there.")


def _verify(remote, part, target):
    digest = sha256_of(part)
    if digest != remote.sha256:
        part.unlink()
        raise DataError(
            f"The file downloaded from {remote.url} has SHA-256 {digest}, but "
            f"{remote.sha256} was expected, so it was deleted (a damaged transfer, or not "
            f"the expected file). Fix: try again; if it keeps failing, download the file by "
            f"hand and copy it to {target}.")


def _offline_message(remote, target, exc) -> str:
    reason = getattr(exc, "reason", None) or exc
    checked = f"; LayerCraft checks that its SHA-256 is {remote.sha256}" if remote.sha256 else ""
    return (f"Could not download {remote.url} ({reason}). This computer seems to be offline, "
            f"or the server cannot be reached. Fix: connect to the internet and try again, or "
            f"download {remote.url} on another computer and copy the file to {target} "
            f"(exactly this path{checked}).")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(CHUNK_BYTES):
            digest.update(block)
    return digest.hexdigest()
