"""The convnet kernels (2x2 max pooling and its backward, im2col, col2im adds, the
one-channel 3x3 convolution) compute what NumPy computes.

Layers run forward and backward with the kernels on and off; the pooling gradient must
agree bit for bit (ties and NaN included), convolutions to float32 rounding (a GEMM sums in
an order of its own). Without numba these tests skip and the NumPy path runs elsewhere.
"""

import numpy as np
import pytest

from engine import Input, Sequential, backend, kernels, layers
from engine.kernels import preparing
from engine.layers import conv_utils as cu

pytest.importorskip("numba")


def _pool_and_conv(pool_input=(2, 6, 6, 3), conv_input=(2, 7, 7, 8)):
    """Forward and backward of a MaxPooling2D(2) and a 16-filter Conv2D on random data."""
    rng = np.random.default_rng(0)
    x = rng.integers(-2, 3, size=pool_input).astype(np.float32)  # many ties
    pool = layers.MaxPooling2D(2)
    y = pool.forward(x, training=True)
    dx_pool = pool.backward(rng.normal(size=y.shape).astype(np.float32))
    backend.set_seed(0)
    model = Sequential([Input(conv_input[1:]), layers.Conv2D(16, 3, padding="same")])
    conv = model.layers[0]
    z = conv.forward(rng.normal(size=conv_input).astype(np.float32), training=True)
    dx_conv = conv.backward(rng.normal(size=z.shape).astype(np.float32))
    return dx_pool, dx_conv


def _grayscale_conv(padding="valid", activation="relu", use_bias=True, size=(4, 9, 11, 1)):
    """Training forward, backward (weight gradients) and an inference forward of a
    one-channel 3x3 Conv2D."""
    backend.set_seed(0)
    conv = layers.Conv2D(8, 3, padding=padding, activation=activation, use_bias=use_bias,
                         bias_initializer="random_normal")
    Sequential([Input(size[1:]), conv])
    x = np.random.default_rng(0).normal(size=size).astype(np.float32)
    y = conv.forward(x, training=True)
    conv.backward(np.random.default_rng(1).normal(size=y.shape).astype(np.float32))
    grads = {key: value.copy() for key, value in conv.grads.items()}
    conv.inference_only = True
    return y, conv.forward(x), grads


@pytest.fixture(scope="module", autouse=True)
def compiled_kernels():
    """A first call only starts loading a kernel (NumPy computes meanwhile): load both."""
    _pool_and_conv()
    _grayscale_conv()
    assert kernels.wait_until_ready(timeout=120)


@pytest.fixture
def numpy_path():
    kernels.set_cpu_kernels(False)
    yield
    kernels.set_cpu_kernels(True)


def _both_paths(request, run):
    with_kernels = run()
    request.getfixturevalue("numpy_path")
    return with_kernels, run()


@pytest.mark.parametrize("size", [(3, 8, 8, 4), (2, 9, 7, 5), (1, 3, 2, 1)])
def test_max_pooling_forward_equals_the_numpy_path_bit_for_bit(size, request):
    """Both stages (backward reads them), in training and in inference, NaN included."""
    def run():
        x = np.random.default_rng(0).integers(-2, 3, size=size).astype(np.float32)
        x[0, 0, 0, 0] = np.nan
        pool = layers.MaxPooling2D(2)
        trained = pool.forward(x, training=True)
        stages = [array.copy() for stage in pool._cache[1] for array in stage]
        pool.inference_only = True
        return trained, pool.forward(x), stages

    fused, plain = _both_paths(request, run)
    np.testing.assert_array_equal(fused[0], plain[0])
    np.testing.assert_array_equal(fused[1], plain[1])
    assert len(fused[2]) == len(plain[2]) == 4
    for a, b in zip(fused[2], plain[2]):
        np.testing.assert_array_equal(a, b)
    assert np.isnan(fused[0][0, 0, 0, 0])


@pytest.mark.parametrize("size", [(3, 8, 8, 4), (2, 9, 7, 5), (1, 2, 2, 1)])
def test_max_pooling_backward_equals_the_numpy_path_bit_for_bit(size, request):
    """Even sizes, odd ones (the last row and column get no gradient) and one window."""
    def run():
        return _pool_and_conv(pool_input=size)[0]

    fused, plain = _both_paths(request, run)
    np.testing.assert_array_equal(fused, plain)


