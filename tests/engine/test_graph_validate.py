"""validate() finds every kind of problem and names the node that has it."""

from engine.graph import ModelGraph


def spec(layers, outputs):
    return {"format": "layercraft.model", "version": 1, "name": "m", "layers": layers,
            "outputs": outputs}


def node(name, class_name, inputs=(), **config):
    return {"name": name, "class_name": class_name, "config": config, "inputs": list(inputs)}


def problems(layers, outputs):
    return ModelGraph.from_spec(spec(layers, outputs)).validate()


def by_node(found):
    """Every message of each node, joined (a node may have several problems)."""
    messages = {}
    for p in found:
        messages[p.node] = (messages.get(p.node, "") + " " + p.message).strip()
    return messages


def test_a_valid_graph_has_no_problems():
    found = problems([node("in", "Input", shape=[4]), node("d", "Dense", ["in"], units=2)], ["d"])
    assert found == []


def test_shape_mismatch_in_a_merge_names_the_merge_node_and_both_shapes():
    found = by_node(problems([
        node("in", "Input", shape=[4]), node("a", "Dense", ["in"], units=3),
        node("b", "Dense", ["in"], units=5), node("add", "Add", ["a", "b"])], ["add"]))
    assert "add" in found
    assert "(None, 3)" in found["add"] and "(None, 5)" in found["add"]


def test_unconnected_node_is_reported():
    found = by_node(problems([node("in", "Input", shape=[4]), node("d", "Dense", ["in"], units=2),
                              node("lonely", "Dense", [], units=2)], ["d"]))
    assert "lonely" in found and "no input" in found["lonely"]


def test_dangling_node_not_reaching_an_output_is_reported():
    found = by_node(problems([node("in", "Input", shape=[4]), node("d", "Dense", ["in"], units=2),
                              node("extra", "Dense", ["in"], units=2)], ["d"]))
    assert "not connected to any model output" in found["extra"]


def test_cycle_is_reported_with_its_path():
    found = problems([node("in", "Input", shape=[4]), node("a", "Dense", ["in", "b"], units=2),
                      node("b", "Dense", ["a"], units=2)], ["b"])
    assert any("cycle" in p.message and "a" in p.message and p.node in ("a", "b") for p in found)


def test_two_inputs_into_a_single_input_layer_is_reported():
    found = by_node(problems([node("in", "Input", shape=[4]), node("in2", "Input", shape=[4]),
                              node("d", "Dense", ["in", "in2"], units=2)], ["d"]))
    assert "takes 1 input" in found["d"] and "Add or Concatenate" in found["d"]


def test_merge_with_one_input_is_reported():
    found = by_node(problems([node("in", "Input", shape=[4]), node("add", "Add", ["in"])],
                             ["add"]))
    assert "at least 2 inputs" in found["add"]


def test_missing_output_and_missing_input_layer_are_reported():
    found = problems([node("d", "Dense", [], units=2)], [])
    messages = " ".join(p.message for p in found)
    assert "no Input layer" in messages and "no output" in messages


def test_unknown_input_reference_names_the_node():
    found = by_node(problems([node("in", "Input", shape=[4]),
                              node("d", "Dense", ["nowhere"], units=2)], ["d"]))
    assert "'nowhere'" in found["d"]


def test_bad_config_is_a_problem_of_that_node_and_others_are_still_checked():
    found = by_node(problems([node("in", "Input", shape=[4]), node("d", "Dense", ["in"], units=0),
                              node("e", "Dense", ["in"], units=2, activation="nope")],
                             ["d", "e"]))
    assert "`units`" in found["d"] and "`activation`" in found["e"]


def test_dense_on_an_image_is_a_warning_suggesting_flatten():
    found = problems([node("in", "Input", shape=[28, 28, 1]), node("dense_1", "Dense", ["in"])],
                     ["dense_1"])
    assert found[0].severity == "warning"
    assert "Insert a Flatten layer before 'dense_1'" in found[0].message


def test_unknown_class_name_is_refused_through_the_registry():
    found = by_node(problems([node("in", "Input", shape=[4]),
                              node("x", "os.system", ["in"])], ["x"]))
    assert "Unknown layer 'os.system'" in found["x"]


def test_analysis_gives_shapes_and_param_counts_without_weights():
    graph = ModelGraph.from_spec(spec([node("in", "Input", shape=[784]),
                                       node("d", "Dense", ["in"], units=128)], ["d"]))
    analysis = graph.analyze()
    assert analysis.shapes["d"] == (128,)
    assert analysis.params["d"] == (100480, 0)


def test_that_a_model_too_large_to_allocate_is_a_problem_before_any_weights():
    found = by_node(problems([node("in", "Input", shape=[784]),
                              node("huge", "Dense", ["in"], units=10**9)], ["huge"]))
    assert "weights" in found["huge"] and "limit" in found["huge"]


def test_that_numbers_too_large_to_use_are_refused_as_config_problems():
    found = by_node(problems([node("in", "Input", shape=[4]),
                              node("d", "Dense", ["in"], units=10**400),
                              node("drop", "Dropout", ["d"], rate=10**400)], ["drop"]))
    assert "too large" in found["d"] and "too large" in found["drop"]


def test_that_a_long_chain_does_not_hit_the_recursion_limit():
    layers = [node("in", "Input", shape=[2])]
    for i in range(3000):
        layers.append(node(f"a{i}", "Activation", [layers[-1]["name"]], activation="relu"))
    found = problems(list(reversed(layers)), [layers[-1]["name"]])
    assert found == []


def test_that_sharing_weights_needs_an_owner_of_the_same_type():
    shared = dict(node("f", "Flatten", ["d"]), shares="d")
    found = by_node(problems([node("in", "Input", shape=[4]), node("d", "Dense", ["in"]),
                              shared], ["f"]))
    assert "same type" in found["f"]


def test_that_a_spec_version_must_be_a_known_positive_integer():
    import pytest

    from engine.errors import SpecError

    for version, message in ((True, "invalid version"), (-5, "invalid version"),
                             (99, "newer than this LayerCraft")):
        with pytest.raises(SpecError, match=message):
            ModelGraph.from_spec({**spec([node("in", "Input", shape=[2])], ["in"]),
                                  "version": version})


def test_that_trainable_must_be_a_boolean():
    import pytest

    from engine import layers
    from engine.errors import SpecError

    with pytest.raises(SpecError, match="`trainable` must be True or False"):
        layers.Dense(2, trainable="false")
