"""A small digits MLP spec and its compile settings, shared by the training tests."""

MLP = {"format": "layercraft.model", "version": 1, "name": "mlp", "outputs": ["probs"],
       "layers": [
           {"name": "input", "class_name": "Input", "config": {"shape": [8, 8]}, "inputs": []},
           {"name": "flatten", "class_name": "Flatten", "config": {}, "inputs": ["input"]},
           {"name": "probs", "class_name": "Dense",
            "config": {"units": 10, "activation": "softmax"}, "inputs": ["flatten"]}]}
COMPILE = {"optimizer": {"class_name": "Adam", "config": {"learning_rate": 0.01}},
           "loss": "sparse_categorical_crossentropy", "metrics": ["accuracy"], "device": "cpu"}
