"""Keras's `keras.preprocessing` paths for the data utilities that live in `engine.utils`:

    from engine.preprocessing.sequence import pad_sequences
    engine.preprocessing.timeseries_dataset_from_array(data, targets, sequence_length=10)

(Preprocessing *layers*, such as `Rescaling`, are in `engine.layers`.)
"""

from ..utils import image_dataset_from_directory, timeseries_dataset_from_array
from . import sequence

__all__ = ["image_dataset_from_directory", "sequence", "timeseries_dataset_from_array"]
