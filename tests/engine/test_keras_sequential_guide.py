"""The Keras guide "The Sequential model" (keras-io guides/sequential_model.py), run on the
engine.

Each test is one section of the guide with its code as written, except the imports
(`import tensorflow as tf` / `import keras` / `from keras import layers` become the lines
below, and `tf.ones` becomes `np.ones`). The asserts check what the guide's comments and text
say. The guide's `...` placeholders (load_weights, compile, fit) are filled in with small data.

Left out: the second transfer-learning blueprint, which stacks
`keras.applications.Xception(weights='imagenet')` in a Sequential: it needs downloaded
pre-trained weights and a model nested as a layer, neither of which LayerCraft has.
"""

import numpy as np

import engine as keras
from engine import layers


def test_when_to_use_a_sequential_model():
    # Define Sequential model with 3 layers
    model = keras.Sequential(
        [
            layers.Dense(2, activation="relu", name="layer1"),
            layers.Dense(3, activation="relu", name="layer2"),
            layers.Dense(4, name="layer3"),
        ]
    )
    # Call model on a test input
    x = np.ones((3, 3))
    y = model(x)

    # is equivalent to this function (here with the model's own layers, so same weights):
    layer1, layer2, layer3 = model.layers
    np.testing.assert_allclose(layer3(layer2(layer1(x))), y, rtol=1e-6)

    # Create 3 layers
    layer1 = layers.Dense(2, activation="relu", name="layer1")
    layer2 = layers.Dense(3, activation="relu", name="layer2")
    layer3 = layers.Dense(4, name="layer3")

    # Call layers on a test input
    x = np.ones((3, 3))
    y = layer3(layer2(layer1(x)))
    assert y.shape == (3, 4)


def test_creating_a_sequential_model():
    model = keras.Sequential(
        [
            layers.Dense(2, activation="relu"),
            layers.Dense(3, activation="relu"),
            layers.Dense(4),
        ]
    )
    model.layers  # noqa: B018 - the guide shows the attribute
    assert len(model.layers) == 3

    model = keras.Sequential()
    model.add(layers.Dense(2, activation="relu"))
    model.add(layers.Dense(3, activation="relu"))
    model.add(layers.Dense(4))

    model.pop()
    print(len(model.layers))  # 2
    assert len(model.layers) == 2

    model = keras.Sequential(name="my_sequential")
    model.add(layers.Dense(2, activation="relu", name="layer1"))
    model.add(layers.Dense(3, activation="relu", name="layer2"))
    model.add(layers.Dense(4, name="layer3"))
    assert model.name == "my_sequential"
    assert [layer.name for layer in model.layers] == ["layer1", "layer2", "layer3"]


def test_specifying_the_input_shape_in_advance(capsys):
    layer = layers.Dense(3)
    layer.weights  # Empty  # noqa: B018
    assert layer.weights == []

    # Call layer on a test input
    x = np.ones((1, 4))
    y = layer(x)
    assert y.shape == (1, 3)
    layer.weights  # Now it has weights, of shape (4, 3) and (3,)  # noqa: B018
    assert [w.shape for w in layer.weights] == [(4, 3), (3,)]

    model = keras.Sequential(
        [
            layers.Dense(2, activation="relu"),
            layers.Dense(3, activation="relu"),
            layers.Dense(4),
        ]
    )  # No weights at this stage!
    assert model.weights == [] and not model.built

    # Call the model on a test input
    x = np.ones((1, 4))
    y = model(x)
    print("Number of weights after calling the model:", len(model.weights))  # 6
    assert len(model.weights) == 6

    model.summary()
    assert "Total params: 35 " in capsys.readouterr().out

    model = keras.Sequential()
    model.add(keras.Input(shape=(4,)))
    model.add(layers.Dense(2, activation="relu"))

    model.summary()
    assert "(None, 2)" in capsys.readouterr().out

    model.layers  # noqa: B018 - the guide shows the attribute
    assert len(model.layers) == 1  # the Input is not a layer

    model = keras.Sequential()
    model.add(layers.Dense(2, activation="relu", input_shape=(4,)))

    model.summary()
    assert "(None, 2)" in capsys.readouterr().out
    assert len(model.weights) == 2  # weights even before seeing any data


