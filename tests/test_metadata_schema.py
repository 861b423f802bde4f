"""nbgrader's metadata check with the schema compiled once (nbcheck.judge.metadata) gives nbgrader's verdicts."""

from __future__ import annotations

import jsonschema
import pytest
from nbformat.v4 import new_code_cell
from nbgrader.nbgraderformat import MetadataValidator

from nbcheck.judge.metadata import compile_metadata_schema_once


def test_good_metadata_passes_and_bad_metadata_fails_as_before() -> None:
    compile_metadata_schema_once()
    good = new_code_cell("x = 1", metadata={"nbgrader": {
        "schema_version": 3, "grade": True, "solution": False, "locked": True, "grade_id": "test_x", "points": 1}})
    MetadataValidator().validate_cell(good)
    bad = new_code_cell("x = 1", metadata={"nbgrader": {**good.metadata.nbgrader, "points": "one"}})
    with pytest.raises(jsonschema.ValidationError, match="'one'"):
        MetadataValidator().validate_cell(bad)
