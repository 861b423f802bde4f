"""nbcheck: the course's gradient checker, grading helpers, toy data and widget machinery.

Students call :func:`check_grad` (or :func:`assert_grad`) while they work; the exercises'
tests call the same functions and :mod:`nbcheck.grading`. Nothing here implements an
exercise: every model under test comes from the student's notebook.
"""

import sys
import types

from nbcheck import grading
from nbcheck.data import make_circles, make_gaussian_blobs, make_spiral, make_xor
from nbcheck.gradcheck import GradReport, assert_grad, check_grad, check_layer, numerical_gradient



class _ReadOnlyModule(types.ModuleType):
    """A module whose attributes a notebook cannot reassign.

    The tests call nbcheck from the same kernel as the student's code; this stops
    `nbcheck.grading.assert_close = lambda *a, **k: None` from turning failures into passes.
    (It raises the bar, not a wall: grading in a separate process is the real defence.)
    """

    def __setattr__(self, name: str, value: object) -> None:
        if isinstance(value, types.ModuleType) and value.__name__ == f"{self.__name__}.{name}" \
                and name not in self.__dict__:
            # The import system binds a newly imported submodule on its package.
            return super().__setattr__(name, value)
        raise AttributeError(f"{self.__name__} is read-only: the course's checks cannot be replaced")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{self.__name__} is read-only: the course's checks cannot be removed")


def _make_read_only() -> None:
    for name, module in list(sys.modules.items()):
        if (name == __name__ or name.startswith(__name__ + ".")) and type(module) is types.ModuleType:
            module.__class__ = _ReadOnlyModule


__all__ = [
    "GradReport", "assert_grad", "check_grad", "check_layer", "numerical_gradient",
    "make_circles", "make_gaussian_blobs", "make_spiral", "make_xor",
]

_make_read_only()
