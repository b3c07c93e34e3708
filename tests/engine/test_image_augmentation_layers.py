"""Random augmentation layers: identity at inference, golden values (np.rot90, exact pixel
shifts for each fill mode, a per-pixel reference sampler), Keras's draws reproduced from the
seeded generator, gradients of each transform with the random draw held fixed, configs."""

import json
import math

import numpy as np
import pytest

import engine
from engine import backend, layers, registry
from engine.errors import ShapeError, SpecError
from engine.layers.image_augmentation import RandomContrast, RandomCrop, RandomFlip
from engine.layers.image_augmentation_affine import RandomRotation, RandomTranslation, RandomZoom
from engine.layers.image_sampling import SamplingPlan, affine_matrix
from tests.engine.gradcheck import check_layer_gradients

RANDOM_LAYERS = [RandomFlip, RandomRotation, RandomZoom, RandomTranslation, RandomContrast,
                 RandomCrop]


def reference_sample(image, transform, interpolation, fill_mode, fill_value):
    """Keras's `map_coordinates` rules, one output pixel and one corner at a time."""
    h, w, _ = image.shape
    a0, a1, a2, b0, b1, b2 = transform[:6]

    def fix(i, size):
        if fill_mode == "wrap":
            return i % size
        if fill_mode == "reflect":  # d c b a | a b c d | d c b a
            period = i % (2 * size)
            return period if period < size else 2 * size - 1 - period
        return min(max(i, 0), size - 1)

    def corners(c):
        if interpolation == "nearest":
            return [(int(np.rint(c)), 1.0)]
        low = math.floor(c)
        return [(low, 1 - (c - low)), (low + 1, c - low)]

    out = np.zeros(image.shape)
    for y in range(h):
        for x in range(w):
            for row, wy in corners(b0 * x + b1 * y + b2):
                for col, wx in corners(a0 * x + a1 * y + a2):
                    inside = 0 <= row < h and 0 <= col < w
                    if fill_mode == "constant" and not inside:
                        out[y, x] += wy * wx * fill_value
                    else:
                        out[y, x] += wy * wx * image[fix(row, h), fix(col, w)]
    return out


@pytest.mark.parametrize("cls", RANDOM_LAYERS, ids=lambda c: c.__name__)
def test_that_each_layer_is_registered_round_trips_and_is_identity_at_inference(cls, rng):
    layer = cls(seed=3)
    config = layer.get_config()
    assert json.loads(json.dumps(config)) == config
    assert cls.from_config(config).get_config() == config
    assert registry.get_class("layer", cls.__name__) is cls
    assert cls.CATEGORY == "Preprocessing" and cls.TRAINING_DEPENDENT
    images = rng.uniform(0, 255, (3, 8, 8, 2)).astype("float32")
    if cls is not RandomCrop:
        np.testing.assert_array_equal(layer(images, training=False), images)
        assert not np.allclose(layer(images), images)  # a direct call trains, as in Keras


def test_that_factors_follow_keras_rules():
    assert RandomRotation(0.2).factor == (-0.2, 0.2)
    assert RandomRotation((0.3, -0.1)).factor == (-0.1, 0.3)
    assert RandomZoom(0.5).get_config()["width_factor"] is None
    assert RandomContrast(0.25).factor == (0.25, 0.25)  # Keras's docs: lower = upper


def test_that_a_quarter_turn_is_numpys_rot90(rng):
    images = rng.uniform(0, 1, (2, 5, 5, 3)).astype("float32")
    for interpolation in ("bilinear", "nearest"):
        layer = RandomRotation((0.25, 0.25), interpolation=interpolation)
        np.testing.assert_allclose(layer(images), np.rot90(images, k=1, axes=(1, 2)), atol=1e-5)


@pytest.mark.parametrize("fill_mode,first_column", [
    ("constant", "fill"), ("nearest", 0), ("wrap", 3), ("reflect", 0)])
