"""Optimizers: golden values from the published (Keras 3) formulas, written out here, plus
clipping, weight decay, the flat fast path, checkpoint state and argument validation."""

import json
import re

import numpy as np
import pytest

from engine import optimizers, registry, schedules
from engine.errors import CheckpointError, ShapeError, SpecError, TrainingError

RTOL = 1e-10  # float64 runs: only the order of floating-point operations differs


def gradients(steps, shape=(2, 3), seed=0):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=shape) for _ in range(steps)]


def start_weights(shape=(2, 3)):
    return np.random.default_rng(99).normal(size=shape)


# ----- the formulas, written out (float64) --------------------------------------------------
def ref_sgd(w, grads, lr, momentum=0.0, nesterov=False):
    m = np.zeros_like(w)
    for g in grads:
        if momentum == 0:
            w = w - lr * g
            continue
        m = momentum * m - lr * g
        w = w + (momentum * m - lr * g if nesterov else m)
    return w


def ref_adam(w, grads, lr, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False):
    m, v, v_hat = np.zeros_like(w), np.zeros_like(w), np.zeros_like(w)
    for t, g in enumerate(grads, start=1):
        alpha = lr * np.sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t)
        m = m + (g - m) * (1 - beta_1)
        v = v + (g * g - v) * (1 - beta_2)
        v_hat = np.maximum(v_hat, v)
        w = w - alpha * m / (np.sqrt(v_hat if amsgrad else v) + epsilon)
    return w


def ref_rmsprop(w, grads, lr, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False):
    v, mg, mom = np.zeros_like(w), np.zeros_like(w), np.zeros_like(w)
    for g in grads:
        v = rho * v + (1 - rho) * g ** 2
        mg = rho * mg + (1 - rho) * g
        denominator = v - mg ** 2 + epsilon if centered else v + epsilon
        increment = lr * g / np.sqrt(denominator)  # epsilon inside the square root
        mom = momentum * mom + increment
        w = w - (mom if momentum > 0 else increment)
    return w


def ref_adagrad(w, grads, lr, initial_accumulator_value=0.1, epsilon=1e-7):
    acc = np.full_like(w, initial_accumulator_value)
    for g in grads:
        acc = acc + g ** 2
        w = w - lr * g / np.sqrt(acc + epsilon)
    return w


def ref_adadelta(w, grads, lr, rho=0.95, epsilon=1e-7):
    eg, edx = np.zeros_like(w), np.zeros_like(w)
    for g in grads:
        eg = rho * eg + (1 - rho) * g ** 2
        delta = -np.sqrt(edx + epsilon) / np.sqrt(eg + epsilon) * g
        edx = rho * edx + (1 - rho) * delta ** 2
        w = w + lr * delta
    return w


