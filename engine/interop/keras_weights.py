"""`model.weights.h5`, the weights of a `.keras` archive, in Keras 3's layout.

Keras saves each layer of `model.layers` under `layers/<snake-case class name>[_<k>]` (the
k-th layer of that class, in `model.layers` order: the layer's own name is not used), its
variables as datasets `vars/0`, `vars/1`... in Keras's weight order, and the variables of
sub-layers one level down: an RNN's under `cell/vars`, Bidirectional's under
`forward_layer/cell/vars` and `backward_layer/cell/vars`, TimeDistributed's under
`layer/vars`, MultiHeadAttention's under `query_dense/vars`, `key_dense/vars`,
`value_dense/vars` and `output_dense/vars`. The engine keeps the same weights in the same
order and shapes (`layer.params`), so only the paths are translated.

Reading checks every link (no soft, external or virtual data: nothing outside the file is
ever followed), every shape and dtype against what the layer expects, and the number of
variables in each group, before any array is read. h5py is imported only here, only when a
Keras file is read or written.
"""

import io

import numpy as np

from .. import backend
from ..errors import CheckpointError, LayerCraftError
from ..naming import snake_case
from .keras_config import RNN_CLASSES

INSTALL_HINT = 'pip install "layercraft[keras]"'
_MHA_GROUPS = (("query_dense", "query_"), ("key_dense", "key_"), ("value_dense", "value_"),
               ("output_dense", "attention_output_"))


def h5py_module():
    """The h5py module, or a LayerCraftError that says how to install it."""
    try:
        import h5py  # noqa: PLC0415 - optional: only Keras files need it
    except ImportError:
        raise LayerCraftError("Keras .keras files keep their weights in HDF5, which needs the "
                              f"h5py package. Install it with: {INSTALL_HINT}") from None
    return h5py


def weight_groups(layer) -> list[tuple[str, list[str]]]:
    """`(sub-path, engine weight names)` of `layer`'s weights in Keras's layout."""
    class_name = type(layer).class_name()
    keys = list(layer.params)
    if class_name in RNN_CLASSES:
        return [("cell", keys)]
    if class_name == "Bidirectional":
        return [(f"{side}_layer/cell", [k for k in keys if k.startswith(f"{side}_")])
                for side in ("forward", "backward")]
    if class_name == "TimeDistributed":
        return [(_join("layer", sub), names) for sub, names in weight_groups(layer.wrapped)]
    if class_name == "MultiHeadAttention":
        return [(sub, [k for k in keys if k.startswith(prefix)]) for sub, prefix in _MHA_GROUPS]
    return [("", keys)]


def _join(*parts) -> str:
    return "/".join(p for p in parts if p)


def layer_paths(order) -> dict:
    """Layer name -> its group, for `(layer name, Keras class name)` in `model.layers` order."""
    used, paths = {}, {}
    for name, class_name in order:
        base = snake_case(class_name)
        count = used.get(base)
        used[base] = 0 if count is None else count + 1
        paths[name] = base if count is None else f"{base}_{count + 1}"
    return {name: f"layers/{path}" for name, path in paths.items()}


# ----- writing ---------------------------------------------------------------------------------
def weights_bytes(model, order) -> bytes:
    """The HDF5 weights file for `model`; `order` as for `layer_paths`."""
    h5py = h5py_module()
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as h5:
        for name, path in layer_paths(order).items():
            layer = model.get_layer(name)
            h5.create_group(path).create_group("vars").attrs["name"] = name
            for sub, keys in weight_groups(layer):
                group = h5.require_group(_join(path, sub, "vars"))
                group.attrs["name"] = sub.split("/")[0] or name
                for i, key in enumerate(keys):
                    group[str(i)] = np.asarray(backend.to_numpy(layer.params[key]), np.float32)
        h5.create_group("vars").attrs["name"] = model.name
    return buffer.getvalue()


