"""nbcheck: the course's gradient checker, grading helpers, toy data and widget machinery.

Students call :func:`check_grad` (or :func:`assert_grad`) while they work; the exercises'
tests call the same functions and :mod:`nbcheck.grading`. Nothing here implements an
exercise: every model under test comes from the student's notebook.
"""

from nbcheck import grading  # noqa: F401  (nbcheck.grading is part of the package API)
from nbcheck.data import make_circles, make_gaussian_blobs, make_spiral, make_xor
from nbcheck.gradcheck import GradReport, assert_grad, check_grad, check_layer, numerical_gradient

__all__ = [
    "GradReport", "assert_grad", "being_graded", "check_grad", "check_layer", "numerical_gradient",
    "make_circles", "make_gaussian_blobs", "make_spiral", "make_xor",
]



def being_graded() -> bool:
    """Whether nbgrader is running this notebook (autograde or Validate): long demos can skip themselves."""
    import os
    return bool(os.environ.get("NBGRADER_EXECUTION"))
