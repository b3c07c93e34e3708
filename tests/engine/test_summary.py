from engine import Input, Model, Sequential, layers


def test_seed_model_summary_matches_keras():
    model = Sequential([Input((28, 28)), layers.Flatten(), layers.Dense(128, activation="relu"),
                        layers.Dense(10, activation="softmax")])
    lines = []
    text = model.summary(print_fn=lines.append)
    assert lines == [text]
    assert text.startswith('Model: "sequential"')
    assert "Layer (type)" in text and "Output Shape" in text and "Param #" in text
    assert "flatten (Flatten)" in text and "(None, 784)" in text
    assert "dense (Dense)" in text and "(None, 128)" in text and "100,480" in text
    assert "dense_1 (Dense)" in text and "(None, 10)" in text and "1,290" in text
    assert " Total params: 101,770 (397.54 KB)" in text
    assert " Trainable params: 101,770 (397.54 KB)" in text
    assert " Non-trainable params: 0 (0.00 B)" in text
    assert "InputLayer" not in text


def test_branching_model_summary_has_connected_to_column():
    a = Input((4,), name="a")
    b = layers.Dense(4, name="b")(a)
    c = layers.Add(name="c")([a, b])
    text = Model(a, c).summary(print_fn=lambda s: None)
    assert "Connected to" in text
    assert "a (InputLayer)" in text
    assert "a[0][0], b[0][0]" in text
