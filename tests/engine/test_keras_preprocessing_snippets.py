"""keras-io preprocessing snippets run with only their imports changed and their data shrunk.

Sources (keras-team/keras-io): `examples/vision/image_classification_from_scratch.py`
(the data-augmentation block and "Option 1" of using it) and `guides/preprocessing_layers.py`
(the `adapt()` example, the "Normalizing numerical features" recipe and the image
augmentation stage). `from tensorflow.keras import layers` became
`from engine import layers`, `keras` is `engine`; other changes are marked `# changed:`.
"""

import numpy as np

import engine as keras
from engine import layers


def test_the_data_augmentation_block_of_image_classification_from_scratch(rng):
    # changed: a small batch of random pixels instead of the PetImages dataset.
    images = rng.uniform(0, 255, (9, 18, 18, 3)).astype("float32")
    image_size = (18, 18)

    data_augmentation_layers = [
        layers.RandomFlip("horizontal"),
        layers.RandomRotation(0.1),
    ]

    def data_augmentation(images):
        for layer in data_augmentation_layers:
            images = layer(images)
        return images

    augmented_images = data_augmentation(images)
    assert augmented_images.shape == images.shape
    assert not np.allclose(augmented_images, images)  # applied, as in Keras's eager calls

    # "Option 1: Make it part of the model".
    input_shape = image_size + (3,)
    inputs = keras.Input(shape=input_shape)
    x = data_augmentation(inputs)
    x = layers.Rescaling(1.0 / 255)(x)
    x = layers.GlobalAveragePooling2D()(x)  # changed: "... # Rest of the model"
    outputs = layers.Dense(1, activation="sigmoid")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="binary_crossentropy",
                  metrics=["accuracy"])
    labels = rng.integers(0, 2, (9, 1)).astype("float32")
    model.fit(images, labels, epochs=2, verbose=0)
    # "Note that data augmentation and dropout are inactive at inference time."
    np.testing.assert_array_equal(model.predict(images, verbose=0),
                                  model.predict(images, verbose=0))


def test_the_adapt_example_of_the_preprocessing_layers_guide():
    data = np.array(
        [
            [0.1, 0.2, 0.3],
            [0.8, 0.9, 1.0],
            [1.5, 1.6, 1.7],
        ]
    )
    layer = layers.Normalization()
    layer.adapt(data)
    normalized_data = layer(data)

    # changed: `normalized_data.numpy()` -> `np.asarray(normalized_data)` (NumPy results).
    # The guide prints "Features mean: -0.00" (the sign of a rounding residue).
    mean_text = "Features mean: %.2f" % (np.asarray(normalized_data).mean())
    assert mean_text in ("Features mean: 0.00", "Features mean: -0.00")
    assert "Features std: %.2f" % (np.asarray(normalized_data).std()) == "Features std: 1.00"


def test_the_normalizing_numerical_features_recipe(rng):
    # Load some data
    # changed: 64 random CIFAR-10-shaped images instead of keras.datasets.cifar10.
    x_train = rng.integers(0, 256, (64, 32, 32, 3), dtype=np.uint8)
    y_train = rng.integers(0, 10, (64, 1))
    x_train = x_train.reshape((len(x_train), -1))
    input_shape = x_train.shape[1:]
    classes = 10

    # Create a Normalization layer and set its internal state using the training data
    normalizer = layers.Normalization()
    normalizer.adapt(x_train)

    # Create a model that include the normalization layer
    inputs = keras.Input(shape=input_shape)
    x = normalizer(inputs)
    outputs = layers.Dense(classes, activation="softmax")(x)
    model = keras.Model(inputs, outputs)

    # Train the model
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x_train, y_train, verbose=0)  # changed: verbose=0 keeps the test log quiet

    np.testing.assert_allclose(normalizer.get_weights()[0], x_train.mean(axis=0), rtol=1e-5)
    features = normalizer(x_train.astype("float32"))
    np.testing.assert_allclose(features.mean(axis=0), 0.0, atol=1e-4)


def test_the_image_augmentation_stage_of_the_preprocessing_layers_guide(rng):
    # Create a data augmentation stage with horizontal flipping, rotations, zooms
    data_augmentation = keras.Sequential(
        [
            layers.RandomFlip("horizontal"),
            layers.RandomRotation(0.1),
            layers.RandomZoom(0.1),
        ]
    )
    # changed: one batch of 16 random CIFAR-10-shaped images instead of a tf.data map, and
    # training=True (Keras's Sequential passes its layers' own default, training).
    x = rng.integers(0, 256, (16, 32, 32, 3)).astype("float32")
    augmented = data_augmentation(x, training=True)
    assert augmented.shape == x.shape and not np.allclose(augmented, x)
    np.testing.assert_array_equal(data_augmentation(x, training=False), x)
