"""ONNX export, proven by onnxruntime: the exported file predicts what the engine predicts
(within 1e-4 on a fixed float32 batch), passes onnx.checker, keeps a dynamic batch axis
and the channels-last input; layers ONNX cannot express are named and nothing is written.
"""

import numpy as np
import pytest

from engine import Input, Model, Sequential, layers
from engine.errors import SpecError
from engine.interop import export

pytestmark = pytest.mark.interop
ort = pytest.importorskip("onnxruntime")
onnx = pytest.importorskip("onnx")

TOLERANCE = 1e-4


def randomize(model, seed=0):
    """Non-trivial weights (variances positive), so no layer hides behind zeros or ones."""
    rng = np.random.default_rng(seed)
    weights = []
    for layer in model.layers:
        for key, value in layer.params.items():
            w = rng.normal(0.0, 0.5, size=value.shape).astype(np.float32)
            weights.append(np.abs(w) + 0.5 if "variance" in key else w)
    model.set_weights(weights)
    return model


def onnx_outputs(path, xs) -> list:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    feeds = {}
    for info, x in zip(session.get_inputs(), xs):
        feeds[info.name] = x.astype(np.int64 if info.type == "tensor(int64)" else np.float32)
    return session.run(None, feeds)


def max_difference(model, xs, tmp_path) -> float:
    """Exports `model`, runs both, checks shapes; returns the largest absolute difference."""
    xs = xs if isinstance(xs, list) else [xs]
    path = tmp_path / "model.onnx"
    export(model, path, "onnx")
    got = onnx_outputs(path, xs)
    want = model.predict(xs if len(xs) > 1 else xs[0], verbose=0)
    want = want if isinstance(want, list) else [want]
    assert [g.shape for g in got] == [w.shape for w in want]
    return max(float(np.max(np.abs(g - w))) for g, w in zip(got, want))


def batch(shape, seed=1, size=4):
    return np.random.default_rng(seed).normal(size=(size, *shape)).astype(np.float32)


def token_ids(shape, vocabulary, seed=2, size=4):
    return np.random.default_rng(seed).integers(0, vocabulary, size=(size, *shape)).astype(
        np.float32)


# ----- the four models of the issue ------------------------------------------------------
def test_that_an_mlp_predicts_the_same_in_onnxruntime(tmp_path):
    model = randomize(Sequential([Input((20,)), layers.Dense(32, activation="relu"),
                                  layers.Dense(16, activation="tanh"),
                                  layers.Dense(5, activation="softmax")]))
    assert max_difference(model, batch((20,)), tmp_path) < TOLERANCE


def test_that_a_cnn_with_batch_normalization_predicts_the_same(tmp_path):
    model = randomize(Sequential([
        Input((12, 12, 3)), layers.Conv2D(8, 3, padding="same", activation="relu"),
        layers.BatchNormalization(), layers.MaxPooling2D(), layers.Dropout(0.5),
        layers.Conv2D(4, 3, activation="relu"), layers.Flatten(),
        layers.Dense(10, activation="softmax")]))
    assert max_difference(model, batch((12, 12, 3)), tmp_path) < TOLERANCE


def test_that_an_embedding_lstm_model_predicts_the_same(tmp_path):
    model = randomize(Sequential([Input((9,)), layers.Embedding(50, 8), layers.LSTM(16),
                                  layers.Dense(3, activation="softmax")]))
    assert max_difference(model, token_ids((9,), 50), tmp_path) < TOLERANCE


def test_that_a_functional_model_with_merges_predicts_the_same(tmp_path):
    image, extra = Input((8, 8, 1), name="image"), Input((4,), name="extra")
    features = layers.Flatten()(layers.Conv2D(4, 3, activation="relu")(image))
    joined = layers.Concatenate()([layers.Dense(6)(features), layers.Dense(6)(extra)])
    residual = layers.Add()([layers.Dense(12, activation="relu")(joined), joined])
    model = randomize(Model([image, extra], [layers.Dense(2, activation="softmax")(residual),
                                             layers.Dense(1)(residual)]))
    assert max_difference(model, [batch((8, 8, 1)), batch((4,), seed=3)], tmp_path) < TOLERANCE


