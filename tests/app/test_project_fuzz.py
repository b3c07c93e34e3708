"""Property-based fuzzing of project files: the reader (`project_io.load`) and the GUI's
File > Open path (`ProjectController.open_path` in a real main window, offscreen).

Whatever a mutated project holds, it opens (possibly with warnings) or is refused with a
LayerCraftError; no other exception, no exception in a Qt slot, no "unexpected" error box,
no shiboken overflow warning, and a refused file leaves the open project as it was.
`LAYERCRAFT_FUZZ_EXAMPLES=<n>` multiplies the budgets for a deeper local run.
"""

import json
import os
import warnings

from hypothesis import HealthCheck, given, settings

from app import messages, project_io
from engine.errors import LayerCraftError
from tests.app.project_mutations import mutated_projects, project_outcome

SCALE = int(os.environ.get("LAYERCRAFT_FUZZ_EXAMPLES", "1"))
#: The reader is fast (a few ms a file).
READER_PROFILE = settings(max_examples=300 * SCALE, deadline=None,
                          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                 HealthCheck.too_slow])
#: Opening in the window rebuilds every panel (tens of ms a file): a small budget keeps
#: `make test` fast.
GUI_PROFILE = settings(max_examples=40 * SCALE, deadline=None,
                       suppress_health_check=[HealthCheck.function_scoped_fixture,
                                              HealthCheck.too_slow])


@READER_PROFILE
@given(raw=mutated_projects())
def test_that_the_reader_opens_or_refuses_any_mutated_project(tmp_path, raw):
    outcome = project_outcome(raw, tmp_path / "fuzz.lcproj")

    assert outcome in ("loaded", "loaded with repairs", "refused")
    if outcome != "refused":
        project = project_io.load(tmp_path / "fuzz.lcproj")
        again = project_io.from_json(json.loads(json.dumps(project.to_json())))
        assert again.warnings == [], "a repaired project must check clean"


@GUI_PROFILE
@given(raw=mutated_projects())
def test_that_file_open_in_the_window_opens_or_refuses_any_mutated_project(
        window, qtbot, tmp_path, raw):
    path = tmp_path / "fuzz.lcproj"
    path.write_text(json.dumps(raw), encoding="utf-8")
    before = window.document.to_spec()

    with qtbot.capture_exceptions() as raised, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        opened = window.project.open_path(str(path))
        qtbot.wait(1)  # queued signals and timers run

    boxes = [box.text() for box in messages.open_dialogs()]
    for box in messages.open_dialogs():
        box.close()
    window.document.mark_saved()
    assert not raised, "".join(f"{kind.__name__}: {exc}\n" for kind, exc, _ in raised)
    assert not [w for w in caught if "Overflow" in str(w.message)]
    assert not [text for text in boxes if "unexpected" in text]
    if not opened:
        assert window.document.to_spec() == before
        assert _refused(path)


def _refused(path) -> bool:
    try:
        project_io.load(path)
    except LayerCraftError:
        return True
    return False
