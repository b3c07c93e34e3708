"""Before Qt aborts on a missing X11 library, LayerCraft names the packages to install."""

from app import __main__ as entry
from app import platform_check


def test_that_missing_xcb_libraries_are_named_with_install_commands():
    advice = platform_check.check({"DISPLAY": ":0"},
                                  find=lambda name: None if name == "xcb-cursor" else name)
    assert "libxcb-cursor" in advice
    assert "sudo apt install libxcb-cursor0" in advice
    assert "sudo dnf install xcb-util-cursor" in advice


def test_that_nothing_is_said_when_the_libraries_are_there_or_xcb_is_not_used():
    assert platform_check.check({"DISPLAY": ":0"}, find=lambda name: name) == ""
    nothing = lambda name: None  # noqa: E731
    assert platform_check.check({"DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0"},
                                find=nothing) == ""
    assert platform_check.check({"QT_QPA_PLATFORM": "offscreen", "DISPLAY": ":0"},
                                find=nothing) == ""
    assert platform_check.check({"QT_QPA_PLATFORM": "xcb"}, find=nothing) != ""


def test_that_the_app_prints_the_advice_and_exits_before_starting_qt(monkeypatch, capsys):
    monkeypatch.setattr(platform_check, "check", lambda: "install libxcb-cursor0")
    assert entry.main(["--no-restore"]) == 1
    assert "install libxcb-cursor0" in capsys.readouterr().err


def test_that_the_desktop_entry_installs_into_the_users_applications_menu(tmp_path,
                                                                          monkeypatch, capsys):
    from app import desktop_entry  # noqa: PLC0415

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert entry.main(["--install-desktop-entry"]) == 0
    desktop, icon = desktop_entry.targets()
    text = desktop.read_text()
    assert "Name=LayerCraft" in text and "Icon=layercraft" in text
    assert text.split("Exec=")[1].split()[0].endswith(("layercraft", "python", "python3"))
    assert icon.read_text().lstrip().startswith("<svg")
    assert entry.main(["--uninstall-desktop-entry"]) == 0
    assert not desktop.exists() and not icon.exists()
    assert "Removed" in capsys.readouterr().out
