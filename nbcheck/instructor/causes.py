"""Why a test failed, in a few words an instructor can count: the cause of one autograded failure.

A check that recognises a known mistake (from the exercise's answer key) raises a
:class:`~nbcheck.grading.errors.GradingError` with that mistake's name, and the judge keeps the name
in the autograded test cell's metadata (``cell.metadata["nbcheck"]["cause"]``). Every other failure
is grouped by the kind of its one-line message, as the checks and the judge word it
(``nbcheck/grading/``, ``nbcheck/judge/session.py``): :func:`kind_of` below.
"""

from __future__ import annotations

import re

from nbcheck.grading.checks import first_sentence

NOT_IMPLEMENTED = "not implemented"
NOT_DEFINED = "not defined (missing or renamed)"
SHAPE = "wrong shape or type"
NON_FINITE = "NaN or inf"
VALUE = "wrong value"
GRADIENT = "wrong gradient"
LOOP = "Python loop where none is allowed"
MODIFIED = "modified its input"
TIME = "time limit"
MEMORY = "out of memory"
CRASH = "kernel died or crashed"
FLOOD = "output flood"
RAISED = "raised {0}"  # an exception in the student's code, by its type: "raised ValueError"
TEST_ERROR = "error in the test (the instructor's to fix)"
NO_MESSAGE = "no message (score set by hand?)"
OTHER = "other"

# The kinds of message, first match wins: the order puts what stopped a call (an exception, a crash, a time
# limit) before what a returned value shows, and the shape before the values (a check reads them in that order).
KINDS: list[tuple[str, re.Pattern[str]]] = [(kind, re.compile(pattern)) for kind, pattern in [
    (NOT_IMPLEMENTED, r"is not implemented yet"),
    (NOT_DEFINED, r"^`[^`]+` (is not defined|raised NameError)|should be a function, but it is"),
    (RAISED, r"^`[^`]+` raised (\w+)"),  # before the rest: the exception's own text may say anything
    (MEMORY, r"ran out of memory"),
    (TIME, r"did not finish within|was not called: the tests of this cell used up|s of CPU time|ran for more than"),
    (CRASH, (r"stopped the (Python process|kernel)|could not be (called|reached)|stopped the grader from calling|"
             r"lost when the kernel restarted")),
    (FLOOD, r"\[Output stopped|output was lost|printed more than"),
    (LOOP, r"must not use a Python loop|checked for loops"),
    (MODIFIED, r"modified (its input|.* in place)"),
    (NON_FINITE, r"non-finite|\bis -?(nan|inf)\b|diverged"),
    (SHAPE, (r"should return .*but it returned|should be an? [^:]*?, but it (is|has)|has shape \(.*\) but should|"
             r"should be 1-D|should be a list or 1-D|has dtype \S+ but should|is an np\.matrix|is \w+; compute it in "
             r"float64|returned something that cannot be checked|should be a dict with keys|each batch should be a 1-D|should return a list")),
    (GRADIENT, (r"^(\(.*?\) )?(d[A-Za-z]{1,2}\d*|d(x|w|out|scores|params)\w*|grads?)\b|[Gg]radient check FAILED|"
                r"Layer check FAILED|the gradient checker|the gradients are not the gradient")),
    (VALUE, (r"is wrong|expected|sums to .*, not 1|accuracy|batch|drops|dropped|shuffled|preserve the mean|"
             r"repeat examples|leave out examples")),
]]
# A check that recognises a mistake says "<quantity> is wrong: <the mistake>. <what to do>", as the answer key's
# named mistakes do; a value it cannot explain is "<quantity> is wrong: yours is ..., expected ...".
EXPLAINED = re.compile(r" is wrong: (?!yours is )(.+)", re.DOTALL)
DEPENDENCY = re.compile(r"Note: your (`\w+`(?: and `\w+`)*) do(?:es)? not pass")
# What the checks say a wrong value or shape most likely comes from, when no named mistake fits.
DIAGNOSES: list[tuple[re.Pattern[str], str]] = [(re.compile(pattern), label) for pattern, label in [
    (r"Yours is exactly \S+ × the expected value: (a sign error)\.", "{0}"),
    (r"Yours is exactly \S+ × the expected value: (a factor of \S+)\.", "off by {0}"),
    (r"Yours is exactly \S+ × the expected value: (.+?)\.(?:\s|$)", "off by a factor of {0}"),
    (r"Yours is off by a relative \S+ only", "nearly right (off by less than 1e-4, relative)"),
    (r"It looks transposed|the transpose of the right value", "transposed"),
    (r"check keepdims and reshape", "the right entries in the wrong shape (keepdims)"),
    (r"is (float\d+); compute it in float64|has dtype (float\d+) but should be float64", "{0} instead of float64"),
]]
FAULTS = {TIME, MEMORY, CRASH, FLOOD}
REFINED = {VALUE, GRADIENT, NON_FINITE, SHAPE}  # symptoms that a failing dependency or a diagnosis explains


def kind_of(ename: str, message: str) -> str:
    """The kind of a failed test's message (``ename`` is its exception's name, "" when there was none)."""
    if not ename and not message:
        return NO_MESSAGE
    if ename != "GradingError":  # the judge turns every fault of the student's code into a GradingError
        return TEST_ERROR
    return message_kind(message)


def message_kind(message: str) -> str:
    """The kind of a message of the checks or the judge (:data:`KINDS`), or :data:`OTHER`."""
    for kind, pattern in KINDS:
        found = pattern.search(message)
        if found:
            return kind.format(*found.groups())
    return OTHER


def fault_of(text: str) -> str | None:
    """What the judge noted in one of the student's own cells (an error or an output), if it is a fault that
    explains later failures: the cell hit its time limit, stopped the kernel, or printed too much."""
    kind = message_kind(text)
    return kind if kind in FAULTS else None


def cause_of(ename: str, message: str, named: str | None = None) -> tuple[str, str]:
    """(cause, kind) of a failed test: the named mistake if the check recognised one (kept by the judge, or
    said in its message); else, for a wrong value or shape, a function it builds on that fails, or what the
    message diagnoses; else its kind."""
    kind = kind_of(ename, message)
    if named:
        return named, kind
    if kind in REFINED:
        explained = EXPLAINED.search(message)
        if explained:
            return first_sentence(explained.group(1)), kind
        dependency = DEPENDENCY.search(message)
        if dependency:
            return f"builds on {dependency.group(1)}, which fails", kind
        for pattern, label in DIAGNOSES:
            found = pattern.search(message)
            if found:
                return label.format(*[group for group in found.groups() if group]), kind
    return kind, kind
