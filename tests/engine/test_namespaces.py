"""Keras's namespaces on the engine: initializer and regularizer classes, activation
functions, `optimizers.schedules` and the lower-case merge functions of `layers`.

Golden values come from the Keras docstrings (`keras/src/...`), quoted beside each test.
"""

import json
import math

import numpy as np
import pytest

import engine
from engine import Input, Model, initializers, layers, regularizers
from engine.errors import SpecError

# ----- initializers -------------------------------------------------------------------------

def test_that_constant_initializers_give_keras_values():
    # keras/src/initializers/constant_initializers.py docstrings.
    np.testing.assert_array_equal(initializers.Zeros()((2, 2)), np.zeros((2, 2)))
    np.testing.assert_array_equal(initializers.Ones()((2, 2)), np.ones((2, 2)))
    np.testing.assert_array_equal(initializers.Constant(10.0)((2, 2)), np.full((2, 2), 10.0))
    np.testing.assert_array_equal(initializers.Identity(gain=2.0)((2, 3)), 2 * np.eye(2, 3))
    assert initializers.Ones()((3,)).dtype == np.float32


def test_that_identity_refuses_a_shape_that_is_not_a_matrix():
    with pytest.raises(SpecError, match="only be used for 2D matrices. Received: shape=\\(3,\\)"):
        initializers.Identity()((3,))


@pytest.mark.parametrize("cls,limit", [
    (initializers.GlorotUniform, math.sqrt(6 / (300 + 200))),
    (initializers.HeUniform, math.sqrt(6 / 300)),
    (initializers.LecunUniform, math.sqrt(3 / 300)),
])
def test_that_uniform_variance_scaling_classes_fill_their_limit(cls, limit):
    w = cls(seed=0)((300, 200))
    assert np.abs(w).max() <= limit and np.abs(w).max() > 0.98 * limit


@pytest.mark.parametrize("cls,std", [
    (initializers.HeNormal, math.sqrt(2 / 400)),
    (initializers.LecunNormal, math.sqrt(1 / 400)),
    (initializers.GlorotNormal, math.sqrt(2 / 700)),
])
def test_that_normal_variance_scaling_classes_have_keras_std_and_truncation(cls, std):
    w = cls(seed=1)((400, 300))
    assert abs(w.std() - std) / std < 0.03
    assert np.abs(w).max() <= 2 * std / 0.87962566103423978 + 1e-6


def test_that_random_classes_take_keras_arguments():
    n = initializers.RandomNormal(mean=1.0, stddev=2.0, seed=0)((20000,))
    assert abs(n.mean() - 1.0) < 0.05 and abs(n.std() - 2.0) < 0.05
    u = initializers.RandomUniform(minval=2.0, maxval=3.0, seed=0)((1000,))
    assert u.min() >= 2.0 and u.max() < 3.0
    t = initializers.TruncatedNormal(mean=0.0, stddev=1.0, seed=0)((5000,))
    assert np.abs(t).max() <= 2.0
    q = initializers.Orthogonal(gain=3.0, seed=0)((6, 6))
    np.testing.assert_allclose(q.T @ q, 9 * np.eye(6), atol=1e-4)
    vs = initializers.VarianceScaling(scale=0.1, mode="fan_avg", distribution="uniform", seed=0)
    assert np.abs(vs((40, 60))).max() <= math.sqrt(3 * 0.1 / 50)


def test_that_a_seeded_or_unseeded_initializer_repeats_its_values_as_in_keras():
    # Keras: "an initializer seeded with an integer or None (unseeded) will produce the same
    # random values across multiple calls".
    for initializer in (initializers.HeNormal(seed=5), initializers.GlorotUniform()):
        np.testing.assert_array_equal(initializer((4, 3)), initializer((4, 3)))
    np.testing.assert_array_equal(initializers.HeNormal(seed=5)((4, 3)),
                                  initializers.HeNormal(seed=5)((4, 3)))


def test_that_set_random_seed_makes_unseeded_initializers_repeatable():
    engine.utils.set_random_seed(7)
    first = initializers.HeNormal()((3, 3))
    engine.utils.set_random_seed(7)
    np.testing.assert_array_equal(initializers.HeNormal()((3, 3)), first)


