"""keras-io guides/writing_a_custom_training_loop_in_tensorflow.py ("Writing a training loop
from scratch"), run on the engine.

Changes from the guide:
- imports: `import keras` -> `import engine as keras`, `tf.GradientTape` ->
  `keras.GradientTape`;
- data shrunk: MNIST -> the bundled digits at MNIST's shape and scale (uint8 28x28,
  `guide_data.mnist_load_data`), 1000 samples of which 200 are held out for validation
  (the guide holds out 10,000); the GAN trains 2 steps of 8 images;
- TensorFlow-only calls replaced by their engine equivalents: `tf.data.Dataset` ->
  `engine.data.Dataset` (same `from_tensor_slices(...).shuffle(...).batch(...)` calls),
  `tf.reduce_sum` -> `keras.ops.sum`, `tf.concat`/`tf.ones`/`tf.zeros` -> `keras.ops`,
  `tf.random.normal`/`uniform` -> `keras.random`;
- `@tf.function` dropped: the engine runs eagerly and has no graph compiler, so the "Speeding
  up your training step" section runs the same step functions undecorated;
- prints kept where they show progress; the GAN's PNG saving is dropped (no
  `keras.utils.array_to_img` in the engine).
Everything else is the guide's code. Each test also checks that training really happened.
"""

import numpy as np
import pytest
from guide_data import mnist_load_data  # tests/engine/guide_data.py

import engine as keras
from engine import ops
from engine.data import Dataset

BATCH_SIZE = 32
CHANCE = 0.1  # ten digit classes


@pytest.fixture(autouse=True)
def _seeded():
    keras.utils.set_random_seed(0)


def get_model():
    inputs = keras.Input(shape=(784,), name="digits")
    x1 = keras.layers.Dense(64, activation="relu")(inputs)
    x2 = keras.layers.Dense(64, activation="relu")(x1)
    outputs = keras.layers.Dense(10, name="predictions")(x2)
    model = keras.Model(inputs=inputs, outputs=outputs)
    return model


def _datasets():
    """The guide's data preparation, on 1000 digits (200 held out instead of 10,000)."""
    (x_train, y_train), _ = mnist_load_data(n_train=1000)  # the guide never uses its test split
    x_train = np.reshape(x_train, (-1, 784))
    x_val, y_val = x_train[-200:], y_train[-200:]
    x_train, y_train = x_train[:-200], y_train[:-200]
    train_dataset = Dataset.from_tensor_slices((x_train, y_train))
    train_dataset = train_dataset.shuffle(buffer_size=1024).batch(BATCH_SIZE)
    val_dataset = Dataset.from_tensor_slices((x_val, y_val)).batch(BATCH_SIZE)
    return train_dataset, val_dataset, (x_val, y_val)


def _accuracy(model, x, y) -> float:
    """Fraction of `x` classified right, computed with NumPy (independent of the metrics)."""
    return float(np.mean(np.argmax(np.asarray(model(x)), axis=-1) == y))


def test_a_first_end_to_end_example_trains_with_a_gradient_tape():
    model = get_model()
    optimizer = keras.optimizers.Adam(learning_rate=1e-3)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    train_dataset, _, (x_val, y_val) = _datasets()
    before = [w.numpy() for w in model.trainable_weights]
    losses = []

    epochs = 3
    for epoch in range(epochs):
        print(f"\nStart of epoch {epoch}")
        for step, (x_batch_train, y_batch_train) in enumerate(train_dataset):
            with keras.GradientTape() as tape:
                logits = model(x_batch_train, training=True)  # Logits for this minibatch
                loss_value = loss_fn(y_batch_train, logits)
            grads = tape.gradient(loss_value, model.trainable_weights)
            optimizer.apply(grads, model.trainable_weights)
            losses.append(float(loss_value))
            if step % 10 == 0:
                print(f"Training loss (for 1 batch) at step {step}: {float(loss_value):.4f}")
                print(f"Seen so far: {(step + 1) * BATCH_SIZE} samples")

    assert len(losses) == epochs * 25  # 800 samples in batches of 32, every batch stepped
    assert all(g is not None for g in grads)
    assert all(not np.allclose(w.numpy(), b) for w, b in zip(model.trainable_weights, before))
    assert np.mean(losses[-25:]) < 0.5 * np.mean(losses[:5])
    assert _accuracy(model, x_val, y_val) > 5 * CHANCE


