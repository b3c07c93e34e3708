import math

import numpy as np
import pytest

from engine import activations
from engine.errors import SpecError

X = np.array([-4.0, -2.5, -1.0, -0.2, 0.3, 1.0, 2.0, 7.0])


def _erf(v):
    return np.array([math.erf(t) for t in v])


GOLDEN = {
    "linear": X,
    "relu": np.maximum(X, 0),
    "relu6": np.clip(X, 0, 6),
    "leaky_relu": np.where(X > 0, X, 0.2 * X),
    "elu": np.where(X > 0, X, np.exp(X) - 1),
    "selu": 1.0507009873554805 * np.where(X > 0, X, 1.6732632423543772 * (np.exp(X) - 1)),
    "gelu": 0.5 * X * (1 + _erf(X / math.sqrt(2))),
    "sigmoid": 1 / (1 + np.exp(-X)),
    "hard_sigmoid": np.clip(X / 6 + 0.5, 0, 1),
    "tanh": np.tanh(X),
    "softmax": np.exp(X) / np.exp(X).sum(),
    "log_softmax": X - np.log(np.exp(X).sum()),
    "softplus": np.log(1 + np.exp(X)),
    "softsign": X / (1 + np.abs(X)),
    "silu": X / (1 + np.exp(-X)),
    "swish": X / (1 + np.exp(-X)),
    "mish": X * np.tanh(np.log(1 + np.exp(X))),
    "exponential": np.exp(X),
}


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_forward_matches_the_published_formula(name):
    got = activations.get(name).forward(X[None, :])[0]
    np.testing.assert_allclose(got, GOLDEN[name], rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", activations.NAMES)
def test_derivative_matches_central_differences(name):
    act = activations.get(name)
    rng = np.random.default_rng(3)
    x = rng.uniform(-3.5, 3.5, size=(3, 5))
    x = x[np.abs(x) > 0.05].reshape(-1, 5)[:2]  # away from kinks of relu-like functions
    g = rng.standard_normal(x.shape)
    analytic = act.backward(x, act.forward(x), g)
    eps = 1e-6
    numeric = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        plus, minus = x.copy(), x.copy()
        plus[idx] += eps
        minus[idx] -= eps
        numeric[idx] = ((act.forward(plus) - act.forward(minus)) * g).sum() / (2 * eps)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-4, atol=1e-6)


def test_that_float32_stays_float32():
    x = np.linspace(-3, 3, 10, dtype=np.float32)[None]
    for name in activations.NAMES:
        assert activations.get(name).forward(x).dtype == np.float32, name


def test_that_an_unknown_name_lists_the_valid_ones():
    with pytest.raises(SpecError, match="Unknown activation 'relux'.*'relu'"):
        activations.get("relux")


def test_that_none_means_linear():
    assert activations.get(None).name == "linear"


@pytest.mark.parametrize("name", [n for n in activations.NAMES
                                  if activations.get(n).works_in_place])
def test_that_in_place_forms_match_and_their_backward_needs_only_the_output(name):
    act = activations.get(name)
    rng = np.random.default_rng(5)
    x = rng.uniform(-7, 7, size=(4, 6))
    x = np.where(np.abs(x) < 0.05, 0.5, x)
    y = act.forward(x)
    z = x.copy()
    y_in_place = act.forward_in_place(z)
    np.testing.assert_allclose(y_in_place, y, rtol=1e-12)
    g = rng.standard_normal(x.shape)
    np.testing.assert_allclose(act.backward(y_in_place, y_in_place, g), act.backward(x, y, g),
                               rtol=1e-12)
