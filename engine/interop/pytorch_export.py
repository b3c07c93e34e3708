"""PyTorch export: a folder with model.py, weights.safetensors, train.py and README.md.

    from engine.interop import export
    notes = export(model, "mnist_torch", "pytorch")

`model.py` is the model as readable `torch.nn.Module` code (`pytorch_codegen`), and
`build_model()` loads the weights, which keep the engine's names and Keras layouts so that
LayerCraft's `model.load_weights()` reads them, and any file `train.py` writes, as they are.
`train.py` trains under `torchrun` with DistributedDataParallel, with the compiled loss,
optimizer and schedule (`pytorch_training`). Nothing here imports torch: the package needs it,
the export does not.

Every layer is translated before anything is written; an unsupported one is named in a
`SpecError`. The folder is built beside the target and renamed into place, so the target
holds the old export or the new one, never a part.
"""

import os
import shutil
import tempfile

import numpy as np

from .. import __version__
from ..saving import safetensors_io
from ..saving.checkpoint import weight_layout
from ..errors import CheckpointError, SpecError
from .pytorch_codegen import generate
from .pytorch_templates import model_source, readme_source
from .pytorch_train_template import train_source
from .pytorch_training import UnsupportedTraining, training_code
from .pytorch_weights import table_code

#: The files an export writes; a target folder holding anything else is not replaced.
FILES = ("model.py", "weights.safetensors", "train.py", "README.md")


def export(model, path, compile_config=None, *, batch_size: int | None = None) -> list[str]:
    """Writes the PyTorch package of `model` to the folder `path`; returns notes for the user.

    Args:
        model: A built engine model.
        path: The folder to write (created; an earlier export there is replaced).
        compile_config: Compile settings for train.py; defaults to `model.compile_config`.
        batch_size: The batch size used in LayerCraft, train.py's default; when None,
            train.py asks for `--batch-size`.

    Raises:
        SpecError: naming a layer (or layer setting) PyTorch cannot reproduce; nothing written.
        CheckpointError: the folder cannot be written, or holds files of its own.
    """
    path = os.fspath(path)
    _check_target(path)
    files, notes = package_files(model, compile_config, batch_size)
    _write_folder(path, files)
    return notes


def package_files(model, compile_config=None, batch_size=None) -> tuple[dict, list]:
    """({file name: bytes}, notes) of the package, written nowhere."""
    code = generate(model)
    source = model_source(code, model.name, __version__, table_code(code.weights))
    _check_syntax(source, "model.py")
    files = {"model.py": source.encode(), "weights.safetensors": _weights_bytes(model)}
    compile_config = compile_config or getattr(model, "compile_config", None)
    training, notes = None, []
    try:
        training = training_code(model, compile_config, code.weights)
    except UnsupportedTraining as exc:
        notes.append(f"train.py was not written: {exc} model.py and the weights work as "
                     "they are; compile the model with a supported loss and optimizer to get "
                     "train.py.")
    if training is not None:
        script = train_source(training, batch_size)
        _check_syntax(script, "train.py")
        files["train.py"] = script.encode()
        notes += _training_notes(model, compile_config, batch_size)
    files["README.md"] = readme_source(code, model.name, __version__, training=training,
                                       batch_size=batch_size).encode()
    if any(type(layer).__name__ == "BatchNormalization" for layer in model.layers):
        notes.append("BatchNormalization: PyTorch updates the running variance with the "
                     "unbiased batch variance (LayerCraft with the biased one).")
    return files, notes


def _training_notes(model, compile_config, batch_size) -> list:
    notes = ["train.py starts with a fresh optimizer state (a LayerCraft run's state is not "
             + "exported)."]
    if batch_size is None:
        notes.append("The batch size used in LayerCraft is not known: run train.py with "
                     "--batch-size.")
    if compile_config.get("metrics"):
        notes.append("train.py reports the loss only; load the weights back into LayerCraft "
                     "to see the metrics.")
    return notes


def _weights_bytes(model) -> bytes:
    tensors = {f"{i:04d}:{layer}/{key}": np.asarray(array, dtype=np.float32)
               for i, ((layer, key, _), array) in enumerate(zip(weight_layout(model),
                                                                model.get_weights()))}
    return safetensors_io.encode(tensors)


def _check_syntax(source: str, name: str) -> None:
    try:
        compile(source, name, "exec")
    except SyntaxError as exc:  # a generator bug: say so, write nothing
        raise SpecError(f"The generated {name} is not valid Python (line {exc.lineno}: "
                        f"{exc.msg}). Please report this LayerCraft bug.") from None


def _check_target(path: str) -> None:
    if os.path.exists(path) and not os.path.isdir(path):
        raise CheckpointError(f"Cannot export to '{path}': it is a file. Expected a folder "
                              "name (new, empty or an earlier PyTorch export).")
    if os.path.isdir(path):
        others = sorted(set(os.listdir(path)) - set(FILES) - {"__pycache__"})
        if others:
            raise CheckpointError(
                f"Cannot export to '{path}': the folder holds other files ({', '.join(others[:3])}"
                f"{'...' if len(others) > 3 else ''}), which the export would replace. Choose "
                "a new or empty folder.")


def _write_folder(path: str, files: dict) -> None:
    parent = os.path.dirname(os.path.abspath(path))
    try:
        staging = tempfile.mkdtemp(prefix=f".{os.path.basename(path)}.lcexport-", dir=parent)
    except OSError as exc:
        raise CheckpointError(f"Cannot export to '{path}': {exc.strerror}.") from None
    try:
        for name, data in files.items():
            with open(os.path.join(staging, name), "wb") as handle:
                handle.write(data)
        _swap_into_place(staging, path)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise CheckpointError(f"Could not write the PyTorch export '{path}': "
                              f"{exc.strerror or exc}.") from None


def _swap_into_place(staging: str, path: str) -> None:
    """Renames `staging` to `path`; an earlier export there is moved aside, then removed."""
    if not os.path.exists(path):
        os.rename(staging, path)
        return
    old = tempfile.mkdtemp(prefix=f".{os.path.basename(path)}.lcold-",
                           dir=os.path.dirname(os.path.abspath(path)))
    os.rename(path, os.path.join(old, "export"))
    try:
        os.rename(staging, path)
    except OSError:
        os.rename(os.path.join(old, "export"), path)  # put the earlier export back
        raise
    shutil.rmtree(old, ignore_errors=True)
