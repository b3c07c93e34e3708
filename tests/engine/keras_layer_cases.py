"""One small model per layer class, built the same way in the engine and in Keras (their APIs
are twins), for the `.keras` export and import tests; plus the helpers those tests share."""

import numpy as np
import pytest

#: The largest prediction difference allowed between the engine and Keras.
TOLERANCE = 1e-4

#: input kind -> shape of one sample
SHAPES = {"vec": (8,), "seq": (6, 4), "img": (8, 8, 3), "vol": (4, 4, 4, 2), "tok": (7,)}

# (id, class name, kwargs, input kind, how it is called: 1 input, "pair" = [x, x'], "mha")
CASES = [
    ("dense", "Dense", {"units": 3, "activation": "relu"}, "vec", 1),
    ("dense_no_bias", "Dense", {"units": 3, "use_bias": False}, "vec", 1),
    *[(f"activation_{a}", "Activation", {"activation": a}, "vec", 1)
      for a in ("gelu", "hard_sigmoid", "selu", "swish", "softplus", "softsign", "elu",
                "log_softmax", "relu6", "mish", "exponential", "leaky_relu", "silu")],
    ("batch_normalization", "BatchNormalization", {}, "img", 1),
    ("batch_normalization_no_center", "BatchNormalization", {"center": False}, "seq", 1),
    ("layer_normalization", "LayerNormalization", {}, "seq", 1),
    ("re_lu", "ReLU", {"max_value": 0.8, "negative_slope": 0.1, "threshold": 0.1}, "vec", 1),
    ("leaky_re_lu", "LeakyReLU", {"negative_slope": 0.2}, "vec", 1),
    ("elu", "ELU", {"alpha": 0.7}, "vec", 1),
    ("softmax", "Softmax", {}, "seq", 1),
    ("identity", "Identity", {}, "vec", 1),
    ("activity_regularization", "ActivityRegularization", {"l1": 0.1}, "vec", 1),
    ("attention", "Attention", {"use_scale": True}, "seq", "pair"),
    ("attention_concat", "Attention", {"score_mode": "concat"}, "seq", "pair"),
    ("additive_attention", "AdditiveAttention", {}, "seq", "pair"),
    ("multi_head_attention", "MultiHeadAttention", {"num_heads": 2, "key_dim": 3}, "seq",
     "mha"),
    ("simple_rnn", "SimpleRNN", {"units": 3}, "seq", 1),
    ("lstm", "LSTM", {"units": 3, "return_sequences": True}, "seq", 1),
    ("gru", "GRU", {"units": 3}, "seq", 1),
    ("gru_reset_before", "GRU", {"units": 3, "reset_after": False}, "seq", 1),
    ("lstm_backwards", "LSTM", {"units": 2, "go_backwards": True}, "seq", 1),
    ("time_distributed", "TimeDistributed", {"layer": ("Dense", {"units": 2})}, "seq", 1),
    ("bidirectional_lstm", "Bidirectional", {"layer": ("LSTM", {"units": 3})}, "seq", 1),
    ("bidirectional_gru_sum", "Bidirectional",
     {"layer": ("GRU", {"units": 2, "return_sequences": True}), "merge_mode": "sum"}, "seq", 1),
    ("category_encoding", "CategoryEncoding", {"num_tokens": 20, "output_mode": "count"}, "tok",
     1),
    ("conv1d", "Conv1D", {"filters": 2, "kernel_size": 3, "padding": "same"}, "seq", 1),
    ("conv2d", "Conv2D", {"filters": 2, "kernel_size": 3, "strides": 2, "padding": "same",
                          "activation": "tanh"}, "img", 1),
    ("conv2d_dilated", "Conv2D", {"filters": 2, "kernel_size": 2, "dilation_rate": 2}, "img",
     1),
    ("depthwise_conv2d", "DepthwiseConv2D", {"kernel_size": 3, "depth_multiplier": 2}, "img",
     1),
    ("separable_conv2d", "SeparableConv2D", {"filters": 2, "kernel_size": 3}, "img", 1),
    ("conv2d_transpose", "Conv2DTranspose", {"filters": 2, "kernel_size": 3, "strides": 2},
     "img", 1),
    ("depthwise_conv1d", "DepthwiseConv1D", {"kernel_size": 3}, "seq", 1),
    ("separable_conv1d", "SeparableConv1D", {"filters": 2, "kernel_size": 3}, "seq", 1),
    ("conv1d_transpose", "Conv1DTranspose", {"filters": 2, "kernel_size": 3, "strides": 2},
     "seq", 1),
    ("conv3d", "Conv3D", {"filters": 2, "kernel_size": 2}, "vol", 1),
    ("dot", "Dot", {"axes": -1}, "vec", "pair"),
    *[(name.lower(), name, {}, "vec", "pair")
      for name in ("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum")],
    ("concatenate", "Concatenate", {"axis": -1}, "seq", "pair"),
    ("embedding", "Embedding", {"input_dim": 20, "output_dim": 4}, "tok", 1),
    ("max_pooling1d", "MaxPooling1D", {"pool_size": 2}, "seq", 1),
    ("max_pooling2d", "MaxPooling2D", {"pool_size": 2, "padding": "same"}, "img", 1),
    ("average_pooling1d", "AveragePooling1D", {"pool_size": 2}, "seq", 1),
    ("average_pooling2d", "AveragePooling2D", {"pool_size": 3, "strides": 2}, "img", 1),
    ("global_average_pooling1d", "GlobalAveragePooling1D", {}, "seq", 1),
    ("global_average_pooling2d", "GlobalAveragePooling2D", {}, "img", 1),
    ("global_max_pooling1d", "GlobalMaxPooling1D", {}, "seq", 1),
    ("global_max_pooling2d", "GlobalMaxPooling2D", {"keepdims": True}, "img", 1),
    ("random_flip", "RandomFlip", {}, "img", 1),
    ("random_contrast", "RandomContrast", {"factor": 0.2}, "img", 1),
    ("random_crop", "RandomCrop", {"height": 6, "width": 6}, "img", 1),
    ("random_rotation", "RandomRotation", {"factor": 0.1}, "img", 1),
    ("random_zoom", "RandomZoom", {"height_factor": 0.1}, "img", 1),
    ("random_translation", "RandomTranslation", {"height_factor": 0.1, "width_factor": 0.1},
     "img", 1),
    ("resizing", "Resizing", {"height": 4, "width": 6}, "img", 1),
    ("center_crop", "CenterCrop", {"height": 6, "width": 5}, "img", 1),
    ("masking", "Masking", {"mask_value": 0.0}, "seq", 1),
    ("normalization", "Normalization", {}, "seq", 1),
    ("normalization_fixed", "Normalization", {"mean": 1.0, "variance": 2.0}, "seq", 1),
    ("unit_normalization", "UnitNormalization", {}, "seq", 1),
    ("group_normalization", "GroupNormalization", {"groups": 2}, "seq", 1),
    ("max_pooling3d", "MaxPooling3D", {"pool_size": 2}, "vol", 1),
    ("average_pooling3d", "AveragePooling3D", {"pool_size": 2}, "vol", 1),
    ("global_average_pooling3d", "GlobalAveragePooling3D", {}, "vol", 1),
    ("global_max_pooling3d", "GlobalMaxPooling3D", {}, "vol", 1),
    ("rescaling", "Rescaling", {"scale": 0.5, "offset": 0.1}, "img", 1),
    ("p_re_lu", "PReLU", {}, "seq", 1),
    ("dropout", "Dropout", {"rate": 0.5}, "vec", 1),
    ("gaussian_noise", "GaussianNoise", {"stddev": 0.1}, "vec", 1),
    ("spatial_dropout1d", "SpatialDropout1D", {"rate": 0.5}, "seq", 1),
    ("spatial_dropout2d", "SpatialDropout2D", {"rate": 0.5}, "img", 1),
    ("gaussian_dropout", "GaussianDropout", {"rate": 0.3}, "vec", 1),
    ("alpha_dropout", "AlphaDropout", {"rate": 0.3}, "vec", 1),
    ("flatten", "Flatten", {}, "img", 1),
    ("reshape", "Reshape", {"target_shape": (4, 6)}, "seq", 1),
    ("permute", "Permute", {"dims": (2, 1)}, "seq", 1),
    ("repeat_vector", "RepeatVector", {"n": 3}, "vec", 1),
    ("zero_padding2d", "ZeroPadding2D", {"padding": ((1, 2), (0, 1))}, "img", 1),
    ("up_sampling2d", "UpSampling2D", {"size": 2}, "img", 1),
    ("cropping2d", "Cropping2D", {"cropping": ((1, 0), (2, 1))}, "img", 1),
    ("up_sampling1d", "UpSampling1D", {"size": 2}, "seq", 1),
    ("zero_padding1d", "ZeroPadding1D", {"padding": (1, 2)}, "seq", 1),
    ("cropping1d", "Cropping1D", {"cropping": (1, 2)}, "seq", 1),
]

