"""`keras.optimizers.schedules`: the engine's learning-rate schedules under Keras's path.

    lr = optimizers.schedules.ExponentialDecay(0.1, decay_steps=100000, decay_rate=0.96)
    optimizer = optimizers.RMSprop(learning_rate=lr)

The classes are those of `engine.schedules` (the same objects, so either path works).
"""

from ..schedules import (CosineDecay, CosineDecayRestarts, ExponentialDecay, InverseTimeDecay,
                         LearningRateSchedule, PiecewiseConstantDecay, PolynomialDecay, get,
                         serialize)

__all__ = ["CosineDecay", "CosineDecayRestarts", "ExponentialDecay", "InverseTimeDecay",
           "LearningRateSchedule", "PiecewiseConstantDecay", "PolynomialDecay", "deserialize",
           "serialize"]


def deserialize(config: dict) -> LearningRateSchedule:
    """A schedule from `{"class_name": ..., "config": {...}}`, as `serialize` writes it."""
    return get(config)
