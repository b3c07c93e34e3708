"""Keras's `keras.utils`: data helpers, downloads and seeding.

    from engine import utils
    y = utils.to_categorical(labels, num_classes=10)
    x = utils.pad_sequences(token_lists, maxlen=200)
    train_ds, val_ds = utils.image_dataset_from_directory("photos", validation_split=0.2,
                                                          subset="both", seed=1337)
    utils.set_random_seed(42)

`register_keras_serializable`, `custom_object_scope` and the other registration helpers are
`engine.saving`'s, here too as in Keras.

The datasets these functions return are `engine.data.Dataset`s, which `fit`, `evaluate`
and `predict` take as they are.
"""

from ..saving.object_registration import (CustomObjectScope, custom_object_scope,
                                          get_custom_objects, get_registered_name,
                                          get_registered_object, register_keras_serializable)
from .dataset_utils import split_dataset
from .file_utils import get_file
from .image_dataset_utils import image_dataset_from_directory
from .numerical_utils import normalize, to_categorical
from .rng_utils import set_random_seed
from .sequence_utils import pad_sequences
from .timeseries_dataset_utils import timeseries_dataset_from_array

__all__ = ["CustomObjectScope", "custom_object_scope", "get_custom_objects", "get_file",
           "get_registered_name", "get_registered_object", "image_dataset_from_directory",
           "normalize", "pad_sequences", "register_keras_serializable", "set_random_seed",
           "split_dataset", "timeseries_dataset_from_array", "to_categorical"]
