"""`set_random_seed`: one call makes weights, dropout and shuffles repeatable."""

import random

import numpy as np

from .. import backend
from ..errors import SpecError


def set_random_seed(seed) -> None:
    """Seeds Python's `random`, NumPy's global generator and the engine's generator.

    The engine's generator draws weights, dropout masks and shuffles (and CuPy's is seeded
    too once a GPU is in use), so a script that calls this first runs the same way every
    time, as `keras.utils.set_random_seed` makes a Keras program deterministic.

    Args:
        seed: Integer, the random seed to use.

    Raises:
        SpecError: when `seed` is not an integer >= 0.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise SpecError(f"Expected `seed` argument to be an integer. Received: seed={seed!r} "
                        f"(of type {type(seed).__name__})")
    if seed < 0:
        raise SpecError(f"Expected `seed` argument to be an integer >= 0 (NumPy refuses "
                        f"negative seeds). Received: seed={seed}")
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed % 2**32)  # NumPy's legacy generator takes 0..2**32-1 only
    backend.set_seed(seed)