# ----- reading ---------------------------------------------------------------------------------
def assign_weights(path: str, data: bytes, model, order) -> None:
    """Reads the weights of every layer in `order` from `data` into `model`.

    Raises:
        CheckpointError: naming the layer and the weight that is missing, linked, of the wrong
            shape or type; nothing is assigned then.
    """
    h5py = h5py_module()
    try:
        h5 = h5py.File(io.BytesIO(data), "r")
    except (OSError, ValueError) as exc:
        raise CheckpointError(f"The weights of '{path}' (model.weights.h5) are not a readable "
                              f"HDF5 file ({exc}). Use an original copy.") from None
    with h5:
        arrays = {name: _layer_arrays(h5py, h5, path, model.get_layer(name), group)
                  for name, group in layer_paths(order).items()}
    model.set_weights([a for layer in model.layers for a in arrays.get(layer.name, [])])


def _layer_arrays(h5py, h5, path, layer, group_path) -> list:
    arrays = {}
    for sub, keys in weight_groups(layer):
        where = _join(group_path, sub, "vars")
        group = _node(h5py, h5, where, path, layer, required=bool(keys))
        stored = [] if group is None else list(group.keys())
        if len(stored) != len(keys):
            raise CheckpointError(
                f"The weights of '{path}' do not fit layer '{layer.name}' "
                f"({type(layer).class_name()}): '{where}' holds {len(stored)} variable(s), "
                f"the layer has {len(keys)}. The file's config and weights disagree; use an "
                "original copy.")
        for i, key in enumerate(keys):
            arrays[key] = _read(h5py, h5, f"{where}/{i}", path, layer, key)
    return [arrays[key] for key in layer.params]


def _node(h5py, h5, where, path, layer, required):
    """The group at `where`, after checking that every step is a plain (hard) link."""
    node = h5
    for part in where.split("/"):
        link = node.get(part, getlink=True) if isinstance(node, h5py.Group) else None
        if link is None:
            if not required:
                return None
            raise CheckpointError(f"The weights of '{path}' have no '{where}' for layer "
                                  f"'{layer.name}' ({type(layer).class_name()}). The file's "
                                  "config and weights disagree; use an original copy.")
        if not isinstance(link, h5py.HardLink):
            raise CheckpointError(f"The weights of '{path}' link '{where}' elsewhere "
                                  f"({type(link).__name__}); LayerCraft follows no links in "
                                  "a file. Use an original copy.")
        node = node[part]
    return node


def _read(h5py, h5, where, path, layer, key) -> np.ndarray:
    dataset = _node(h5py, h5, where, path, layer, required=True)
    expected = tuple(layer.params[key].shape)
    where = f"{dataset.name} ({layer.name}/{key})"
    if not isinstance(dataset, h5py.Dataset) or dataset.is_virtual or dataset.external:
        raise CheckpointError(f"The weights of '{path}' store {where} as something other "
                              "than plain data in the file. Use an original copy.")
    if tuple(dataset.shape) != expected:
        raise CheckpointError(f"The weights of '{path}' do not fit layer '{layer.name}': "
                              f"{where} has shape {tuple(dataset.shape)}, expected {expected}. "
                              "The file's config and weights disagree; use an original copy.")
    stored = dataset.attrs.get("dtype", dataset.dtype)  # Keras marks bfloat16 this way
    if "dtype" in dataset.attrs or dataset.dtype.kind not in "fiu" or \
            dataset.dtype.itemsize not in (2, 4, 8):
        raise CheckpointError(f"The weights of '{path}' store {where} as {stored}; LayerCraft "
                              "reads float16, float32, float64 and integers (counts). Save the "
                              "model in float32.")
    try:
        return np.asarray(dataset[()], dtype=np.float32)
    except (OSError, ValueError) as exc:
        raise CheckpointError(f"The weights of '{path}' cannot read {where} ({exc}). Use an "
                              "original copy.") from None
