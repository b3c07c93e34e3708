"""Before Qt starts: will its X11 (xcb) platform plugin load? If not, say what to install.

Qt aborts the process when its platform plugin cannot load, with a message about plugins that
does not name the missing system library. From Qt 6.5 on the xcb plugin needs
`libxcb-cursor`, which many minimal Linux installs lack. We look for the libraries first and
print the install command for the common distributions instead.
"""

import ctypes.util
import os
import sys

#: (library name for ctypes, Debian/Ubuntu package, Fedora package)
XCB_LIBRARIES = (
    ("xcb-cursor", "libxcb-cursor0", "xcb-util-cursor"),
    ("xkbcommon-x11", "libxkbcommon-x11-0", "libxkbcommon-x11"),
    ("xcb-icccm", "libxcb-icccm4", "xcb-util-wm"),
    ("xcb-keysyms", "libxcb-keysyms1", "xcb-util-keysyms"),
    ("xcb-render-util", "libxcb-render-util0", "xcb-util-renderutil"),
    ("xcb-image", "libxcb-image0", "xcb-util-image"),
    ("xcb-randr", "libxcb-randr0", "libxcb"),
    ("xcb-shape", "libxcb-shape0", "libxcb"),
    ("xcb-xkb", "libxcb-xkb1", "libxcb"),
    ("EGL", "libegl1", "libglvnd-egl"),
)


def uses_xcb(environ=os.environ, platform: str = sys.platform) -> bool:
    """Whether Qt will pick its X11 plugin: Linux with an X display and no Wayland session,
    or QT_QPA_PLATFORM naming xcb."""
    chosen = environ.get("QT_QPA_PLATFORM", "")
    if chosen:
        return chosen.split(":")[0].split(";")[0] == "xcb"
    return platform.startswith("linux") and bool(environ.get("DISPLAY")) and not environ.get(
        "WAYLAND_DISPLAY")


def missing_xcb_libraries(find=ctypes.util.find_library) -> list[tuple[str, str, str]]:
    return [entry for entry in XCB_LIBRARIES if find(entry[0]) is None]


def advice(missing) -> str:
    debian = " ".join(dict.fromkeys(entry[1] for entry in missing))
    fedora = " ".join(dict.fromkeys(entry[2] for entry in missing))
    names = ", ".join(f"lib{entry[0]}" for entry in missing)
    return (f"LayerCraft cannot open its window: Qt's X11 plugin needs {names}, which this "
            "system lacks. Install it, then start LayerCraft again:\n"
            f"  Debian/Ubuntu:  sudo apt install {debian}\n"
            f"  Fedora:         sudo dnf install {fedora}\n"
            "(Or run under Wayland, or with QT_QPA_PLATFORM=offscreen for headless use.)")


def check(environ=os.environ, find=ctypes.util.find_library) -> str:
    """The advice to print, or "" when nothing is missing or xcb is not used."""
    if not uses_xcb(environ):
        return ""
    missing = missing_xcb_libraries(find)
    return advice(missing) if missing else ""
