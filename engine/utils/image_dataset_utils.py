"""`image_dataset_from_directory`: Keras's image folder dataset over
`engine.data.from_image_folder`, which reads the images (all of them, into memory)."""

import numpy as np

from .. import backend
from ..data import Dataset, from_image_folder
from ..errors import DataError, SpecError, describe_choices

LABEL_MODES = ("int", "categorical", "binary", None)
SUBSETS = ("training", "validation", "both")
# Keras's interpolation names that the engine's reader (Pillow) has: lanczos3 is Pillow's.
INTERPOLATIONS = {"bilinear": "bilinear", "nearest": "nearest", "bicubic": "bicubic",
                  "area": "area", "lanczos3": "lanczos"}


def image_dataset_from_directory(directory, labels="inferred", label_mode="int",
                                 class_names=None, color_mode="rgb", batch_size=32,
                                 image_size=(256, 256), shuffle=True, seed=None,
                                 validation_split=None, subset=None, interpolation="bilinear",
                                 follow_links=False, crop_to_aspect_ratio=False,
                                 pad_to_aspect_ratio=False, data_format=None, verbose=True):
    """Generates a dataset from image files in a directory with one subfolder per class.

    Labels `0, 1, ...` follow the subfolders in alphanumeric order (or `class_names`).
    Images are float32 with values 0-255, shape `(height, width, channels)`.

    Args:
        directory: The folder holding one subfolder of images per class.
        labels: `"inferred"` (from the subfolders), `None` (images only) or a list of
            integer labels, one per image in alphanumeric path order.
        label_mode: `"int"` (int32 labels, for sparse categorical crossentropy),
            `"categorical"` (float32 one-hot rows), `"binary"` (float32 `(n, 1)` zeros and
            ones; exactly 2 classes) or `None` (images only).
        class_names: The subfolders to use, in label order (only with `"inferred"`).
        color_mode: `"rgb"`, `"grayscale"` or `"rgba"` (3, 1 or 4 channels).
        batch_size: Images per batch, or `None` for single images. Defaults to 32.
        image_size: `(height, width)` (or one int for both) every image is resized to.
            Defaults to `(256, 256)`.
        shuffle: Whether to shuffle the images (a new order each epoch; the validation part
            of `subset="both"` keeps its order). Defaults to `True`.
        seed: Seed of the shuffles and of the split; needed with `validation_split`.
        validation_split: Optional float in `(0, 1)`: the fraction kept for validation.
        subset: `"training"`, `"validation"` or `"both"` (a tuple of the two datasets);
            only with `validation_split`.
        interpolation: `"bilinear"`, `"nearest"`, `"bicubic"`, `"area"` or `"lanczos3"`.
        follow_links, crop_to_aspect_ratio, pad_to_aspect_ratio, data_format: Keras's
            arguments; only their defaults (and `"channels_last"`) are supported.
        verbose: Whether to print how many files and classes were found.

    Returns:
        An `engine.data.Dataset` of `(images, labels)` batches (images only without
        labels), with a `class_names` attribute; a tuple of two for `subset="both"`.

    Raises:
        SpecError: for an invalid argument (Keras's checks) or an unsupported option.
        DataError: for a folder `from_image_folder` cannot read.
    """
    _check_arguments(labels, label_mode, class_names, validation_split, subset, shuffle, seed)
    _refuse_unsupported(follow_links, crop_to_aspect_ratio, pad_to_aspect_ratio, data_format)
    image_size = (image_size, image_size) if isinstance(image_size, int) else image_size
    interpolation = _interpolation(interpolation)
    if labels is None or label_mode is None:
        labels = label_mode = None
    loaded = from_image_folder(directory, image_size=image_size, color_mode=color_mode,
                               interpolation=interpolation, class_names=class_names)
    ints, class_names = _labels(labels, loaded)
    _report(verbose, len(loaded.x), labels, class_names)
    if label_mode == "binary" and len(class_names) != 2:
        raise SpecError(f'When passing `label_mode="binary"`, there must be exactly 2 '
                        f"class_names. Received: class_names={class_names}")
    seed = int(backend.rng().integers(1_000_000)) if seed is None else seed
    order = np.arange(len(loaded.x))
    if shuffle:
        np.random.RandomState(seed).shuffle(order)  # Keras's global shuffle of the file list
    encoded = None if label_mode is None else _encode(ints, label_mode, len(class_names))
    parts = _split(order, validation_split, subset, verbose)
    datasets = [_dataset(loaded.x, encoded, index, shuffle and (name != "validation"
                                                                 or subset != "both"),
                         seed, batch_size, class_names)
                for name, index in parts]
    return tuple(datasets) if subset == "both" else datasets[0]


