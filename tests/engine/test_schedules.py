"""Learning-rate schedules against their Keras 3 formulas, written out here."""

import json
import math

import pytest

from engine import optimizers, registry, schedules
from engine.errors import SpecError


def approx(value):
    return pytest.approx(value, rel=1e-12, abs=1e-15)


# ----- ExponentialDecay / InverseTimeDecay -------------------------------------------------
@pytest.mark.parametrize("step", [0, 1, 5, 10, 25, 1000])
def test_exponential_decay_follows_lr0_times_rate_to_the_step_fraction(step):
    schedule = schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    assert schedule(step) == approx(0.1 * 0.5 ** (step / 10))


@pytest.mark.parametrize("step, periods", [(0, 0), (9, 0), (10, 1), (19, 1), (25, 2)])
def test_that_staircase_exponential_decay_floors_the_exponent(step, periods):
    schedule = schedules.ExponentialDecay(0.1, 10, 0.5, staircase=True)
    assert schedule(step) == approx(0.1 * 0.5 ** periods)


@pytest.mark.parametrize("step", [0, 3, 10, 37])
def test_inverse_time_decay(step):
    schedule = schedules.InverseTimeDecay(0.2, decay_steps=10, decay_rate=0.5)
    assert schedule(step) == approx(0.2 / (1 + 0.5 * step / 10))
    stair = schedules.InverseTimeDecay(0.2, 10, 0.5, staircase=True)
    assert stair(step) == approx(0.2 / (1 + 0.5 * math.floor(step / 10)))


# ----- PiecewiseConstantDecay --------------------------------------------------------------
@pytest.mark.parametrize("step, expected", [
    (0, 1.0), (10, 1.0), (11, 0.5), (20, 0.5), (21, 0.1), (10_000, 0.1),
])
def test_piecewise_constant_uses_inclusive_upper_boundaries(step, expected):
    schedule = schedules.PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1])
    assert schedule(step) == expected


def test_piecewise_constant_needs_one_more_value_than_boundaries():
    with pytest.raises(SpecError, match="length of `boundaries` should be 1 less"):
        schedules.PiecewiseConstantDecay([10, 20], [1.0, 0.5])


def test_piecewise_constant_boundaries_must_increase():
    with pytest.raises(SpecError, match="strictly increasing"):
        schedules.PiecewiseConstantDecay([20, 10], [1.0, 0.5, 0.1])


# ----- PolynomialDecay -------------------------------------------------------------------------
def polynomial(step, lr0, steps, end, power, cycle):
    if cycle:
        steps = steps * (1 if step == 0 else math.ceil(step / steps))
    else:
        step = min(step, steps)
    return (lr0 - end) * (1 - step / steps) ** power + end


@pytest.mark.parametrize("step", [0, 1, 5, 10, 20])
def test_polynomial_decay_clamps_at_decay_steps(step):
    schedule = schedules.PolynomialDecay(0.1, 10, end_learning_rate=0.01, power=2.0)
    assert schedule(step) == approx(polynomial(step, 0.1, 10, 0.01, 2.0, False))
    assert schedules.PolynomialDecay(0.1, 10)(20) == approx(0.0001)


@pytest.mark.parametrize("step, horizon", [(0, 10), (5, 10), (10, 10), (11, 20), (15, 20),
                                           (21, 30)])
def test_that_cycling_polynomial_decay_uses_the_next_multiple_of_decay_steps(step, horizon):
    schedule = schedules.PolynomialDecay(0.1, 10, 0.01, power=1.0, cycle=True)
    assert schedule(step) == approx((0.1 - 0.01) * (1 - step / horizon) + 0.01)


# ----- CosineDecay -------------------------------------------------------------------------------
@pytest.mark.parametrize("step", [0, 2, 5, 10, 50])
def test_cosine_decay_without_warmup(step):
    schedule = schedules.CosineDecay(0.1, decay_steps=10, alpha=0.2)
    s = min(step, 10)
    assert schedule(step) == approx(0.1 * (0.8 * 0.5 * (1 + math.cos(math.pi * s / 10)) + 0.2))


@pytest.mark.parametrize("step, expected", [
    (0, 0.0),
    (2, 0.1 * 2 / 5),                                        # linear warmup from 0 to 0.1
    (4, 0.1 * 4 / 5),
    (5, 0.1),                                                # decay starts at warmup_target
    (10, 0.1 * (0.9 * 0.5 * (1 + math.cos(math.pi * 0.5)) + 0.1)),
    (15, 0.1 * 0.1),                                         # warmup_target * alpha
    (100, 0.1 * 0.1),
])
def test_cosine_decay_with_linear_warmup(step, expected):
    schedule = schedules.CosineDecay(0.0, 10, alpha=0.1, warmup_target=0.1, warmup_steps=5)
    assert schedule(step) == approx(expected)


# ----- CosineDecayRestarts ---------------------------------------------------------------------
def sgdr(step, lr0, first, t_mul, m_mul, alpha):
    """SGDR by walking the periods one by one (no logarithms)."""
    start, length, restart = 0.0, float(first), 0
    while step >= start + length:
        start += length
        length *= t_mul
        restart += 1
    fraction = (step - start) / length
    cosine = 0.5 * m_mul ** restart * (1 + math.cos(math.pi * fraction))
    return lr0 * ((1 - alpha) * cosine + alpha)