#: Cases where Keras 3.15's own predict() disagrees with its documentation, so predictions
#: are not compared (the layer's config is): RandomCrop's `transform_images` returns the
#: images unchanged when not training (its docstring and compute_output_shape say they are
#: cropped to height x width, as the engine does).
KERAS_PREDICT_DIFFERS = {"random_crop"}


def make_layer(layers_module, class_name, kwargs):
    """`class_name(**kwargs)` from `layers_module` (engine.layers or keras.layers); a
    `("Class", {...})` value is an inner layer."""
    kwargs = {k: make_layer(layers_module, *v) if isinstance(v, tuple) and len(v) == 2 and
              isinstance(v[0], str) else v for k, v in kwargs.items()}
    return getattr(layers_module, class_name)(**kwargs)


def case_model(api, case):
    """A functional model around the case's layer; `api` is the engine or keras module."""
    _, class_name, kwargs, kind, call = case
    first = api.Input(SHAPES[kind])
    layer = make_layer(api.layers, class_name, kwargs)
    if call == "pair":
        second = api.Input(SHAPES[kind])
        return api.Model([first, second], layer([first, second]))
    if call == "mha":
        second = api.Input(SHAPES[kind])
        return api.Model([first, second], layer(first, second))
    return api.Model(first, layer(first))


