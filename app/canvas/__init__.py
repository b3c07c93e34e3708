"""The model canvas: scene (mirrors the document), items and view."""
