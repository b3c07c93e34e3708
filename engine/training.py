"""compile / fit / evaluate / predict and friends: the Keras workflow on every Model."""

from types import SimpleNamespace

import numpy as np

from . import backend, custom_steps, fpu
from .compile_utils import (
    CompiledLoss,
    CompiledMetrics,
    check_targets,
    function_config,
    is_object_config,
    is_plain_function,
)
from .data_adapter import (
    ArrayData,
    DatasetData,
    as_host_array,
    class_weights_to_sample_weights,
    host_arrays,
    is_dataset,
    split_validation,
    spread,
    to_target_list,
)
from .errors import DataError, SpecError, TrainingError
from .metrics.base import Mean
from .step_api import StepsMixin
from .trainer import LossMeans, RunControl, evaluate_data, run_fit


def batch_slices(count: int, batch_size: int):
    """`slice` objects covering `count` samples in batches; the last may be partial."""
    for start in range(0, count, batch_size):
        yield slice(start, min(start + batch_size, count))


def sample_count(arrays) -> int:
    sizes = {int(a.shape[0]) for a in arrays}
    if len(sizes) != 1:
        raise DataError("Data cardinality is ambiguous. Make sure all arrays contain the same "
                        "number of samples. Sizes received: " + ", ".join(
                            str(int(a.shape[0])) for a in arrays))
    return sizes.pop()


