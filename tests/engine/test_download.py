"""Downloads, served by a local HTTP server on 127.0.0.1 with small files in the real formats.

No test touches the internet: every URL in the download table is replaced by a local one.
"""

import gzip
import hashlib
import io
import socket
import struct
import tarfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from engine import datasets
from engine.datasets import cifar10, download
from engine.errors import DataError


class Server:
    """Serves `files` (path -> bytes), honouring Range requests, and records requests."""

    def __init__(self):
        self.files, self.requests, self.ignore_range = {}, [], False
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - the http.server API
                server.requests.append((self.path, self.headers.get("Range")))
                body = server.files.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                start = _range_start(self.headers.get("Range"))
                if start and not server.ignore_range:
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
                    body = body[start:]
                else:
                    self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.01,),
                                       daemon=True)

    def url(self, path):
        return f"http://127.0.0.1:{self.httpd.server_port}{path}"


def _range_start(header):
    return int(header.split("=")[1].split("-")[0]) if header else 0


@pytest.fixture
def server():
    s = Server()
    s.thread.start()
    yield s
    s.httpd.shutdown()
    s.httpd.server_close()


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv(download.ENV_VAR, str(tmp_path / "cache"))
    return tmp_path / "cache"


def publish(server, monkeypatch, key, content, sha256=None):
    """Serves `content` for table entry `key` and points the table at the local server."""
    path = "/" + key
    server.files[path] = content
    digest = sha256 or hashlib.sha256(content).hexdigest()
    monkeypatch.setitem(download.FILES, key,
                        download.RemoteFile(key, server.url(path), digest, len(content)))


def mnist_npz(rng):
    arrays = {"x_train": rng.integers(0, 256, (6, 28, 28), dtype=np.uint8),
              "y_train": rng.integers(0, 10, 6, dtype=np.uint8),
              "x_test": rng.integers(0, 256, (3, 28, 28), dtype=np.uint8),
              "y_test": rng.integers(0, 10, 3, dtype=np.uint8)}
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue(), arrays


def test_that_mnist_lands_in_the_cache_with_progress_reports(server, cache, monkeypatch, rng):
    content, arrays = mnist_npz(rng)
    publish(server, monkeypatch, "mnist.npz", content)
    reports = []
    (x_train, y_train), (x_test, y_test) = datasets.mnist.load_data(
        progress=lambda done, total: reports.append((done, total)))
    for name, array in (("x_train", x_train), ("y_train", y_train), ("x_test", x_test),
                        ("y_test", y_test)):
        np.testing.assert_array_equal(array, arrays[name])
    assert (cache / "mnist.npz").read_bytes() == content
    assert not (cache / "mnist.npz.part").exists()
    assert reports[-1] == (len(content), len(content))
    assert [d for d, _ in reports] == sorted(d for d, _ in reports)
    datasets.load("mnist")  # a second load reads the cache
    assert len(server.requests) == 1
    assert datasets.is_available_offline("mnist")


def idx(array):
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(
        f">{array.ndim}I", *array.shape)
    return gzip.compress(header + array.tobytes())


def test_that_fashion_mnist_reads_its_four_idx_files(server, cache, monkeypatch, rng):
    parts = {"train-images-idx3-ubyte.gz": rng.integers(0, 256, (4, 28, 28), dtype=np.uint8),
             "train-labels-idx1-ubyte.gz": np.array([0, 9, 3, 3], np.uint8),
             "t10k-images-idx3-ubyte.gz": rng.integers(0, 256, (2, 28, 28), dtype=np.uint8),
             "t10k-labels-idx1-ubyte.gz": np.array([1, 2], np.uint8)}
    for name, array in parts.items():
        publish(server, monkeypatch, "fashion-mnist/" + name, idx(array))
    reports = []
    (x_train, y_train), (x_test, y_test) = datasets.fashion_mnist.load_data(
        progress=lambda done, total: reports.append((done, total)))
    np.testing.assert_array_equal(x_train, parts["train-images-idx3-ubyte.gz"])
    np.testing.assert_array_equal(x_test, parts["t10k-images-idx3-ubyte.gz"])
    np.testing.assert_array_equal(y_train, [0, 9, 3, 3])
    np.testing.assert_array_equal(y_test, [1, 2])
    total = sum(len(f) for f in server.files.values())
    assert reports[-1] == (total, total) and {t for _, t in reports} == {total}
    assert (cache / "fashion-mnist" / "t10k-labels-idx1-ubyte.gz").is_file()


