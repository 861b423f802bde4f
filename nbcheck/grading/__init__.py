"""The helpers that the exercises' test cells call, in the student's kernel and in the judge.

A test cell says in a comment what it checks and calls :func:`check` once: the student's function
(fetched by name, never from the test's own namespace) runs on the visible cases and, in the judge,
on the hidden ones, and what it returns is read and compared as the :class:`Output` specs say.
The answer key behind the hidden cases is registered with :func:`answer_key` in hidden blocks.
Every failure is a :class:`GradingError` whose message names the quantity, says what is wrong and
what to try; it shows as that one line, without a traceback.

The building blocks are public too: :func:`student_function`, :func:`as_array`,
:func:`as_scalar`, :func:`unpack` and :func:`assert_close`.
"""

from nbcheck.grading.calls import StudentObject, describe_arguments, kernel_function, kernel_runner, student_class, student_function
from nbcheck.grading.cases import Answer, answer_key
from nbcheck.grading.checks import Gradients, Output, array, arrays, check, ints, losses, number, probabilities
from nbcheck.grading.errors import GradingError
from nbcheck.grading.values import as_array, as_scalar, assert_close, unpack

__all__ = ["Answer", "GradingError", "Gradients", "Output", "StudentObject", "answer_key", "array", "arrays",
           "as_array", "as_scalar", "assert_close", "check", "describe_arguments", "ints", "kernel_function", "kernel_runner", "losses", "number",
           "probabilities", "student_class", "student_function", "unpack"]