def test_a_common_debugging_workflow_add_and_summary(capsys):
    model = keras.Sequential()
    model.add(keras.Input(shape=(250, 250, 3)))  # 250x250 RGB images
    model.add(layers.Conv2D(32, 5, strides=2, activation="relu"))
    model.add(layers.Conv2D(32, 3, activation="relu"))
    model.add(layers.MaxPooling2D(3))

    # Can you guess what the current output shape is at this point? Probably not.
    # Let's just print it:
    model.summary()

    # The answer was: (40, 40, 32), so we can keep downsampling...
    assert "(None, 40, 40, 32)" in capsys.readouterr().out

    model.add(layers.Conv2D(32, 3, activation="relu"))
    model.add(layers.Conv2D(32, 3, activation="relu"))
    model.add(layers.MaxPooling2D(3))
    model.add(layers.Conv2D(32, 3, activation="relu"))
    model.add(layers.Conv2D(32, 3, activation="relu"))
    model.add(layers.MaxPooling2D(2))

    # And now?
    model.summary()
    assert "(None, 4, 4, 32)" in capsys.readouterr().out

    # Now that we have 4x4 feature maps, time to apply global max pooling.
    model.add(layers.GlobalMaxPooling2D())

    # Finally, we add a classification layer.
    model.add(layers.Dense(10))
    assert model.output_shapes == [(10,)]


def test_feature_extraction_with_a_sequential_model():
    initial_model = keras.Sequential(
        [
            keras.Input(shape=(250, 250, 3)),
            layers.Conv2D(32, 5, strides=2, activation="relu"),
            layers.Conv2D(32, 3, activation="relu"),
            layers.Conv2D(32, 3, activation="relu"),
        ]
    )
    feature_extractor = keras.Model(
        inputs=initial_model.inputs,
        outputs=[layer.output for layer in initial_model.layers],
    )

    # Call feature extractor on test input.
    x = np.ones((1, 250, 250, 3))
    features = feature_extractor(x)
    assert [f.shape for f in features] == [(1, 123, 123, 32), (1, 121, 121, 32),
                                           (1, 119, 119, 32)]

    initial_model = keras.Sequential(
        [
            keras.Input(shape=(250, 250, 3)),
            layers.Conv2D(32, 5, strides=2, activation="relu"),
            layers.Conv2D(32, 3, activation="relu", name="my_intermediate_layer"),
            layers.Conv2D(32, 3, activation="relu"),
        ]
    )
    feature_extractor = keras.Model(
        inputs=initial_model.inputs,
        outputs=initial_model.get_layer(name="my_intermediate_layer").output,
    )
    # Call feature extractor on test input.
    x = np.ones((1, 250, 250, 3))
    features = feature_extractor(x)
    assert features.shape == (1, 121, 121, 32)


def test_transfer_learning_freezing_all_layers_but_the_last(rng, tmp_path):
    pretrained = keras.Sequential([keras.Input(shape=(784)), layers.Dense(32),
                                   layers.Dense(32), layers.Dense(32), layers.Dense(10)])
    pretrained.save_weights(tmp_path / "pretrained.weights.lcw")
    x, y = rng.random((64, 784)), rng.integers(0, 10, 64)

    model = keras.Sequential([
        keras.Input(shape=(784)),
        layers.Dense(32, activation='relu'),
        layers.Dense(32, activation='relu'),
        layers.Dense(32, activation='relu'),
        layers.Dense(10),
    ])

    # Presumably you would want to first load pre-trained weights.
    model.load_weights(tmp_path / "pretrained.weights.lcw")

    # Freeze all layers except the last one.
    for layer in model.layers[:-1]:
        layer.trainable = False

    # Recompile and train (this will only update the weights of the last layer).
    model.compile(optimizer="adam",
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(x, y, epochs=2, verbose=0)

    after = model.get_weights()
    for before_w, after_w in zip(pretrained.get_weights()[:-2], after[:-2]):
        np.testing.assert_array_equal(before_w, after_w)
    assert not np.allclose(pretrained.get_weights()[-2], after[-2])
