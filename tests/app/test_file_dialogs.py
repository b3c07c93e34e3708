"""File dialogs start in the folder last used for the same kind of file."""

from PySide6.QtWidgets import QFileDialog

from app import file_dialogs
from app.settings import Settings


def test_that_the_chart_export_starts_where_the_last_chart_was_saved(qtbot, tmp_path,
                                                                     monkeypatch):
    starts = []

    def fake_save(parent, caption, start, filters):
        starts.append(start)
        return str(tmp_path / "exports" / "mine.png"), filters

    (tmp_path / "exports").mkdir()
    monkeypatch.setattr(QFileDialog, "getSaveFileName", fake_save)
    first = file_dialogs.save_file(None, "Export chart", "chart", "training.png")
    file_dialogs.save_file(None, "Export chart", "chart", "training.png")
    assert first.endswith("mine.png")
    assert starts[1] == str(tmp_path / "exports" / "training.png")
    assert Settings().last_dir("image") != str(tmp_path / "exports")  # kinds are separate


def test_that_the_prediction_and_chart_views_use_the_remembering_dialogs():
    from app import prediction_view  # noqa: PLC0415
    from app.training import charts  # noqa: PLC0415

    assert prediction_view.open_file is file_dialogs.open_file
    assert charts.save_file is file_dialogs.save_file
    assert not hasattr(prediction_view, "QFileDialog") and not hasattr(charts, "QFileDialog")
