"""The `.lcproj` project file: model spec + layout + compile/data/training settings + runs.

JSON, versioned. Older versions are migrated on read; a newer version is refused with a
message. `load` is the one entry that reads a file: it checks the model and every section
against `project_schema` before anything is replaced, so a bad file either opens with
warnings (`Project.warnings`) or raises `ProjectError`, never another exception. Saving is
atomic (temporary file in the same folder, flush, fsync, `os.replace`), so a failed save
never damages the last good file; see `engine.atomic_write`.
"""

from dataclasses import dataclass, field
import json
import os

from engine.errors import LayerCraftError
from engine.atomic_write import write_bytes_atomically
from engine.graph import ModelGraph

from .project_schema import ProjectError, check_layer_classes, validate_sections

FORMAT = "layercraft.project"
VERSION = 1
SUFFIX = ".lcproj"
__all__ = ["FORMAT", "SUFFIX", "VERSION", "Project", "ProjectError", "from_json", "load",
           "save", "write_json_atomic"]


@dataclass
class Project:
    """Everything a project file holds."""

    model: dict
    layout: dict = field(default_factory=dict)
    compile: dict = field(default_factory=dict)
    data: dict = field(default_factory=dict)
    training: dict = field(default_factory=dict)
    runs: list = field(default_factory=list)
    #: What the schema check repaired, one line per field (not saved).
    warnings: list = field(default_factory=list, compare=False)

    def to_json(self) -> dict:
        return {"format": FORMAT, "version": VERSION, "model": self.model,
                "layout": {k: [float(v[0]), float(v[1])] for k, v in self.layout.items()},
                "compile": self.compile, "data": self.data, "training": self.training,
                "runs": self.runs}


def migrate(raw: dict, version: int) -> dict:
    """Upgrades a project of an older `version` to the current layout, step by step.

    Version 0 (pre-release builds) stored `{"format_version": 0, "graph": spec,
    "positions": {...}}`.
    """
    if version == 0:
        raw = {"format": FORMAT, "version": 1, "model": raw.get("graph", {}),
               "layout": raw.get("positions", {}), "compile": raw.get("compile", {}),
               "data": raw.get("data", {}), "training": raw.get("training", {}),
               "runs": raw.get("runs", [])}
    return raw


def from_json(raw, source: str = "the project") -> Project:
    if not isinstance(raw, dict):
        raise ProjectError(f"{source} is not a LayerCraft project: it holds a "
                           f"{type(raw).__name__}, not an object.")
    version = raw.get("version", raw.get("format_version"))
    if "format_version" in raw and "format" not in raw:
        raw = migrate(raw, 0)
        version = VERSION
    if raw.get("format") != FORMAT:
        raise ProjectError(f"{source} is not a LayerCraft project (format "
                           f"{raw.get('format')!r}; expected {FORMAT!r}).")
    if not isinstance(version, int) or isinstance(version, bool) or version < 0:
        raise ProjectError(f"{source} has no valid version number (found {version!r}).")
    if version > VERSION:
        raise ProjectError(f"{source} was saved by a newer LayerCraft (project version "
                           f"{version}; this one reads up to {VERSION}). Update LayerCraft "
                           "to open it.")
    raw = migrate(raw, version)
    return _checked(raw, source)


def _checked(raw: dict, source: str) -> Project:
    try:
        graph = ModelGraph.from_spec(raw.get("model"))
        graph.analyze()  # problems are fine (shown on their blocks), crashes are not
    except LayerCraftError as exc:
        raise ProjectError(f"{source} holds a model that cannot be read: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - a damaged file must open nothing, whatever it holds
        raise ProjectError(f"{source} holds a model that cannot be read ({type(exc).__name__}:"
                           f" {exc}). Nothing was opened.") from None
    check_layer_classes(graph, source)
    parts, warnings = validate_sections(raw, source)
    return Project(model=raw["model"], warnings=warnings, **parts)


def load(path) -> Project:
    """Reads a project file; raises ProjectError with a message for the user."""
    name = os.path.basename(str(path))
    try:
        with open(path, encoding="utf-8") as handle:
            raw = json.load(handle)
    except FileNotFoundError:
        raise ProjectError(f"The project file {path} does not exist.") from None
    except UnicodeDecodeError:
        raise ProjectError(f"'{name}' is not a text (JSON) file; it may be damaged.") from None
    except json.JSONDecodeError as exc:
        raise ProjectError(f"'{name}' is damaged: invalid JSON at line {exc.lineno}, column "
                           f"{exc.colno} ({exc.msg}). Nothing was opened.") from None
    except (ValueError, RecursionError) as exc:  # absurd numbers or nesting
        raise ProjectError(f"'{name}' cannot be read: {exc}. Nothing was opened.") from None
    except OSError as exc:
        raise ProjectError(f"Cannot read {path}: {exc.strerror or exc}.") from None
    return from_json(raw, f"'{name}'")


def save(path, project: Project) -> None:
    """Writes atomically; on any failure the previous file is left as it was."""
    write_json_atomic(path, project.to_json())


def write_json_atomic(path, data) -> None:
    """Writes `data` as JSON, atomically, keeping the file's mode and sweeping the temporary
    files of killed saves; raises ProjectError when it cannot (the old file stays)."""
    write_bytes_atomically(os.fspath(path), json.dumps(data, indent=1).encode("utf-8"),
                           error_class=ProjectError, what="project")


def from_document(document) -> Project:
    return Project(model=document.to_spec(), layout=dict(document.layout),
                   compile=document.compile_spec, data=document.settings.get("data", {}),
                   training=document.settings.get("training", {}),
                   runs=document.settings.get("runs", []))


def into_document(document, project: Project) -> None:
    document.load(project.model, project.layout, project.compile or None,
                  {"data": project.data, "training": project.training, "runs": project.runs})
