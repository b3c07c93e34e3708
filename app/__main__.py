"""`python -m app` / `layercraft`: opens LayerCraft's main window.

Usage: layercraft [PROJECT.lcproj] [--smoke [--screenshot PNG]] [--no-restore]
       layercraft --install-desktop-entry | --uninstall-desktop-entry

`--smoke` is the CI check of `app/smoke.py`: open the window offscreen on the built-in
example, train one short epoch through the worker thread, optionally save a screenshot, quit
with 0 (non-zero on any failure).
"""

import argparse
import sys
import time


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="layercraft", description="LayerCraft model builder")
    parser.add_argument("project", nargs="?", help="a .lcproj project file to open")
    parser.add_argument("--smoke", action="store_true",
                        help="open the example, train one short epoch, quit (CI check)")
    parser.add_argument("--screenshot", metavar="PNG",
                        help="with --smoke: save a screenshot of the window after training")
    parser.add_argument("--no-restore", action="store_true",
                        help="do not offer to restore unsaved work from a crash")
    parser.add_argument("--install-desktop-entry", action="store_true",
                        help="add LayerCraft to this user's applications menu (Linux)")
    parser.add_argument("--uninstall-desktop-entry", action="store_true",
                        help="remove it from the applications menu again")
    return parser.parse_args(argv)


def desktop_entry(install: bool) -> int:
    from . import desktop_entry as entry  # noqa: PLC0415

    paths = entry.install() if install else entry.uninstall()
    verb = "Wrote" if install else "Removed"
    for path in paths:
        print(f"{verb} {path}")
    return 0


def main(argv=None) -> int:
    started = time.perf_counter()
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.install_desktop_entry or args.uninstall_desktop_entry:
        return desktop_entry(args.install_desktop_entry)
    if args.smoke:
        from .smoke import run_smoke  # noqa: PLC0415

        return run_smoke(args.screenshot)
    from .platform_check import check  # noqa: PLC0415

    problem = check()
    if problem:
        print(problem, file=sys.stderr)
        return 1
    import engine  # noqa: F401, PLC0415 - imports NumPy first, so BLAS threads flush denormals
    from PySide6.QtWidgets import QApplication  # noqa: PLC0415 - keep `--help` instant

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("LayerCraft")
    app.setOrganizationName("LayerCraft")
    from . import messages, theme  # noqa: PLC0415

    theme.apply(app)
    messages.install_excepthook()
    from .main_window import MainWindow  # noqa: PLC0415

    window = MainWindow(args.project, restore=not args.no_restore)
    window.setWindowIcon(theme.app_icon())
    window.show()
    app.processEvents()
    window.statusBar().showMessage(f"Ready ({time.perf_counter() - started:.1f} s).", 4000)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
