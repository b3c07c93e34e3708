"""pyproject.toml ships every package and every resource, so an installed LayerCraft (wheel,
pipx) has what a checkout has."""

from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib")

ROOT = Path(__file__).resolve().parents[2]
RESOURCE_SUFFIXES = {".md", ".qss", ".svg", ".lcproj", ".npz"}


def setuptools_config() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]


def test_that_every_code_package_is_listed():
    listed = set(setuptools_config()["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts)
             for top in ("engine", "app") for p in (ROOT / top).rglob("__init__.py")}
    assert found <= listed


def test_that_every_resource_folder_is_listed_and_its_files_are_package_data():
    config = setuptools_config()
    assert config["package-dir"] == {"layercraft_resources": "resources"}
    resources = ROOT / "resources"
    folders = {"layercraft_resources." + ".".join(p.relative_to(resources).parts)
               for p in resources.rglob("*") if p.is_dir() and p.name != "__pycache__"}
    assert folders <= set(config["packages"])
    patterns = {pattern.lstrip("*") for pattern in config["package-data"]["*"]}
    shipped = {p.suffix for p in resources.rglob("*")
               if p.is_file() and p.suffix != ".py" and "__pycache__" not in p.parts}
    assert shipped <= patterns <= RESOURCE_SUFFIXES


def test_that_the_app_and_the_engine_find_resources_through_the_package():
    import layercraft_resources  # noqa: PLC0415
    from engine.datasets import bundled  # noqa: PLC0415

    assert bundled.resources_dir() == layercraft_resources.folder()
    assert (layercraft_resources.folder() / "styles" / "app.qss").is_file()
