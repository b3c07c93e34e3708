"""A model called on a symbolic tensor: a node of the outer functional graph."""

from .errors import SpecError


def call_symbolic(model, x):
    raise SpecError(f"Model '{model.name}' was called on a symbolic tensor; nesting a model "
                    "inside a functional model is not supported yet. Add its layers to the "
                    "outer model instead.")