def test_that_initializer_configs_are_keras_configs_and_round_trip():
    assert initializers.RandomNormal(mean=0.0, stddev=1.0).get_config() == {
        "mean": 0.0, "stddev": 1.0, "seed": None}
    assert initializers.HeNormal(seed=3).get_config() == {"seed": 3}
    assert initializers.VarianceScaling(distribution="normal").get_config()["distribution"] == (
        "truncated_normal")  # Keras reads "normal" as truncated
    for initializer in (initializers.Constant(3.0), initializers.Orthogonal(gain=2.0, seed=1),
                        initializers.RandomUniform(-1.0, 1.0, seed=4)):
        config = json.loads(json.dumps(initializers.serialize(initializer)))
        again = initializers.deserialize(config)
        assert type(again) is type(initializer) and again.get_config() == initializer.get_config()


@pytest.mark.parametrize("identifier,cls", [
    ("he_normal", initializers.HeNormal), ("HeNormal", initializers.HeNormal),
    ("normal", initializers.RandomNormal), ("uniform", initializers.RandomUniform),
    ("zero", initializers.Zeros), (initializers.Ones, initializers.Ones),
    ({"class_name": "Constant", "config": {"value": 2.0}}, initializers.Constant),
])
def test_that_get_accepts_names_class_names_aliases_classes_and_configs(identifier, cls):
    assert type(initializers.get(identifier)) is cls


def test_that_lower_case_class_aliases_exist_as_in_keras():
    assert initializers.he_normal is initializers.HeNormal
    assert initializers.glorot_uniform(seed=1).get_config() == {"seed": 1}


def test_that_a_bad_initializer_says_what_was_expected():
    with pytest.raises(SpecError, match="Unknown initializer 'glorot'.*'glorot_uniform'"):
        initializers.get("glorot")
    with pytest.raises(SpecError, match="`seed` must be None or an integer >= 0.*seed='a'"):
        initializers.HeNormal(seed="a")
    with pytest.raises(SpecError, match="`kernel_initializer`.*Could not interpret"):
        layers.Dense(2, kernel_initializer=lambda shape, dtype=None: np.ones(shape))


def test_that_dense_takes_initializer_and_regularizer_instances_into_its_spec():
    dense = layers.Dense(4, kernel_initializer=initializers.HeNormal(seed=1),
                         bias_initializer=initializers.Constant(0.5),
                         kernel_regularizer=regularizers.L2(1e-4))
    config = dense.get_config()
    assert config["kernel_initializer"] == {"class_name": "HeNormal", "config": {"seed": 1}}
    assert config["bias_initializer"] == {"class_name": "Constant", "config": {"value": 0.5}}
    assert config["kernel_regularizer"] == {"class_name": "L2", "config": {"l2": 0.0001}}
    dense.build((3,))
    np.testing.assert_array_equal(dense.params["kernel"],
                                  initializers.HeNormal(seed=1)((3, 4)))
    np.testing.assert_array_equal(dense.params["bias"], np.full(4, 0.5))
    assert type(layers.Dense.from_config(config).kernel_regularizer) is regularizers.L2


def test_that_a_model_with_instances_saves_and_loads(tmp_path, rng):
    x = Input((3,))
    y = layers.Dense(2, kernel_initializer=initializers.GlorotNormal(seed=2),
                     kernel_regularizer=regularizers.L1L2(l1=1e-5, l2=1e-4))(x)
    model = Model(x, y)
    model.save(tmp_path / "m.lcm")
    again = engine.load_model(tmp_path / "m.lcm")
    assert again.to_spec() == json.loads(json.dumps(model.to_spec()))
    data = rng.random((5, 3)).astype(np.float32)
    np.testing.assert_allclose(again.predict(data, verbose=0), model.predict(data, verbose=0))


# ----- regularizers -------------------------------------------------------------------------