def test_metrics_in_the_loop_and_a_validation_loop():
    model = get_model()
    optimizer = keras.optimizers.Adam(learning_rate=1e-3)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    train_acc_metric = keras.metrics.SparseCategoricalAccuracy()
    val_acc_metric = keras.metrics.SparseCategoricalAccuracy()
    train_dataset, val_dataset, (x_val, y_val) = _datasets()
    train_accs, val_accs = [], []

    epochs = 2
    for epoch in range(epochs):
        print(f"\nStart of epoch {epoch}")
        for step, (x_batch_train, y_batch_train) in enumerate(train_dataset):
            with keras.GradientTape() as tape:
                logits = model(x_batch_train, training=True)
                loss_value = loss_fn(y_batch_train, logits)
            grads = tape.gradient(loss_value, model.trainable_weights)
            optimizer.apply(grads, model.trainable_weights)
            # Update training metric.
            train_acc_metric.update_state(y_batch_train, logits)
        train_acc = train_acc_metric.result()
        print(f"Training acc over epoch: {float(train_acc):.4f}")
        train_accs.append(float(train_acc))
        train_acc_metric.reset_state()

        for x_batch_val, y_batch_val in val_dataset:
            val_logits = model(x_batch_val, training=False)
            val_acc_metric.update_state(y_batch_val, val_logits)
        val_acc = val_acc_metric.result()
        val_accs.append(float(val_acc))
        assert float(val_acc) == pytest.approx(_accuracy(model, x_val, y_val))
        val_acc_metric.reset_state()
        print(f"Validation acc: {float(val_acc):.4f}")

    assert float(train_acc_metric.result()) == 0.0  # reset_state cleared the epoch's counts
    assert train_accs[1] > train_accs[0] > 2 * CHANCE
    assert val_accs[-1] > 5 * CHANCE


def test_the_compiled_steps_section_runs_the_same_steps_undecorated():
    """The guide's `@tf.function` train_step/test_step, without the decorator."""
    model = get_model()
    optimizer = keras.optimizers.Adam(learning_rate=1e-3)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    train_acc_metric = keras.metrics.SparseCategoricalAccuracy()
    val_acc_metric = keras.metrics.SparseCategoricalAccuracy()
    train_dataset, val_dataset, _ = _datasets()

    def train_step(x, y):
        with keras.GradientTape() as tape:
            logits = model(x, training=True)
            loss_value = loss_fn(y, logits)
        grads = tape.gradient(loss_value, model.trainable_weights)
        optimizer.apply(grads, model.trainable_weights)
        train_acc_metric.update_state(y, logits)
        return loss_value

    def test_step(x, y):
        val_logits = model(x, training=False)
        val_acc_metric.update_state(y, val_logits)

    first_losses, val_accs = [], []
    for epoch in range(2):
        for step, (x_batch_train, y_batch_train) in enumerate(train_dataset):
            loss_value = train_step(x_batch_train, y_batch_train)
            if step == 0:
                first_losses.append(float(loss_value))
        train_acc_metric.reset_state()
        for x_batch_val, y_batch_val in val_dataset:
            test_step(x_batch_val, y_batch_val)
        val_accs.append(float(val_acc_metric.result()))
        val_acc_metric.reset_state()

    assert first_losses[1] < first_losses[0]
    assert val_accs[-1] > 5 * CHANCE


class ActivityRegularizationLayer(keras.layers.Layer):
    def call(self, inputs):
        self.add_loss(1e-2 * ops.sum(inputs))
        return inputs