def test_that_a_one_pixel_shift_fills_like_keras_documents(fill_mode, first_column):
    image = np.arange(12, dtype="float32").reshape(1, 3, 4, 1)
    layer = RandomTranslation((0, 0), (0.25, 0.25), fill_mode=fill_mode, fill_value=-5.0)
    out = layer(image)[0, :, :, 0]
    np.testing.assert_array_equal(out[:, 1:], image[0, :, :3, 0])  # moved right by one
    expected = -5.0 if first_column == "fill" else image[0, :, first_column, 0]
    np.testing.assert_array_equal(out[:, 0], expected)


@pytest.mark.parametrize("fill_mode", ["reflect", "wrap", "constant", "nearest"])
@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
def test_that_sampling_matches_the_reference_for_random_affine_maps(rng, fill_mode,
                                                                   interpolation):
    images = rng.uniform(0, 1, (2, 5, 6, 2))
    transforms = affine_matrix(rng.uniform(-60, 60, 2), rng.uniform(0.6, 1.5, 2),
                               rng.uniform(0.6, 1.5, 2), rng.uniform(-3, 3, 2),
                               rng.uniform(-3, 3, 2), 5, 6)
    plan = SamplingPlan(transforms, 5, 6, interpolation, fill_mode, "cpu")
    out = plan.forward(images, fill_value=0.7)
    for image, transform, got in zip(images, transforms, out):
        np.testing.assert_allclose(
            got, reference_sample(image, transform, interpolation, fill_mode, 0.7), atol=1e-9)


def test_that_zoom_and_rotation_draw_keras_parameters_from_the_seeded_generator(rng):
    images = rng.uniform(0, 1, (3, 6, 6, 1))
    zoom = RandomZoom((-0.5, 0.4), (0.1, 0.2), seed=11)
    draws = np.random.default_rng(11)
    zy, zx = 1 + draws.uniform(-0.5, 0.4, 3), 1 + draws.uniform(0.1, 0.2, 3)
    expected = affine_matrix(np.zeros(3), zx, zy, 0.0, 0.0, 6, 6)
    np.testing.assert_allclose(zoom(images), SamplingPlan(
        expected, 6, 6, "bilinear", "reflect", "cpu").forward(images))
    rotation = RandomRotation(0.1, seed=5)
    angles = np.random.default_rng(5).uniform(-36.0, 36.0, 3)
    expected = affine_matrix(angles, 1.0, 1.0, 0.0, 0.0, 6, 6)
    np.testing.assert_allclose(rotation(images), SamplingPlan(
        expected, 6, 6, "bilinear", "reflect", "cpu").forward(images))


def test_that_flips_and_contrast_follow_kerass_formulas(rng):
    images = rng.uniform(0, 255, (6, 4, 5, 3)).astype("float32")
    flips = np.random.default_rng(2).uniform(0, 1, 6) <= 0.5
    out = RandomFlip("horizontal", seed=2)(images)
    np.testing.assert_array_equal(out, np.where(flips[:, None, None, None],
                                                images[:, :, ::-1], images))
    both = RandomFlip(seed=2)(images)  # one draw flips both ways (Keras 3)
    np.testing.assert_array_equal(both, np.where(flips[:, None, None, None],
                                                 images[:, ::-1, ::-1], images))
    factors = np.random.default_rng(4).uniform(0.7, 1.5, (6, 1, 1, 1))
    mean = images.mean(axis=(1, 2), keepdims=True)
    expected = np.clip((images - mean) * factors + mean, 0, 255)
    np.testing.assert_allclose(RandomContrast((0.3, 0.5), seed=4)(images), expected, rtol=1e-5)


