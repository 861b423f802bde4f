"""nbgrader's check of each cell's nbgrader metadata, with its JSON schema compiled once.

nbgrader checks every cell's metadata with ``jsonschema.validate(metadata, schema)``, several times
per notebook during autograde. That function first checks the schema itself against its
meta-schema, every time: about 0.15 s of CPU per notebook, a tenth of grading one.
:func:`compile_metadata_schema_once` makes nbgrader use one validator per schema instead; the
verdicts are the same (the first error found is raised instead of the "best" one).
"""

from __future__ import annotations

import functools
import json
from types import SimpleNamespace
from typing import Any

import jsonschema


@functools.lru_cache(maxsize=8)
def _validator(schema_text: str) -> Any:
    schema = json.loads(schema_text)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def _validate(instance: Any, schema: dict) -> None:
    _validator(json.dumps(schema, sort_keys=True)).validate(instance)


def compile_metadata_schema_once() -> None:
    """Make nbgrader's metadata validators use a compiled validator (called from ``nbgrader_config.py``)."""
    from nbgrader.nbgraderformat import common
    common.jsonschema = SimpleNamespace(validate=_validate)
