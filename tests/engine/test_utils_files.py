"""`engine.utils`'s file helpers against Keras's documented behaviour:
`image_dataset_from_directory` (over `engine.data.from_image_folder`) and `get_file` (over
`engine.datasets.download`, with `file://` URLs: no test touches the network).
"""

import hashlib
import io
import tarfile
import urllib.error
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import engine as keras
from engine import layers, utils
from engine.datasets import download
from engine.errors import DataError, SpecError

# ----- image_dataset_from_directory ---------------------------------------------------------

@pytest.fixture
def pets(tmp_path):
    """`pets/cat/*.png` (6 images) and `pets/dog/*.png` (4), each a flat colour whose red
    value encodes its class (0 or 200) and green value its number."""
    for label, (name, count) in enumerate((("cat", 6), ("dog", 4))):
        (tmp_path / "pets" / name).mkdir(parents=True)
        for i in range(count):
            pixels = np.zeros((6, 8, 3), np.uint8)
            pixels[..., 0], pixels[..., 1] = 200 * label, i
            Image.fromarray(pixels).save(tmp_path / "pets" / name / f"{i}.png")
    return tmp_path / "pets"


def test_that_an_image_folder_becomes_batches_of_images_and_int_labels(pets, capsys):
    dataset = utils.image_dataset_from_directory(pets, image_size=(6, 8), batch_size=4,
                                                 shuffle=False)
    assert "Found 10 files belonging to 2 classes." in capsys.readouterr().out
    assert dataset.class_names == ["cat", "dog"]
    batches = list(dataset)
    assert [len(x) for x, _ in batches] == [4, 4, 2]
    images, labels = batches[0]
    assert images.shape == (4, 6, 8, 3) and images.dtype == np.float32
    assert labels.dtype == np.int32
    labels = np.concatenate([y for _, y in batches])
    assert labels.tolist() == [0] * 6 + [1] * 4
    red = np.concatenate([x[:, 0, 0, 0] for x, _ in batches])
    np.testing.assert_array_equal(red, labels * 200.0)  # each image keeps its label


@pytest.mark.parametrize("label_mode,shape,dtype", [
    ("categorical", (10, 2), np.float32), ("binary", (10, 1), np.float32)])
def test_that_label_modes_encode_as_keras_does(pets, label_mode, shape, dtype):
    (_, labels), = list(utils.image_dataset_from_directory(
        pets, label_mode=label_mode, image_size=4, batch_size=10, verbose=False))
    assert labels.shape == shape and labels.dtype == dtype


def test_that_no_labels_gives_images_only(pets):
    images, = [b for b in utils.image_dataset_from_directory(
        pets, labels=None, image_size=(2, 2), batch_size=None, shuffle=False, verbose=False)][:1]
    assert images.shape == (2, 2, 3)


