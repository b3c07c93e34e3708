"""Keras's numpy-style ops (`keras.ops.numpy`): gathered here from the `numpy_*` modules."""

__all__: list[str] = []