def _regularized_model():
    inputs = keras.Input(shape=(784,), name="digits")
    x = keras.layers.Dense(64, activation="relu")(inputs)
    # Insert activity regularization as a layer
    x = ActivityRegularizationLayer()(x)
    x = keras.layers.Dense(64, activation="relu")(x)
    outputs = keras.layers.Dense(10, name="predictions")(x)
    return keras.Model(inputs=inputs, outputs=outputs)


def test_model_losses_hold_the_add_loss_term_of_the_last_call_only():
    model = _regularized_model()
    (x, _), _ = mnist_load_data(n_train=64)
    x = np.reshape(x, (-1, 784)).astype("float32")
    first_dense = model.layers[1]
    for batch in (x[:32], x[32:]):
        model(batch, training=True)
        expected = 1e-2 * np.sum(np.asarray(first_dense(batch)), dtype=np.float64)
        assert len(model.losses) == 1
        assert float(model.losses[0]) == pytest.approx(expected, rel=1e-4)


def test_the_added_loss_joins_the_gradient_and_is_minimized():
    """The guide's train_step with `loss_value += sum(model.losses)`.

    The guide never runs this step; run, its 1e-2 * sum of the activations (64 units x 32
    samples) outweighs the cross-entropy, so training drives that layer's activity towards
    zero (as it would in Keras) rather than raising the accuracy. That is what is checked.
    """
    model = _regularized_model()
    optimizer = keras.optimizers.Adam(learning_rate=1e-3)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    train_acc_metric = keras.metrics.SparseCategoricalAccuracy()
    train_dataset, _, _ = _datasets()

    def train_step(x, y):
        with keras.GradientTape() as tape:
            logits = model(x, training=True)
            loss_value = loss_fn(y, logits)
            # Add any extra losses created during the forward pass.
            loss_value += sum(model.losses)
        grads = tape.gradient(loss_value, model.trainable_weights)
        optimizer.apply(grads, model.trainable_weights)
        train_acc_metric.update_state(y, logits)
        return loss_value

    x0, y0 = next(iter(train_dataset))
    grads_without, grads_with = [], []
    for grads, add_losses in ((grads_without, False), (grads_with, True)):
        with keras.GradientTape() as tape:
            loss = loss_fn(y0, model(x0, training=True))
            loss = loss + sum(model.losses) if add_losses else loss
        grads.extend(np.asarray(g) for g in tape.gradient(loss, model.trainable_weights))

    before = [w.numpy() for w in model.trainable_weights]
    totals, penalties = [], []
    for epoch in range(2):
        for step, (x_batch_train, y_batch_train) in enumerate(train_dataset):
            totals.append(float(train_step(x_batch_train, y_batch_train)))
            penalties.append(float(model.losses[0]))

    # The penalty's gradient reaches the first Dense layer only (the layer sits after it)...
    assert not np.allclose(grads_with[0], grads_without[0])
    np.testing.assert_allclose(grads_with[-1], grads_without[-1], rtol=1e-5)
    # ...and training minimized it: the layer's activity fell, and the total loss with it.
    assert np.mean(penalties[-5:]) < 0.1 * np.mean(penalties[:5])
    assert np.mean(totals[-5:]) < 0.5 * np.mean(totals[:5])
    assert all(not np.allclose(w.numpy(), b) for w, b in zip(model.trainable_weights, before))


