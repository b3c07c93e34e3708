"""Preprocessing as data: a `Pipeline` of plain step dicts that the GUI can show and save.

    pipeline = Pipeline([{"op": "scale", "factor": 1 / 255},
                         {"op": "add_channel_axis"},
                         {"op": "one_hot", "num_classes": 10}])
    x_train, y_train = pipeline.fit(x_train, y_train).transform(x_train, y_train)
    x_test, y_test = pipeline.transform(x_test, y_test)

Steps with statistics (`standardize`, `min_max`) learn them in `fit`, which is given the
training split only, so nothing about the validation or test data leaks into training.
`one_hot` acts on the labels; every other step acts on the features.
"""

import json

from ..errors import SpecError, describe_choices
from ..params import validate_param
from .steps import OPS

FORMAT = "layercraft.pipeline"
VERSION = 1


class Pipeline:
    """An ordered list of preprocessing steps, each a dict such as `{"op": "standardize"}`.

    Args:
        steps: Step dicts; `"op"` names the operation (see `OPS`), the other keys are its
            arguments (each op's `PARAMS` lists them, with defaults).

    Raises:
        SpecError: for an unknown op or a bad argument, naming the step.
    """

    def __init__(self, steps=()):
        if isinstance(steps, (str, bytes, dict)) or not hasattr(steps, "__iter__"):
            raise SpecError(f"Pipeline steps must be a list of dicts. Received: {steps!r}")
        self._steps = [_make_step(step, i) for i, step in enumerate(steps)]

    @property
    def steps(self) -> list[dict]:
        """The steps as plain dicts, every argument filled in (defaults included)."""
        return [step.get_config() for step in self._steps]

    @property
    def fitted(self) -> bool:
        return all(step.fitted for step in self._steps)

    def fit(self, x, y=None) -> "Pipeline":
        """Learns each step's statistics from training data (each step sees the previous
        steps' output). Returns the pipeline itself."""
        for step in self._steps:
            if step.TARGET == "x":
                step.fit(x)
                x = step.transform(x)
            elif y is not None:
                step.fit(y)
                y = step.transform(y)
        return self

    def transform(self, x, y=None):
        """Applies every step; returns `x`, or `(x, y)` when `y` is given.

        Raises:
            DataError: when a step with statistics was not fitted, or the data does not fit.
        """
        for step in self._steps:
            if step.TARGET == "x":
                x = step.transform(x)
            elif y is not None:
                y = step.transform(y)
        return x if y is None else (x, y)

    def fit_transform(self, x, y=None):
        return self.fit(x, y).transform(x, y)

    def compute_output_shape(self, input_shape) -> tuple:
        """Shape of one transformed sample (no batch axis), for the model's Input."""
        shape = tuple(input_shape)
        for step in self._steps:
            if step.TARGET == "x":
                shape = step.compute_output_shape(shape)
        return shape

    def get_config(self) -> dict:
        """JSON-able dict: format, version, steps, and the fitted statistics (or `None`)."""
        return {"format": FORMAT, "version": VERSION, "steps": self.steps,
                "state": [step.get_state() for step in self._steps]}

    @classmethod
    def from_config(cls, config: dict) -> "Pipeline":
        if not isinstance(config, dict) or config.get("format") != FORMAT:
            raise SpecError(f"Not a LayerCraft pipeline: expected a dict with format {FORMAT!r}."
                            f" Received: {str(config)[:80]!r}")
        if config.get("version") != VERSION:
            raise SpecError(f"Pipeline version {config.get('version')!r} is not supported; "
                            f"this LayerCraft reads version {VERSION}.")
        pipeline = cls(config.get("steps", []))
        for step, state in zip(pipeline._steps, _states(config, len(pipeline._steps))):
            if state is not None:
                step.set_state(state)
        return pipeline

    def to_json(self, **kwargs) -> str:
        return json.dumps(self.get_config(), **kwargs)

    @classmethod
    def from_json(cls, text: str) -> "Pipeline":
        try:
            config = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SpecError(f"The pipeline is not valid JSON ({exc}).") from None
        return cls.from_config(config)

    def __len__(self) -> int:
        return len(self._steps)

    def __repr__(self) -> str:
        return f"Pipeline({self.steps!r})"


def _make_step(step, index):
    if not isinstance(step, dict) or "op" not in step:
        raise SpecError(f"Pipeline step {index} must be a dict with an 'op' key, e.g. "
                        f"{{'op': 'scale', 'factor': 0.00392}}. Received: {step!r}")
    op = step["op"]
    if not isinstance(op, str) or op not in OPS:
        raise SpecError(f"Pipeline step {index}: unknown op {op!r}. Expected one of: "
                        f"{describe_choices(OPS)}.")
    cls = OPS[op]
    known = {p.name: p for p in cls.PARAMS}
    unknown = sorted((key for key in step if key != "op" and key not in known), key=repr)
    if unknown:
        raise SpecError(f"Pipeline step {index} ({op}): unknown argument {unknown[0]!r}. "
                        f"Its arguments are: {describe_choices(known) or 'none'}.")
    owner = f"Pipeline step {index} ({op})"
    values = {name: validate_param(p, step.get(name, p.default), owner)
              for name, p in known.items()}
    return cls(owner=owner, **values)


def _states(config, count):
    states = config.get("state")
    if states is None:
        return [None] * count
    if not isinstance(states, list):
        raise SpecError("The pipeline's saved `state` must be a list with one entry per step "
                        f"(or None). Received: {str(states)[:80]!r}")
    if len(states) != count:
        raise SpecError(f"The pipeline has {count} steps but {len(states)} saved states.")
    return states


#: The op names a step dict may use, in the order the GUI lists them.
OP_NAMES = tuple(OPS)
