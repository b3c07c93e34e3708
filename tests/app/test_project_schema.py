"""The project schema: what a bad field becomes when a project opens, and what is refused."""

import math

import pytest

from app import messages, project_io, project_schema
from tests.app.project_fixtures import RUN_RECORD, example, full_project, seed_projects, write


def repaired(raw):
    """The checked project and its warnings, from parsed JSON."""
    project = project_io.from_json(raw, "'p.lcproj'")
    return project, project.warnings


def close_dialogs():
    texts = [box.text() for box in messages.open_dialogs()]
    for box in messages.open_dialogs():
        box.close()
    return texts


@pytest.mark.parametrize("raw", seed_projects(), ids=lambda raw: raw["model"].get("name"))
def test_that_every_example_and_a_full_app_project_open_without_warnings(raw):
    project, warnings = repaired(raw)
    assert warnings == []
    assert project.training == raw["training"] and project.runs == raw["runs"]


def test_that_the_reproducer_batch_size_x_opens_with_the_default_and_says_where(
        window, tmp_path):
    raw = example("mlp_digits")
    raw["training"]["batch_size"] = "x"

    assert window.project.open_path(write(tmp_path / "mlp.lcproj", raw))

    assert window.training_panel.form.batch_size.value() == 32
    [text] = close_dialogs()
    assert "training.batch_size: 'x' is not an integer; using 32 instead." in text
    assert window.document.is_modified()  # what is shown is not what the file holds


@pytest.mark.parametrize("bad, reason", [("x", "is not an integer"),
                                         (float("nan"), "is not a finite number"),
                                         (float("inf"), "is not a finite number"),
                                         (2.5, "is not a finite number"),
                                         ([4], "is not an integer"), (True, "is not an integer")])
def test_that_an_epoch_count_that_is_no_integer_becomes_the_default(bad, reason):
    raw = example()
    raw["training"]["epochs"] = bad
    project, [warning] = repaired(raw)
    assert project.training["epochs"] == 20
    assert warning.startswith("training.epochs: ") and reason in warning


def test_that_a_seed_of_two_to_the_seventy_and_a_trillion_epochs_are_clamped_to_the_spin_boxes(
        window, tmp_path, recwarn):
    raw = full_project()
    raw["training"].update(seed=2**70, epochs=10**12)
    raw["data"]["seed"] = -5

    assert window.project.open_path(write(tmp_path / "big.lcproj", raw))

    form = window.training_panel.form
    assert (form.seed.value(), form.epochs.value()) == (2**31 - 1, 100_000)
    assert window.data_panel.controls.seed_spin.value() == 0
    text = close_dialogs()[0]
    assert "training.seed: 1180591620717411303424 is outside the range 0..2147483647" in text
    assert "training.epochs: 1000000000000 is outside the range 1..100000; using 100000" in text
    assert "data.seed: -5 is outside the range 0..2147483647; using 0." in text
    assert not [w for w in recwarn if "shiboken" in str(w.message)]


def test_that_the_schema_ranges_are_those_of_the_spin_boxes(window):
    form, data = window.training_panel.form, window.data_panel.controls
    fields = project_schema.TRAINING_FIELDS
    pairs = [(fields["epochs"], form.epochs), (fields["batch_size"], form.batch_size),
             (fields["seed"], form.seed),
             (fields["early_stopping"].kinds["patience"], form.early_patience),
             (fields["early_stopping"].kinds["min_delta"], form.early_delta),
             (fields["checkpoint"].kinds["every"], form.save_every),
             (fields["reduce_lr"].kinds["factor"], form.reduce_factor),
             (fields["reduce_lr"].kinds["patience"], form.reduce_patience),
             (project_schema.DATA_FIELDS["seed"], data.seed_spin),
             (project_schema.DATA_FIELDS["validation_split"], data.validation_spin),
             (project_schema.DATA_FIELDS["test_split"], data.test_spin),
             (project_schema.STEP_FIELDS["scale"]["factor"], data.scale_spin)]
    for kind, spin in pairs:
        assert (kind.low, kind.high) == (spin.minimum(), spin.maximum()), spin.objectName()


def test_that_a_pipeline_step_whose_op_is_a_list_is_left_out_with_a_warning():
    raw = example("cnn_digits")
    raw["data"]["preprocessing"][0] = {"op": [["scale"]]}
    project, [warning] = repaired(raw)
    assert project.data["preprocessing"] == [{"op": "add_channel_axis"}]
    assert warning.startswith("data.preprocessing[0]: {'op': [['scale']]} is not a "
                              "preprocessing step")


