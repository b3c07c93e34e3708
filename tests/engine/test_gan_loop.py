"""A GAN trained by a plain custom loop: two GradientTapes, a generator and a discriminator,
and the discriminator called on the fake batch and on the real batch inside the same tapes.

The step is TensorFlow's DCGAN tutorial's (tensorflow/docs,
site/en/tutorials/generative/dcgan.ipynb, `train_step`) with `tf.GradientTape` ->
`keras.GradientTape` and its losses written with `keras.losses.BinaryCrossentropy`:

    with tf.GradientTape() as gen_tape, tf.GradientTape() as disc_tape:
        generated_images = generator(noise, training=True)
        real_output = discriminator(images, training=True)
        fake_output = discriminator(generated_images, training=True)
        gen_loss = generator_loss(fake_output)
        disc_loss = discriminator_loss(real_output, fake_output)

The discriminator's two calls share its weights, so its gradient is the sum of what each
call contributes: the checks below compare the tapes' gradients with central differences of
the same losses computed eagerly (no tape), once on Keras layers (float32, so a wide step)
and once on the same tiny GAN written with float64 Variables and ops (a tight check).
"""

import numpy as np
import pytest

import engine as keras
from engine import layers, ops

REAL_MEAN, REAL_STD = 3.0, 0.5

cross_entropy = keras.losses.BinaryCrossentropy(from_logits=True)


def generator_loss(fake_output):
    return cross_entropy(ops.ones_like(fake_output), fake_output)


def discriminator_loss(real_output, fake_output):
    real_loss = cross_entropy(ops.ones_like(real_output), real_output)
    fake_loss = cross_entropy(ops.zeros_like(fake_output), fake_output)
    return real_loss + fake_loss


def gan_losses(generator, discriminator, noise, images):
    """(gen_loss, disc_loss) of one batch: the tutorial's forward pass."""
    generated_images = generator(noise, training=True)
    real_output = discriminator(images, training=True)
    fake_output = discriminator(generated_images, training=True)
    return generator_loss(fake_output), discriminator_loss(real_output, fake_output)


def taped_gradients(generator, discriminator, noise, images):
    """The tutorial's two tapes: (generator gradients, discriminator gradients, losses)."""
    with keras.GradientTape() as gen_tape, keras.GradientTape() as disc_tape:
        gen_loss, disc_loss = gan_losses(generator, discriminator, noise, images)
    gradients_of_generator = gen_tape.gradient(gen_loss, generator.trainable_variables)
    gradients_of_discriminator = disc_tape.gradient(disc_loss,
                                                    discriminator.trainable_variables)
    return gradients_of_generator, gradients_of_discriminator, (gen_loss, disc_loss)


def _models(latent=1, hidden=8):
    generator = keras.Sequential([keras.Input((latent,)), layers.Dense(1)])
    discriminator = keras.Sequential([keras.Input((1,)), layers.Dense(hidden, activation="tanh"),
                                      layers.Dense(1)])
    return generator, discriminator


def _generated_mean(generator, rng) -> float:
    return float(np.mean(np.asarray(generator(rng.standard_normal((2000, 1))))))


def test_the_generator_learns_where_the_real_data_lies():
    """1-D real data N(3, 0.5); the generator, an affine map of N(0, 1) noise, starts near 0.
    GANs oscillate, so the generated mean is averaged over the last 100 steps."""
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    generator, discriminator = _models()
    generator_optimizer = keras.optimizers.Adam(1e-2)
    discriminator_optimizer = keras.optimizers.Adam(1e-2)
    start = _generated_mean(generator, rng)
    means = []
    for step in range(300):
        images = (REAL_MEAN + REAL_STD * rng.standard_normal((64, 1))).astype("float32")
        noise = rng.standard_normal((64, 1)).astype("float32")
        gen_grads, disc_grads, _ = taped_gradients(generator, discriminator, noise, images)
        generator_optimizer.apply_gradients(zip(gen_grads, generator.trainable_variables))
        discriminator_optimizer.apply_gradients(
            zip(disc_grads, discriminator.trainable_variables))
        if step >= 200:
            means.append(_generated_mean(generator, rng))
    assert abs(start - REAL_MEAN) > 2.5
    assert abs(np.mean(means) - REAL_MEAN) < 0.6


def _central_differences(loss_of, variables, eps):
    """d loss / d each entry of each Variable, by (loss(w + eps) - loss(w - eps)) / 2 eps."""
    grads = []
    for variable in variables:
        original = variable.numpy()
        grad = np.zeros(original.shape, dtype=np.float64)
        for index in np.ndindex(original.shape):
            values = []
            for sign in (1, -1):
                shifted = original.copy()
                shifted[index] += sign * eps
                variable.assign(shifted)
                values.append(float(loss_of()))
            grad[index] = (values[0] - values[1]) / (2 * eps)
        variable.assign(original)
        grads.append(grad)
    return grads


