"""The public step methods of every model (Keras 3's Trainer surface): `train_step`,
`test_step`, `predict_step`, `compute_loss`, `compute_metrics`, `metrics`.

fit/evaluate/predict call these only when a model overrides them (see custom_steps); the
defaults here are what `super().train_step(data)` gives an override: the tape path, with
the same loss and metrics as the fused fast path.
"""

from . import custom_steps
from .ops.core import value_of
from .ops.tape import GradientTape


class CompileMetrics:
    """The metrics given to compile(), seen as one metric named `compile_metrics` (as in
    Keras 3): `update_state(y, y_pred)` updates all, `result()` is a dict of their values."""

    name = "compile_metrics"

    def __init__(self, model):
        self._model = model

    def update_state(self, y, y_pred, sample_weight=None):
        model = self._model
        ys = y if isinstance(y, (list, tuple)) else [y]
        preds = y_pred if isinstance(y_pred, (list, tuple)) else [y_pred]
        ys, preds = [value_of(v) for v in ys], [value_of(v) for v in preds]
        model._metrics.update(ys, preds, model._compiled_loss.losses)

    def result(self) -> dict:
        return self._model._metrics.results()

    def reset_state(self):
        self._model._metrics.reset()


class StepsMixin:
    """Keras's customizable steps, mixed into every model."""

    def train_step(self, data):
        """One training step on `data` (`x`, `(x, y)` or `(x, y, sample_weight)`)."""
        x, y, sample_weight = custom_steps.unpack_x_y_sample_weight(data)
        with GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight)
        variables = self.trainable_variables
        self.optimizer.apply(tape.gradient(loss, variables), variables)
        self._loss_tracker.update_state(value_of(loss), sample_weight=_batch_size(x))
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def test_step(self, data):
        """One evaluation step: loss and metrics in inference mode."""
        x, y, sample_weight = custom_steps.unpack_x_y_sample_weight(data)
        y_pred = self(x, training=False)
        loss = self.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight,
                                 training=False)
        self._loss_tracker.update_state(value_of(loss), sample_weight=_batch_size(x))
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def predict_step(self, data):
        """The model's outputs for one batch of inputs."""
        x, _, _ = custom_steps.unpack_x_y_sample_weight(data)
        return self(x, training=False)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The compiled loss(es) of `y` and `y_pred` plus `model.losses` (a Tensor, tracked
        inside a GradientTape)."""
        terms = []
        compiled = getattr(self, "_compiled_loss", None)
        if compiled is not None and y is not None:
            ys = y if isinstance(y, (list, tuple)) else [y]
            preds = y_pred if isinstance(y_pred, (list, tuple)) else [y_pred]
            for loss, weight, target, pred in zip(compiled.losses, compiled.weights, ys, preds):
                if loss is not None:
                    term = loss(target, pred, sample_weight)
                    terms.append(term if weight == 1.0 else term * weight)
        terms.extend(self.losses)
        if not terms:
            import numpy as np  # noqa: PLC0415

            from .ops.core import Tensor  # noqa: PLC0415

            return Tensor(np.zeros((), np.float32))
        total = terms[0]
        for term in terms[1:]:
            total = total + term
        return total

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        """Updates the compiled metrics and returns every metric's result (a dict)."""
        if getattr(self, "_metrics", None) is not None and y is not None:
            CompileMetrics(self).update_state(y, y_pred, sample_weight)
        return self.get_metrics_result()

    def get_metrics_result(self) -> dict:
        results = {}
        for metric in self.metrics:
            value = metric.result()
            if isinstance(value, dict):
                results.update(value)
            else:
                results[metric.name] = value
        return results

    @property
    def metrics(self) -> list:
        """The loss tracker, the compiled metrics and the Metric objects the model holds."""
        found = []
        if self.compiled and getattr(self, "_loss_tracker", None) is not None:
            found.append(self._loss_tracker)
        if self.compiled and getattr(self, "_metrics", None) is not None and \
                self._metrics.specs and any(self._metrics.specs):
            found.append(CompileMetrics(self))
        found.extend(_held_metrics(self))
        return found

    @property
    def metrics_names(self) -> list:
        return [m.name for m in self.metrics]

    def reset_metrics(self):
        for metric in self.metrics:
            metric.reset_state()


def _held_metrics(model) -> list:
    from .metrics.base import Metric  # noqa: PLC0415

    return [v for k, v in vars(model).items() if not k.startswith("_") and isinstance(v, Metric)]


def _batch_size(x) -> int:
    first = x[0] if isinstance(x, (list, tuple)) else x
    return int(value_of(first).shape[0])
