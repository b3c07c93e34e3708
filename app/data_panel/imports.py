"""The files imported into a project, kept so the data list offers every one of them.

They are saved in the data spec as `"imports": [{"source": {...}, "preprocessing": [...]}]`
next to the current `"source"`; each entry keeps the preprocessing last used with it, so
switching back to a file restores its settings. A file imported again (same kind and
path) replaces its entry: the newest options win. No Qt here.
"""

from pathlib import Path

from .prepared import SOURCE_KINDS


def source_key(source: dict) -> tuple:
    """What makes two imports the same: the kind of file and its path."""
    return source.get("kind"), str(source.get("path"))


def _usable(entry) -> bool:
    source = entry.get("source") if isinstance(entry, dict) else None
    return (isinstance(source, dict) and source.get("kind") in SOURCE_KINDS
            and isinstance(source.get("path"), str))


def _steps(steps) -> list[dict]:
    return [dict(s) for s in steps if isinstance(s, dict)] if isinstance(steps, list) else []


class ImportedSets:
    """An ordered list of imported sources with their preprocessing."""

    def __init__(self, entries=()):
        self.entries = []
        for entry in entries:
            if _usable(entry):
                self.add(entry["source"], entry.get("preprocessing"))

    @classmethod
    def from_spec(cls, spec: dict) -> "ImportedSets":
        """The spec's imports; its current `source` is added when an older project (saved
        before imports were kept) has it only there."""
        entries = spec.get("imports")
        sets = cls(entries if isinstance(entries, list) else ())
        source = spec.get("source")
        if isinstance(source, dict) and sets.index(source) is None:
            sets.add(source, spec.get("preprocessing"))
        return sets

    def __len__(self) -> int:
        return len(self.entries)

    def add(self, source: dict, preprocessing) -> int:
        """Adds `source` (or replaces the entry for the same file); returns its index."""
        entry = {"source": dict(source), "preprocessing": _steps(preprocessing)}
        index = self.index(source)
        if index is None:
            self.entries.append(entry)
            return len(self.entries) - 1
        self.entries[index] = entry
        return index

    def index(self, source: dict | None) -> int | None:
        if source is None:
            return None
        key = source_key(source)
        return next((i for i, e in enumerate(self.entries) if source_key(e["source"]) == key),
                    None)

    def source(self, index: int) -> dict:
        return dict(self.entries[index]["source"])

    def preprocessing(self, index: int) -> list[dict]:
        return _steps(self.entries[index]["preprocessing"])

    def set_preprocessing(self, index: int, steps) -> None:
        self.entries[index]["preprocessing"] = _steps(steps)

    def titles(self) -> list[tuple[str, str]]:
        """(text, tooltip) per entry: the file name, with its folder when two share a name."""
        names = [Path(e["source"]["path"]).name for e in self.entries]
        out = []
        for entry, name in zip(self.entries, names):
            path = Path(entry["source"]["path"])
            text = f"{name}  ({path.parent.name})" if names.count(name) > 1 else name
            out.append((text, f"Imported from {path}"))
        return out

    def to_spec(self) -> list[dict]:
        return [{"source": dict(e["source"]), "preprocessing": _steps(e["preprocessing"])}
                for e in self.entries]
