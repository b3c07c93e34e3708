"""LayerCraft's resources: stylesheet, icons, example projects and the small bundled data
sets. Installed as the package `layercraft_resources` (this folder, mapped in
pyproject.toml), so a checkout, an editable install, a wheel and `pipx` all find them the same
way: through `importlib.resources`."""

from importlib.resources import files
from pathlib import Path


def folder() -> Path:
    """The resources folder on disk (wheels install unpacked, so it is a real folder)."""
    return Path(str(files(__name__)))
