"""Training in the app: a worker thread around `model.fit`, its controller, the Training
panel, live charts, the runs table and checkpoint browser (see `install_training`)."""

from .controller import TrainingController
from .install import install_training
from .job import ResumeState, TrainingJob

__all__ = ["ResumeState", "TrainingController", "TrainingJob", "install_training"]