def _check_arguments(labels, label_mode, class_names, validation_split, subset, shuffle, seed):
    if labels not in ("inferred", None):
        if not isinstance(labels, (list, tuple)):
            raise SpecError("`labels` argument should be a list/tuple of integer labels, of the "
                            "same size as the number of image files in the target directory. "
                            'If you wish to infer the labels from the subdirectory names, pass '
                            '`labels="inferred"`. If you wish to get a dataset that only '
                            f"contains images (no labels), pass `labels=None`. Received: "
                            f"labels={labels!r}")
        if class_names:
            raise SpecError(f'You can only pass `class_names` if `labels="inferred"`. '
                            f"Received: labels={labels!r}, and class_names={class_names!r}")
    if label_mode not in LABEL_MODES:
        raise SpecError(f"`label_mode` argument must be one of {describe_choices(LABEL_MODES)}. "
                        f"Received: label_mode={label_mode!r}")
    if validation_split and not 0 < validation_split < 1:
        raise SpecError(f"`validation_split` must be between 0 and 1, received: "
                        f"{validation_split}")
    if (validation_split or subset) and not (validation_split and subset):
        raise SpecError("If `subset` is set, `validation_split` must be set, and inversely.")
    if subset not in SUBSETS + (None,):
        raise SpecError(f'`subset` must be either "training", "validation" or "both", '
                        f"received: {subset!r}")
    if validation_split and shuffle and seed is None:
        raise SpecError("If using `validation_split` and shuffling the data, you must provide a "
                        "`seed` argument, to make sure that there is no overlap between the "
                        "training and validation subset.")


def _refuse_unsupported(follow_links, crop_to_aspect_ratio, pad_to_aspect_ratio, data_format):
    for value, name in ((follow_links, "follow_links"),
                        (crop_to_aspect_ratio, "crop_to_aspect_ratio"),
                        (pad_to_aspect_ratio, "pad_to_aspect_ratio")):
        if value:
            raise SpecError(f"`{name}=True` is not supported by LayerCraft's image reader. "
                            f"Received: {name}={value!r}. Fix: leave it False (images are "
                            "resized to image_size, aspect ratio not kept).")
    if data_format not in (None, "channels_last"):
        raise SpecError(f"LayerCraft images are channels-last. Received: data_format="
                        f"{data_format!r}. Fix: leave data_format=None.")


def _interpolation(name):
    key = name.lower() if isinstance(name, str) else name
    if key not in INTERPOLATIONS:
        raise SpecError(f"Argument `interpolation` should be one of "
                        f"{describe_choices(INTERPOLATIONS)}. Received: interpolation={name!r}")
    return INTERPOLATIONS[key]


def _labels(labels, loaded) -> tuple[np.ndarray | None, list | None]:
    """Integer labels per image and the class names, from the folders or from `labels`."""
    if labels is None:
        return None, None
    if labels == "inferred":
        return loaded.y, list(loaded.class_names)
    if len(labels) != len(loaded.x):
        raise DataError(f"Expected the lengths of `labels` to match the number of files in the "
                        f"target directory. len(labels) is {len(labels)} while we found "
                        f"{len(loaded.x)} files in directory {loaded.source}.")
    return np.asarray(labels), [str(label) for label in sorted(set(labels))]


def _report(verbose, count, labels, class_names):
    if not verbose:
        return
    if labels is None:
        print(f"Found {count} files.")
    else:
        print(f"Found {count} files belonging to {len(class_names)} classes.")


def _encode(ints, label_mode, num_classes):
    if label_mode == "binary":
        return ints.astype("float32").reshape(-1, 1)
    if label_mode == "categorical":
        return np.eye(num_classes, dtype="float32")[ints]
    return ints.astype("int32")


def _split(order, validation_split, subset, verbose) -> list[tuple[str, np.ndarray]]:
    """Keras's split of the (shuffled) file order: training first, validation last."""
    if not validation_split:
        return [("all", order)]
    num_val = int(validation_split * len(order))
    parts = {"training": order[:len(order) - num_val], "validation": order[len(order) - num_val:]}
    names = ("training", "validation") if subset == "both" else (subset,)
    for name in names:
        if not len(parts[name]):
            raise DataError(f"No {name} images: validation_split={validation_split} of "
                            f"{len(order)} images leaves none. Fix: change validation_split.")
        if verbose:
            print(f"Using {len(parts[name])} files for {name}.")
    return [(name, parts[name]) for name in names]


def _dataset(x, labels, index, shuffle, seed, batch_size, class_names) -> Dataset:
    images = x[index]
    dataset = Dataset.from_tensor_slices(images if labels is None else (images, labels[index]))
    if shuffle:
        dataset = dataset.shuffle(max(1, (batch_size or 128) * 8), seed=seed)
    if batch_size is not None:
        dataset = dataset.batch(batch_size)
    dataset.class_names = class_names  # as Keras sets it on its dataset
    return dataset
