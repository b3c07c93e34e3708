"""Numbers for the summary view: parameter totals and memory estimates (no Qt).

Weights are float32. The optimizer keeps a number of float32 slots per trainable weight
(Adam: two moments; SGD with momentum: one velocity). Activations per batch count every
block's output once for the forward pass and once more for its gradient in backward.
"""

import math

FLOAT_BYTES = 4
_SLOTS = {"SGD": 0, "Adam": 2, "AdamW": 2, "Adamax": 2, "Nadam": 2, "RMSprop": 1,
          "Adagrad": 1, "Adadelta": 2, "Ftrl": 2, "Lion": 1}


def optimizer_slots(compile_spec: dict) -> int:
    """Float slots per trainable weight for the compile spec's optimizer."""
    optimizer = (compile_spec or {}).get("optimizer") or {}
    if isinstance(optimizer, str):
        optimizer = {"class_name": optimizer, "config": {}}
    name = str(optimizer.get("class_name", ""))
    config = optimizer.get("config") or {}
    declared = _declared_slots(name)
    if declared is not None:
        return declared
    lookup = {k.lower(): v for k, v in _SLOTS.items()}
    slots = lookup.get(name.lower(), 2)
    if name.lower() == "sgd" and config.get("momentum"):
        slots = 1
    if name.lower() == "adam" and config.get("amsgrad"):
        slots = 3
    if name.lower() == "rmsprop":
        slots += bool(config.get("momentum")) + bool(config.get("centered"))
    return slots


def _declared_slots(name):
    try:
        from engine import registry  # noqa: PLC0415

        cls = registry.get_class("optimizer", name)
    except Exception:  # unknown or not registered yet: use the table
        return None
    slots = getattr(cls, "SLOTS", None)
    return len(slots) if isinstance(slots, (tuple, list)) else None


def activation_elements(analysis) -> int:
    """Output elements of every block (every output of it) for one sample; outputs with a
    variable (None) dimension are left out, their size is known only from data."""
    return sum(math.prod(shape) for shape in analysis.shapes.values()
               if isinstance(shape, tuple) and None not in shape)


def stats(analysis, compile_spec: dict, batch_size: int = 32) -> dict:
    trainable, frozen = analysis.total_params()
    slots = optimizer_slots(compile_spec)
    return {
        "total": trainable + frozen, "trainable": trainable, "non_trainable": frozen,
        "weights_bytes": (trainable + frozen) * FLOAT_BYTES,
        "optimizer_bytes": trainable * slots * FLOAT_BYTES, "optimizer_slots": slots,
        "activation_bytes": 2 * activation_elements(analysis) * batch_size * FLOAT_BYTES,
        "batch_size": batch_size,
    }
