"""`from_numpy`: arrays from `.npy` / `.npz` files, never unpickling anything."""

import zipfile
from pathlib import Path

import numpy as np

from ..errors import DataError
from .loaded import LoadedData, encode_labels, first_non_finite, looks_like_classes

#: Keys tried, in order, when `x_key` / `y_key` is not given.
X_KEYS = ("x", "x_train", "X", "features", "data", "images")
Y_KEYS = ("y", "y_train", "Y", "labels", "targets", "target")


def from_numpy(path, x_key=None, y_key=None) -> LoadedData:
    """Loads features (and labels) saved with `np.save` / `np.savez`.

    A `.npy` file holds `x` only. In a `.npz` file `x_key` and `y_key` pick the arrays;
    without them the usual names are tried (`x`, `x_train`, ... and `y`, `y_train`, ...), or
    the only array is taken as `x`.

    Args:
        path: A `.npy` or `.npz` file.
        x_key: Name of the feature array in a `.npz`. Defaults to `None` (guess).
        y_key: Name of the label array in a `.npz`. Defaults to `None` (guess; no labels if
            none of the usual names is there).

    Returns:
        `LoadedData` holding the arrays exactly as stored; text labels are the exception and
        become int64 class indices with `class_names`.

    Raises:
        DataError: for object (pickled) arrays, unknown keys, mismatched lengths, empty or
            non-numeric arrays, NaN/inf values or a single class.
    """
    path = Path(path)
    arrays = _read(path)
    name = path.name
    if path.suffix.lower() == ".npy" or not isinstance(arrays, dict):
        if y_key is not None:
            raise DataError(f"{name} is a .npy file, which holds one array, so there is no "
                            f"{y_key!r} to read labels from. Fix: pass y_key=None, or save "
                            "x and y together with np.savez.")
        x_name, x, y_name, y = "array", arrays, None, None
    else:
        x_name = x_key or _guess(arrays, X_KEYS, name, "x_key", only_one=True)
        y_name = y_key or _guess(arrays, Y_KEYS, name, "y_key", only_one=False)
        x, y = _pick(arrays, x_name, name, "x_key"), (
            None if y_name is None else _pick(arrays, y_name, name, "y_key"))
    _check_x(x, f"{name}[{x_name!r}]")
    result = LoadedData(x, None, label_name=y_name, source=str(path))
    if y is not None:
        _check_y(x, y, f"{name}[{y_name!r}]")
        _set_labels(result, y, f"{name}[{y_name!r}]")
    return result


def _read(path: Path):
    try:
        loaded = np.load(path, allow_pickle=False)
    except ValueError as exc:
        if "allow_pickle" in str(exc):
            raise DataError(f"{path.name} holds Python objects, which would have to be "
                            "unpickled; LayerCraft never unpickles files because that can run "
                            "code. Fix: save plain numeric (or text) arrays, e.g. "
                            "np.savez(path, x=x.astype('float32'), y=y).") from None
        raise DataError(f"{path.name} is not a NumPy .npy/.npz file ({exc}).") from None
    except (OSError, EOFError, zipfile.BadZipFile) as exc:
        raise DataError(f"Cannot read {path}: {exc}. Fix: choose a file written by np.save "
                        "or np.savez.") from None
    except MemoryError:
        raise DataError(_too_large(path.name)) from None
    if isinstance(loaded, np.lib.npyio.NpzFile):
        with loaded:
            return {key: _member(loaded, key, path.name) for key in loaded.files}
    return loaded


def _too_large(name) -> str:
    return (f"{name} declares arrays larger than this computer's memory (or it is damaged). "
            "Fix: load a smaller file, or save the data in parts.")


def _member(npz, key, file_name):
    try:
        return npz[key]
    except MemoryError:
        raise DataError(_too_large(f"{file_name}[{key!r}]")) from None
    except ValueError as exc:
        if "allow_pickle" in str(exc) or "Object arrays" in str(exc):
            raise DataError(f"{file_name}[{key!r}] holds Python objects, which LayerCraft "
                            "never unpickles. Fix: save it as a numeric or text array.") from None
        raise DataError(f"{file_name}[{key!r}] is not a valid array ({exc}); the file is "
                        "damaged.") from None
    except (OSError, EOFError, zipfile.BadZipFile) as exc:
        raise DataError(f"{file_name}[{key!r}] cannot be read ({exc}); the file is damaged.") \
            from None


def _guess(arrays, candidates, file_name, argument, only_one):
    for key in candidates:
        if key in arrays:
            return key
    if only_one and len(arrays) == 1:
        return next(iter(arrays))
    if not only_one:
        return None
    raise DataError(f"{file_name} holds the arrays {list(arrays)}; which one is x? Fix: pass "
                    f"{argument}= one of these names.")


def _pick(arrays, key, file_name, argument):
    if key not in arrays:
        raise DataError(f"{file_name} has no array {key!r}. It holds: {list(arrays)}. Fix: pass "
                        f"{argument}= one of these names.")
    return arrays[key]


def _check_x(x, where):
    if x.dtype.kind not in "biuf":
        raise DataError(f"{where} has dtype {x.dtype}, but features must be numbers. Fix: "
                        "convert it, e.g. x.astype('float32'), before saving.")
    if x.ndim == 0 or x.shape[0] == 0:
        raise DataError(f"{where} is empty (shape {x.shape}); there are no samples to load.")
    bad = first_non_finite(x)
    if bad is not None:
        raise DataError(f"{where}{list(bad)} is {x[bad].item()!r}, not a finite number. Fix: "
                        "replace or remove the samples with NaN/inf values.")


def _check_y(x, y, where):
    if y.ndim == 0 or y.shape[0] != x.shape[0]:
        raise DataError(f"{where} has {y.shape[0] if y.ndim else 0} labels for {x.shape[0]} "
                        f"samples (x shape {x.shape}, y shape {y.shape}). Fix: save one label "
                        "per sample.")
    if y.dtype.kind not in "biufUS":
        raise DataError(f"{where} has dtype {y.dtype}; labels must be numbers or text.")
    bad = first_non_finite(y)
    if bad is not None:
        raise DataError(f"{where}{list(bad)} is {y[bad].item()!r}, not a finite number. Fix: "
                        "replace or remove those samples.")


def _set_labels(result, y, where):
    if y.dtype.kind in "US":  # text labels: map to sorted class indices
        result.y, result.class_names, result.task = encode_labels(
            y.astype(str).reshape(-1), "classification", where)
        return
    result.y = y
    integral = y.dtype.kind in "biu" or looks_like_classes(y.astype(np.float64).reshape(-1))
    result.task = "classification" if integral else "regression"
    if integral and y.ndim == 1 and np.unique(y).size < 2:
        raise DataError(f"{where}: every label is {y[0].item()!r}, a single class; a classifier "
                        "needs at least two. Fix: check the labels.")