@pytest.mark.parametrize("step", [0, 3, 9, 10, 20, 29, 30, 69, 70, 71, 500])
def test_cosine_decay_restarts_grows_periods_by_t_mul(step):
    schedule = schedules.CosineDecayRestarts(0.1, 10, t_mul=2.0, m_mul=0.5, alpha=0.1)
    assert schedule(step) == approx(sgdr(step, 0.1, 10, 2.0, 0.5, 0.1))


@pytest.mark.parametrize("step", [0, 10, 40, 130, 131, 400, 1210])  # log(243)/log(3) < 5
def test_cosine_decay_restarts_lands_exactly_on_period_starts(step):
    schedule = schedules.CosineDecayRestarts(1.0, 10, t_mul=3.0, m_mul=0.9)
    assert schedule(step) == approx(sgdr(step, 1.0, 10, 3.0, 0.9, 0.0))


@pytest.mark.parametrize("step", [0, 5, 10, 15, 27])
def test_cosine_decay_restarts_with_equal_periods(step):
    schedule = schedules.CosineDecayRestarts(0.1, 10, t_mul=1.0)
    assert schedule(step) == approx(sgdr(step, 0.1, 10, 1.0, 1.0, 0.0))


# ----- validation, config, lookup ----------------------------------------------------------------
@pytest.mark.parametrize("make", [
    lambda: schedules.ExponentialDecay(0.1, 0, 0.5),
    lambda: schedules.InverseTimeDecay(0.1, -1, 0.5),
    lambda: schedules.PolynomialDecay(0.1, 0),
    lambda: schedules.CosineDecay(0.1, 0),
])
def test_that_decay_steps_must_be_positive(make):
    with pytest.raises(SpecError, match="decay_steps"):
        make()


def test_that_bad_arguments_name_the_argument():
    with pytest.raises(SpecError, match="first_decay_steps"):
        schedules.CosineDecayRestarts(0.1, 0)
    with pytest.raises(SpecError, match="staircase"):
        schedules.ExponentialDecay(0.1, 10, 0.5, staircase="yes")
    with pytest.raises(SpecError, match="warmup_steps"):
        schedules.CosineDecay(0.1, 10, warmup_target=0.2, warmup_steps=-1)


SAMPLES = [
    schedules.ExponentialDecay(0.1, 1000, 0.96, staircase=True),
    schedules.PiecewiseConstantDecay([100, 200], [0.1, 0.01, 0.001]),
    schedules.InverseTimeDecay(0.1, 10, 0.5),
    schedules.PolynomialDecay(0.1, 100, 0.001, power=0.5, cycle=True),
    schedules.CosineDecay(0.0, 100, alpha=0.1, warmup_target=0.1, warmup_steps=10),
    schedules.CosineDecayRestarts(0.1, 100, t_mul=1.5, m_mul=0.9, alpha=0.05),
]


@pytest.mark.parametrize("schedule", SAMPLES, ids=lambda s: type(s).__name__)
def test_config_round_trips_through_json(schedule):
    config = json.loads(json.dumps(schedules.serialize(schedule)))
    rebuilt = schedules.get(config)
    assert type(rebuilt) is type(schedule)
    assert rebuilt.get_config() == schedule.get_config()
    assert [rebuilt(s) for s in (0, 7, 150)] == [schedule(s) for s in (0, 7, 150)]


@pytest.mark.parametrize("cls", registry.classes("schedule"), ids=lambda c: c.__name__)
def test_params_match_config_keys(cls):
    schedule = schedules.get(cls.__name__)  # built from the PARAMS defaults
    assert {p.name for p in cls.PARAMS} == set(schedule.get_config()) - {"name"}


def test_that_whole_numbers_stay_ints_in_the_config():
    config = schedules.ExponentialDecay(0.1, 1000, 0.96).get_config()
    assert config["decay_steps"] == 1000 and isinstance(config["decay_steps"], int)
    assert config["name"] == "ExponentialDecay"


def test_that_an_unknown_schedule_lists_the_valid_names():
    with pytest.raises(SpecError, match="CosineDecay"):
        schedules.get({"class_name": "Nope", "config": {}})
    with pytest.raises(SpecError):
        schedules.get(3.0)


def test_that_an_optimizer_evaluates_its_schedule_at_its_iteration_count():
    import numpy as np

    schedule = schedules.ExponentialDecay(0.1, 1, 0.5)
    opt = optimizers.SGD(learning_rate=schedule)
    w = np.zeros(2)
    for step in range(3):
        assert opt.current_learning_rate == approx(0.1 * 0.5 ** step)
        before = w.copy()
        opt.apply_gradients([(np.ones(2), w)])
        np.testing.assert_allclose(before - w, 0.1 * 0.5 ** step)
    with pytest.raises(TypeError, match="not settable"):
        opt.learning_rate = 0.01