# ----- the file ---------------------------------------------------------------------------
def test_that_the_file_passes_the_checker_and_states_its_opset(tmp_path):
    model = Sequential([Input((6,)), layers.Dense(3)])
    notes = export(model, tmp_path / "m.onnx", "onnx")
    proto = onnx.load(str(tmp_path / "m.onnx"))
    onnx.checker.check_model(proto, full_check=True)
    assert [(o.domain, o.version) for o in proto.opset_import] == [("", 17)]
    assert any("opset 17" in note for note in notes)
    assert any("Inference only" in note for note in notes)


def test_that_the_batch_axis_is_dynamic_and_the_input_channels_last(tmp_path):
    model = randomize(Sequential([Input((10, 10, 3), name="pixels"), layers.Conv2D(2, 3),
                                  layers.GlobalAveragePooling2D()]))
    export(model, tmp_path / "m.onnx", "onnx")
    dims = onnx.load(str(tmp_path / "m.onnx")).graph.input[0].type.tensor_type.shape.dim
    assert [d.dim_param or d.dim_value for d in dims] == ["batch", 10, 10, 3]
    for size in (1, 7):
        x = batch((10, 10, 3), size=size)
        got = onnx_outputs(tmp_path / "m.onnx", [x])[0]
        assert np.max(np.abs(got - model.predict(x, verbose=0))) < TOLERANCE


def test_that_states_and_initial_states_of_recurrent_layers_carry_over(tmp_path):
    x = Input((6, 3))
    sequence, h, c = layers.LSTM(5, return_sequences=True, return_state=True)(x)
    out, state = layers.GRU(5, return_state=True, go_backwards=True)(sequence, initial_state=[h])
    model = randomize(Model(x, [out, state, c]))
    assert max_difference(model, batch((6, 3)), tmp_path) < TOLERANCE


# ----- every converter, layer by layer ----------------------------------------------------
def _seq(shape, *stack):
    return Sequential([Input(shape), *stack])


