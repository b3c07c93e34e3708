"""`install_data_and_analysis(window)`: the Data, Evaluate and Predict tabs, wired together.

    from .data_panel.install import install_data_and_analysis
    install_data_and_analysis(self)      # in MainWindow.__init__, after the docks exist

Data changes reach the evaluation and prediction views; a finished training run
(`window.training_controller.model_ready`, when the controller exists) gives them its model.
"""

from ..evaluation_view import EvaluationView
from ..prediction_view import PredictionView
from .panel import DataPanel


def install_data_and_analysis(window):
    """Creates the three views, installs them as tabs and connects them.

    Sets `window.data_panel`, `window.evaluation_view` and `window.prediction_view`.
    Returns the three views as a tuple.
    """
    if getattr(window, "data_panel", None) is not None:  # installed already
        return window.data_panel, window.evaluation_view, window.prediction_view
    panel = DataPanel(window.document)
    evaluation = EvaluationView(window)
    prediction = PredictionView(window)
    window.install_tab("Data", panel)
    window.install_tab("Evaluate", evaluation)
    window.install_tab("Predict", prediction)
    window.data_panel, window.evaluation_view, window.prediction_view = \
        panel, evaluation, prediction
    panel.data_changed.connect(evaluation.set_data)
    panel.data_changed.connect(prediction.set_data)
    evaluation.set_data(panel.current())
    prediction.set_data(panel.current())
    connect_training(window)
    return panel, evaluation, prediction


def connect_training(window) -> bool:
    """Hands each trained model to the Evaluate and Predict tabs; False without a
    training controller (call again once it exists)."""
    controller = getattr(window, "training_controller", None)
    if controller is None or not hasattr(controller, "model_ready"):
        return False
    controller.model_ready.connect(window.evaluation_view.set_model)
    controller.model_ready.connect(window.prediction_view.set_model)
    return True


def shutdown_data_and_analysis(window) -> None:
    """Cancels downloads and waits for evaluation threads (call from closeEvent)."""
    for name in ("data_panel", "evaluation_view"):
        view = getattr(window, name, None)
        if view is not None:
            view.shutdown()