def case_inputs(case, rng, batch=3) -> list:
    _, _, _, kind, call = case
    count = 1 if call == 1 else 2
    if kind == "tok":
        return [rng.integers(1, 20, size=(batch, *SHAPES[kind])).astype("float32")] * count
    arrays = [rng.normal(size=(batch, *SHAPES[kind])).astype("float32") for _ in range(count)]
    if kind == "seq":
        arrays[0][0, -2:] = 0.0  # padded steps for Masking
    return arrays


def random_weights(weights, names, rng) -> list:
    """Random arrays shaped like `weights`; variances positive, counts kept."""
    result = []
    for array, name in zip(weights, names):
        value = rng.normal(scale=0.5, size=np.shape(array)).astype("float32")
        if "variance" in name:
            value = np.abs(value) + 0.5
        result.append(np.asarray(array, "float32") if name.endswith("count") else value)
    return result


def as_list(outputs) -> list:
    return [np.asarray(o) for o in (outputs if isinstance(outputs, (list, tuple)) else [outputs])]


def max_difference(a, b) -> float:
    a, b = as_list(a), as_list(b)
    assert [x.shape for x in a] == [y.shape for y in b]
    return max(float(np.max(np.abs(x - y))) for x, y in zip(a, b))


@pytest.fixture
def keras():
    pytest.importorskip("torch")
    return pytest.importorskip("keras")


@pytest.fixture
def h5py():
    return pytest.importorskip("h5py")
