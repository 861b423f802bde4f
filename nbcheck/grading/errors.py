"""The one exception a failing check raises, and how it shows itself to the student."""

from __future__ import annotations


class GradingError(AssertionError):
    """A check failed, for a reason the message explains to the student.

    In JupyterLab and in the feedback it shows as one line, ``GradingError: <message>``, with no
    traceback through the test cell or nbcheck: IPython asks an exception for
    ``_render_traceback_`` before formatting a traceback of its own.

    ``cause`` names a known mistake when the check recognised one ("the gradient is not divided by
    N"); the instructor's class report groups failures by it (the judge keeps it in the cell's
    metadata). Other failures are grouped by the kind of their message.
    """

    def __init__(self, message: str, cause: str | None = None) -> None:
        super().__init__(message)
        self.cause = cause

    def _render_traceback_(self) -> list[str]:
        return [f"\x1b[0;31mGradingError\x1b[0m: {self}"]
