"""`keras.preprocessing.sequence.pad_sequences`, the same function as `engine.utils`'s."""

from ..utils.sequence_utils import pad_sequences

__all__ = ["pad_sequences"]