IMAGE, SEQUENCE, VOLUME, FLAT = (9, 10, 3), (7, 4), (5, 6, 4, 2), (12,)
LONG_SEQUENCE = (24, 4)
LAYER_CASES = {
    **{f"activation_{name}": (FLAT, [layers.Dense(6, activation=name)]) for name in (
        "linear", "relu", "relu6", "leaky_relu", "elu", "selu", "gelu", "sigmoid",
        "hard_sigmoid", "tanh", "softmax", "log_softmax", "softplus", "softsign", "silu",
        "mish", "exponential")},
    "activation_layers": (FLAT, [layers.ReLU(max_value=1.0, negative_slope=0.1, threshold=0.2),
                                 layers.LeakyReLU(0.1), layers.ELU(0.5), layers.Softmax(),
                                 layers.Activation("tanh"), layers.Identity()]),
    "prelu": (SEQUENCE, [layers.PReLU(shared_axes=[1])]),
    "normalizations": (SEQUENCE, [layers.BatchNormalization(axis=1),
                                  layers.LayerNormalization(),
                                  layers.LayerNormalization(axis=1, center=False),
                                  layers.UnitNormalization(), layers.GroupNormalization(2)]),
    "inference_identities": (IMAGE, [layers.GaussianNoise(1.0), layers.SpatialDropout2D(0.5),
                                     layers.RandomFlip(), layers.RandomRotation(0.2),
                                     layers.Rescaling(0.5, 1.0)]),
    "reshaping": (FLAT, [layers.Reshape((3, -1)), layers.Permute((2, 1)), layers.Flatten(),
                         layers.RepeatVector(3), layers.ZeroPadding1D((1, 2)),
                         layers.Cropping1D((2, 1)), layers.UpSampling1D(2)]),
    "image_reshaping": (IMAGE, [layers.ZeroPadding2D((1, 2)), layers.Cropping2D((1, 0, 2, 1)),
                                layers.UpSampling2D((2, 3)), layers.CenterCrop(8, 9)]),
    "masking_values": (SEQUENCE, [layers.Masking(0.0), layers.Dense(3)]),
    "conv1d_causal": (SEQUENCE, [layers.Conv1D(4, 3, dilation_rate=2, padding="causal")]),
    "conv_variable_length": ((None, 4), [layers.Conv1D(4, 3, strides=2, padding="same"),
                                         layers.MaxPooling1D(3, 2, padding="same"),
                                         layers.AveragePooling1D(2, padding="same")]),
    "conv3d_pooling3d": (VOLUME, [layers.Conv3D(3, 2, padding="same"), layers.MaxPooling3D(),
                                  layers.AveragePooling3D((1, 2, 1), padding="same"),
                                  layers.GlobalMaxPooling3D()]),
    "global_pooling": (IMAGE, [layers.GlobalAveragePooling2D(keepdims=True),
                               layers.GlobalMaxPooling2D()]),
    "gru_not_reset_after": (SEQUENCE, [layers.GRU(5, reset_after=False,
                                                  return_sequences=True)]),
    "simple_rnn_backwards": (SEQUENCE, [layers.SimpleRNN(5, go_backwards=True,
                                                         return_sequences=True)]),
    "lstm_hard_sigmoid": (SEQUENCE, [layers.LSTM(5, recurrent_activation="hard_sigmoid",
                                                 activation="relu")]),
    "bidirectional": (SEQUENCE, [layers.Bidirectional(layers.LSTM(4, return_sequences=True)),
                                 layers.Bidirectional(layers.GRU(3), merge_mode="ave")]),
    "time_distributed": (SEQUENCE, [layers.TimeDistributed(layers.Dense(3, activation="tanh"))]),
}
for _padding in ("valid", "same"):
    for _strides, _dilation in ((1, 1), (2, 1), (1, 2)):
        _key = f"{_padding}_s{_strides}_d{_dilation}"
        _window = {"strides": _strides, "dilation_rate": _dilation, "padding": _padding}
        LAYER_CASES[f"conv2d_{_key}"] = (IMAGE, [layers.Conv2D(4, (3, 2), **_window)])
        LAYER_CASES[f"depthwise2d_{_key}"] = (IMAGE, [layers.DepthwiseConv2D(
            (3, 2), depth_multiplier=2, **_window)])
        LAYER_CASES[f"separable2d_{_key}"] = (IMAGE, [layers.SeparableConv2D(5, 3, **_window)])
        LAYER_CASES[f"transpose2d_{_key}"] = (IMAGE, [layers.Conv2DTranspose(3, (3, 2),
                                                                             **_window)])
        LAYER_CASES[f"conv1d_variants_{_key}"] = (LONG_SEQUENCE, [
            layers.Conv1D(4, 3, **_window), layers.DepthwiseConv1D(2, **_window),
            layers.SeparableConv1D(3, 2, **_window), layers.Conv1DTranspose(2, 2, **_window)])
    for _pool, _pool_strides in ((2, None), (3, 2), (2, 1)):
        LAYER_CASES[f"pooling_{_padding}_{_pool}_{_pool_strides}"] = (IMAGE, [
            layers.MaxPooling2D(_pool, _pool_strides, padding=_padding),
            layers.AveragePooling2D(_pool, _pool_strides, padding=_padding)])


@pytest.mark.parametrize("case", sorted(LAYER_CASES))
def test_that_each_converter_predicts_like_the_engine(case, tmp_path):
    shape, stack = LAYER_CASES[case]
    model = randomize(_seq(shape, *stack))
    x = batch(tuple(7 if d is None else d for d in shape))
    assert max_difference(model, x, tmp_path) < TOLERANCE


def test_that_merges_and_dot_predict_like_the_engine(tmp_path):
    a, b, c = Input((4,)), Input((4,)), Input((4,))
    outputs = [layers.Add()([a, b, c]), layers.Subtract()([a, b]),
               layers.Multiply()([a, b, c]), layers.Average()([a, b]),
               layers.Maximum()([a, b, c]), layers.Minimum()([a, b]),
               layers.Dot(axes=1)([a, b]), layers.Dot(axes=1, normalize=True)([a, c])]
    xs = [batch((4,), seed=s) for s in (1, 2, 3)]
    assert max_difference(Model([a, b, c], outputs), xs, tmp_path) < TOLERANCE


