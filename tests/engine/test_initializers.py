import math

import numpy as np
import pytest

from engine import initializers
from engine.errors import SpecError


def test_glorot_uniform_limit_is_sqrt_6_over_fan_sum():
    w = initializers.initialize("glorot_uniform", (300, 200), np.random.default_rng(0))
    limit = math.sqrt(6 / 500)
    assert w.dtype == np.float32
    assert np.abs(w).max() <= limit
    assert np.abs(w).max() > 0.95 * limit


def test_he_normal_std_and_truncation():
    w = initializers.initialize("he_normal", (400, 300), np.random.default_rng(0))
    std = math.sqrt(2 / 400)
    assert abs(w.std() - std) / std < 0.03
    assert np.abs(w).max() <= 2 * std / 0.87962566103423978 + 1e-6


def test_conv_fans_use_the_receptive_field():
    assert initializers.compute_fans((3, 3, 16, 32)) == (144.0, 288.0)


@pytest.mark.parametrize("name,low,high", [("lecun_uniform", -math.sqrt(3 / 50), math.sqrt(3 / 50)),
                                           ("he_uniform", -math.sqrt(6 / 50), math.sqrt(6 / 50)),
                                           ("random_uniform", -0.05, 0.05)])
def test_uniform_initializers_stay_in_their_limits(name, low, high):
    w = initializers.initialize(name, (50, 40), np.random.default_rng(1))
    assert w.min() >= low and w.max() <= high


def test_orthogonal_gives_orthonormal_columns():
    w = initializers.initialize("orthogonal", (8, 8), np.random.default_rng(2))
    np.testing.assert_allclose(w.T @ w, np.eye(8), atol=1e-5)


def test_constants_and_configs():
    assert (initializers.initialize("zeros", (2, 3)) == 0).all()
    assert (initializers.initialize("ones", (2,)) == 1).all()
    c = initializers.initialize({"class_name": "Constant", "config": {"value": 3.0}}, (2,))
    assert (c == 3).all()
    n = initializers.initialize({"class_name": "RandomNormal", "config": {"stddev": 2.0}},
                                (4000,), np.random.default_rng(0))
    assert abs(n.std() - 2.0) < 0.1


def test_that_every_listed_name_draws():
    for name in initializers.NAMES:
        assert initializers.initialize(name, (4, 3)).shape == (4, 3)


def test_that_an_unknown_initializer_is_refused_with_the_list():
    with pytest.raises(SpecError, match="Unknown initializer 'glorot'.*glorot_uniform"):
        initializers.initialize("glorot", (2, 2))