def test_that_random_crop_takes_one_window_per_batch_and_center_crops_at_inference(rng):
    images = rng.uniform(0, 1, (4, 9, 8, 2)).astype("float32")
    layer = RandomCrop(5, 4, seed=1)
    out = layer(images)
    draws = np.random.default_rng(1)
    top, left = int(draws.uniform(0, 5)), int(draws.uniform(0, 5))
    np.testing.assert_array_equal(out, images[:, top:top + 5, left:left + 4])
    inference = layer(images, training=False)  # Keras's documented rule: aspect crop, resize
    np.testing.assert_allclose(inference, layers.Resizing(5, 4, crop_to_aspect_ratio=True)(
        images))


@pytest.mark.parametrize("make", [
    lambda: RandomFlip(), lambda: RandomFlip("vertical"),
    lambda: RandomRotation(0.2), lambda: RandomRotation(0.2, interpolation="nearest"),
    lambda: RandomZoom(0.3, fill_mode="constant", fill_value=0.5),
    lambda: RandomZoom((-0.4, -0.2), (0.1, 0.3), fill_mode="wrap"),
    lambda: RandomTranslation(0.3, 0.2, fill_mode="nearest"),
    lambda: RandomContrast(0.5, value_range=(-100, 100)), lambda: RandomCrop(3, 4),
    lambda: RandomCrop(7, 3),
], ids=["flip", "flip-v", "rotation", "rotation-nearest", "zoom-constant", "zoom-wrap",
        "translation", "contrast", "crop", "crop-resize"])
def test_augmentation_gradients_with_the_draw_held_fixed(rng, make):
    # reseed: each forward of the check draws the same transform (as Dropout's test does).
    check_layer_gradients(make(), rng.standard_normal((3, 5, 6, 2)), training=True, reseed=9)


def test_that_augmentation_runs_in_fit_and_not_in_predict(rng):
    # The keras-io pattern: augmentation inside the model, active only while training.
    images = rng.uniform(0, 255, (8, 6, 6, 3)).astype("float32")
    labels = rng.integers(0, 2, (8, 1)).astype("float32")
    model = engine.Sequential([
        engine.Input((6, 6, 3)), layers.RandomFlip("horizontal"), layers.RandomRotation(0.1),
        layers.RandomZoom(0.1), layers.RandomContrast(0.2), layers.Rescaling(1 / 255),
        layers.Flatten(), layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    model.fit(images, labels, epochs=2, batch_size=4, verbose=0)
    first = model.predict(images, verbose=0)
    np.testing.assert_array_equal(model.predict(images, verbose=0), first)
    spec = json.loads(json.dumps(model.to_spec()))
    again = engine.Model.from_spec(spec)
    again.set_weights(model.get_weights())
    np.testing.assert_allclose(again.predict(images, verbose=0), first, rtol=1e-6)


def test_that_seeded_layers_repeat_and_engine_seeding_reproduces_a_run(rng):
    images = rng.uniform(0, 1, (3, 6, 6, 1))
    for cls in RANDOM_LAYERS[:-1]:
        np.testing.assert_array_equal(cls(seed=4)(images), cls(seed=4)(images))
        layer = cls()
        backend.set_seed(8)
        first = layer(images)
        backend.set_seed(8)
        np.testing.assert_array_equal(layer(images), first)


@pytest.mark.parametrize("make,error,match", [
    (lambda: RandomFlip("diagonal"), SpecError, "mode"),
    (lambda: RandomRotation(1.5), SpecError, "factor"),
    (lambda: RandomZoom((-1.0, 0.2)), SpecError, "above -1"),
    (lambda: RandomTranslation(0.1, 0.1, fill_mode="mirror"), SpecError, "fill_mode"),
    (lambda: RandomContrast(-0.2), SpecError, "factor"),
    (lambda: RandomCrop(data_format="channels_first"), SpecError, "Permute"),
    (lambda: RandomFlip().compute_output_shape((8, 8)), ShapeError, "channels"),
])
def test_that_bad_arguments_and_shapes_say_what_to_fix(make, error, match):
    with pytest.raises(error, match=match):
        make()