def test_that_regularizers_compute_keras_penalties():
    w = np.array([[1.0, -2.0], [0.5, 0.0]])
    assert regularizers.L1(0.1)(w) == pytest.approx(0.1 * 3.5)
    assert regularizers.L2(0.1)(w) == pytest.approx(0.1 * 5.25)
    assert regularizers.L1L2(l1=0.1, l2=0.2)(w) == pytest.approx(0.35 + 1.05)
    np.testing.assert_allclose(regularizers.L1L2(0.1, 0.2).gradient(w),
                               0.1 * np.sign(w) + 0.4 * w)


def test_that_regularizer_defaults_and_lower_case_aliases_are_keras():
    assert regularizers.L1().get_config() == {"l1": 0.01}
    assert regularizers.L2().get_config() == {"l2": 0.01}
    assert regularizers.L1L2().get_config() == {"l1": 0.0, "l2": 0.0}
    assert regularizers.L1L2(l1=None, l2=0.5).get_config() == {"l1": 0.0, "l2": 0.5}
    assert regularizers.l2 is regularizers.L2 and regularizers.l1_l2 is regularizers.L1L2
    assert regularizers.l2(1e-4).get_config() == {"l2": 1e-4}


def test_that_regularizers_round_trip_through_serialize():
    for reg in (regularizers.L1(0.3), regularizers.L2(0.2), regularizers.L1L2(0.1, 0.2)):
        again = regularizers.deserialize(json.loads(json.dumps(regularizers.serialize(reg))))
        assert type(again) is type(reg) and again.get_config() == reg.get_config()
    assert type(regularizers.get(regularizers.L2)) is regularizers.L2


def test_that_a_negative_factor_is_refused_with_keras_message():
    with pytest.raises(SpecError, match="l2: expected a non-negative float. Received: l2=-1"):
        regularizers.L2(-1)


# ----- activation functions -----------------------------------------------------------------

KERAS_X = [-10, -5, 0.0, 5, 10]


@pytest.mark.parametrize("kwargs,expected", [
    # keras/src/activations/activations.py, relu docstring.
    ({}, [0.0, 0.0, 0.0, 5.0, 10.0]),
    ({"negative_slope": 0.5}, [-5.0, -2.5, 0.0, 5.0, 10.0]),
    ({"max_value": 5.0}, [0.0, 0.0, 0.0, 5.0, 5.0]),
    ({"threshold": 5.0}, [-0.0, -0.0, 0.0, 0.0, 10.0]),
])
def test_that_relu_gives_the_keras_docstring_values(kwargs, expected):
    y = engine.activations.relu(KERAS_X, **kwargs)
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y, expected)