def ref_adamax(w, grads, lr, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    m, u = np.zeros_like(w), np.zeros_like(w)
    for t, g in enumerate(grads, start=1):
        m = m + (g - m) * (1 - beta_1)
        u = np.maximum(beta_2 * u, np.abs(g))
        w = w - lr * m / ((1 - beta_1 ** t) * (u + epsilon))
    return w


def ref_nadam(w, grads, lr, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    m, v, product = np.zeros_like(w), np.zeros_like(w), 1.0

    def mu(t):
        return beta_1 * (1 - 0.5 * 0.96 ** t)

    for t, g in enumerate(grads, start=1):
        product *= mu(t)  # mu_1 * ... * mu_t
        m = m + (g - m) * (1 - beta_1)
        v = v + (g * g - v) * (1 - beta_2)
        m_hat = mu(t + 1) * m / (1 - product * mu(t + 1)) + (1 - mu(t)) * g / (1 - product)
        v_hat = v / (1 - beta_2 ** t)
        w = w - lr * m_hat / (np.sqrt(v_hat) + epsilon)
    return w


def ref_ftrl(w, grads, lr, learning_rate_power=-0.5, initial_accumulator_value=0.1,
             l1_regularization_strength=0.0, l2_regularization_strength=0.0,
             l2_shrinkage_regularization_strength=0.0, beta=0.0):
    n, z = np.full_like(w, initial_accumulator_value), np.zeros_like(w)
    p, l1 = learning_rate_power, l1_regularization_strength
    l2 = l2_regularization_strength + beta / (2 * lr)
    for g in grads:
        shrunk = g + 2 * l2_shrinkage_regularization_strength * w
        n_new = n + g ** 2
        sigma = (n_new ** -p - n ** -p) / lr
        z = z + shrunk - sigma * w
        quadratic = n_new ** -p / lr + 2 * l2
        # Proximal step: 0 where |z| <= l1, else (sign(z) l1 - z) / quadratic.
        w = np.where(np.abs(z) <= l1, 0.0, (np.sign(z) * l1 - z) / quadratic)
        n = n_new
    return w


def ref_lion(w, grads, lr, beta_1=0.9, beta_2=0.99):
    m = np.zeros_like(w)
    for g in grads:
        w = w - lr * np.sign(beta_1 * m + (1 - beta_1) * g)
        m = beta_2 * m + (1 - beta_2) * g
    return w


GOLDEN = [
    ("sgd", ref_sgd, {}),
    ("sgd", ref_sgd, {"momentum": 0.9}),
    ("sgd", ref_sgd, {"momentum": 0.9, "nesterov": True}),
    ("adam", ref_adam, {}),
    ("adam", ref_adam, {"beta_1": 0.8, "beta_2": 0.99, "epsilon": 1e-3}),
    ("adam", ref_adam, {"amsgrad": True}),
    ("rmsprop", ref_rmsprop, {}),
    ("rmsprop", ref_rmsprop, {"momentum": 0.5}),
    ("rmsprop", ref_rmsprop, {"centered": True, "momentum": 0.5, "rho": 0.8}),
    ("adagrad", ref_adagrad, {}),
    ("adagrad", ref_adagrad, {"initial_accumulator_value": 0.5, "epsilon": 1e-3}),
    ("adadelta", ref_adadelta, {}),
    ("adamax", ref_adamax, {}),
    ("nadam", ref_nadam, {}),
    ("ftrl", ref_ftrl, {}),
    ("ftrl", ref_ftrl, {"l1_regularization_strength": 0.05, "l2_regularization_strength": 0.1,
                        "l2_shrinkage_regularization_strength": 0.2, "beta": 0.3,
                        "learning_rate_power": -0.7, "initial_accumulator_value": 0.0}),
    ("lion", ref_lion, {}),
]


def case_id(case):
    name, _, config = case
    return name + "".join(f"-{k}={v}" for k, v in config.items())


@pytest.mark.parametrize("steps", [1, 3])
@pytest.mark.parametrize("case", GOLDEN, ids=case_id)
def test_steps_match_the_published_formula(case, steps):
    name, reference, config = case
    grads = gradients(steps)
    w = start_weights()
    expected = reference(w.copy(), grads, lr=0.1, **config)
    opt = optimizers.get({"class_name": name, "config": {"learning_rate": 0.1, **config}})
    for g in grads:
        opt.apply_gradients([(g, w)])
    np.testing.assert_allclose(w, expected, rtol=RTOL, atol=1e-14)
    assert opt.iterations == steps


def test_that_adams_epsilon_sits_outside_the_bias_correction():
    # Step 1: m = 0.1 g, sqrt(v) = sqrt(0.001) |g|, alpha = lr sqrt(0.001) / 0.1, so the step
    # is lr * sign(g) * |g| / (|g| + eps / sqrt(1 - beta_2)): an effective epsilon of
    # eps / sqrt(0.001), not PyTorch's eps added to sqrt(v_hat).
    g = np.array([0.5, -2.0, 1e-3])
    w = np.ones(3)
    optimizers.Adam(learning_rate=0.01).apply_gradients([(g, w)])
    effective_eps = 1e-7 / np.sqrt(1 - 0.999)
    np.testing.assert_allclose(1.0 - w, 0.01 * g / (np.abs(g) + effective_eps), rtol=1e-12)
    assert abs(1.0 - w[2] - 0.01) > 3e-5  # PyTorch's placement would give ~0.01 here


def test_that_ftrl_with_strong_l1_sets_weights_to_exact_zeros():
    w = start_weights()
    opt = optimizers.Ftrl(learning_rate=0.1, l1_regularization_strength=1.0)
    for g in gradients(2):
        opt.apply_gradients([(g * 0.1, w)])
    assert np.all(w == 0.0)


def test_that_updates_stay_in_the_parameters_dtype():
    for name in optimizers.NAMES:
        w = np.ones(4, np.float32)
        opt = optimizers.get(name)
        opt.apply_gradients([(np.full(4, 0.5, np.float32), w)])
        opt.apply_gradients([(np.full(4, 0.5, np.float64), w)])  # cast to the weights' dtype
        assert w.dtype == np.float32
        slots = [a for a in opt.get_state().values() if a.ndim]  # 0-d: host scalars
        assert all(a.dtype == np.float32 for a in slots)


# ----- decoupled weight decay -------------------------------------------------------------------
CONFIGS = [(name, config) for name, _, config in GOLDEN]


@pytest.mark.parametrize("case", GOLDEN, ids=case_id)
def test_that_weight_decay_is_applied_to_the_weights_before_the_update(case):
    name, _, config = case
    lr, wd = 0.1, 0.3
    g, w = gradients(1)[0], start_weights()
    decayed = optimizers.get({"class_name": name, "config": {"learning_rate": lr, **config,
                                                             "weight_decay": wd}})
    plain = optimizers.get({"class_name": name, "config": {"learning_rate": lr, **config}})
    expected = w - w * wd * lr
    plain.apply_gradients([(g, expected)])
    decayed.apply_gradients([(g, w)])
    np.testing.assert_allclose(w, expected, rtol=RTOL)


def test_that_adamw_decays_by_0_004_by_default_and_requires_a_decay():
    assert optimizers.AdamW().weight_decay == 0.004
    w, g = start_weights(), gradients(1)[0]
    expected = ref_adam(w - w * 0.004 * 0.001, [g], lr=0.001)
    optimizers.AdamW().apply_gradients([(g, w)])
    np.testing.assert_allclose(w, expected, rtol=RTOL)
    with pytest.raises(SpecError, match="weight_decay"):
        optimizers.AdamW(weight_decay=None)


def test_that_weight_decay_uses_the_scheduled_learning_rate():
    schedule = schedules.PiecewiseConstantDecay([0], [1.0, 0.1])
    opt = optimizers.SGD(learning_rate=schedule, weight_decay=0.5)
    w = np.array([2.0])
    opt.apply_gradients([(np.zeros(1), w)])  # step 0: lr 1.0
    opt.apply_gradients([(np.zeros(1), w)])  # step 1: lr 0.1
    np.testing.assert_allclose(w, [2.0 * 0.5 * 0.95])


# ----- clipping -----------------------------------------------------------------------------------
def sgd_step(grads, **clip):
    """The (clipped) gradients, read off one SGD step with lr = 1 from zero weights."""
    weights = [np.zeros_like(g) for g in grads]
    optimizers.SGD(learning_rate=1.0, **clip).apply(grads, weights)
    return [-w for w in weights]


def test_that_clipnorm_clips_each_tensor_separately():
    big, small = np.array([3.0, 4.0]), np.array([0.3, 0.4])  # norms 5 and 0.5
    clipped = sgd_step([big.copy(), small.copy()], clipnorm=1.0)
    np.testing.assert_allclose(clipped[0], big / 5.0)
    np.testing.assert_allclose(clipped[1], small)


def test_that_global_clipnorm_scales_every_tensor_by_the_joint_norm():
    a, b = np.array([3.0, 0.0]), np.array([0.0, 4.0])  # joint norm 5
    clipped = sgd_step([a, b], global_clipnorm=2.5)
    np.testing.assert_allclose(clipped[0], a / 2)
    np.testing.assert_allclose(clipped[1], b / 2)
    unclipped = sgd_step([a, b], global_clipnorm=10.0)
    np.testing.assert_allclose(unclipped[0], a)


def test_that_clipvalue_clips_elementwise():
    clipped = sgd_step([np.array([-3.0, 0.2, 7.0])], clipvalue=0.5)
    np.testing.assert_allclose(clipped[0], [-0.5, 0.2, 0.5])


def test_that_clipping_a_zero_gradient_gives_zero_and_an_infinite_norm_gives_nan():
    assert np.all(sgd_step([np.zeros(3)], clipnorm=1.0)[0] == 0)
    assert np.all(sgd_step([np.zeros(3)], global_clipnorm=1.0)[0] == 0)
    with np.errstate(invalid="ignore"):
        result = sgd_step([np.array([np.inf, 1.0]), np.ones(2)], global_clipnorm=1.0)
    assert np.all(np.isnan(result[1]))  # as Keras's clip_by_global_norm


def test_that_clipping_leaves_the_callers_gradients_untouched():
    g = np.array([3.0, 4.0])
    sgd_step([g], clipnorm=1.0)
    np.testing.assert_array_equal(g, [3.0, 4.0])


@pytest.mark.parametrize("clip", [{"clipnorm": 1.0, "clipvalue": 1.0},
                                  {"clipnorm": 1.0, "global_clipnorm": 1.0},
                                  {"clipvalue": 1.0, "global_clipnorm": 1.0}])
def test_that_only_one_clipping_option_may_be_set(clip):
    message = "Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set."
    with pytest.raises(SpecError, match=re.escape(message)):
        optimizers.Adam(**clip)


# ----- the flat fast path -------------------------------------------------------------------------
SHAPES = [(3, 4), (4,), (2, 2, 3)]


def flat_problem(steps, dtype=np.float32, seed=1):
    rng = np.random.default_rng(seed)
    sizes = [int(np.prod(s)) for s in SHAPES]
    stops = np.cumsum(sizes)
    segments = [(int(stop - size), int(stop)) for size, stop in zip(sizes, stops)]
    param = rng.normal(size=int(stops[-1])).astype(dtype)
    grads = [(rng.normal(size=param.size) * rng.choice([0.1, 5.0], size=param.size))
             .astype(dtype) for _ in range(steps)]
    return param, grads, segments


def split(flat, segments):
    return [flat[a:b].reshape(shape).copy() for (a, b), shape in zip(segments, SHAPES)]


FLAT_CASES = CONFIGS + [
    ("adam", {"clipnorm": 1.0}), ("sgd", {"momentum": 0.9, "clipnorm": 0.5}),
    ("rmsprop", {"global_clipnorm": 2.0}), ("lion", {"clipvalue": 0.3}),
    ("adamw", {"clipnorm": 1.0, "amsgrad": True}), ("ftrl", {"clipnorm": 1.0}),
    ("nadam", {"weight_decay": 0.1, "clipnorm": 2.0}),
]


@pytest.mark.parametrize("case", FLAT_CASES, ids=lambda c: case_id((c[0], None, c[1])))
def test_that_apply_flat_equals_apply_gradients_on_the_separate_variables(case):
    name, config = case
    config = {"learning_rate": 0.05, **config}
    param, grads, segments = flat_problem(steps=3)
    variables = split(param, segments)
    flat_opt = optimizers.get({"class_name": name, "config": config})
    var_opt = optimizers.get({"class_name": name, "config": config})
    for g in grads:
        g_before = g.copy()
        flat_opt.apply_flat(g, param, segments)
        np.testing.assert_array_equal(g, g_before)  # the gradient buffer is not modified
        var_opt.apply_gradients(zip(split(g, segments), variables))
    for got, want in zip(split(param, segments), variables):
        np.testing.assert_allclose(got, want, rtol=2e-6, atol=1e-7)
    flat_state, var_state = flat_opt.get_state(), var_opt.get_state()
    for slot in flat_opt.slot_names():
        joined = np.concatenate([var_state[f"{slot}.{i}"].ravel() for i in range(len(SHAPES))])
        np.testing.assert_allclose(flat_state[slot], joined, rtol=2e-6, atol=1e-7)


def test_that_apply_flat_rejects_mismatched_shapes_and_segments():
    opt = optimizers.Adam()
    with pytest.raises(ShapeError, match="same length"):
        opt.apply_flat(np.zeros(3, np.float32), np.zeros(4, np.float32), [(0, 4)])
    with pytest.raises(ShapeError, match="segment"):
        opt.apply_flat(np.zeros(4, np.float32), np.zeros(4, np.float32), [(0, 5)])
    opt.apply_flat(np.zeros(4, np.float32), np.zeros(4, np.float32), [(0, 4)])
    with pytest.raises(TrainingError, match="new optimizer"):
        opt.apply_flat(np.zeros(5, np.float32), np.zeros(5, np.float32), [(0, 5)])


# ----- checkpoint state ---------------------------------------------------------------------------
RESUME_CASES = CONFIGS + [("sgd", {"momentum": 0.9, "learning_rate": schedules.CosineDecay(
    0.1, 4, warmup_target=0.2, warmup_steps=2)})]


@pytest.mark.parametrize("path", ["flat", "variables"])
@pytest.mark.parametrize("case", RESUME_CASES, ids=lambda c: case_id((c[0], None, c[1])))
def test_that_resuming_from_state_equals_an_uninterrupted_run(case, path):
    name, config = case
    config = {"learning_rate": 0.05, **config}
    param, grads, segments = flat_problem(steps=5)

    def run(opt, weights, steps):
        for g in steps:
            if path == "flat":
                opt.apply_flat(g, weights, segments)
            else:
                opt.apply(split(g, segments), weights)

    def copy(weights):
        return weights.copy() if path == "flat" else [w.copy() for w in weights]

    def assert_same(got, want):
        for a, b in zip([got] if path == "flat" else got, [want] if path == "flat" else want):
            np.testing.assert_array_equal(a, b)

    uninterrupted = param.copy() if path == "flat" else split(param, segments)
    run(optimizers.get({"class_name": name, "config": config}), uninterrupted, grads)

    first = optimizers.get({"class_name": name, "config": config})
    weights = param.copy() if path == "flat" else split(param, segments)
    run(first, weights, grads[:3])
    state, saved_weights = first.get_state(), copy(weights)

    # A new optimizer from the config: the state waits until its slots are built.
    resumed = optimizers.get({"class_name": name, "config": json.loads(
        json.dumps(optimizers.serialize(first)))["config"]})
    resumed.set_state({k: v.copy() for k, v in state.items()})
    assert resumed.get_state().keys() == state.keys()
    resumed_weights = copy(saved_weights)
    run(resumed, resumed_weights, grads[3:])
    assert_same(resumed_weights, uninterrupted)
    assert resumed.iterations == 5

    # The same optimizer, diverged and then restored in place into its built slots.
    run(first, weights, grads[3:4])
    first.set_state(state)
    run(first, saved_weights, grads[3:])
    assert_same(saved_weights, uninterrupted)


def test_that_state_holds_iterations_learning_rate_and_nadams_momentum_product():
    opt = optimizers.Nadam()
    opt.apply_gradients([(np.ones(2), np.zeros(2))])
    state = opt.get_state()
    assert int(state["iterations"]) == 1
    assert float(state["learning_rate"]) == 0.001
    assert float(state["u_product"]) == pytest.approx(0.9 * (1 - 0.5 * 0.96))
    assert set(state) == {"iterations", "learning_rate", "u_product", "momentum.0",
                          "velocity.0"}


def test_that_a_learning_rate_set_later_is_saved_and_restored():
    opt = optimizers.SGD(learning_rate=0.1)
    opt.learning_rate = 0.02  # what ReduceLROnPlateau does
    assert opt.current_learning_rate == 0.02
    restored = optimizers.SGD(learning_rate=0.1)
    restored.set_state(opt.get_state())
    assert restored.current_learning_rate == 0.02


def test_that_set_state_rejects_foreign_or_misshapen_state():
    opt = optimizers.Adam()
    opt.apply_gradients([(np.ones(3), np.zeros(3))])
    with pytest.raises(CheckpointError, match="unknown optimizer state entry 'accumulator.0'"):
        opt.set_state({"iterations": np.array(1), "accumulator.0": np.zeros(3)})
    with pytest.raises(CheckpointError, match="shape"):
        opt.set_state({"iterations": np.array(1), "momentum.0": np.zeros(4),
                       "velocity.0": np.zeros(4)})
    with pytest.raises(CheckpointError, match="iterations"):
        opt.set_state({"momentum.0": np.zeros(3), "velocity.0": np.zeros(3)})
    with pytest.raises(CheckpointError, match="schedule"):
        optimizers.SGD(learning_rate=schedules.CosineDecay(0.1, 10)).set_state(
            {"iterations": np.array(0), "learning_rate": np.array(0.1)})
    assert opt.iterations == 1  # nothing was half-restored


# ----- Keras API details --------------------------------------------------------------------------
def test_that_none_gradients_are_skipped_and_all_none_is_an_error():
    w1, w2 = np.ones(2), np.ones(2)
    opt = optimizers.SGD(learning_rate=0.5)
    opt.apply_gradients([(None, w1), (np.ones(2), w2)])
    np.testing.assert_array_equal(w1, [1.0, 1.0])
    np.testing.assert_array_equal(w2, [0.5, 0.5])
    with pytest.raises(TrainingError, match="no gradients"):
        opt.apply_gradients([(None, w1), (None, w2)])


def test_that_an_optimizer_is_tied_to_the_variables_it_was_built_with():
    opt = optimizers.Adam()
    opt.apply([np.ones(2)], [np.zeros(2)])
    with pytest.raises(TrainingError, match="built for variables"):
        opt.apply([np.ones(3)], [np.zeros(3)])
    with pytest.raises(ShapeError, match="gradient 0"):
        opt.apply([np.ones(3)])
    with pytest.raises(SpecError, match="float array"):
        optimizers.SGD().apply_gradients([(np.ones(2), [0.0, 0.0])])


# ----- arguments, config, lookup ------------------------------------------------------------------
@pytest.mark.parametrize("momentum", [1, 0, 1.5, -0.1, "0.9", None])
def test_that_sgd_momentum_must_be_a_float_in_0_1(momentum):
    with pytest.raises(SpecError, match=re.escape("`momentum` must be a float between [0, 1]")):
        optimizers.SGD(momentum=momentum)


@pytest.mark.parametrize("make, argument", [
    (lambda: optimizers.Adam(beta_1=1.5), "beta_1"),
    (lambda: optimizers.Adam(epsilon=-1e-7), "epsilon"),
    (lambda: optimizers.Adam(amsgrad="yes"), "amsgrad"),
    (lambda: optimizers.Adam(learning_rate="fast"), "learning_rate"),
    (lambda: optimizers.RMSprop(rho=2.0), "rho"),
    (lambda: optimizers.Adagrad(initial_accumulator_value=-1.0), "initial_accumulator_value"),
    (lambda: optimizers.Ftrl(learning_rate_power=0.5), "learning_rate_power"),
    (lambda: optimizers.Ftrl(l1_regularization_strength=-1.0), "l1_regularization_strength"),
    (lambda: optimizers.Lion(beta_1=0.0), "beta_1"),
    (lambda: optimizers.SGD(clipnorm=-1.0), "clipnorm"),
    (lambda: optimizers.Adam(weight_decay="a lot"), "weight_decay"),
    (lambda: optimizers.Adam(decay=0.1), "decay"),
    (lambda: optimizers.Adam(use_ema=True), "use_ema"),
])
def test_that_bad_arguments_raise_a_spec_error_naming_the_argument(make, argument):
    with pytest.raises(SpecError, match=argument):
        make()


def test_that_keras_only_options_at_their_defaults_are_accepted():
    opt = optimizers.Adam(use_ema=False, ema_momentum=0.99, loss_scale_factor=None)
    assert "use_ema" not in opt.get_config()


@pytest.mark.parametrize("cls", registry.classes("optimizer"), ids=lambda c: c.__name__)
def test_params_match_config_keys_and_the_config_round_trips(cls):
    opt = cls()
    config = opt.get_config()
    assert {p.name for p in cls.PARAMS} == set(config) - {"name"}
    assert [p.name for p in cls.PARAMS][0] == "learning_rate"
    assert [p.name for p in cls.PARAMS][-4:] == ["weight_decay", "clipnorm", "clipvalue",
                                                  "global_clipnorm"]
    assert {p.default for p in cls.PARAMS if p.name == "learning_rate"} == {
        config["learning_rate"]}
    rebuilt = cls.from_config(json.loads(json.dumps(config)))
    assert rebuilt.get_config() == config


def test_that_a_schedule_is_serialized_as_a_class_name_and_config():
    opt = optimizers.Adam(learning_rate=schedules.ExponentialDecay(0.01, 100, 0.9))
    config = opt.get_config()
    assert config["learning_rate"] == {"class_name": "ExponentialDecay", "config": {
        "initial_learning_rate": 0.01, "decay_steps": 100, "decay_rate": 0.9,
        "staircase": False, "name": "ExponentialDecay"}}
    rebuilt = optimizers.Adam.from_config(config)
    assert rebuilt.get_config()["learning_rate"] == config["learning_rate"]
    assert rebuilt.learning_rate == pytest.approx(0.01)  # Keras: the schedule's current value


def test_keras_defaults():
    assert optimizers.SGD().current_learning_rate == 0.01
    adam = optimizers.get("adam")
    assert (adam.current_learning_rate, adam.beta_1, adam.beta_2, adam.epsilon) == (
        0.001, 0.9, 0.999, 1e-7)
    assert optimizers.RMSprop().rho == 0.9 and optimizers.Adadelta().rho == 0.95
    assert optimizers.Lion().beta_2 == 0.99
    assert optimizers.Ftrl().learning_rate_power == -0.5


def test_get_accepts_names_class_names_configs_and_instances():
    assert set(optimizers.NAMES) <= set(registry.names("optimizer"))
    for name in optimizers.NAMES:
        assert type(optimizers.get(name)).__name__.lower() == name
    assert isinstance(optimizers.get("RMSprop"), optimizers.RMSprop)
    opt = optimizers.get({"class_name": "SGD", "config": {"momentum": 0.5}})
    assert opt.momentum == 0.5 and optimizers.get(opt) is opt
    with pytest.raises(SpecError, match="'adam', 'adamw'"):
        optimizers.get("adamm")
    with pytest.raises(SpecError, match="Cannot interpret"):
        optimizers.get(0.1)


# ----- GPU ------------------------------------------------------------------------------------
@pytest.mark.gpu
@pytest.mark.parametrize("config", [{}, {"amsgrad": True, "weight_decay": 0.01},
                                    {"clipnorm": 1.0}])
def test_adam_apply_flat_on_cupy_matches_numpy(config):
    import cupy

    param, grads, segments = flat_problem(steps=3)
    cpu, gpu = optimizers.Adam(learning_rate=0.05, **config), optimizers.Adam(
        learning_rate=0.05, **config)
    device_param = cupy.asarray(param)
    for g in grads:
        cpu.apply_flat(g, param, segments)
        gpu.apply_flat(cupy.asarray(g), device_param, segments)
    np.testing.assert_allclose(cupy.asnumpy(device_param), param, rtol=1e-5, atol=1e-6)
    gpu_state, cpu_state = gpu.get_state(), cpu.get_state()
    for key in cpu_state:
        np.testing.assert_allclose(gpu_state[key], cpu_state[key], rtol=1e-5, atol=1e-7)
