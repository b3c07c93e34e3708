"""Resizing and CenterCrop: golden values against plain loops (TensorFlow's half-pixel
formulas), Keras's aspect-ratio rules, gradients, configs and errors."""

import json
import math

import numpy as np
import pytest

from engine import registry
from engine.errors import ShapeError, SpecError
from engine.layers.image_preprocessing import CenterCrop, Resizing
from tests.engine.gradcheck import check_layer_gradients


def reference_bilinear(image, out_h, out_w):
    """TensorFlow's `resize_bilinear(half_pixel_centers=True)`, one output pixel at a time."""
    in_h, in_w, _ = image.shape

    def source(o, in_size, out_size):
        point = (o + 0.5) * in_size / out_size - 0.5
        low = math.floor(point)
        return max(low, 0), min(math.ceil(point), in_size - 1), point - low

    out = np.zeros((out_h, out_w, image.shape[2]))
    for i in range(out_h):
        top, bottom, dy = source(i, in_h, out_h)
        for j in range(out_w):
            left, right, dx = source(j, in_w, out_w)
            upper = image[top, left] * (1 - dx) + image[top, right] * dx
            lower = image[bottom, left] * (1 - dx) + image[bottom, right] * dx
            out[i, j] = upper * (1 - dy) + lower * dy
    return out


def reference_nearest(image, out_h, out_w):
    in_h, in_w, _ = image.shape
    rows = [min(math.floor((i + 0.5) * in_h / out_h), in_h - 1) for i in range(out_h)]
    cols = [min(math.floor((j + 0.5) * in_w / out_w), in_w - 1) for j in range(out_w)]
    return image[rows][:, cols]


@pytest.mark.parametrize("cls", [Resizing, CenterCrop])
def test_that_the_layers_are_registered_with_round_tripping_configs(cls):
    layer = cls(height=5, width=7)
    config = layer.get_config()
    assert json.loads(json.dumps(config)) == config
    assert cls.from_config(config).get_config() == config
    assert registry.get_class("layer", cls.__name__) is cls
    assert cls.CATEGORY == "Preprocessing"
    assert layer.compute_output_shape((20, 30, 3)) == (5, 7, 3)


def test_that_upsampling_2x2_gives_tensorflows_values():
    image = np.array([[0., 1.], [2., 3.]], dtype="float32").reshape(1, 2, 2, 1)
    expected = [[0, .25, .75, 1], [.5, .75, 1.25, 1.5], [1.5, 1.75, 2.25, 2.5], [2, 2.25, 2.75, 3]]
    out = Resizing(4, 4)(image)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out[0, :, :, 0], expected, atol=1e-6)


@pytest.mark.parametrize("size", [(3, 4), (9, 13), (5, 2), (6, 6)])
@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
def test_that_resizing_matches_the_reference_loops(rng, size, interpolation):
    images = rng.uniform(0, 255, (2, 6, 7, 3)).astype("float32")
    out = Resizing(*size, interpolation=interpolation)(images)
    reference = reference_bilinear if interpolation == "bilinear" else reference_nearest
    for image, got in zip(images, out):
        np.testing.assert_allclose(got, reference(image, *size), rtol=1e-5, atol=1e-3)


def test_that_antialias_averages_a_stripe_pattern_when_downsampling():
    stripes = np.tile([0.0, 1.0], 8).reshape(1, 1, 16, 1) * np.ones((1, 4, 1, 1))
    plain = Resizing(4, 8)(stripes)[0, 0, :, 0]
    smooth = Resizing(4, 8, antialias=True)(stripes)[0, 0, :, 0]
    np.testing.assert_allclose(plain, 0.5)  # half-pixel samples fall between the stripes
    np.testing.assert_allclose(smooth[1:-1], 0.5)
    np.testing.assert_allclose(Resizing(4, 4, antialias=True)(stripes)[0, 0, 1:-1, 0], 0.5)


def test_that_crop_and_pad_to_aspect_ratio_follow_keras(rng):
    images = rng.uniform(0, 1, (1, 4, 8, 2)).astype("float32")
    cropped = Resizing(4, 4, crop_to_aspect_ratio=True)(images)
    np.testing.assert_allclose(cropped, images[:, :, 2:6, :])  # central square, no resize
    padded = Resizing(8, 8, pad_to_aspect_ratio=True, fill_value=-1.0)(images)
    np.testing.assert_allclose(padded[0, :2], -1.0)  # two rows of padding top and bottom
    np.testing.assert_allclose(padded[0, 2:6], images[0])
    np.testing.assert_allclose(padded[0, 6:], -1.0)


def test_that_uint8_pixels_become_float32():
    pixels = np.full((1, 4, 4, 3), 200, dtype=np.uint8)
    out = Resizing(2, 2)(pixels)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, 200.0)


def test_that_center_crop_takes_the_middle_and_resizes_small_images_like_keras(rng):
    images = rng.uniform(0, 1, (2, 7, 6, 3)).astype("float32")
    np.testing.assert_array_equal(CenterCrop(3, 4)(images), images[:, 2:5, 1:5, :])
    # Smaller than the target along an axis: Keras's smart_resize (aspect crop, bilinear).
    small = CenterCrop(10, 4)(images)
    np.testing.assert_allclose(small, Resizing(10, 4, crop_to_aspect_ratio=True)(images))
    top, left, crop_h, crop_w = 0, 2, 7, 2  # rows min(7, int(6 * 10 / 4)); cols int(7 * 4 / 10)
    np.testing.assert_allclose(small[0], reference_bilinear(
        images[0, top:top + crop_h, left:left + crop_w], 10, 4), rtol=1e-5)


@pytest.mark.parametrize("layer", [
    Resizing(5, 3), Resizing(2, 3), Resizing(5, 4, interpolation="nearest"),
    Resizing(3, 3, crop_to_aspect_ratio=True), Resizing(3, 3, pad_to_aspect_ratio=True),
    Resizing(2, 2, antialias=True), CenterCrop(2, 3), CenterCrop(6, 3),
], ids=lambda layer: f"{type(layer).__name__}-{layer.height}x{layer.width}")
def test_image_preprocessing_gradients(rng, layer):
    check_layer_gradients(layer, rng.standard_normal((2, 4, 5, 2)))


@pytest.mark.parametrize("kwargs,match", [
    ({"data_format": "channels_first"}, "Permute"),
    ({"interpolation": "bicubic"}, "interpolation"),
    ({"crop_to_aspect_ratio": True, "pad_to_aspect_ratio": True}, "only one"),
    ({"height": 0}, "height"),
])
def test_that_bad_resizing_arguments_say_what_to_fix(kwargs, match):
    with pytest.raises(SpecError, match=match):
        Resizing(**kwargs)


def test_that_non_image_inputs_are_refused_with_the_fix():
    with pytest.raises(ShapeError, match=r"\(height, width, channels\).*Reshape"):
        CenterCrop(2, 2).compute_output_shape((28, 28))
    with pytest.raises(SpecError, match="channels_last"):
        CenterCrop(data_format="channels_first")
