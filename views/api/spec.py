"""The OpenAPI document of the JSON API.

``openapi.json`` holds the core API; each feature area documents its own
routes in a fragment ``openapi.d/<area>.json`` (an object with ``paths`` and,
optionally, ``components.schemas`` and ``x-extend-schemas``: new properties
of a core schema), merged here in file-name order.  A
fragment may not redefine a path or a schema of another part.
"""
import functools
import glob
import json
import os

HERE = os.path.dirname(__file__)


@functools.lru_cache(maxsize=1)
def spec_bytes():
    return json.dumps(load_spec(), ensure_ascii=False, indent=1).encode("utf-8")


def load_spec():
    with open(os.path.join(HERE, "openapi.json"), encoding="utf-8") as fh:
        spec = json.load(fh)
    for path in sorted(glob.glob(os.path.join(HERE, "openapi.d", "*.json"))):
        with open(path, encoding="utf-8") as fh:
            part = json.load(fh)
        _merge(spec["paths"], part.get("paths", {}), path)
        _merge(spec["components"].setdefault("schemas", {}),
               part.get("components", {}).get("schemas", {}), path)
        # new properties of a core schema (e.g. Dossier's retention_entry)
        for name, extra in part.get("x-extend-schemas", {}).items():
            _merge(spec["components"]["schemas"][name]["properties"], extra.get("properties", {}),
                   path)
    return spec


def _merge(into, new, source):
    for key, value in new.items():
        if key in into:
            raise ValueError(f"{os.path.basename(source)} redefines {key!r}")
        into[key] = value
