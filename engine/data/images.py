"""`from_image_folder`: one subfolder per class, as `keras.utils.image_dataset_from_directory`."""

import struct
import zlib
from math import prod
from pathlib import Path

import numpy as np

from ..errors import DataError, SpecError, describe_choices
from . import limits
from .loaded import LoadedData

EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp")
#: The formats Pillow may read (told by content, as Keras does); no other decoder is tried.
FORMATS = ("PNG", "JPEG", "BMP")
#: What Pillow's decoders raise for damaged files.
_DAMAGED = (OSError, ValueError, SyntaxError, EOFError, struct.error, zlib.error, IndexError,
            TypeError, KeyError, ZeroDivisionError, OverflowError)
COLOR_MODES = {"rgb": ("RGB", 3), "grayscale": ("L", 1), "rgba": ("RGBA", 4)}
INTERPOLATIONS = ("bilinear", "nearest", "bicubic", "area", "lanczos")
DTYPES = ("float32", "uint8")


def from_image_folder(path, image_size=(256, 256), color_mode="rgb", interpolation="bilinear",
                      class_names=None, dtype="float32") -> LoadedData:
    """Loads `path/<class>/<image>` files into one array, labels from the folder names.

    Classes are the subfolders in sorted order (Keras's order); images are found in each
    class folder and its subfolders, in sorted order. Hidden folders (`.name`) and files
    with other extensions are skipped.

    Args:
        path: The folder holding one subfolder per class.
        image_size: `(height, width)` every image is resized to, or `None` to keep the
            stored size (then all images must have the same size). Defaults to `(256, 256)`.
        color_mode: `"rgb"`, `"grayscale"` or `"rgba"` (3, 1 or 4 channels). Defaults to
            `"rgb"`.
        interpolation: Resize filter: `"bilinear"`, `"nearest"`, `"bicubic"`, `"area"` or
            `"lanczos"`. Defaults to `"bilinear"`.
        class_names: Optional list of the subfolder names, which fixes the class order.
        dtype: `"float32"` (values 0-255, as Keras) or `"uint8"` (4x less memory).

    Returns:
        `LoadedData` with `x` of shape `(images, height, width, channels)`, `y` int64 class
        indices and `class_names`.

    Raises:
        DataError: for a missing or empty folder, a single class, an empty class folder, an
            unreadable image, or mixed sizes with `image_size=None`.
    """
    root = Path(path)
    size = _check_args(image_size, color_mode, interpolation, dtype)
    names = _class_folders(root, _check_class_names(class_names))
    files, labels = _image_files(root, names)
    if size is not None:
        _check_total(root, len(files), (*size, COLOR_MODES[color_mode][1]), dtype,
                     "pass a smaller image_size")
    x = _read_images(root, files, size, COLOR_MODES[color_mode], interpolation, dtype)
    return LoadedData(x, np.asarray(labels, dtype=np.int64), class_names=tuple(names),
                      task="classification", source=str(root))


def _check_args(image_size, color_mode, interpolation, dtype):
    if color_mode not in COLOR_MODES:
        raise SpecError(f"`color_mode` must be one of {describe_choices(COLOR_MODES)}. "
                        f"Received: {color_mode!r}")
    if interpolation not in INTERPOLATIONS:
        raise SpecError(f"`interpolation` must be one of {describe_choices(INTERPOLATIONS)}. "
                        f"Received: {interpolation!r}")
    if dtype not in DTYPES:
        raise SpecError(f"`dtype` must be one of {describe_choices(DTYPES)}. Received: {dtype!r}")
    if image_size is None:
        return None
    if (not isinstance(image_size, (tuple, list)) or len(image_size) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0
                       for v in image_size)):
        raise SpecError("`image_size` must be (height, width) with two positive integers, or "
                        f"None. Received: {image_size!r}")
    return tuple(image_size)


def _check_class_names(class_names):
    if class_names is None:
        return None
    if (not isinstance(class_names, (list, tuple))
            or not all(isinstance(n, str) for n in class_names)):
        raise SpecError("`class_names` must be a list of subfolder names (strings), e.g. "
                        f"['cats', 'dogs'], or None. Received: {class_names!r}")
    seen = set()
    for name in class_names:
        if name in seen:
            raise SpecError(f"`class_names` lists {name!r} twice, which would load its images "
                            f"twice under two labels. Received: {list(class_names)!r}. Fix: "
                            "name each class folder once.")
        seen.add(name)
    return list(class_names)


def _check_total(root, count, shape, dtype, fix):
    """Refuses `count` images of `shape` when they would exceed `limits.MAX_BYTES`."""
    nbytes = count * prod(shape) * np.dtype(dtype).itemsize
    if dtype != "uint8":
        fix += " or dtype='uint8' (4x less memory)"
    limits.check_size(nbytes, f"{root}: {count} images of {shape[0]}x{shape[1]} pixels x "
                      f"{shape[2]} channels as {dtype}", fix)


