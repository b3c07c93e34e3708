"""Stable names for the weights of a layer's tracked sublayers.

A custom layer that makes `self.inner = Dense(4)` owns `inner`'s weights; the sublayer's
own name (`dense_7`) depends on how many layers the process made before, so a checkpoint
names its weights by attribute path instead (`scale/inner/kernel`), as Keras files do.
"""


def sublayer_paths(layer) -> dict:
    """`{id(sublayer): "attr/attr.0/..."}` for the layers held in `layer`'s public attributes
    (directly, in lists/tuples by index, in dicts by key), recursively; the first path found
    to a layer wins, as `layers.custom.sublayers` counts a layer once."""
    from ..layers.base import Layer  # noqa: PLC0415 - layers import the checkpoint module

    paths: dict = {}
    pending = [(layer, "")]
    while pending:
        owner, prefix = pending.pop(0)
        for path, value in _attribute_items(owner, prefix):
            if isinstance(value, Layer) and value is not layer and id(value) not in paths:
                paths[id(value)] = path
                pending.append((value, path))
    return paths


def _attribute_items(owner, prefix):
    """(path, value) of every public attribute of `owner`, lists and dicts opened."""
    stack = [(f"{prefix}/{key}" if prefix else key, value)
             for key, value in vars(owner).items() if not key.startswith("_")]
    while stack:
        path, value = stack.pop(0)
        if isinstance(value, (list, tuple)):
            stack[:0] = [(f"{path}.{i}", item) for i, item in enumerate(value)]
        elif isinstance(value, dict):
            stack[:0] = [(f"{path}.{k}", item) for k, item in value.items()]
        else:
            yield path, value