@pytest.mark.parametrize("causal", [False, True])
def test_that_attention_layers_predict_like_the_engine(causal, tmp_path):
    query, value, key = Input((5, 4)), Input((6, 4)), Input((6, 3))
    outputs = [
        layers.Attention(use_scale=True, use_causal_mask=causal)([query, value]),
        layers.Attention(score_mode="concat", use_causal_mask=causal)([query, value]),
        layers.AdditiveAttention(use_causal_mask=causal)([query, value]),
        layers.MultiHeadAttention(2, 3, use_causal_mask=causal)(query, value),
        layers.MultiHeadAttention(3, 2, value_dim=5, output_shape=7, use_bias=False,
                                  use_causal_mask=causal)(query, value, key),
    ]
    model = randomize(Model([query, value, key], outputs))
    xs = [batch((5, 4)), batch((6, 4), seed=2), batch((6, 3), seed=3)]
    assert max_difference(model, xs, tmp_path) < TOLERANCE


def test_that_self_attention_over_an_image_predicts_like_the_engine(tmp_path):
    image = Input((4, 5, 3))
    model = randomize(Model(image, layers.MultiHeadAttention(2, 4)(image, image)))
    assert max_difference(model, batch((4, 5, 3)), tmp_path) < TOLERANCE


@pytest.mark.parametrize("mode", ["one_hot", "multi_hot", "count"])
def test_that_category_encoding_predicts_like_the_engine(mode, tmp_path):
    model = _seq((3,), layers.CategoryEncoding(6, output_mode=mode))
    assert max_difference(model, token_ids((3,), 6), tmp_path) < TOLERANCE


def test_that_integer_inputs_stay_integer_token_ids(tmp_path):
    ids = Input((6,), dtype="int32")
    model = randomize(Model(ids, layers.GRU(4)(layers.Embedding(30, 5)(ids))))
    assert max_difference(model, token_ids((6,), 30), tmp_path) < TOLERANCE
    graph = onnx.load(str(tmp_path / "model.onnx")).graph
    assert graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.INT64


# ----- refusals ---------------------------------------------------------------------------
def test_that_an_unsupported_layer_is_named_and_nothing_is_written(tmp_path):
    model = _seq((8, 8, 3), layers.Resizing(4, 4, name="shrink"), layers.Flatten())
    target = tmp_path / "m.onnx"
    with pytest.raises(SpecError, match=r"'shrink' \(Resizing\).*Nothing was written"):
        export(model, target, "onnx")
    assert list(tmp_path.iterdir()) == []


def test_that_a_failed_export_leaves_an_existing_file_as_it_was(tmp_path):
    target = tmp_path / "m.onnx"
    target.write_bytes(b"the previous export")
    model = _seq((8, 8, 3), layers.Resizing(4, 4), layers.Flatten())
    with pytest.raises(SpecError):
        export(model, target, "onnx")
    assert target.read_bytes() == b"the previous export"
    assert list(tmp_path.iterdir()) == [target]


def test_that_a_mask_is_refused_with_the_fix(tmp_path):
    model = _seq((6,), layers.Embedding(20, 4, mask_zero=True), layers.LSTM(3, name="reader"))
    with pytest.raises(SpecError, match="'reader'.*mask.*mask_zero=False"):
        export(model, tmp_path / "m.onnx", "onnx")
    assert not (tmp_path / "m.onnx").exists()


def test_that_a_recurrent_activation_onnx_lacks_is_refused_by_name(tmp_path):
    model = _seq(SEQUENCE, layers.LSTM(3, activation="gelu", name="lstm_gelu"))
    with pytest.raises(SpecError, match="'lstm_gelu'.*'gelu'.*Expected one of"):
        export(model, tmp_path / "m.onnx", "onnx")


def test_that_a_model_without_an_input_yet_is_refused(tmp_path):
    with pytest.raises(SpecError, match="no Input yet"):
        export(Sequential([layers.Dense(3)]), tmp_path / "m.onnx", "onnx")
