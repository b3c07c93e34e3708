"""Mutated project files, for the fuzz tests (hypothesis) and for bench/fuzz.py (a seeded
`random.Random`).

A mutation picks a spot in a project's JSON, mostly inside the settings sections, and
replaces its value (wrong types, NaN, infinity, huge integers, lists or objects in place of
scalars), deletes it, adds an unknown key beside it, or wraps it in a list.
"""

import copy
import json

from hypothesis import strategies as st

from tests.app.project_fixtures import seed_projects

SECTIONS = ("training", "data", "compile", "runs", "layout", "model", "")
ACTIONS = ("replace", "replace", "replace", "delete", "extra_key", "wrap")
WORDS = ("x", "", "val_loss", "digits", "moons", "scale", "op", "csv", "Adam", "auto",
         "class_name", "config")
SPECIAL = (None, True, False, 0, -1, 2**31, 2**70, 10**12, -10**12, float("nan"),
           float("inf"), float("-inf"), 1e300, -0.5, 1.5, [], {}, [[1]], {"op": [["x"]]})


def json_spots(node, prefix=()):
    """Every path below `node`: tuples of keys and list indices."""
    if isinstance(node, dict):
        items = node.items()
    elif isinstance(node, list):
        items = enumerate(node)
    else:
        return
    for key, value in items:
        yield prefix + (key,)
        yield from json_spots(value, prefix + (key,))


def spots_in(raw: dict, section: str) -> list[tuple]:
    """Spots inside `section` ("" means the top-level keys themselves)."""
    if not section:
        return [(key,) for key in raw if key not in ("format", "version")]
    return [(section,) + spot for spot in json_spots(raw.get(section))]


def mutate_at(raw: dict, spot: tuple, action: str, value) -> None:
    """Applies one mutation in place."""
    parent = raw
    for key in spot[:-1]:
        parent = parent[key]
    key = spot[-1]
    if action == "delete":
        del parent[key]
    elif action == "extra_key" and isinstance(parent[key], dict):
        parent[key]["zz_unknown"] = value
    elif action == "wrap":
        parent[key] = [parent[key]]
    else:
        parent[key] = value


# ----- hypothesis -------------------------------------------------------------------------------
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 40), st.integers(2**31 - 2, 2**80),
    st.integers(-(2**80), -1), st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(WORDS), st.text(max_size=4))
VALUES = st.recursive(
    SCALARS, lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(WORDS) | st.text(max_size=3), inner, max_size=3)),
    max_leaves=6)


@st.composite
def mutated_projects(draw, max_mutations: int = 4) -> dict:
    """A seed project with one to `max_mutations` mutations."""
    raw = copy.deepcopy(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, max_mutations))):
        section = draw(st.sampled_from(SECTIONS))
        spots = spots_in(raw, section) if isinstance(raw.get(section, {}), (dict, list)) \
            else []
        if spots:
            mutate_at(raw, draw(st.sampled_from(spots)), draw(st.sampled_from(ACTIONS)),
                      draw(VALUES))
    return raw


# ----- plain random (bench/fuzz.py) ---------------------------------------------------------------
def mutate_project(raw: dict, rng, max_mutations: int = 4) -> dict:
    """A mutated copy of `raw`, drawn from `rng` (a `random.Random`)."""
    raw = copy.deepcopy(raw)
    for _ in range(rng.randint(1, max_mutations)):
        section = rng.choice(SECTIONS)
        spots = spots_in(raw, section) if isinstance(raw.get(section, {}), (dict, list)) \
            else []
        if spots:
            mutate_at(raw, rng.choice(spots), rng.choice(ACTIONS),
                      copy.deepcopy(rng.choice(SPECIAL + WORDS)))
    return raw


def project_outcome(raw_or_bytes, path) -> str:
    """Writes a project (parsed JSON or raw bytes) to `path` and loads it the way File > Open
    does: "loaded", "loaded with repairs", "refused" (a LayerCraftError) or
    "crash: <type>: <message>" (any other exception: a bug)."""
    from app import project_io  # noqa: PLC0415
    from engine.errors import LayerCraftError  # noqa: PLC0415

    data = raw_or_bytes if isinstance(raw_or_bytes, bytes) else json.dumps(raw_or_bytes).encode()
    with open(path, "wb") as handle:
        handle.write(data)
    try:
        project = project_io.load(path)
    except LayerCraftError:
        return "refused"
    except Exception as exc:  # noqa: BLE001 - counting every other exception is the point
        return f"crash: {type(exc).__name__}: {str(exc)[:120]}"
    return "loaded with repairs" if project.warnings else "loaded"


SEEDS = seed_projects()
