"""Ready-made data sets: bundled files load offline, generated sets honour their arguments."""

import json

import numpy as np
import pytest

from engine import datasets
from engine.datasets import bundled, generated
from engine.errors import SpecError


@pytest.mark.parametrize("name", datasets.BUNDLED)
def test_that_each_bundled_set_loads_offline_with_its_documented_shapes(name):
    info = datasets.info(name)
    (x_train, y_train), (x_test, y_test) = datasets.load(name)
    assert x_train.shape == (info.num_train, *info.input_shape)
    assert x_test.shape == (info.num_test, *info.input_shape)
    assert y_train.shape == (info.num_train,) and y_test.shape == (info.num_test,)
    assert x_train.dtype == info.x_dtype and y_train.dtype == info.y_dtype
    assert np.isfinite(x_train).all() and np.isfinite(x_test).all()
    if info.task == "classification":  # stratified: every class in both parts
        assert set(np.unique(y_train)) == set(np.unique(y_test)) == set(range(info.num_classes))


def test_the_documented_sizes_of_the_bundled_sets():
    sizes = {name: (datasets.info(name).num_train + datasets.info(name).num_test,
                    datasets.info(name).input_shape) for name in datasets.BUNDLED}
    assert sizes == {"digits": (1797, (8, 8)), "iris": (150, (4,)), "wine": (178, (13,)),
                     "breast_cancer": (569, (30,)), "diabetes": (442, (10,))}
    (x, _), _ = datasets.load("digits")
    assert x.min() == 0 and x.max() == 16 and np.array_equal(x, np.round(x))


@pytest.mark.parametrize("name", datasets.BUNDLED)
def test_that_bundled_files_are_plain_arrays_matching_the_catalog(name):
    with np.load(bundled.path_of(name), allow_pickle=False) as npz:
        assert all(npz[key].dtype != object for key in npz.files)
        class_names = tuple(str(c) for c in npz["class_names"])
    info = datasets.info(name)
    assert class_names == info.class_names
    if info.feature_names:
        assert bundled.feature_names(name) == info.feature_names


def test_that_the_bundled_files_stay_small():
    folder = bundled.resources_dir() / "datasets"
    assert sum(p.stat().st_size for p in folder.glob("*.npz")) < 1_000_000
    assert (folder / "README.md").is_file() and (folder / "make_bundled.py").is_file()


@pytest.mark.parametrize("name", datasets.GENERATED)
def test_that_generated_sets_are_repeatable_by_seed(name):
    (a, ya), (b, _) = datasets.load(name, n_samples=60, seed=3)
    (c, yc), _ = datasets.load(name, n_samples=60, seed=3)
    (d, _), _ = datasets.load(name, n_samples=60, seed=4)
    np.testing.assert_array_equal(a, c)
    np.testing.assert_array_equal(ya, yc)
    assert not np.array_equal(a, d)
    assert a.shape == (48, 2) and b.shape == (12, 2)
    assert a.dtype == np.float32 and ya.dtype == np.int64


@pytest.mark.parametrize("name", datasets.GENERATED)
def test_that_more_noise_spreads_the_points_further(name):
    clean, _ = generated.MAKERS[name](n_samples=200, noise=0.0, seed=1)
    slight, _ = generated.MAKERS[name](n_samples=200, noise=0.05, seed=1)
    strong, _ = generated.MAKERS[name](n_samples=200, noise=0.5, seed=1)
    spread = [np.abs(np.sort(x, axis=0) - np.sort(clean, axis=0)).mean() for x in (slight, strong)]
    assert spread[0] < spread[1]


def test_the_geometry_of_noise_free_sets():
    x, y = generated.circles(n_samples=100, noise=0.0, factor=0.3)
    radius = np.linalg.norm(x, axis=1)
    np.testing.assert_allclose(radius[y == 0], 1.0, rtol=1e-6)
    np.testing.assert_allclose(radius[y == 1], 0.3, rtol=1e-6)
    x, y = generated.moons(n_samples=101, noise=0.0)
    np.testing.assert_allclose(np.linalg.norm(x[y == 0], axis=1), 1.0, rtol=1e-6)
    assert np.bincount(y).tolist() == [50, 51]
    x, y = generated.xor(n_samples=100, noise=0.0)
    np.testing.assert_array_equal(y, (x[:, 0] * x[:, 1] < 0).astype(np.int64))
    _, y = generated.blobs(n_samples=90, centers=4)
    assert np.bincount(y).tolist() == [23, 23, 22, 22]
    _, y = generated.spirals(n_samples=90, classes=3)
    assert np.bincount(y).tolist() == [30, 30, 30]


def test_that_bad_arguments_are_spec_errors():
    with pytest.raises(SpecError, match="n_samples"):
        datasets.load("moons", n_samples=1)
    with pytest.raises(SpecError, match="noise"):
        datasets.load("moons", noise=-1.0)
    with pytest.raises(SpecError, match="takes no arguments"):
        datasets.load("iris", seed=1)
    with pytest.raises(SpecError, match="progress"):
        datasets.load("mnist", seed=1)
    with pytest.raises(SpecError, match=r"Unknown data set 'imagenet'.*'digits'"):
        datasets.load("imagenet")
    with pytest.raises(SpecError, match="unexpected keyword"):
        datasets.load("moons", centers=3)


def test_that_every_set_has_metadata_for_the_gui():
    assert datasets.NAMES == datasets.BUNDLED + datasets.GENERATED + datasets.DOWNLOADABLE
    for name in datasets.NAMES:
        info = datasets.info(name)
        assert info.name == name and info.task in ("classification", "regression")
        assert info.description and info.source and info.licence
        assert info.num_classes == (0 if info.task == "regression" else len(info.class_names))
        json.dumps(info.to_dict())
    assert datasets.info("cifar10").input_shape == (32, 32, 3)
    assert datasets.info("fashion_mnist").class_names[9] == "Ankle boot"


def test_that_keras_style_modules_are_there():
    for module in (datasets.mnist, datasets.fashion_mnist, datasets.cifar10):
        assert callable(module.load_data)
    assert datasets.is_available_offline("digits") and datasets.is_available_offline("xor")


@pytest.mark.parametrize("options, message", [
    ({"n_samples": 10**8}, "n_samples` must be an integer >= 2 and <= 10000000"),
    ({"n_samples": 1000, "classes": 10**7}, "classes` must be an integer >= 2 and <= 1000"),
])
def test_that_generated_sets_refuse_sizes_that_would_only_fill_memory(options, message):
    with pytest.raises(SpecError, match=message):
        datasets.load("spirals", **options)
