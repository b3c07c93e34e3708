"""The headless CLI: train, evaluate, predict, summary; clear errors with exit codes."""

import json
import subprocess
import sys

import pytest

from engine import Input, Sequential, layers
from engine.saving.checkpoint import load_model
from engine.cli_commands import main


@pytest.fixture
def spec_file(tmp_path):
    model = Sequential([Input((8, 8)), layers.Flatten(), layers.Dense(32, activation="relu"),
                        layers.Dense(10, activation="softmax")])
    path = tmp_path / "mlp.json"
    path.write_text(json.dumps(model.to_spec()))
    return path


def test_that_train_writes_checkpoints_that_load_and_evaluate(spec_file, tmp_path, capsys):
    runs = tmp_path / "runs"
    code = main(["train", str(spec_file), "--data", "digits", "--epochs", "3",
                 "--checkpoint-dir", str(runs), "--seed", "0", "--quiet"])
    assert code == 0
    out = capsys.readouterr().out
    assert "test: loss:" in out and "accuracy:" in out
    model = load_model(runs / "best.lcm")
    assert model.training_state["epoch"] >= 1
    assert main(["evaluate", str(runs / "best.lcm"), "--data", "digits"]) == 0
    assert "accuracy" in capsys.readouterr().out


def test_that_predict_prints_or_writes_predictions(spec_file, tmp_path, capsys):
    runs = tmp_path / "runs"
    main(["train", str(spec_file), "--data", "digits", "--epochs", "1", "--checkpoint-dir",
          str(runs), "--quiet"])
    capsys.readouterr()
    assert main(["predict", str(runs / "last.lcm"), "--data", "digits", "--count", "2"]) == 0
    assert capsys.readouterr().out.count("predicted") == 2
    out_csv = tmp_path / "preds.csv"
    assert main(["predict", str(runs / "last.lcm"), "--data", "digits", "--output",
                 str(out_csv)]) == 0
    lines = out_csv.read_text().splitlines()
    assert lines[0].startswith("true,output_0") and len(lines) == 361


def test_that_training_continues_from_a_checkpoint(spec_file, tmp_path):
    runs = tmp_path / "runs"
    main(["train", str(spec_file), "--data", "digits", "--epochs", "2", "--checkpoint-dir",
          str(runs), "--quiet", "--validation-split", "0"])
    main(["train", str(runs / "last.lcm"), "--data", "digits", "--epochs", "1",
          "--checkpoint-dir", str(runs), "--quiet", "--validation-split", "0"])
    assert load_model(runs / "last.lcm").training_state["epoch"] == 3


def test_that_summary_prints_the_table(spec_file, capsys):
    assert main(["summary", str(spec_file)]) == 0
    assert "Total params: 2,410" in capsys.readouterr().out


def test_that_an_engine_error_is_one_message_and_exit_code_1(spec_file, capsys):
    assert main(["train", str(spec_file), "--data", "iris", "--quiet"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "Traceback" not in err


def test_that_bad_options_give_one_line_and_exit_code_2(spec_file):
    result = subprocess.run([sys.executable, "-m", "engine", "train", str(spec_file), "--data",
                             "digits", "--epochs", "x"], capture_output=True, text=True)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "--epochs" in result.stderr and "--help" in result.stderr


def test_that_help_explains_every_option():
    result = subprocess.run([sys.executable, "-m", "engine", "train", "--help"],
                            capture_output=True, text=True)
    assert result.returncode == 0
    for option in ("--data", "--epochs", "--batch-size", "--checkpoint-dir", "--device",
                   "--validation-split", "--patience"):
        assert option in result.stdout
