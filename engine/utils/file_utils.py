"""`get_file`: Keras's download-once helper over the engine's download code.

A download goes to `<file>.part` and is renamed into place only when complete (and, with a
`file_hash`, checked), so a cut or tampered transfer is never read as the file.
"""

import hashlib
import os
import tarfile
import urllib.parse
import zipfile
from pathlib import Path

from ..datasets import download
from ..errors import DataError, SpecError

SCHEMES = ("https", "http", "ftp", "file")
#: The most bytes one download may bring (a server sending more is cut off, never filling
#: the disk); Keras sets no limit, so this only stops a runaway transfer.
MAX_DOWNLOAD_BYTES = 64 * 2**30
ARCHIVE_FORMATS = ("tar", "zip")


def get_file(fname=None, origin=None, untar=False, md5_hash=None, file_hash=None,
             cache_subdir="datasets", hash_algorithm="auto", extract=False,
             archive_format="auto", cache_dir=None, force_download=False):
    """Downloads a file from a URL if it is not already in the cache.

    The file goes to the engine's cache: `~/.cache/layercraft/datasets` (or
    `$LAYERCRAFT_DATA_DIR`) for the default `cache_subdir="datasets"`, a subfolder of it for
    another `cache_subdir`, or `<cache_dir>/<cache_subdir>` when `cache_dir` is given.

    Args:
        fname: The local file name (no folders); defaults to the last part of `origin`.
            With `extract`, a name without extension names the extraction folder.
        origin: The URL of the file (`https://`, `http://`, `ftp://` or `file://`).
        untar: Deprecated in favor of `extract`: extract a tar archive.
        md5_hash: Deprecated in favor of `file_hash`: the file's MD5.
        file_hash: The expected SHA-256 (64 hex digits) or MD5 (32) of the file; a cached
            file that does not match is downloaded again, a download that does not match is
            deleted and refused.
        cache_subdir: The subfolder of the cache (an absolute path is used as it is).
        hash_algorithm: `"auto"` (told by the hash's length), `"sha256"` or `"md5"`.
        extract: Whether to extract the archive (tar, tar.gz, tar.bz2 or zip).
        archive_format: `"auto"` (tar, then zip), `"tar"`, `"zip"`, a list of those, or
            `None`.
        cache_dir: The cache folder instead of the engine's.
        force_download: Download again even when the file is cached.

    Returns:
        The path of the downloaded file, or of the extraction folder with `extract`.

    Raises:
        SpecError: for a missing or unsupported `origin`, a bad `fname` or argument.
        DataError: offline, a server error, a hash that does not match, or a damaged archive.
    """
    if origin is None:
        raise SpecError('Please specify the "origin" argument (URL of the file to download).')
    _check_origin(origin)
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    algorithm = _algorithm(hash_algorithm, file_hash)
    folder = _cache_folder(cache_dir, cache_subdir)
    target, extraction_dir = _targets(folder, fname, origin, extract or untar)
    if force_download or not target.exists() or not _matches(target, file_hash, algorithm):
        _download(origin, target, file_hash, algorithm)
    if extract or untar:
        _extract(target, extraction_dir, "tar" if untar else archive_format)
        return str(extraction_dir)
    return str(target)


def _check_origin(origin):
    scheme = urllib.parse.urlsplit(str(origin)).scheme.lower()
    if scheme not in SCHEMES:
        raise SpecError(f"`origin` must be a URL starting with {', '.join(SCHEMES)}://. "
                        f"Received: origin={origin!r}")


def _algorithm(hash_algorithm, file_hash) -> str:
    if hash_algorithm not in ("auto", "sha256", "md5"):
        raise SpecError(f"`hash_algorithm` must be 'auto', 'sha256' or 'md5'. Received: "
                        f"hash_algorithm={hash_algorithm!r}")
    if hash_algorithm != "auto":
        return hash_algorithm
    # Keras's rule: a 64-digit hash is SHA-256, anything else MD5.
    return "sha256" if file_hash is not None and len(file_hash) == 64 else "md5"


def _cache_folder(cache_dir, cache_subdir) -> Path:
    if cache_dir is not None:
        return Path(cache_dir).expanduser() / cache_subdir
    root = download.cache_dir()
    return root if cache_subdir == "datasets" else root / cache_subdir


