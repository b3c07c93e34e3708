"""ActivityRegularization: passes its input through and adds a penalty on it to the loss.

The penalty joins the loss the way the weight penalties do: the model sums
`layer.regularization_loss()` over the layers whose `regularizers` dict is not empty (in
fit, evaluate, train_on_batch and `model.losses`). This layer puts its activity penalty in
that dict under `ACTIVITY_KEY`, a key that names no weight, and overrides both hooks: the
loss is the penalty of the last forward pass, and its gradient is added to the input
gradient in `backward` (there is no weight to add it to).

As in Keras 3, the penalty is divided by the batch size, and it is counted in training and
inference alike.
"""

from .. import registry
from ..ops.core import record, value_of
from ..params import FLOAT, Param
from ..regularizers import L1L2
from .base import Layer

__all__ = ["ActivityRegularization"]

#: The key of the activity penalty in `layer.regularizers`; no weight has this name.
ACTIVITY_KEY = "activity"


@registry.register("layer")
class ActivityRegularization(Layer):
    """The identity, adding `(l1 * sum|x| + l2 * sum x**2) / batch_size` to the loss.

    A layer reused at several places of a functional model counts its penalty once, at its
    first call site (the other call sites share its weights only).

    Args:
        l1: L1 factor, `>= 0`. Defaults to `0.0`.
        l2: L2 factor, `>= 0`. Defaults to `0.0`.

    Input shape:
        Any.
    Output shape:
        Same as the input.
    """

    supports_masking = True  # a mask passes through unchanged, as in Keras

    CATEGORY = "Regularization"
    #: Under a GradientTape its penalty is a term of `losses` that needs this call's input
    #: (`layers.recording`), so a model holding it is recorded layer by layer.
    TAPE_PER_CALL = True
    DESCRIPTION = "Passes the input through and adds an L1/L2 penalty on it to the loss."
    PARAMS = (
        Param("l1", FLOAT, 0.0, minimum=0.0, help="L1 factor: penalty l1 * sum(|x|)."),
        Param("l2", FLOAT, 0.0, minimum=0.0, help="L2 factor: penalty l2 * sum(x**2)."),
    )

    def __init__(self, l1=0.0, l2=0.0, name=None, trainable=True, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._configure(l1=l1, l2=l2)
        if self.l1 or self.l2:
            self.regularizers[ACTIVITY_KEY] = L1L2(l1=self.l1, l2=self.l2)
        self._penalty = 0.0
        self._x = None

    def _regularizer(self):
        """The activity penalty, or None when the model does not count it (zero factors,
        or a second call site of a shared layer)."""
        return self.regularizers.get(ACTIVITY_KEY)

    def forward(self, x, training=False):
        self._recorded_input = None  # set again when a GradientTape records this call
        regularizer = self._regularizer()
        if regularizer is not None:
            # penalty = (l1 * sum|x| + l2 * sum x**2) / batch_size (a device scalar, no sync)
            self._penalty = regularizer(x) / max(int(x.shape[0]), 1)
        if not self.inference_only:
            self._x = x
        return x

    def backward(self, grad):
        regularizer = self._regularizer()
        if regularizer is None or vars(self).get("_tape_call"):
            return grad  # under a tape the penalty is a term of `losses`, differentiated there
        # dL/dx = g + (l1 * sign(x) + 2 * l2 * x) / batch_size
        return grad + regularizer.gradient(self._x) / max(int(self._x.shape[0]), 1)

    def regularization_loss(self):
        """The penalty of the last forward pass (0.0 before any)."""
        return self._penalty if self._regularizer() is not None else 0.0

    @property
    def losses(self) -> list:
        """The penalty of the last call in a list, as Keras's `layer.losses` (empty when the
        factors are zero)."""
        regularizer = self._regularizer()
        if regularizer is None:
            return []
        source = vars(self).get("_recorded_input")
        if source is None:
            return [self._penalty]
        x = value_of(source)
        scale = 1.0 / max(int(x.shape[0]), 1)
        return [record(self._penalty, (source,),
                       lambda g: (g * regularizer.gradient(x) * scale,))]

    def add_regularization_gradients(self) -> None:
        """Nothing to add: the penalty's gradient already went to the input in `backward`."""