@pytest.mark.parametrize("section, value, found", [("training", [1], "array [1]"),
                                                   ("runs", {}, "object {}"),
                                                   ("data", None, "null None")])
def test_that_a_section_of_the_wrong_json_type_is_refused_with_its_name(section, value, found):
    raw = example()
    raw[section] = value
    with pytest.raises(project_io.ProjectError) as error:
        repaired(raw)
    kind = "array" if section == "runs" else "object"
    assert str(error.value).startswith(f"'p.lcproj': '{section}' must be a JSON {kind}; "
                                       f"found {found}. Nothing was opened.")


def test_that_a_layer_class_this_layercraft_lacks_is_refused_naming_the_layer(window, tmp_path):
    raw = example()
    raw["model"]["layers"][2]["class_name"] = "Densest"
    before = window.document.to_spec()

    assert not window.project.open_path(write(tmp_path / "new.lcproj", raw))

    assert window.document.to_spec() == before
    [text] = close_dialogs()
    assert "model.layers[2] ('dense'): 'Densest' is not a layer class LayerCraft knows" in text


def test_that_an_input_without_a_usable_shape_opens_as_a_problem_on_its_block(window, tmp_path):
    raw = example()
    raw["model"]["layers"][0]["config"]["shape"] = 8.5

    assert window.project.open_path(write(tmp_path / "shape.lcproj", raw))

    assert window.document.analysis.problems_of("input")
    assert "model's Input 'input' has no valid shape" in window.data_panel.check_shape()


def test_that_broken_run_records_are_left_out_and_good_ones_kept(window, tmp_path):
    raw = full_project()
    raw["runs"] = [7, {**RUN_RECORD, "duration": float("inf"), "best": {"loss": "low"},
                       "history": {"loss": [1, [2]], "val_loss": [0.5]}}]

    assert window.project.open_path(write(tmp_path / "runs.lcproj", raw))

    [run] = window.document.settings["runs"]
    assert run["duration"] == 0.0 and run["best"] == {} and run["history"] == {"val_loss": [0.5]}
    assert window.runs_view.table.rowCount() == 1
    text = close_dialogs()[0]
    assert "runs[0]: 7 is not a run record; it is left out." in text
    assert "runs[1].history.loss: [1, [2]] is not a list of numbers" in text


def test_that_generated_data_options_are_kept_to_a_size_that_opens_at_once():
    raw = example("moons")
    raw["data"]["options"] = {"n_samples": 10**12, "noise": float("nan"), "classes": 10**9}
    project, warnings = repaired(raw)
    assert project.data["options"] == {"n_samples": 100_000, "classes": 100}
    assert len(warnings) == 3


def test_that_an_unknown_optimizer_and_a_nan_learning_rate_fall_back_to_defaults():
    raw = example()
    raw["compile"]["optimizer"] = "Adamant"
    project, [warning] = repaired(raw)
    assert "optimizer" not in project.compile
    assert warning == ("compile.optimizer: 'Adamant' is not an optimizer LayerCraft knows; "
                       "Adam is used instead.")

    raw["compile"]["optimizer"] = {"class_name": "SGD", "config": {"learning_rate": math.nan}}
    project, [warning] = repaired(raw)
    assert project.compile["optimizer"] == {"class_name": "SGD", "config": {}}
    assert warning.startswith("compile.optimizer.config.learning_rate: nan is not a positive")


def test_that_a_checked_project_checks_again_without_warnings():
    raw = full_project()
    raw["training"].update(epochs="many", seed=-1, reduce_lr=[1])
    raw["compile"]["metrics"] = ["accuracy", {"name": "auc"}]
    raw["layout"]["dense"] = [math.inf, 0]
    project, warnings = repaired(raw)
    assert len(warnings) == 5
    assert repaired(project.to_json())[1] == []


def test_that_imported_data_sets_are_checked_and_bad_entries_left_out():
    raw = example("mlp_digits")
    good = {"source": {"kind": "csv", "path": "/data/iris.csv"},
            "preprocessing": [{"op": "standardize"}]}
    raw["data"]["imports"] = [good, "junk", {"source": {"kind": "exe", "path": 3}},
                              {**good, "preprocessing": [{"op": [["scale"]]}]}]
    project, warnings = repaired(raw)
    assert project.data["imports"] == [good, {**good, "preprocessing": []}]
    assert any(w.startswith("data.imports[1]: 'junk' is not an imported data set")
               for w in warnings)
    assert any(w.startswith("data.imports[2].source:") for w in warnings)
    assert any(w.startswith("data.imports[3].preprocessing[0]:") for w in warnings)
