"""What nbgrader's Validate shows for a failing test: what the test checks and why it failed.

nbgrader's Validate (the JupyterLab button and ``nbgrader validate``) lists every failing test cell
with its whole source, then its traceback. The tracebacks are already one line (a
:class:`~nbcheck.grading.errors.GradingError` renders itself), so :func:`summarise_validation`
replaces the source with the test's title, the first sentence of its opening comment, and wraps
long lines, which nbgrader would otherwise cut off at its line width.
``nbgrader_config.py`` calls it, which both the command and the JupyterLab server load before
validating.
"""

from __future__ import annotations

import re
import textwrap


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


def wrap(text: str, width: int) -> str:
    """``text`` with every line longer than ``width`` broken at spaces, so nothing is cut off."""
    return "\n".join(textwrap.fill(line, width, subsequent_indent="  ") if len(line) > width else line
                     for line in text.splitlines())


def summarise_validation() -> None:
    """Make nbgrader's Validator report each failing test by its title instead of its source."""
    from nbconvert.filters import strip_ansi
    from nbgrader.validator import Validator
    if getattr(Validator.validate, "summarised", False):
        return
    validate = Validator.validate

    def summarised(self: Validator, filename: str) -> dict:
        results = validate(self, filename)
        width = self.width - len(self.indent) - 3
        for entry in results.get("failed", []):
            entry["source"] = wrap(title(entry["source"]), width)
            entry["raw_error"] = wrap(strip_ansi(entry["raw_error"]), width)
        return results

    summarised.summarised = True
    Validator.validate = summarised
