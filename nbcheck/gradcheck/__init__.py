"""nbcheck's gradient checker: finite-difference probes, kink handling, diagnosis, layer checks.

Public API (re-exported by :mod:`nbcheck`):

- :func:`numerical_gradient` — plain central differences, entry by entry (for teaching);
- :func:`check_grad` / :func:`assert_grad` — check ``f(params) -> (loss, grads)``;
- :func:`check_layer` — check a cs231n-style ``forward``/``backward`` pair;
- :class:`GradReport` — what a check found; ``str(report)`` is the student's message.
"""

from nbcheck.gradcheck.checker import assert_grad, check_grad
from nbcheck.gradcheck.layers import check_layer
from nbcheck.gradcheck.probing import numerical_gradient
from nbcheck.gradcheck.report import Cause, GradReport, TensorResult

__all__ = ["Cause", "GradReport", "TensorResult", "assert_grad", "check_grad", "check_layer", "numerical_gradient"]
