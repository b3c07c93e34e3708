"""Shared helpers for the data / evaluation / prediction tests: small models trained for a
couple of epochs directly with the engine on the bundled data."""

from engine import Model, layers


def trained_classifier(prepared, epochs=3, hidden=32):
    """A Flatten-Dense-softmax model for `prepared`, trained a little."""
    model = Model.from_spec(_spec(prepared.x_train.shape[1:], hidden, prepared.num_classes,
                                  "softmax"))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(prepared.x_train, prepared.y_train, epochs=epochs, batch_size=32, verbose=0)
    return model


def trained_regressor(prepared, epochs=3):
    model = Model.from_spec(_spec(prepared.x_train.shape[1:], 16, 1, None))
    model.compile(optimizer="adam", loss="mean_squared_error", metrics=["mae"])
    model.fit(prepared.x_train, prepared.y_train, epochs=epochs, batch_size=32, verbose=0)
    return model


def _spec(input_shape, hidden, outputs, activation):
    assert layers  # the registry must be populated before from_spec
    body = [{"name": "input", "class_name": "Input", "config": {"shape": list(input_shape)},
             "inputs": []},
            {"name": "flatten", "class_name": "Flatten", "config": {}, "inputs": ["input"]},
            {"name": "hidden", "class_name": "Dense",
             "config": {"units": hidden, "activation": "relu"}, "inputs": ["flatten"]},
            {"name": "out", "class_name": "Dense",
             "config": {"units": outputs, "activation": activation}, "inputs": ["hidden"]}]
    return {"format": "layercraft.model", "version": 1, "name": "tiny", "layers": body,
            "outputs": ["out"]}