class TrainingMixin(StepsMixin):
    """The Keras training API, mixed into Model."""

    #: Whether compile() may come before the graph exists (a Sequential builds from data).
    _builds_later = False

    def _init_training_state(self):
        self.compiled = False
        self.optimizer = None
        self.compile_config = None
        self.history = None
        self.training_state = {"epoch": 0}
        self._control = RunControl()
        self._initial_epoch_override = None

    def _on_device_changed(self):
        """Optimizer slots live on the old device: carry their values to the new one."""
        if self.optimizer is not None and self.optimizer.iterations:
            state = self.optimizer.get_state()
            self.optimizer = type(self.optimizer).from_config(self.optimizer.get_config())
            self.optimizer.set_state(state)

    # ----- compile -------------------------------------------------------------------------------
    def compile(self, optimizer="rmsprop", loss=None, metrics=None, loss_weights=None,
                device=None, **kwargs):
        """Configures training: optimizer, loss(es), metrics, and the device.

        Args:
            optimizer: A name (`"adam"`), a config dict or an optimizer object.
            loss: A name, config or loss object; a list or dict for several outputs.
            metrics: Metric names/objects; a list, or a dict per output.
            loss_weights: Weights of each output's loss in the total.
            device: `"cpu"`, `"gpu"` or `"auto"` (GPU when available); moves the weights.
        """
        from . import optimizers  # noqa: PLC0415

        unknown = set(kwargs) - {"run_eagerly", "jit_compile", "steps_per_execution",
                                 "weighted_metrics", "auto_scale_loss"}
        if unknown:
            raise TrainingError(f"compile() got unknown arguments: {sorted(unknown)}.")
        built = getattr(self, "_graph", None) is not None
        if not built and not self._builds_later:
            self._require_graph()
        optimizer = optimizers.get(optimizer)
        if built:
            compiled = (CompiledLoss(self, loss, loss_weights),
                        CompiledMetrics(metrics, self.output_names))
        else:  # a Sequential that builds on its first data: check now, attach at build
            compiled = (None, None)
            check_compile_args(self, loss, metrics, loss_weights)
        config = {"optimizer": _serialize(optimizer), "loss": _serialize_nested(loss, "loss"),
                  "metrics": _serialize_nested(metrics, "metric"), "loss_weights": loss_weights}
        # Nothing changes until every argument is understood: a refused compile keeps the last.
        if device is not None:
            self._move_to(device)
        self.optimizer, (self._compiled_loss, self._metrics) = optimizer, compiled
        self._loss_tracker = Mean(name="loss")
        self._compile_args = (loss, metrics, loss_weights)
        self.compile_config = config
        self.compiled = True

    def _move_to(self, device):
        if getattr(self, "_graph", None) is None:
            self.device = backend.resolve_device(device)  # the layers are made there at build
        else:
            self.to_device(device)

    def _attach_compiled(self):
        """(Re)makes the compiled loss and metrics for the current outputs (after a build)."""
        loss, metrics, loss_weights = self._compile_args
        self._compiled_loss = CompiledLoss(self, loss, loss_weights)
        self._metrics = CompiledMetrics(metrics, self.output_names)

    def _build_for_data(self, x) -> None:
        """Hook: a model that builds on its first data (Sequential) builds here from `x`."""

    def _require_graph(self):
        if getattr(self, "_graph", None) is None:
            raise TrainingError(f"Model '{self.name}' has no layers/Input yet. Start it with "
                                "Input(shape), or call it on data first.")

    def _require_compiled(self):
        if not self.compiled:
            raise TrainingError("You must call `compile()` before using the model. For example: "
                                "model.compile(optimizer='adam', "
                                "loss='sparse_categorical_crossentropy', metrics=['accuracy']).")

    # ----- one step ------------------------------------------------------------------------------
    def _train_step(self, xs, ys, weights):
        """Forward, loss, backward and one optimizer step.

        Returns:
            (total loss, each output's loss), as device scalars (no host sync here).
        """
        outputs = self.forward(xs, training=True, input_gradients=False)
        if getattr(self._compiled_loss, "empty", False):  # only add_loss terms to minimize
            total, parts, grads, fused = self._add_loss_only(outputs)
        else:
            total, parts, grads, fused = self._compiled_loss.value_and_grads(ys, outputs,
                                                                             weights)
        self.backward(grads, from_preactivation=fused, input_gradients=False)
        total = total + self.regularization_loss()
        self._apply_optimizer()
        self._metrics.update(ys, outputs, self._compiled_loss.losses)
        return total, parts

    def _add_loss_only(self, outputs):
        """Keras lets compile() omit the loss when the model adds its own (`add_loss`)."""
        if not self.losses:
            raise TrainingError(f"Model '{self.name}' was compiled without a loss and adds "
                                "none in call(), so fit() has nothing to minimize. Pass "
                                "loss=... to compile(), call self.add_loss(...) in call(), or "
                                "override train_step().")
        xp = backend.get_array_module(outputs[0])
        return 0.0, [], [xp.zeros_like(o) for o in outputs], ()

    def _apply_optimizer(self):
        self._ensure_packed()
        self.optimizer.apply_flat(self._flat_grads, self._flat_params, self._segments)

    @fpu.flushed
    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None,
                       return_dict=False):
        """One gradient step on one batch; returns the loss (and metrics)."""
        self._require_compiled()
        self._build_for_data(x)
        data = self._array_data(x, y, sample_weight, class_weight)
        self._metrics.reset()
        total, parts = self._train_step(data.xs, data.ys, data.weights)
        losses = LossMeans(self.output_names)
        losses.add(total, parts, 1)
        return self._format_results({**losses.results(), **self._metrics.results()},
                                    return_dict)

    @fpu.flushed
    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        self._require_compiled()
        self._build_for_data(x)
        data = self._array_data(x, y, sample_weight, None)
        logs = evaluate_data(self, data, data.count)
        return self._format_results(logs, return_dict)

    # ----- fit / evaluate ------------------------------------------------------------------------
    @fpu.flushed
    def fit(self, x=None, y=None, batch_size=32, epochs=1, verbose=1, callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_freq=1,
            seed=None, **kwargs):
        """Trains for `epochs` (the final epoch index) and returns the `History`."""
        from .callbacks import CallbackList  # noqa: PLC0415

        self._require_compiled()
        self._build_for_data(x)
        self._check_trainable()
        batch_size = 32 if batch_size is None else _positive_int(batch_size, "batch_size")
        _positive_int(epochs, "epochs")
        if steps_per_epoch is not None:
            _positive_int(steps_per_epoch, "steps_per_epoch")
        _check_validation_freq(validation_freq)
        if is_dataset(x):
            ignored = [name for name, value in (("validation_split", validation_split),
                                                 ("sample_weight", sample_weight),
                                                 ("class_weight", class_weight)) if value]
            if ignored:
                raise DataError(f"{', '.join(ignored)} cannot be used with a Dataset. Put the "
                                "weights in the dataset's batches (x, y, sample_weight) and pass "
                                "validation_data=... instead of validation_split.")
            data, val_data = DatasetData(x, self), self._validation(validation_data, None)
        else:
            data = self._array_data(x, y, sample_weight, class_weight)
            val_data = self._validation(validation_data, None)
            if validation_data is None and validation_split:
                if not 0.0 < validation_split < 1.0:
                    raise DataError(f"`validation_split` must be between 0 and 1. Received: "
                                    f"{validation_split}")
                (tx, ty, tw), (vx, vy, vw) = split_validation(data.xs, data.ys, data.weights,
                                                             validation_split)
                data, val_data = ArrayData(tx, ty, tw), ArrayData(vx, vy, vw)
        self.stop_training = False
        self._control.reset()
        steps = steps_per_epoch or data.steps(batch_size)
        cbs = CallbackList(callbacks, model=self, add_history=True, add_progbar=verbose != 0,
                           verbose=verbose, epochs=epochs, steps=steps)
        run_fit(self, data, val_data, batch_size=batch_size, epochs=epochs,
                initial_epoch=initial_epoch, shuffle=bool(shuffle), callbacks=cbs,
                steps_per_epoch=steps_per_epoch, validation_freq=validation_freq, seed=seed)
        self.history = cbs.history
        return self.history

    @fpu.flushed
    def evaluate(self, x=None, y=None, batch_size=32, verbose=1, sample_weight=None,
                 callbacks=None, return_dict=False, **kwargs):
        """Loss and metrics on `x`, `y` in inference mode (a float, a list, or a dict)."""
        from .callbacks import CallbackList  # noqa: PLC0415

        self._require_compiled()
        self._build_for_data(x)
        batch_size = 32 if batch_size is None else _positive_int(batch_size, "batch_size")
        data = DatasetData(x, self) if is_dataset(x) else self._array_data(x, y, sample_weight,
                                                                         None)
        cbs = CallbackList(callbacks, model=self, add_progbar=False, verbose=verbose,
                           steps=data.steps(batch_size))
        logs = evaluate_data(self, data, batch_size, cbs)
        if verbose:
            print(" - ".join(f"{k}: {v:.4f}" for k, v in logs.items()))
        return self._format_results(logs, return_dict)

    def _own_steps(self) -> bool:
        """Whether the model's class overrides train/test/predict_step (Keras's custom fit)."""
        return any(custom_steps.overrides(self, name) for name in custom_steps.STEPS)

    def _check_trainable(self):
        """A model without call() (a GAN holding two models) needs its own train_step."""
        if custom_steps.overrides(self, "train_step"):
            return
        if getattr(self, "_graph", None) is None:
            raise TrainingError(f"Model '{self.name}' has no call() and no train_step(); "
                                "define call() (what the model computes) or train_step().")

    def _format_results(self, logs, return_dict):
        if return_dict:
            return logs
        values = list(logs.values())
        return values[0] if len(values) == 1 else values

    def _validation(self, validation_data, _):
        if validation_data is None:
            return None
        if is_dataset(validation_data):
            return DatasetData(validation_data, self)
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
            raise DataError("`validation_data` must be (x_val, y_val) or "
                            "(x_val, y_val, sample_weight).")
        vx, vy = validation_data[0], validation_data[1]
        vw = validation_data[2] if len(validation_data) == 3 else None
        return self._array_data(vx, vy, vw, None)

    def _array_data(self, x, y, sample_weight, class_weight) -> ArrayData:
        """Checked, device-resident arrays (the data moves to the device once)."""
        if self._graph is None or (y is None and self._own_steps()):
            return custom_steps.loose_array_data(self, x, y, sample_weight)
        if y is None:
            raise DataError("Targets `y` are missing. Pass labels (y) along with x.")
        xs, ys = host_arrays(self, x, y, sample_weight)
        dev_xs = self.standardize_inputs(xs if len(xs) > 1 else xs[0])
        dev_ys = to_target_list(self, ys if len(ys) > 1 else ys[0])
        check_targets(self, self._compiled_loss, dev_ys)
        if sample_weight is not None and class_weight:
            raise DataError("Pass either `sample_weight` or `class_weight`, not both. To "
                            "combine them, multiply the class weights into sample_weight.")
        weights = None
        if sample_weight is not None:
            weights = _checked_sample_weight(sample_weight, int(xs[0].shape[0]))
        elif class_weight:
            weights = class_weights_to_sample_weights(ys[0], class_weight)
        if weights is not None:
            weights = backend.to_device(weights, self.device, backend.FLOATX)
        return ArrayData(dev_xs, dev_ys, weights)

    # ----- run control (thread-safe, for the GUI) ------------------------------------------------
    def request_stop(self):
        """Ends fit() after the current batch. Safe to call from any thread."""
        self._control.request_stop()

    def pause(self):
        """Makes fit() wait between batches (without burning CPU) until resume()."""
        self._control.pause()

    def resume(self):
        self._control.resume()

    @property
    def paused(self) -> bool:
        return self._control.paused

    # ----- inference -----------------------------------------------------------------------------
    @fpu.flushed
    def predict(self, x, batch_size: int = 32, verbose: int = 0, callbacks=None):
        """Outputs for `x` in inference mode, batched, as NumPy (a list for several outputs).

        Memory stays bounded: each batch goes to the device, runs, and its output is copied
        into one preallocated NumPy array. Callbacks get Keras's `on_predict_*` hooks; each
        batch end's logs are `{"outputs": that batch's outputs}`.
        """
        from .callbacks import CallbackList  # noqa: PLC0415

        batch_size = 32 if batch_size is None else _positive_int(batch_size, "batch_size")
        self._build_for_data(x)
        arrays = self._host_inputs(x)
        count = sample_count(arrays)
        cbs = CallbackList(callbacks, model=self, add_progbar=verbose != 0, verbose=verbose,
                           epochs=1, steps=-(-count // batch_size))
        cbs.on_predict_begin()
        results = self._predict_batches(arrays, count, batch_size, cbs)
        cbs.on_predict_end()
        return results[0] if len(results) == 1 else results

    def _predict_batches(self, arrays, count, batch_size, cbs) -> list:
        results = None  # made from the first batch: a None (variable) axis takes its size
        own_step = custom_steps.overrides(self, "predict_step") or self._graph is None
        for step, part in enumerate(batch_slices(count, batch_size)):
            cbs.on_predict_batch_begin(step)
            batch = [a[part] for a in arrays]
            if own_step:
                outputs = custom_steps.predict_outputs(self, batch)
            else:
                outputs = self.forward(self.standardize_inputs(
                    batch if len(batch) > 1 else batch[0]), training=False, inference_only=True)
            if results is None:
                results = [np.empty((count, *o.shape[1:]), dtype=np.float32) for o in outputs]
            for target, out in zip(results, outputs):
                target[part] = backend.to_numpy(out)
            batch_outputs = [r[part] for r in results]
            cbs.on_predict_batch_end(step, {"outputs": batch_outputs[0] if len(batch_outputs) == 1
                                            else batch_outputs})
        if results is None:  # no samples
            results = [np.empty((0, *(d or 0 for d in s)), np.float32) for s in self.output_shapes]
        return results

    @fpu.flushed
    def predict_on_batch(self, x):
        self._build_for_data(x)
        outputs = [backend.to_numpy(o) for o in self.forward(self.standardize_inputs(x),
                                                             inference_only=True)]
        return outputs[0] if len(outputs) == 1 else outputs

    def _host_inputs(self, x) -> list:
        """Inputs as a list of arrays in `input_names` order, not yet moved to the device."""
        if self._graph is None:
            return [as_host_array(a) for a in (x if isinstance(x, (list, tuple)) else [x])]
        return [as_host_array(a) for a in spread(x, self.input_names, "inputs")]

    def optimizer_param_count(self) -> int:
        if self.optimizer is None or not hasattr(self.optimizer, "get_state"):
            return 0
        return sum(int(np.size(v)) for k, v in self.optimizer.get_state().items()
                   if k != "iterations" and np.ndim(v) > 0)

    # ----- saving (engine.saving.checkpoint does the work) ---------------------------------------
    def save(self, filepath, include_optimizer=True):
        from .saving.checkpoint import save_model  # noqa: PLC0415

        save_model(self, filepath, include_optimizer=include_optimizer)

    def save_weights(self, filepath):
        from .saving.checkpoint import save_weights  # noqa: PLC0415

        save_weights(self, filepath)

    def load_weights(self, filepath):
        from .saving.checkpoint import load_weights  # noqa: PLC0415

        load_weights(self, filepath)


def check_compile_args(model, loss, metrics, loss_weights) -> None:
    """Checks compile arguments of a model that is not built yet, so that a wrong loss or
    metric name fails at compile() as it would for a built model. A Sequential has one
    output, its last layer, which stands in for the output it will have."""
    last = model.layers[-1] if model.layers else None
    name = last.name if last is not None else "output"
    future = SimpleNamespace(output_names=[name], _nodes={name: last})
    CompiledLoss(future, loss, loss_weights)
    CompiledMetrics(metrics, [name])


def _checked_sample_weight(sample_weight, count: int):
    weights = np.asarray(backend.to_numpy(sample_weight), dtype=np.float32)
    if weights.ndim == 2 and weights.shape[1] == 1:
        weights = weights[:, 0]
    if weights.shape != (count,):
        raise DataError(f"`sample_weight` must hold one weight per sample, shape ({count},); "
                        f"received shape {weights.shape}.")
    if not np.isfinite(weights).all() or (weights < 0).any():
        raise DataError("`sample_weight` must be finite and >= 0; it holds NaN, infinite or "
                        "negative values. Fix the weights before training.")
    return weights


def _check_validation_freq(freq):
    if isinstance(freq, bool) or not (
            (isinstance(freq, int) and freq >= 1) or
            (isinstance(freq, (list, tuple)) and all(isinstance(e, int) and e >= 1
                                                     for e in freq))):
        raise TrainingError("`validation_freq` must be a positive integer (validate every N "
                            "epochs) or a list of 1-based epochs. Received: "
                            f"validation_freq={freq!r}")


def _positive_int(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise TrainingError(f"`{name}` must be a positive integer. Received: {name}={value!r}")
    return int(value)


def _serialize(obj, what: str = "optimizer"):
    if what != "optimizer" and is_plain_function(obj):
        return function_config(obj, what)  # a loss/metric function: by name only, as Keras
    if not callable(getattr(obj, "get_config", None)):
        example = {"optimizer": "'adam'", "loss": "'mse'"}.get(what, "'accuracy'")
        raise SpecError(f"compile() could not interpret the {what} {obj!r}. Pass a name such "
                        f"as {example}, a {{'class_name', 'config'}} dict or an engine {what} "
                        "object.")
    return {"class_name": type(obj).__name__, "config": obj.get_config()}


def _serialize_nested(value, what: str):
    """Compile arguments as JSON data: names stay, objects become `{"class_name", "config"}`,
    and lists and per-output dicts keep their shape (a config dict is kept as it is, so a
    saved compile config compiles again to the same thing)."""
    if value is None or isinstance(value, str) or is_object_config(value):
        return value
    if isinstance(value, dict):
        return {k: _serialize_nested(v, what) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_serialize_nested(v, what) for v in value]
    return _serialize(value, what)