def cifar_archive(records_per_batch=2, extra_members=()):
    """A small cifar-10-binary.tar.gz: image i of each batch has R=i, G=100+i, B=200+i."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name in (*cifar10.TRAIN_MEMBERS, cifar10.TEST_MEMBER):
            records = b"".join(
                bytes([i % 10]) + bytes([i]) * 1024 + bytes([100 + i]) * 1024
                + bytes([200 + i]) * 1024 for i in range(records_per_batch))
            info = tarfile.TarInfo("cifar-10-batches-bin/" + name)
            info.size = len(records)
            tar.addfile(info, io.BytesIO(records))
        for info in extra_members:
            tar.addfile(info)
    return buffer.getvalue()


def test_that_cifar10_is_parsed_from_the_binary_archive(server, cache, monkeypatch):
    publish(server, monkeypatch, "cifar-10-binary.tar.gz", cifar_archive(records_per_batch=3))
    (x_train, y_train), (x_test, y_test) = datasets.cifar10.load_data()
    assert x_train.shape == (15, 32, 32, 3) and x_test.shape == (3, 32, 32, 3)
    assert y_train.shape == (15, 1) and y_train.dtype == np.uint8
    np.testing.assert_array_equal(x_test[2, 5, 7], [2, 102, 202])  # channels last
    np.testing.assert_array_equal(y_test[:, 0], [0, 1, 2])


def test_that_a_cifar_archive_with_a_link_in_place_of_a_batch_is_refused(tmp_path):
    link = tarfile.TarInfo("cifar-10-batches-bin/evil")
    link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
    path = tmp_path / "c.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        tar.addfile(link)
        renamed = tarfile.TarInfo("../../test_batch.bin")
        renamed.type, renamed.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tar.addfile(renamed)
    with pytest.raises(DataError, match="lacks data_batch_1.bin"):
        cifar10.read_archive(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.tar.gz"]  # nothing extracted


def test_that_a_wrong_checksum_is_refused_and_the_file_deleted(server, cache, monkeypatch, rng):
    content, _ = mnist_npz(rng)
    publish(server, monkeypatch, "mnist.npz", content, sha256="0" * 64)
    with pytest.raises(DataError, match=r"SHA-256 .* but 0{64} was expected, so it was deleted"):
        datasets.mnist.load_data()
    assert list(cache.iterdir()) == []


def test_that_a_damaged_cached_file_is_fetched_again(server, cache, monkeypatch, rng):
    content, _ = mnist_npz(rng)
    publish(server, monkeypatch, "mnist.npz", content)
    cache.mkdir()
    (cache / "mnist.npz").write_bytes(b"garbage")
    datasets.mnist.load_data()
    assert (cache / "mnist.npz").read_bytes() == content


def closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_that_an_offline_attempt_says_where_to_put_the_file(cache, monkeypatch):
    url = f"http://127.0.0.1:{closed_port()}/mnist.npz"
    monkeypatch.setitem(download.FILES, "mnist.npz",
                        download.RemoteFile("mnist.npz", url, "a" * 64, 100))
    with pytest.raises(DataError) as info:
        datasets.load("mnist")
    message = str(info.value)
    assert "offline" in message and url in message
    assert f"copy the file to {cache / 'mnist.npz'} (exactly this path" in message


def test_that_an_http_error_is_reported(server, cache, monkeypatch):
    monkeypatch.setitem(download.FILES, "mnist.npz",
                        download.RemoteFile("mnist.npz", server.url("/gone"), "a" * 64, 1))
    with pytest.raises(DataError, match="HTTP 404"):
        datasets.mnist.load_data()


@pytest.mark.parametrize("ignore_range", [False, True])
def test_that_a_cut_download_resumes_from_its_part_file(server, cache, monkeypatch, rng,
                                                        ignore_range):
    content, arrays = mnist_npz(rng)
    publish(server, monkeypatch, "mnist.npz", content)
    server.ignore_range = ignore_range
    cache.mkdir()
    (cache / "mnist.npz.part").write_bytes(content[:1000])
    (x_train, _), _ = datasets.mnist.load_data()
    np.testing.assert_array_equal(x_train, arrays["x_train"])
    assert server.requests == [("/mnist.npz", "bytes=1000-")]
    assert (cache / "mnist.npz").read_bytes() == content


def test_that_a_cancelled_download_keeps_its_part_file(server, cache, monkeypatch, rng):
    content, _ = mnist_npz(rng)
    publish(server, monkeypatch, "mnist.npz", content)
    stop = threading.Event()
    stop.set()
    with pytest.raises(DataError, match="cancelled"):
        datasets.mnist.load_data(cancel=stop)
    assert (cache / "mnist.npz.part").is_file() and not (cache / "mnist.npz").exists()


def test_that_the_cache_folder_defaults_to_the_user_cache(monkeypatch, tmp_path):
    monkeypatch.delenv(download.ENV_VAR, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert download.cache_dir() == tmp_path / ".cache" / "layercraft" / "datasets"
    monkeypatch.setenv(download.ENV_VAR, str(tmp_path / "elsewhere"))
    assert download.local_path("mnist.npz") == tmp_path / "elsewhere" / "mnist.npz"


def test_that_the_real_table_uses_https_and_full_sha256_sums():
    for remote in download.FILES.values():
        assert remote.url.startswith("https://") and len(remote.sha256) == 64
    assert download.FILES["mnist.npz"].sha256.startswith("731c5ac6")
    assert "python" not in download.FILES["cifar-10-binary.tar.gz"].url  # never the pickles