def test_the_loading_step_of_image_classification_from_scratch(pets, capsys):
    # keras-io examples/vision/image_classification_from_scratch.py, "Generate a Dataset",
    # with the PetImages folder replaced by 10 small images and image_size (180, 180) by
    # (18, 18); then a small model fits on the two datasets.
    image_size = (18, 18)
    batch_size = 128
    train_ds, val_ds = keras.utils.image_dataset_from_directory(
        pets,
        validation_split=0.2,
        subset="both",
        seed=1337,
        image_size=image_size,
        batch_size=batch_size,
    )
    out = capsys.readouterr().out
    assert "Using 8 files for training." in out and "Using 2 files for validation." in out
    order = np.arange(10)
    np.random.RandomState(1337).shuffle(order)  # Keras's shuffle of the file list
    labels = np.array([0] * 6 + [1] * 4)
    (_, val_labels), = list(val_ds)
    assert val_labels.tolist() == labels[order[8:]].tolist()
    (train_x, _), = list(train_ds)
    green = set(train_x[:, 0, 0, 1] + 100 * train_x[:, 0, 0, 0])
    (val_x, _), = list(val_ds)
    assert not green & set(val_x[:, 0, 0, 1] + 100 * val_x[:, 0, 0, 0])  # no overlap

    model = keras.Sequential([keras.Input(image_size + (3,)), layers.Rescaling(1.0 / 255),
                              layers.Flatten(), layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=keras.optimizers.Adam(3e-4), loss="binary_crossentropy",
                  metrics=["acc"])
    history = model.fit(train_ds, epochs=2, validation_data=val_ds, verbose=0)
    assert len(history.history["val_acc"]) == 2


def test_that_image_folder_arguments_are_checked_as_in_keras(pets):
    with pytest.raises(SpecError, match="must provide a `seed` argument"):
        utils.image_dataset_from_directory(pets, validation_split=0.2, subset="training")
    with pytest.raises(SpecError, match="If `subset` is set, `validation_split` must be set"):
        utils.image_dataset_from_directory(pets, subset="training", seed=1)
    with pytest.raises(SpecError, match="`label_mode` argument must be one of"):
        utils.image_dataset_from_directory(pets, label_mode="sparse")
    with pytest.raises(SpecError, match="`crop_to_aspect_ratio=True` is not supported"):
        utils.image_dataset_from_directory(pets, crop_to_aspect_ratio=True)
    with pytest.raises(DataError, match="lengths of `labels` to match.*len\\(labels\\) is 2"):
        utils.image_dataset_from_directory(pets, labels=[0, 1], image_size=2, verbose=False)


# ----- get_file -----------------------------------------------------------------------------

@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv(download.ENV_VAR, str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture
def served(tmp_path):
    """A local file served through a `file://` URL (no network in tests)."""
    source = tmp_path / "server" / "iris_training.csv"
    source.parent.mkdir()
    source.write_bytes(b"120,4,setosa,versicolor,virginica\n6.4,2.8,5.6,2.2,2\n")
    return source


def test_that_get_file_downloads_into_the_engine_cache_once(served, cache, capsys):
    path = keras.utils.get_file("iris_training.csv", served.as_uri())
    assert path == str(cache / "iris_training.csv")
    assert "Downloading data from file://" in capsys.readouterr().out
    assert Path(path).read_bytes() == served.read_bytes()
    served.write_bytes(b"changed on the server")
    assert keras.utils.get_file("iris_training.csv", served.as_uri()) == path  # cached
    assert Path(path).read_bytes() != b"changed on the server"
    keras.utils.get_file("iris_training.csv", served.as_uri(), force_download=True)
    assert Path(path).read_bytes() == b"changed on the server"


def test_that_get_file_checks_sha256_and_md5_hashes(served, cache):
    content = served.read_bytes()
    sha256, md5 = hashlib.sha256(content).hexdigest(), hashlib.md5(content).hexdigest()
    assert utils.get_file(origin=served.as_uri(), file_hash=sha256)
    assert utils.get_file("b.csv", served.as_uri(), md5_hash=md5)
    with pytest.raises(DataError, match="SHA-256 .* was expected, so it was deleted"):
        utils.get_file("c.csv", served.as_uri(), file_hash="0" * 64)
    assert not (cache / "c.csv").exists()
    with pytest.raises(DataError, match="md5 file hash .* does not match"):
        utils.get_file("d.csv", served.as_uri(), file_hash="0" * 32)
    assert not (cache / "d.csv").exists()


def test_that_a_cached_file_with_the_wrong_hash_is_downloaded_again(served, cache, capsys):
    cache.mkdir()
    (cache / "iris_training.csv").write_bytes(b"stale")
    digest = hashlib.sha256(served.read_bytes()).hexdigest()
    path = utils.get_file("iris_training.csv", served.as_uri(), file_hash=digest)
    assert "file hash does not match the original value" in capsys.readouterr().out
    assert Path(path).read_bytes() == served.read_bytes()


def _archive(tmp_path, kind):
    folder = tmp_path / "server"
    folder.mkdir(exist_ok=True)
    if kind == "tgz":
        path = folder / "flower_photos.tgz"
        with tarfile.open(path, "w:gz") as tar:
            data = b"petal"
            info = tarfile.TarInfo("flower_photos/roses/1.txt")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        return path
    path = folder / "cora.zip"
    with zipfile.ZipFile(path, "w") as zipped:
        zipped.writestr("cora/cora.content", "paper 1")
    return path


def test_the_keras_docstring_example_extracts_a_tgz(tmp_path, cache):
    # keras/src/utils/file_utils.py, get_file docstring, with a local file:// origin.
    origin = _archive(tmp_path, "tgz").as_uri()
    path_to_downloaded_file = keras.utils.get_file(
        origin=origin,
        extract=True
    )
    assert path_to_downloaded_file == str(cache / "flower_photos.tgz")  # Keras's folder name
    assert (cache / "flower_photos.tgz" / "flower_photos" / "roses" / "1.txt").read_bytes() == (
        b"petal")
    assert (cache / "flower_photos.tgz_archive").is_file()


def test_that_a_named_zip_extracts_into_its_extracted_folder(tmp_path, cache):
    path = utils.get_file(fname="cora.zip", origin=_archive(tmp_path, "zip").as_uri(),
                          extract=True)
    assert path == str(cache / "cora_extracted")
    assert (cache / "cora_extracted" / "cora" / "cora.content").read_text() == "paper 1"


def test_that_an_archive_member_outside_the_folder_is_refused(tmp_path, cache):
    evil = tmp_path / "server" / "evil.zip"
    evil.parent.mkdir()
    with zipfile.ZipFile(evil, "w") as zipped:
        zipped.writestr("../../outside.txt", "x")
    with pytest.raises(DataError, match="outside the extraction folder"):
        utils.get_file("evil.zip", evil.as_uri(), extract=True)
    assert not (tmp_path / "outside.txt").exists()


def test_that_get_file_arguments_are_checked(served, cache):
    with pytest.raises(SpecError, match='specify the "origin" argument'):
        utils.get_file("x.csv")
    with pytest.raises(SpecError, match="Paths are no longer accepted as the `fname`"):
        utils.get_file("sub/x.csv", served.as_uri())
    with pytest.raises(SpecError, match="must be a URL starting with https"):
        utils.get_file("x.csv", "/etc/passwd")


def test_that_an_offline_get_file_says_where_to_put_the_file(served, cache, monkeypatch):
    def offline(*args, **kwargs):
        raise urllib.error.URLError("no route to host")

    monkeypatch.setattr(download.urllib.request, "urlopen", offline)
    with pytest.raises(DataError, match="seems to be offline.*copy the file to .*x.csv"):
        utils.get_file("x.csv", "https://example.invalid/x.csv")
    assert not (cache / "x.csv").exists()