def test_max_pooling_backward_keeps_nan_where_the_numpy_path_does(request):
    def run():
        x = np.arange(2 * 4 * 4 * 2, dtype=np.float32).reshape(2, 4, 4, 2)
        x[0, 1, 1, 0] = np.nan
        grad = np.ones((2, 2, 2, 2), np.float32)
        grad[1, 0, 0, 1] = np.nan
        pool = layers.MaxPooling2D(2)
        pool.forward(x, training=True)
        return pool.backward(grad)

    fused, plain = _both_paths(request, run)
    np.testing.assert_array_equal(fused, plain)
    assert np.isnan(fused).any()


@pytest.mark.parametrize(("strides", "dilation", "padding"),
                         [(1, 1, "same"), (2, 1, "valid"), (1, 2, "same"), (2, 1, "same")])
def test_the_conv_input_gradient_equals_the_numpy_path(strides, dilation, padding, request):
    def run():
        backend.set_seed(0)
        conv = layers.Conv2D(12, 3, strides=strides, dilation_rate=dilation, padding=padding)
        Sequential([Input((9, 10, 8)), conv])
        rng = np.random.default_rng(3)
        z = conv.forward(rng.normal(size=(3, 9, 10, 8)).astype(np.float32), training=True)
        return conv.backward(rng.normal(size=z.shape).astype(np.float32))

    fused, plain = _both_paths(request, run)
    # the same sums in the same order; one wide GEMM instead of nine narrow ones may round
    # its last bit differently
    np.testing.assert_allclose(fused, plain, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("activation", ["relu", "linear"])
@pytest.mark.parametrize("use_bias", [True, False])
def test_a_one_channel_3x3_conv_equals_the_numpy_path(padding, activation, use_bias,
                                                      request):
    """Forward in training and in inference, and the weight gradients (from patches that
    backward builds itself after the kernel's forward)."""
    def run():
        return _grayscale_conv(padding, activation, use_bias)

    fused, plain = _both_paths(request, run)
    for a, b in zip(fused[:2], plain[:2]):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)
    for key in plain[2]:
        np.testing.assert_allclose(fused[2][key], plain[2][key], rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize(("kernel_size", "strides", "dilation", "padding", "channels"),
                         [(3, 1, 1, "valid", 32), (3, 1, 1, "valid", 1), (3, 2, 1, "same", 3),
                          ((2, 3), 1, 2, "same", 4), (5, (1, 2), 1, "valid", 1)])
def test_im2col_equals_the_numpy_path_bit_for_bit(kernel_size, strides, dilation, padding,
                                                   channels, request):
    """Every window copied, whatever the kernel size, stride, dilation and padding."""
    def run():
        x = np.random.default_rng(0).normal(size=(3, 9, 10, channels)).astype(np.float32)
        conv = layers.Conv2D(4, kernel_size, strides=strides, dilation_rate=dilation,
                             padding=padding)
        Sequential([Input(x.shape[1:]), conv])
        patches = cu.im2col(x, conv._geometry(x.shape[1:3]))
        if kernels.cpu_kernels_enabled():
            assert preparing.kernel("conv_kernels", "im2col", (x, x, 1, 1, 1, 1, 1, 1))
        return patches

    fused, plain = _both_paths(request, run)
    assert fused.flags.c_contiguous and fused.shape == plain.shape
    np.testing.assert_array_equal(fused, plain)


def test_the_one_channel_conv_kernel_takes_only_its_case():
    x = np.ones((2, 5, 5), np.float32)
    kernel = np.ones((9, 4), np.float32)
    np.testing.assert_array_equal(kernels.conv3x3_one_channel(x, kernel, None, "linear"),
                                  np.full((2, 3, 3, 4), 9.0, np.float32))
    assert kernels.conv3x3_one_channel(x, kernel, None, "tanh") is None
    assert kernels.conv3x3_one_channel(x.astype(np.float64), kernel, None, "relu") is None
    assert kernels.conv3x3_one_channel(x[:, ::2], kernel, None, "relu") is None


def test_with_numba_the_backward_passes_run_in_the_kernels():
    x = np.ones((1, 4, 4, 2), np.float32)
    rows_max = np.ones((1, 4, 2, 2), np.float32)
    small = np.ones((1, 2, 2, 2), np.float32)
    assert kernels.max_pool_2x2_backward(x, rows_max, small, small) is not None
    assert kernels.max_pool_2x2(x) is not None
    out = np.zeros((1, 4, 4, 2), np.float32)
    cols = np.ones((1, 2, 2, 2 * 2 * 2), np.float32)
    assert kernels.scatter_add_positions(cols, out, (2, 2), (2, 2), (1, 1))
    np.testing.assert_array_equal(out, np.ones_like(out))


def test_arrays_the_kernels_do_not_take_go_down_the_numpy_path():
    x = np.ones((1, 4, 4, 2), np.float32)
    rows_max = np.ones((1, 4, 2, 2), np.float32)
    small = np.ones((1, 2, 2, 2), np.float32)
    strided = np.ones((1, 2, 4, 2), np.float32)[:, :, ::2]
    assert kernels.max_pool_2x2_backward(x, rows_max, small, strided) is None
    assert kernels.max_pool_2x2_backward(x.astype(np.float64), rows_max, small, small) is None
    out = np.zeros((1, 4, 4, 2), np.float64)
    assert not kernels.scatter_add_positions(np.ones((1, 2, 2, 8)), out, (2, 2), (2, 2),
                                             (1, 1))


def _prepared(name, args):
    """The loaded kernel `name` (waiting for it when this is its first call)."""
    if preparing.kernel("conv_kernels", name, args) is None:
        assert kernels.wait_until_ready(timeout=120)
    return preparing.kernel("conv_kernels", name, args)


def test_shapes_that_do_not_fit_leave_the_output_untouched():
    """numba does not check indices: the kernels check their loop bounds first (the tiny
    stand-in arrays they are compiled with never fit)."""
    x = np.ones((1, 4, 4, 2), np.float32)
    out = np.full_like(x, 7.0)
    too_big = np.ones((1, 3, 3, 2), np.float32)  # 3 windows of 2 in 4 rows
    run = _prepared("max_pool_2x2_backward", (x, x, too_big, too_big, False, out))
    run(x, np.ones((1, 4, 2, 2), np.float32), too_big, too_big, False, out)
    assert (out == 7.0).all()
    cols = np.ones((1, 2, 2, 8), np.float32)
    scatter = _prepared("scatter_add_positions", (cols, out, 3, 3, 1, 1, 1, 1))
    scatter(cols, out, 3, 3, 1, 1, 1, 1)  # a 3x3 kernel over 2 positions needs 4 + 1 rows
    assert (out == 7.0).all()
    pool = _prepared("max_pool_2x2", (x, x, x))
    pool(x, np.zeros((1, 4, 2, 2), np.float32), out)  # a 4x4 result from 4x4 images
    assert (out == 7.0).all()
    image, weights = np.ones((1, 4, 4), np.float32), np.ones((9, 2), np.float32)
    conv = _prepared("conv3x3_one_channel", (image, weights, weights[0], True, out))
    conv(image, weights, weights[0], True, out)  # 4x4 images give 2x2 outputs, not 4x4
    assert (out == 7.0).all()
    rows = np.zeros((2, 2, 2), np.float32)
    pooled = _prepared("conv3x3_one_channel_pooled",
                       (image, weights, weights[0], True, rows, out))
    pooled(image, weights, weights[0], True, rows, out)  # pooled: 1x1, not 4x4
    assert (out == 7.0).all()
    patches = np.full((1, 3, 3, 8), 7.0, np.float32)
    im2col = _prepared("im2col", (x, patches, 2, 2, 1, 1, 1, 1))
    im2col(x, patches, 2, 2, 1, 1, 1, 1)  # 2x2 windows of 4x4 images: 3x3 of them, 8 wide
    assert not (patches == 7.0).any()
    im2col(x, patches, 3, 3, 1, 1, 1, 1)  # 3x3 windows: 2x2 of them, and 18 wide
    im2col(x, patches, 2, 2, 2, 2, 1, 1)  # stride 2: 2x2 of them
    im2col(x[:, :3], patches, 2, 2, 1, 1, 1, 1)  # 3 rows give 2 window rows
    patches[...] = 7.0
    im2col(x, patches, 2, 2, 1, 1, 2, 2)  # dilation 2: 2x2 of them
    assert (patches == 7.0).all()