def _class_folders(root: Path, class_names):
    if not root.is_dir():
        raise DataError(f"{root} is not a folder. Fix: choose a folder that holds one "
                        "subfolder of images per class.")
    found = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if class_names is not None:
        missing = [n for n in class_names if n not in found]
        if missing:
            raise DataError(f"{root} has no class folder {missing[0]!r}. Its subfolders are: "
                            f"{describe_choices(found)}. Fix: match class_names to them.")
        found = list(class_names)
    if not found:
        raise DataError(f"{root} has no subfolders. Fix: put each class's images in its own "
                        f"subfolder, e.g. {root / 'cats'} and {root / 'dogs'}.")
    if len(found) < 2:
        raise DataError(f"{root} has a single class folder ({found[0]!r}); a classifier needs "
                        "at least two. Fix: add a subfolder of images for each other class.")
    return found


def _image_files(root: Path, names):
    files, labels = [], []
    for index, name in enumerate(names):
        found = sorted(p for p in (root / name).rglob("*")
                       if p.suffix.lower() in EXTENSIONS and p.is_file()
                       and not any(part.startswith(".") for part in p.relative_to(root).parts))
        if not found:
            raise DataError(f"Class folder {root / name} holds no images ({', '.join(EXTENSIONS)})"
                            ". Fix: add images to it, or remove the folder.")
        files += found
        labels += [index] * len(found)
    return files, labels


def _read_images(root, files, size, mode, interpolation, dtype):
    x = None
    first = None
    for i, file in enumerate(files):
        stored = None if x is not None or size is not None else (len(files), dtype)
        pixels = _read_one(root, file, size, mode, interpolation, stored)
        if x is None:
            first = file
            x = np.empty((len(files), *pixels.shape), dtype=dtype)
        elif pixels.shape != x.shape[1:]:
            h, w = pixels.shape[:2]
            raise DataError(
                f"{file.relative_to(root)} is {h}x{w} pixels (height x width) but "
                f"{first.relative_to(root)} is {x.shape[1]}x{x.shape[2]}. Fix: pass "
                "image_size=(height, width) to resize every image to one size.")
        x[i] = pixels
    return x


def _read_one(root, file, size, mode, interpolation, stored=None):
    """One image's pixels `(height, width, channels)`; with `stored=(count, dtype)` the
    image's stored size is checked against `limits.MAX_BYTES` for `count` such images."""
    from PIL import Image, UnidentifiedImageError  # noqa: PLC0415 - only image folders need it

    filters = {"bilinear": Image.Resampling.BILINEAR, "nearest": Image.Resampling.NEAREST,
               "bicubic": Image.Resampling.BICUBIC, "area": Image.Resampling.BOX,
               "lanczos": Image.Resampling.LANCZOS}
    try:
        with Image.open(file, formats=FORMATS) as image:
            if stored is not None:
                width, height = image.size
                _check_total(root, stored[0], (height, width, mode[1]), stored[1],
                             f"pass image_size to resize the images ({file.name} is "
                             f"{height}x{width})")
            image = image.convert(mode[0])
            if size is not None and image.size != (size[1], size[0]):
                image = image.resize((size[1], size[0]), filters[interpolation])
            pixels = np.asarray(image)
    except DataError:  # the size check above: a ValueError, but already the right message
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError) + _DAMAGED as exc:
        raise DataError(f"{file.relative_to(root)} cannot be read as an image "
                        f"({str(exc).strip() or type(exc).__name__}). The file is damaged or "
                        "is not a PNG, JPEG or BMP image. Fix: replace or remove the file.") \
            from None
    except MemoryError:
        raise DataError(f"{file.relative_to(root)} does not fit in this computer's memory. "
                        "Fix: remove it, or pass a smaller image_size.") from None
    return pixels.reshape(pixels.shape[0], pixels.shape[1], mode[1])


def stored_sizes(path, sample=200) -> dict[tuple[int, int], int]:
    """How often each stored `(height, width)` occurs among the folder's images, most
    common first, so a GUI can offer the images' own size as the default `image_size`.

    Only the image headers are read. With more than `sample` images, `sample` of them are
    taken evenly across the classes, so a large folder answers in a moment.

    Raises:
        DataError: for a folder `from_image_folder` would refuse (no class folders, an
            empty class) or an image that cannot be read.
    """
    from PIL import Image, UnidentifiedImageError  # noqa: PLC0415 - only image folders need it

    root = Path(path)
    files, _ = _image_files(root, _class_folders(root, None))
    step = max(1, len(files) / sample)
    counts: dict[tuple[int, int], int] = {}
    for file in (files[int(i * step)] for i in range(min(sample, len(files)))):
        try:
            with Image.open(file, formats=FORMATS) as image:
                width, height = image.size
        except (UnidentifiedImageError,) + _DAMAGED as exc:
            raise DataError(f"{file.relative_to(root)} cannot be read as an image "
                            f"({str(exc).strip() or type(exc).__name__}). Fix: replace or "
                            "remove the file.") from None
        counts[(height, width)] = counts.get((height, width), 0) + 1
    return dict(sorted(counts.items(), key=lambda item: -item[1]))