def _gan_models(latent_dim):
    discriminator = keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            keras.layers.Conv2D(64, (3, 3), strides=(2, 2), padding="same"),
            keras.layers.LeakyReLU(negative_slope=0.2),
            keras.layers.Conv2D(128, (3, 3), strides=(2, 2), padding="same"),
            keras.layers.LeakyReLU(negative_slope=0.2),
            keras.layers.GlobalMaxPooling2D(),
            keras.layers.Dense(1),
        ],
        name="discriminator",
    )
    generator = keras.Sequential(
        [
            keras.Input(shape=(latent_dim,)),
            # We want to generate 128 coefficients to reshape into a 7x7x128 map
            keras.layers.Dense(7 * 7 * 128),
            keras.layers.LeakyReLU(negative_slope=0.2),
            keras.layers.Reshape((7, 7, 128)),
            keras.layers.Conv2DTranspose(128, (4, 4), strides=(2, 2), padding="same"),
            keras.layers.LeakyReLU(negative_slope=0.2),
            keras.layers.Conv2DTranspose(128, (4, 4), strides=(2, 2), padding="same"),
            keras.layers.LeakyReLU(negative_slope=0.2),
            keras.layers.Conv2D(1, (7, 7), padding="same", activation="sigmoid"),
        ],
        name="generator",
    )
    return discriminator, generator


def test_the_end_to_end_gan_loop_updates_both_models():
    latent_dim = 128
    batch_size = 8
    discriminator, generator = _gan_models(latent_dim)
    d_optimizer = keras.optimizers.Adam(learning_rate=0.0003)
    g_optimizer = keras.optimizers.Adam(learning_rate=0.0004)
    loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)

    def train_step(real_images):
        # Sample random points in the latent space
        random_latent_vectors = keras.random.normal(shape=(batch_size, latent_dim))
        # Decode them to fake images
        generated_images = generator(random_latent_vectors)
        # Combine them with real images
        combined_images = ops.concatenate([generated_images, real_images], axis=0)
        # Assemble labels discriminating real from fake images
        labels = ops.concatenate(
            [ops.ones((batch_size, 1)), ops.zeros((real_images.shape[0], 1))], axis=0
        )
        # Add random noise to the labels - important trick!
        labels += 0.05 * keras.random.uniform(labels.shape)
        # Train the discriminator
        with keras.GradientTape() as tape:
            predictions = discriminator(combined_images)
            d_loss = loss_fn(labels, predictions)
        grads = tape.gradient(d_loss, discriminator.trainable_weights)
        d_optimizer.apply(grads, discriminator.trainable_weights)
        # Sample random points in the latent space
        random_latent_vectors = keras.random.normal(shape=(batch_size, latent_dim))
        # Assemble labels that say "all real images"
        misleading_labels = ops.zeros((batch_size, 1))
        # Train the generator (note that we should *not* update the weights
        # of the discriminator)!
        with keras.GradientTape() as tape:
            predictions = discriminator(generator(random_latent_vectors))
            g_loss = loss_fn(misleading_labels, predictions)
        grads = tape.gradient(g_loss, generator.trainable_weights)
        g_optimizer.apply(grads, generator.trainable_weights)
        return d_loss, g_loss, generated_images

    (x_train, _), (x_test, _) = mnist_load_data(n_train=8, n_test=8)
    all_digits = np.concatenate([x_train, x_test])
    all_digits = all_digits.astype("float32") / 255.0
    all_digits = np.reshape(all_digits, (-1, 28, 28, 1))
    dataset = Dataset.from_tensor_slices(all_digits)
    dataset = dataset.shuffle(buffer_size=1024).batch(batch_size)

    d_before = [w.numpy() for w in discriminator.trainable_weights]
    g_before = [w.numpy() for w in generator.trainable_weights]
    for step, real_images in enumerate(dataset):
        d_loss, g_loss, generated_images = train_step(real_images)
        print(f"discriminator loss at step {step}: {d_loss:.2f}")
        print(f"adversarial loss at step {step}: {g_loss:.2f}")

    assert step == 1  # 16 images in batches of 8
    assert np.isfinite(float(d_loss)) and np.isfinite(float(g_loss))
    images = np.asarray(generated_images)
    assert images.shape == (batch_size, 28, 28, 1)
    assert images.min() >= 0.0 and images.max() <= 1.0  # the sigmoid output layer
    for weights, before in ((discriminator.trainable_weights, d_before),
                            (generator.trainable_weights, g_before)):
        assert all(not np.allclose(w.numpy(), b) for w, b in zip(weights, before))