def test_that_activation_functions_take_keras_arguments():
    a = engine.activations
    x = np.array([[-2.0, -0.5, 0.0, 1.5], [3.0, -1.0, 0.25, 2.0]], dtype=np.float32)
    np.testing.assert_allclose(a.leaky_relu(x), np.where(x > 0, x, 0.2 * x))
    np.testing.assert_allclose(a.leaky_relu(x, negative_slope=0.5), np.where(x > 0, x, 0.5 * x))
    np.testing.assert_allclose(a.elu(x, alpha=2.0), np.where(x > 0, x, 2 * np.expm1(x)),
                               rtol=1e-6)
    tanh_form = 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)))
    np.testing.assert_allclose(a.gelu(x, approximate=True), tanh_form, rtol=1e-6)
    np.testing.assert_allclose(a.softmax(x, axis=0).sum(axis=0), 1.0, rtol=1e-6)
    np.testing.assert_allclose(a.softmax(x).sum(axis=-1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(a.log_softmax(x, axis=0), np.log(a.softmax(x, axis=0)),
                               atol=1e-6)
    np.testing.assert_allclose(a.relu(x, max_value=1.0, negative_slope=0.1),
                               np.where(x > 0, np.minimum(x, 1.0), 0.1 * x))


@pytest.mark.parametrize("name", sorted(engine.activations.FUNCTIONS))
def test_that_each_function_matches_the_layer_activation_of_its_name(name, rng):
    x = rng.normal(size=(3, 5)).astype(np.float32)
    y = getattr(engine.activations, name)(x)
    np.testing.assert_allclose(y, engine.activations.get(name).forward(x), rtol=1e-6)
    assert y.dtype == np.float32 and y.shape == x.shape


def test_that_get_and_serialize_accept_the_functions():
    a = engine.activations
    assert a.get(a.relu) is a.get("relu")
    assert a.serialize(a.relu) == "relu" and a.serialize("swish") == "silu"
    assert a.deserialize("tanh") is a.tanh
    assert a.get(None).name == "linear"
    with pytest.raises(SpecError, match="Could not interpret activation.*'relu'"):
        a.get(lambda x: x)
    with pytest.raises(SpecError, match="Unknown activation 'relux'"):
        a.get("relux")


# ----- optimizers.schedules -----------------------------------------------------------------

def test_that_the_schedules_live_under_keras_path():
    # keras-io guides/training_with_built_in_methods.py, "Passing a schedule to an optimizer".
    keras = engine
    initial_learning_rate = 0.1
    lr_schedule = keras.optimizers.schedules.ExponentialDecay(
        initial_learning_rate, decay_steps=100000, decay_rate=0.96, staircase=True
    )

    optimizer = keras.optimizers.RMSprop(learning_rate=lr_schedule)
    assert [lr_schedule(0), lr_schedule(99999), lr_schedule(100000)] == pytest.approx(
        [0.1, 0.1, 0.096])  # staircase: 0.1 * 0.96 ** floor(step / 100000)
    assert optimizer.get_config()["learning_rate"]["class_name"] == "ExponentialDecay"
    assert engine.optimizers.schedules.CosineDecay is engine.schedules.CosineDecay
    config = engine.optimizers.schedules.serialize(lr_schedule)
    assert engine.optimizers.schedules.deserialize(config).get_config() == (
        lr_schedule.get_config())


def test_that_schedules_import_from_the_keras_module_path():
    from engine.optimizers.schedules import PiecewiseConstantDecay

    schedule = PiecewiseConstantDecay(boundaries=[100, 110], values=[1.0, 0.5, 0.1])
    assert [schedule(s) for s in (100, 101, 111)] == pytest.approx([1.0, 0.5, 0.1])


# ----- lower-case merge functions -----------------------------------------------------------

def test_that_lower_case_merge_functions_compute_eagerly_on_arrays(rng):
    # keras/src/layers/merging/add.py docstring: `y = keras.layers.add([x1, x2])`.
    x1, x2 = rng.random((2, 3, 4)), rng.random((2, 3, 4))
    np.testing.assert_allclose(layers.add([x1, x2]), x1 + x2, rtol=1e-6)
    np.testing.assert_allclose(layers.subtract([x1, x2]), x1 - x2, rtol=1e-6)
    np.testing.assert_allclose(layers.multiply([x1, x2]), x1 * x2, rtol=1e-6)
    np.testing.assert_allclose(layers.average([x1, x2]), (x1 + x2) / 2, rtol=1e-6)
    np.testing.assert_allclose(layers.maximum([x1, x2]), np.maximum(x1, x2), rtol=1e-6)
    np.testing.assert_allclose(layers.minimum([x1, x2]), np.minimum(x1, x2), rtol=1e-6)
    assert layers.concatenate([x1, x2], axis=1).shape == (2, 6, 4)


def test_that_merge_functions_add_named_layers_to_a_functional_model():
    # keras/src/layers/merging/add.py docstring, "Usage in a Keras model".
    keras = engine
    input1 = keras.layers.Input(shape=(16,))
    x1 = keras.layers.Dense(8, activation='relu')(input1)
    input2 = keras.layers.Input(shape=(32,))
    x2 = keras.layers.Dense(8, activation='relu')(input2)
    added = keras.layers.add([x1, x2])
    out = keras.layers.Dense(4)(added)
    model = keras.models.Model(inputs=[input1, input2], outputs=out)
    assert model.predict([np.ones((2, 16)), np.ones((2, 32))], verbose=0).shape == (2, 4)
    joined = layers.concatenate([x1, x2], name="joined")
    assert Model([input1, input2], joined).get_layer("joined").get_config()["axis"] == -1


def test_the_multi_input_ticket_model_of_the_functional_api_guide(rng):
    # keras-io guides/functional_api.py, "Models with multiple inputs and outputs", with
    # `from tensorflow import keras` -> `import engine as keras`, 64 samples instead of 1280,
    # and fixed sequence lengths (10 and 20) for `shape=(None,)`: the engine's inputs have
    # fixed shapes.
    keras = engine
    num_tags = 12  # Number of unique issue tags
    num_words = 10000  # Size of vocabulary obtained when preprocessing text data
    num_departments = 4  # Number of departments for predictions

    title_input = keras.Input(shape=(10,), name="title")
    body_input = keras.Input(shape=(20,), name="body")
    tags_input = keras.Input(shape=(num_tags,), name="tags")
    title_features = layers.Embedding(num_words, 64)(title_input)
    body_features = layers.Embedding(num_words, 64)(body_input)
    title_features = layers.LSTM(128)(title_features)
    body_features = layers.LSTM(32)(body_features)
    x = layers.concatenate([title_features, body_features, tags_input])
    priority_pred = layers.Dense(1, name="priority")(x)
    department_pred = layers.Dense(num_departments, name="department")(x)
    model = keras.Model(
        inputs=[title_input, body_input, tags_input],
        outputs=[priority_pred, department_pred],
    )
    model.compile(
        optimizer=keras.optimizers.RMSprop(1e-3),
        loss={
            "priority": keras.losses.BinaryCrossentropy(from_logits=True),
            "department": keras.losses.CategoricalCrossentropy(from_logits=True),
        },
        loss_weights={"priority": 1.0, "department": 0.2},
    )
    title_data = rng.integers(num_words, size=(64, 10))
    body_data = rng.integers(num_words, size=(64, 20))
    tags_data = rng.integers(2, size=(64, num_tags)).astype("float32")
    priority_targets = rng.random(size=(64, 1))
    dept_targets = rng.integers(2, size=(64, num_departments))
    history = model.fit(
        {"title": title_data, "body": body_data, "tags": tags_data},
        {"priority": priority_targets, "department": dept_targets},
        epochs=2,
        batch_size=32,
        verbose=0,
    )
    assert len(history.history["loss"]) == 2
    assert model.output_shapes == [(1,), (num_departments,)]


def test_the_toy_resnet_of_the_functional_api_guide(rng):
    # keras-io guides/functional_api.py, "A toy ResNet model": `layers.add` and
    # `keras.utils.to_categorical`, with CIFAR-10 replaced by 20 random images.
    keras = engine
    inputs = keras.Input(shape=(32, 32, 3), name="img")
    x = layers.Conv2D(32, 3, activation="relu")(inputs)
    x = layers.Conv2D(64, 3, activation="relu")(x)
    block_1_output = layers.MaxPooling2D(3)(x)
    x = layers.Conv2D(64, 3, activation="relu", padding="same")(block_1_output)
    x = layers.Conv2D(64, 3, activation="relu", padding="same")(x)
    block_2_output = layers.add([x, block_1_output])
    x = layers.Conv2D(64, 3, activation="relu", padding="same")(block_2_output)
    x = layers.Conv2D(64, 3, activation="relu", padding="same")(x)
    block_3_output = layers.add([x, block_2_output])
    x = layers.Conv2D(64, 3, activation="relu")(block_3_output)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dense(256, activation="relu")(x)
    x = layers.Dropout(0.5)(x)
    outputs = layers.Dense(10)(x)
    model = keras.Model(inputs, outputs, name="toy_resnet")
    assert model.count_params() == 223_242  # the guide's summary: "Total params: 223,242"

    x_train = rng.integers(0, 256, (20, 32, 32, 3), dtype=np.uint8)
    y_train = rng.integers(0, 10, (20, 1), dtype=np.uint8)
    x_train = x_train.astype("float32") / 255.0
    y_train = keras.utils.to_categorical(y_train, 10)
    model.compile(
        optimizer=keras.optimizers.RMSprop(1e-3),
        loss=keras.losses.CategoricalCrossentropy(from_logits=True),
        metrics=["acc"],
    )
    history = model.fit(x_train[:1000], y_train[:1000], batch_size=64, epochs=1,
                        validation_split=0.2, verbose=0)
    assert set(history.history) >= {"loss", "acc", "val_loss", "val_acc"}