def test_both_tapes_gradients_match_central_differences_on_keras_layers():
    """float32 weights: eps 1e-2 keeps rounding (~1e-5 in the loss) far below the
    gradients (~1e-2..1); had the discriminator's two calls not added up, its gradient
    would be off by one call's whole share."""
    keras.utils.set_random_seed(1)
    rng = np.random.default_rng(1)
    generator, discriminator = _models(hidden=3)
    noise = rng.standard_normal((4, 1)).astype("float32")
    images = (REAL_MEAN + REAL_STD * rng.standard_normal((4, 1))).astype("float32")
    gen_grads, disc_grads, _ = taped_gradients(generator, discriminator, noise, images)

    def losses():  # eagerly: no tape is recording
        return gan_losses(generator, discriminator, noise, images)

    numeric_disc = _central_differences(lambda: losses()[1],
                                        discriminator.trainable_variables, eps=1e-2)
    numeric_gen = _central_differences(lambda: losses()[0],
                                       generator.trainable_variables, eps=1e-2)
    for taped, numeric in zip([*disc_grads, *gen_grads], [*numeric_disc, *numeric_gen]):
        np.testing.assert_allclose(np.asarray(taped), numeric, rtol=1e-2, atol=2e-4)


def test_a_shared_discriminator_sums_its_two_calls_gradients():
    """The gradient through both calls is the sum of the gradients through each one."""
    keras.utils.set_random_seed(2)
    rng = np.random.default_rng(2)
    generator, discriminator = _models(hidden=3)
    noise = rng.standard_normal((4, 1)).astype("float32")
    images = (REAL_MEAN + rng.standard_normal((4, 1))).astype("float32")
    _, both, _ = taped_gradients(generator, discriminator, noise, images)
    fake = generator(noise)
    parts = []
    for batch, target in ((images, ops.ones), (fake, ops.zeros)):
        with keras.GradientTape() as tape:
            output = discriminator(batch, training=True)
            loss = cross_entropy(target(output.shape), output)
        parts.append(tape.gradient(loss, discriminator.trainable_variables))
    for total, real_part, fake_part in zip(both, *parts):
        assert not np.allclose(np.asarray(real_part), 0)
        assert not np.allclose(np.asarray(fake_part), 0)
        np.testing.assert_allclose(np.asarray(total),
                                   np.asarray(real_part) + np.asarray(fake_part),
                                   rtol=1e-5, atol=1e-7)


# ----- the same tiny GAN on float64 Variables and ops: a tight check ---------------------------
def _dense(x, kernel, bias):
    return ops.matmul(x, kernel) + bias


def _float64_gan(rng):
    def var(*shape):
        return keras.Variable(rng.standard_normal(shape), dtype="float64")

    gen = [var(1, 1), var(1)]
    disc = [var(1, 3), var(3), var(3, 1), var(1)]

    def generator(z, training=False):
        return _dense(z, *gen)

    def discriminator(x, training=False):
        return _dense(ops.tanh(_dense(x, *disc[:2])), *disc[2:])

    generator.trainable_variables, discriminator.trainable_variables = gen, disc
    return generator, discriminator


def test_both_tapes_gradients_match_central_differences_in_float64():
    rng = np.random.default_rng(3)
    generator, discriminator = _float64_gan(rng)
    assert all(v.dtype == np.float64 for v in discriminator.trainable_variables)
    noise = rng.standard_normal((5, 1))
    images = REAL_MEAN + REAL_STD * rng.standard_normal((5, 1))
    gen_grads, disc_grads, (gen_loss, disc_loss) = taped_gradients(
        generator, discriminator, noise, images)
    assert gen_loss.dtype == np.float64 and disc_loss.dtype == np.float64

    def losses():
        return gan_losses(generator, discriminator, noise, images)

    numeric_disc = _central_differences(lambda: losses()[1],
                                        discriminator.trainable_variables, eps=1e-6)
    numeric_gen = _central_differences(lambda: losses()[0],
                                       generator.trainable_variables, eps=1e-6)
    for taped, numeric in zip([*disc_grads, *gen_grads], [*numeric_disc, *numeric_gen]):
        np.testing.assert_allclose(np.asarray(taped), numeric, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("model", ["generator", "discriminator"])
def test_each_tape_leaves_the_other_models_weights_alone(model):
    """The generator's tape asks only for the generator's weights and vice versa; applying
    one model's gradients changes that model only."""
    keras.utils.set_random_seed(4)
    rng = np.random.default_rng(4)
    generator, discriminator = _models(hidden=3)
    models = {"generator": generator, "discriminator": discriminator}
    noise = rng.standard_normal((4, 1)).astype("float32")
    images = rng.standard_normal((4, 1)).astype("float32")
    gen_grads, disc_grads, _ = taped_gradients(generator, discriminator, noise, images)
    grads = gen_grads if model == "generator" else disc_grads
    before = {name: [w.numpy() for w in m.trainable_variables] for name, m in models.items()}
    keras.optimizers.SGD(0.1).apply_gradients(zip(grads, models[model].trainable_variables))
    for name, m in models.items():
        changed = [not np.allclose(w.numpy(), b) for w, b in
                   zip(m.trainable_variables, before[name])]
        assert all(changed) if name == model else not any(changed)