def _targets(folder: Path, fname, origin, extracting) -> tuple[Path, Path | None]:
    """Keras's names: the download target and, when extracting, the extraction folder."""
    provided = fname is not None and str(fname) != ""
    name = os.fspath(fname) if provided else os.path.basename(urllib.parse.urlsplit(origin).path)
    if not provided and (not name or name in (os.curdir, os.pardir)):
        raise SpecError(f"Can't parse the file name from the origin provided: '{origin}'. "
                        "Please specify the `fname` argument.")
    if provided and (os.sep in name or (os.altsep and os.altsep in name)
                     or name in (os.curdir, os.pardir)):
        raise SpecError("Paths are no longer accepted as the `fname` argument. To specify the "
                        f"file's parent directory, use the `cache_dir` argument. Received: "
                        f"fname={fname}")
    if not extracting:
        return folder / name, None
    if provided and "." in name:
        return folder / name, folder / f"{name[:name.find('.')]}_extracted"
    return folder / f"{name}_archive", folder / name


def _hash_of(path: Path, algorithm: str) -> str:
    if algorithm == "sha256":
        return download.sha256_of(path)
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        while block := f.read(download.CHUNK_BYTES):
            digest.update(block)
    return digest.hexdigest()


def _matches(path: Path, file_hash, algorithm) -> bool:
    """Whether a cached file may be used: always without a hash, else when it matches."""
    if file_hash is None or _hash_of(path, algorithm) == str(file_hash):
        return True
    print(f"A local file was found, but it seems to be incomplete or outdated because the "
          f"{algorithm} file hash does not match the original value of {file_hash} so we will "
          "re-download the data.")
    return False


def _download(origin, target: Path, file_hash, algorithm) -> None:
    print(f"Downloading data from {origin}")
    sha256 = str(file_hash) if file_hash is not None and algorithm == "sha256" else None
    remote = download.RemoteFile(target.name, str(origin), sha256, MAX_DOWNLOAD_BYTES)
    if target.exists():
        target.unlink()
    download.fetch_remote(remote, target)
    if file_hash is not None and algorithm == "md5" and _hash_of(target, "md5") != file_hash:
        target.unlink()
        raise DataError(f"Incomplete or corrupted file detected: the md5 file hash of the file "
                        f"downloaded from {origin} does not match the provided value of "
                        f"{file_hash}, so it was deleted. Fix: try again, or check file_hash.")


def _extract(archive: Path, folder: Path, archive_format) -> None:
    """Extracts a tar or zip archive into `folder`, refusing members that would land outside
    it (absolute paths, `..`, links out), as Keras's safe extraction does."""
    formats = _formats(archive_format)
    if "tar" in formats and tarfile.is_tarfile(archive):
        with tarfile.open(archive) as tar:
            _guarded(archive, folder, lambda: tar.extractall(folder, filter="data"))
        return
    if "zip" in formats and zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as zipped:
            _check_zip_members(zipped, folder, archive)
            _guarded(archive, folder, lambda: zipped.extractall(folder))
        return
    raise DataError(f"Could not extract {archive}: it is not a {' or '.join(formats)} archive. "
                    "Fix: pass extract=False to keep the file as it is, or the right "
                    "archive_format.")


def _formats(archive_format) -> tuple:
    if archive_format is None:
        return ()
    formats = ARCHIVE_FORMATS if archive_format == "auto" else (
        (archive_format,) if isinstance(archive_format, str) else tuple(archive_format))
    unknown = [f for f in formats if f not in ARCHIVE_FORMATS]
    if unknown:
        raise SpecError(f"`archive_format` must be 'auto', 'tar', 'zip', a list of those, or "
                        f"None. Received: archive_format={archive_format!r}")
    return formats


def _check_zip_members(zipped, folder: Path, archive) -> None:
    root = folder.resolve()
    for name in zipped.namelist():
        if not (root / name).resolve().is_relative_to(root):
            raise DataError(f"{archive} holds a member that would be written outside the "
                            f"extraction folder ({name!r}), so it was not extracted.")


def _guarded(archive, folder, extract) -> None:
    try:
        extract()
    except (tarfile.TarError, zipfile.BadZipFile, OSError, EOFError) as exc:
        raise DataError(f"Could not extract {archive} into {folder} ({exc}). The archive is "
                        "damaged, or holds unsafe paths. Fix: delete it and download it again "
                        "(force_download=True).") from None
