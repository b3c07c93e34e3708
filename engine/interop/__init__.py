"""Taking a model elsewhere: ONNX for serving, a Keras 3 `.keras` file, a PyTorch package that
trains under `torchrun`; and reading a colleague's `.keras` file.

Each format lives in its own module with one entry point,
`export(model, path, compile_config=None) -> list[str]`, which writes the file or folder at
`path` and returns notes for the user (what the format cannot carry). The packages a format
needs (`onnx`, `h5py`) are optional: a missing one is a `LayerCraftError` that says how to
install it, raised when that format is used, never at import.
"""

import importlib
import inspect

from ..errors import SpecError

#: format name -> (module, one-line description shown by the CLI and the app)
FORMATS = {
    "onnx": ("onnx_export", "ONNX file for serving (onnxruntime, TensorRT...)"),
    "keras": ("keras_export", "Keras 3 .keras file (config.json + model.weights.h5)"),
    "pytorch": ("pytorch_export", "PyTorch package: model.py, train.py for torchrun, weights"),
}


def exporter(format_name: str):
    """The `export` function of `format_name` ("onnx", "keras", "pytorch")."""
    if format_name not in FORMATS:
        raise SpecError(f"Unknown export format {format_name!r}. Expected one of: "
                        f"{', '.join(FORMATS)}.")
    module = importlib.import_module(f"{__name__}.{FORMATS[format_name][0]}")
    return module.export


def export(model, path, format_name: str, compile_config=None, *,
           batch_size: int | None = None) -> list[str]:
    """Writes `model` (with its compile settings, when the format keeps them) to `path`.

    `batch_size` (the training batch size, when known) goes to formats that carry training
    settings (the PyTorch package's train.py); the others do not take it.
    """
    write = exporter(format_name)
    options = {}
    if batch_size is not None and "batch_size" in inspect.signature(write).parameters:
        options["batch_size"] = int(batch_size)
    return write(model, path, compile_config=compile_config, **options)
