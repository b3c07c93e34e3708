"""A Linux desktop entry, so LayerCraft starts from the applications menu like other programs.

`layercraft --install-desktop-entry` writes, for the current user (XDG locations):
    ~/.local/share/applications/layercraft.desktop
    ~/.local/share/icons/hicolor/scalable/apps/layercraft.svg
The entry runs the `layercraft` command that was used to install it, so it works from a venv
or a pipx install alike. `--uninstall-desktop-entry` removes both files.
"""

import os
from pathlib import Path
import shlex
import shutil
import sys

import layercraft_resources

ENTRY = """[Desktop Entry]
Type=Application
Name=LayerCraft
GenericName=Deep-learning model builder
Comment=Build, train and use deep-learning models visually
Exec={command} %f
Icon=layercraft
Terminal=false
Categories=Development;Science;Education;
MimeType=application/x-layercraft-project;
StartupWMClass=LayerCraft
"""


def data_home(environ=os.environ) -> Path:
    return Path(environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")


def targets(environ=os.environ) -> tuple[Path, Path]:
    home = data_home(environ)
    return (home / "applications" / "layercraft.desktop",
            home / "icons" / "hicolor" / "scalable" / "apps" / "layercraft.svg")


def launch_command() -> str:
    """The installed `layercraft` script beside this Python, else `python -m app`."""
    script = Path(sys.executable).with_name("layercraft")
    if script.is_file():
        return shlex.quote(str(script))
    return f"{shlex.quote(sys.executable)} -m app"


def install(environ=os.environ) -> list[Path]:
    entry, icon = targets(environ)
    entry.parent.mkdir(parents=True, exist_ok=True)
    icon.parent.mkdir(parents=True, exist_ok=True)
    entry.write_text(ENTRY.format(command=launch_command()), encoding="utf-8")
    shutil.copyfile(layercraft_resources.folder() / "icons" / "app.svg", icon)
    return [entry, icon]


def uninstall(environ=os.environ) -> list[Path]:
    removed = []
    for path in targets(environ):
        if path.exists():
            path.unlink()
            removed.append(path)
    return removed
