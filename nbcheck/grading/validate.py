"""What nbgrader's Validate shows for a failing test: what the test checks and why it failed.

nbgrader's Validate (the JupyterLab button and ``nbgrader validate``) lists every failing test cell
with its whole source, then its traceback. The tracebacks are already one line (a
:class:`~nbcheck.grading.errors.GradingError` renders itself), so :func:`summarise_validation`
replaces the source with the test's title, the first sentence of its opening comment.
``nbgrader_config.py`` calls it, which both the command and the JupyterLab server load before
validating.
"""

from __future__ import annotations

import re


def title(source: str) -> str:
    """The first sentence of a test cell's opening comment ("Part 1, softmax: ..."), or its first line."""
    comment = []
    for line in source.strip().splitlines():
        if not line.startswith("#"):
            break
        comment.append(line.lstrip("# ").strip())
    text = " ".join(comment) or (source.strip().splitlines() or [""])[0]
    sentence = re.match(r"(.+?[.!?])(\s|$)", text)
    return sentence.group(1) if sentence else text


def summarise_validation() -> None:
    """Make nbgrader's Validator report each failing test by its title instead of its source."""
    from nbgrader.validator import Validator
    if getattr(Validator.validate, "summarised", False):
        return
    validate = Validator.validate

    def summarised(self: Validator, filename: str) -> dict:
        results = validate(self, filename)
        for entry in results.get("failed", []):
            entry["source"] = title(entry["source"])
        return results

    summarised.summarised = True
    Validator.validate = summarised
