"""Keras's neural-network ops (`keras.ops.nn`): gathered here from the `nn_*` modules."""

__all__: list[str] = []
