"""Keras's `keras.utils`: data helpers, downloads and seeding.

    from engine import utils
    y = utils.to_categorical(labels, num_classes=10)
    x = utils.pad_sequences(token_lists, maxlen=200)
    utils.set_random_seed(42)
"""

from .numerical_utils import normalize, to_categorical
from .rng_utils import set_random_seed

__all__ = ["normalize", "set_random_seed", "to_categorical"]
