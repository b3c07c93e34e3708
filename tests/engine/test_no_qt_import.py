import subprocess
import sys


def test_that_importing_the_engine_loads_no_gui_module():
    code = (
        "import sys, engine, engine.layers, engine.model, engine.sequential\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in "
        "('PySide6', 'shiboken6', 'pyqtgraph', 'app')]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
