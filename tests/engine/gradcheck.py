"""Numerical gradient check for layers (Chainer's `gradient_check`, central differences).

The layer's weights and the inputs are cast to float64 for the check, so layers must compute
in the dtype of their inputs and weights (never hard-code float32 inside forward/backward).
"""

import numpy as np

from engine import backend


def to_float64(layer):
    """Casts every weight and gradient of a built layer to float64 (on its device)."""
    for key in list(layer.params):
        layer.params[key] = layer.params[key].astype(np.float64)
    for key in list(layer.grads):
        layer.grads[key] = layer.grads[key].astype(np.float64)


def _forward_loss(layer, inputs, upstream, training, reseed):
    if reseed is not None:
        backend.set_seed(reseed)
    out = layer.forward(inputs if len(inputs) > 1 else inputs[0], training=training)
    if isinstance(out, list):  # several outputs (RNN return_state): sum of each term
        return sum(float((backend.to_numpy(o) * u).sum()) for o, u in zip(out, upstream))
    return float((backend.to_numpy(out) * upstream).sum())


def _numeric(layer, inputs, upstream, array, training, reseed, eps, max_points, rng):
    """Central-difference gradient of sum(forward * upstream) w.r.t. `array`, sampled."""
    host = backend.to_numpy(array)
    flat_size = host.size
    picks = np.arange(flat_size) if flat_size <= max_points else rng.choice(
        flat_size, max_points, replace=False)
    grads = {}
    for flat_index in picks:
        index = np.unravel_index(flat_index, host.shape)
        original = array[index].item()
        array[index] = original + eps
        plus = _forward_loss(layer, inputs, upstream, training, reseed)
        array[index] = original - eps
        minus = _forward_loss(layer, inputs, upstream, training, reseed)
        array[index] = original
        grads[index] = (plus - minus) / (2 * eps)
    return grads


def check_layer_gradients(layer, inputs, *, training=False, reseed=None, eps=1e-6,
                          rtol=1e-4, atol=1e-6, max_points=40, check_inputs=True, seed=0):
    """Asserts that `layer.backward` matches central differences, for inputs and weights.

    Args:
        layer: A layer; built here from the inputs when it is not built yet.
        inputs: One array or a list of arrays (for merge layers); float64 preferred.
        training: Passed to forward (e.g. to check BatchNormalization's training path).
        reseed: If set, the engine generator is re-seeded before every forward, so random
            layers (Dropout) draw the same mask each time.
        check_inputs: False for integer inputs (Embedding), where only weights are checked.
    """
    rng = np.random.default_rng(seed)
    inputs = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    if not layer.built:
        layer.build([tuple(x.shape[1:]) for x in inputs] if len(inputs) > 1
                    else tuple(inputs[0].shape[1:]))
    to_float64(layer)
    if reseed is not None:
        backend.set_seed(reseed)
    out = layer.forward(inputs if len(inputs) > 1 else inputs[0], training=training)
    if isinstance(out, list):
        upstream = [rng.standard_normal(o.shape) for o in out]
        grad_in = layer.backward([backend.to_device(u, backend.device_of(o))
                                  for u, o in zip(upstream, out)])
    else:
        upstream = rng.standard_normal(out.shape)
        grad_in = layer.backward(backend.to_device(upstream, backend.device_of(out)))
    grad_in = grad_in if isinstance(grad_in, (list, tuple)) else [grad_in]
    analytic = {f"weight '{k}'": backend.to_numpy(g).copy() for k, g in layer.grads.items()}
    targets = {f"weight '{k}'": layer.params[k] for k in layer.grads}
    if check_inputs:
        for i, x in enumerate(inputs):
            analytic[f"input {i}"] = backend.to_numpy(grad_in[i])
            targets[f"input {i}"] = x
    for label, array in targets.items():
        numeric = _numeric(layer, inputs, upstream, array, training, reseed, eps, max_points, rng)
        for index, value in numeric.items():
            got = analytic[label][index]
            assert abs(got - value) <= atol + rtol * abs(value), (
                f"{type(layer).__name__} gradient of {label} at {index}: "
                f"backward gave {got!r}, numerical {value!r}"
            )
