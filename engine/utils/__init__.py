"""Keras's `keras.utils`: data helpers, downloads and seeding.

    from engine import utils
    y = utils.to_categorical(labels, num_classes=10)
    x = utils.pad_sequences(token_lists, maxlen=200)
    utils.set_random_seed(42)
"""

from .rng_utils import set_random_seed

__all__ = ["set_random_seed"]
