"""The example projects shipped in `resources/examples` (see `make_examples.py` there)."""

from .theme import RESOURCES

FOLDER = RESOURCES / "examples"
DEFAULT = "mlp_digits"
#: (file stem, menu title), in menu order.
EXAMPLES = (
    ("mlp_digits", "MLP on digits"),
    ("cnn_digits", "CNN on digits"),
    ("residual_mlp", "Residual MLP on digits"),
    ("attention_digits", "Attention on digit rows"),
    ("regression", "Regression (diabetes)"),
    ("moons", "Moons classifier"),
)


def path(stem: str) -> str:
    return str(FOLDER / f"{stem}.lcproj")


def title(stem: str) -> str:
    return dict(EXAMPLES).get(stem, stem)
