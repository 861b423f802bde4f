"""Known submissions of ex4_autodiff (an autodiff engine over arrays): 26 automatic points.

Points per test cell: Part A (the engine, on +, * and .sum() only) test_tensor 1, test_core 2,
test_fan_out 2, test_order 2, test_chain 1, test_refusal 1, test_twice 2; Part B (the other
operations) test_arith 3, test_broadcast 2, test_reductions 2, test_elementwise 2, test_graphs 2;
Part C test_sce 2, test_net 2. A wrong derivative costs the operation's own test and the tests whose
graphs use it: the random graphs (test_graphs) and, for the operations the network uses (@, +, *,
.sum(), .relu()), test_net. An engine mistake (the order, the accumulation) costs every test whose
graphs expose it.
"""

from tests.submissions import Submission

FULL = 26
CELL = "tensor_class"
TESTS = ("test_tensor", "test_core", "test_fan_out", "test_order", "test_chain", "test_refusal", "test_twice",
         "test_arith", "test_broadcast", "test_reductions", "test_elementwise", "test_graphs", "test_sce", "test_net")
SHARED_NODES = ("test_fan_out", "test_order", "test_twice", "test_graphs")   # the tests whose graphs share nodes


def failing(tests: tuple[str, ...], needle: str, **others: str) -> dict[str, str]:
    """{test: needle} for each of ``tests``, then ``others`` ({test: its own needle})."""
    return {**{test: needle for test in tests}, **others}

ACCUMULATE = "grads[id(parent)] = grads[id(parent)] + contribution if id(parent) in grads else contribution"
ADD_TO_GRAD = "node.grad = node.grad + grad"
ORDER_BODY = '''        order, visited = [], {id(self)}
        stack = [(self, iter(self._parents))]
        while stack:
            node, parents = stack[-1]
            for parent in parents:
                if id(parent) not in visited:
                    visited.add(id(parent))
                    stack.append((parent, iter(parent._parents)))
                    break
            else:               # every parent is done: node comes after them in the post-order
                stack.pop()
                order.append(node)
        return order[::-1]'''
BACKWARD_BODY = '''        grads = {id(self): np.ones_like(self.data)}     # this call's gradients, by id
        for node in self._reverse_topological_order():
            grad = grads.pop(id(node))
            node.grad = node.grad + grad
            if node._vjp is None:
                continue
            for parent, contribution in zip(node._parents, node._vjp(grad)):
                contribution = unbroadcast(contribution, parent.shape)
                grads[id(parent)] = grads[id(parent)] + contribution if id(parent) in grads else contribution'''
SIZE_CHECK = '''        if self.data.size != 1:
            raise ValueError(f"backward() needs a scalar (a Tensor of size 1), not one of shape {self.shape}: "
                             "reduce it first, e.g. with .sum() or .mean()")'''
UNBROADCAST_LEADING = "    while grad.ndim > len(shape):\n        grad = grad.sum(axis=0)\n"
UNBROADCAST_SIZE_ONE = '''    for axis, size in enumerate(shape):
        if size == 1 and grad.shape[axis] != 1:
            grad = grad.sum(axis=axis, keepdims=True)
'''


def order(body: str) -> dict[str, list[tuple[str, str]]]:
    """An edit replacing the body of _reverse_topological_order."""
    return {CELL: [(ORDER_BODY, body)]}


def backward(body: str) -> dict[str, list[tuple[str, str]]]:
    """An edit replacing backward() after its size check."""
    return {CELL: [(BACKWARD_BODY, body)]}


# micrograd's way: .grad itself is propagated, so a second call sends the first call's gradients on again.
MICROGRAD = '''        self.grad = np.ones_like(self.data)
        for node in self._reverse_topological_order():
            if node._vjp is None:
                continue
            for parent, contribution in zip(node._parents, node._vjp(node.grad)):
                parent.grad = parent.grad + unbroadcast(contribution, parent.shape)'''

BREADTH_FIRST = '''        order, queue, seen = [], [self], {id(self)}
        while queue:
            node = queue.pop(0)
            order.append(node)
            for parent in node._parents:
                if id(parent) not in seen:
                    seen.add(id(parent))
                    queue.append(parent)
        return order'''

PRE_ORDER = '''        order, stack, seen = [], [self], {id(self)}
        while stack:
            node = stack.pop()
            order.append(node)
            for parent in node._parents:
                if id(parent) not in seen:
                    seen.add(id(parent))
                    stack.append(parent)
        return order'''

NO_VISITED_SET = '''        order, stack = [], [(self, iter(self._parents))]
        while stack:
            node, parents = stack[-1]
            parent = next(parents, None)
            if parent is None:
                stack.pop()
                order.append(node)
            else:
                stack.append((parent, iter(parent._parents)))
        return order[::-1]'''

RECURSIVE = '''        order, visited = [], set()

        def visit(node):
            if id(node) in visited:
                return
            visited.add(id(node))
            for parent in node._parents:
                visit(parent)
            order.append(node)

        visit(self)
        return order[::-1]'''

KAHN = '''        users, stack, seen = {}, [self], {id(self)}
        while stack:                                    # count each node's users inside this graph
            for parent in stack.pop()._parents:
                users[id(parent)] = users.get(id(parent), 0) + 1
                if id(parent) not in seen:
                    seen.add(id(parent))
                    stack.append(parent)
        order, ready = [], [self]
        while ready:                                    # a node is ready once all its users are done
            node = ready.pop()
            order.append(node)
            for parent in node._parents:
                users[id(parent)] -= 1
                if users[id(parent)] == 0:
                    ready.append(parent)
        return order'''

TWO_PHASE_STACK = '''        order, done, stack = [], set(), [(self, False)]
        while stack:                                    # (node, its parents are done)
            node, expanded = stack.pop()
            if expanded:
                order.append(node)
            elif id(node) not in done:
                done.add(id(node))
                stack.append((node, True))
                stack.extend((p, False) for p in node._parents if id(p) not in done)
        return order[::-1]'''

SCE_FROM_OPERATIONS = '''
def softmax_cross_entropy(logits, y):
    """Built from the engine's operations: log-sum-exp of the shifted logits minus the right class's logit."""
    N, K = logits.shape
    shifted = logits - Tensor(logits.data.max(axis=1, keepdims=True))   # a constant: the softmax does not move
    onehot = Tensor(np.eye(K)[y])
    log_norm = shifted.exp().sum(axis=1).log()
    return (log_norm - (shifted * onehot).sum(axis=1)).mean()
'''

# A different design: one class per operation with forward and backward methods, Kahn's order, a
# gradient dict filled by the operations themselves, einsum for the matrix product.
OPERATION_CLASSES = '''
import warnings


class Op:
    """An operation: forward(*arrays) -> array, and backward(grad) -> one gradient per input."""

    def __call__(self, *inputs):
        self.inputs = [as_tensor(x) for x in inputs]
        return Tensor(self.forward(*(x.data for x in self.inputs)), op=self)


class Add(Op):
    def forward(self, x, y):
        return x + y

    def backward(self, g):
        return g, g


class Mul(Op):
    def forward(self, x, y):
        self.x, self.y = x, y
        return x * y

    def backward(self, g):
        return g * self.y, g * self.x


class Div(Op):
    def forward(self, x, y):
        self.x, self.y = x, y
        return x / y

    def backward(self, g):
        return g / self.y, -g * self.x / (self.y * self.y)


class MatMul(Op):
    def forward(self, x, y):
        self.x, self.y = x, y
        return np.einsum("ij,jk->ik", x, y)

    def backward(self, g):
        return np.einsum("ik,jk->ij", g, self.y), np.einsum("ij,ik->jk", self.x, g)


class Power(Op):
    def __init__(self, p):
        self.p = p

    def forward(self, x):
        self.x = x
        return x ** self.p

    def backward(self, g):
        return (g * self.p * x_to(self.x, self.p - 1),)


def x_to(x, p):
    return x ** p


class Reduce(Op):
    def __init__(self, axis, mean):
        self.axis, self.mean = axis, mean

    def forward(self, x):
        self.shape = x.shape
        self.n = x.size if self.axis is None else x.shape[self.axis]
        return x.mean(axis=self.axis) if self.mean else x.sum(axis=self.axis)

    def backward(self, g):
        g = g if self.axis is None else np.expand_dims(g, self.axis)
        return (np.broadcast_to(g / self.n if self.mean else g, self.shape),)


class Map(Op):
    """An elementwise function, with its derivative written from its input x and output y."""

    def __init__(self, f, df):
        self.f, self.df = f, df

    def forward(self, x):
        self.x = x
        self.y = self.f(x)
        return self.y

    def backward(self, g):
        return (g * self.df(self.x, self.y),)


def unbroadcast(grad, shape):
    lead = grad.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape) if n == 1 and grad.shape[lead + i] != 1)
    return np.sum(grad, axis=axes).reshape(shape)


class Tensor:
    def __init__(self, data, op=None):
        self.data = np.asarray(data, dtype=float).copy()
        self.grad = np.zeros(self.data.shape)
        self.op = op

    @property
    def shape(self):
        return self.data.shape

    def parents(self):
        return self.op.inputs if self.op else []

    def backward(self):
        if self.data.size != 1:
            raise ValueError(f"only a scalar can start backward(); this Tensor has shape {self.data.shape}")
        users = {}
        stack, seen = [self], {id(self)}
        while stack:
            for p in stack.pop().parents():
                users[id(p)] = users.get(id(p), 0) + 1
                if id(p) not in seen:
                    seen.add(id(p))
                    stack.append(p)
        grads, ready = {id(self): np.ones(self.data.shape)}, [self]
        while ready:
            node = ready.pop(0)
            g = grads.pop(id(node))
            node.grad += g
            if node.op is None:
                continue
            for p, gp in zip(node.parents(), node.op.backward(g)):
                gp = unbroadcast(np.asarray(gp, dtype=float), p.shape)
                grads[id(p)] = grads.get(id(p), 0.0) + gp
                users[id(p)] -= 1
                if users[id(p)] == 0:
                    ready.append(p)
        warnings.warn("backward() done", UserWarning)

    def __add__(self, other):
        return Add()(self, other)

    def __radd__(self, other):
        return Add()(other, self)

    def __sub__(self, other):
        return Add()(self, -as_tensor(other))

    def __rsub__(self, other):
        return Add()(other, -self)

    def __mul__(self, other):
        return Mul()(self, other)

    def __rmul__(self, other):
        return Mul()(other, self)

    def __truediv__(self, other):
        return Div()(self, other)

    def __rtruediv__(self, other):
        return Div()(other, self)

    def __neg__(self):
        return Mul()(self, -1.0)

    def __pow__(self, p):
        return Power(p)(self)

    def __matmul__(self, other):
        return MatMul()(self, other)

    def sum(self, axis=None):
        return Reduce(axis, mean=False)(self)

    def mean(self, axis=None):
        return Reduce(axis, mean=True)(self)

    def exp(self):
        return Map(np.exp, lambda x, y: y)(self)

    def log(self):
        return Map(np.log, lambda x, y: 1.0 / x)(self)

    def relu(self):
        return Map(lambda x: np.where(x > 0, x, 0.0), lambda x, y: (x > 0).astype(float))(self)

    def tanh(self):
        return Map(np.tanh, lambda x, y: 1.0 - y * y)(self)

    def sigmoid(self):
        return Map(lambda x: np.exp(-np.logaddexp(0.0, -x)), lambda x, y: y * (1.0 - y))(self)


def as_tensor(value):
    return value if isinstance(value, Tensor) else Tensor(value)
'''

SUBMISSIONS = [
    # ---- the engine ------------------------------------------------------------------------------
    Submission(
        name="gradients_overwritten",
        mistake="a Tensor's gradient is replaced by each use's share instead of summed (= for +=)",
        edits={CELL: [(ACCUMULATE, "grads[id(parent)] = contribution")]},
        fails={"test_fan_out": "it is overwritten, not added", "test_order": "it is overwritten, not added",
               "test_twice": "it is overwritten, not added", "test_graphs": "overwritten",
               "test_net": "grads['W2']"},
        score=FULL - 10,
    ),
    Submission(
        name="backward_replaces_grad",
        mistake="backward() sets .grad to this call's gradient instead of adding to it",
        edits={CELL: [(ADD_TO_GRAD, "node.grad = grad")]},
        fails={"test_twice": "equals one call's gradient"},
        score=FULL - 2,
    ),
    Submission(
        name="micrograd_second_backward",
        mistake="micrograd's backward: the output's .grad set to 1, then every node passes on its whole .grad",
        edits=backward(MICROGRAD),
        fails={"test_twice": "passed on the gradients left by the first call"},
        score=FULL - 2,
    ),
    Submission(
        name="micrograd_reseeded",
        mistake="micrograd's backward with the seed added (.grad += 1): a second call re-propagates everything",
        edits=backward(MICROGRAD.replace("self.grad = np.ones_like(self.data)", "self.grad = self.grad + 1.0")),
        fails={"test_twice": "passed on the gradients left by the first call"},
        score=FULL - 2,
    ),
    Submission(
        name="inner_gradients_replaced",
        mistake="leaves accumulate over calls, inner Tensors keep only the last call's gradient",
        edits={CELL: [(ADD_TO_GRAD, "node.grad = node.grad + grad if node._vjp is None else grad")]},
        fails={"test_twice": "inner Tensors are replaced"},
        score=FULL - 2,
    ),
    Submission(
        name="zero_grad_does_nothing",
        mistake="zero_grad assigns the zeros to a local name, leaving .grad as it was",
        edits={"zero_grad": [("t.grad = np.zeros_like(t.data)", "grad = np.zeros_like(t.data)")]},
        fails={"test_twice": "zero_grad did not reset it"},
        score=FULL - 2,
    ),
    Submission(
        name="order_breadth_first",
        mistake="the nodes are handled in breadth-first order from the output",
        edits=order(BREADTH_FIRST),
        fails=failing(("test_order", "test_twice", "test_graphs"), "breadth-first", test_net="grads['W2']"),
        score=FULL - 8,
    ),
    Submission(
        name="order_pre_order",
        mistake="the nodes are handled in depth-first pre-order (as they leave the stack)",
        edits=order(PRE_ORDER),
        fails=failing(SHARED_NODES, "pre-order", test_net="grads['W2']"),
        score=FULL - 10,
    ),
    Submission(
        name="order_not_reversed",
        mistake="the depth-first post-order is used as it is, leaves first: a leaf comes up before it has a gradient",
        edits={CELL: [("        return order[::-1]\n\n    def backward", "        return order\n\n    def backward")]},
        fails=failing(TESTS[1:], "KeyError in backward() often means", test_refusal="raised KeyError",
                      test_sce="raised KeyError"),
        score=1,
    ),
    Submission(
        name="order_not_reversed_zeros",
        mistake="the post-order used leaves first, and a node without a gradient yet taken as zero",
        edits={CELL: [("        return order[::-1]\n\n    def backward", "        return order\n\n    def backward"),
                      ("grad = grads.pop(id(node))", "grad = grads.pop(id(node), np.zeros_like(node.data))")]},
        fails=failing(TESTS[1:4] + TESTS[6:12], "not reversed", test_chain="Yours is zero", test_sce="zero everywhere",
                      test_net="zero everywhere"),
        score=2,
    ),
    Submission(
        name="order_without_visited_set",
        mistake="the post-order lists a node once per path that reaches it (no visited set)",
        edits=order(NO_VISITED_SET),
        fails=failing(SHARED_NODES + ("test_net",), "KeyError in backward() often means"),
        score=FULL - 10,
    ),
    Submission(
        name="micrograd_without_visited_set",
        mistake="micrograd's backward (propagating .grad) on a post-order that lists a node once per path",
        edits={**backward(MICROGRAD), CELL: backward(MICROGRAD)[CELL] + [(ORDER_BODY, NO_VISITED_SET)]},
        fails=failing(("test_fan_out", "test_order", "test_graphs"), "more than once",
                      test_twice="passed on the gradients left by the first call"),
        score=FULL - 8,
    ),
    Submission(
        name="order_recursive",
        mistake="lecture 4's recursive depth-first search: fine, until a chain of 10 000 operations",
        edits=order(RECURSIVE),
        fails={"test_chain": "RecursionError"},
        score=FULL - 1,
    ),
    Submission(
        name="order_recursive_limit_raised",
        mistake="the recursive search with sys.setrecursionlimit(100_000) set in the notebook",
        edits={CELL: [(ORDER_BODY, RECURSIVE), ("def unbroadcast(grad, shape):",
                                                 "import sys\n\nsys.setrecursionlimit(100_000)\n\n\n"
                                                 "def unbroadcast(grad, shape):")]},
        fails={"test_chain": "RecursionError"},
        score=FULL - 1,
    ),
    Submission(
        name="backward_of_a_vector_allowed",
        mistake="backward() seeds ones on a Tensor of any size instead of refusing",
        edits={CELL: [(SIZE_CHECK + "\n", "")]},
        fails={"test_refusal": "returned without an error"},
        score=FULL - 1,
    ),
    Submission(
        name="backward_asserts",
        mistake="backward() checks the size with an assert",
        edits={CELL: [(SIZE_CHECK, "        assert self.data.size == 1")]},
        fails={"test_refusal": "AssertionError"},
        score=FULL - 1,
    ),
    Submission(
        name="backward_refuses_silently",
        mistake="backward() raises ValueError() without a message",
        edits={CELL: [(SIZE_CHECK, "        if self.data.size != 1:\n            raise ValueError()")]},
        fails={"test_refusal": "without saying why"},
        score=FULL - 1,
    ),
    Submission(
        name="backward_needs_0d",
        mistake="backward() tests ndim == 0, refusing a Tensor of shape (1,)",
        edits={CELL: [("        if self.data.size != 1:\n            raise ValueError(",
                       "        if self.data.ndim != 0:\n            raise ValueError(")]},
        fails={"test_refusal": "refused a Tensor of size 1", "test_reductions": "backward() needs a scalar"},
        score=FULL - 3,
    ),
    Submission(
        name="no_seed",
        mistake="backward() starts from a zero gradient",
        edits={CELL: [("grads = {id(self): np.ones_like(self.data)}", "grads = {id(self): np.zeros_like(self.data)}")]},
        fails=failing(TESTS[1:4] + TESTS[6:12], "start from the output's gradient", test_chain="Yours is zero",
                      test_sce="zero everywhere", test_net="zero everywhere"),
        score=1 + 1,
    ),
    Submission(
        name="inner_gradients_not_kept",
        mistake="backward() adds the gradients to the leaves' .grad only, as PyTorch does by default",
        edits={CELL: [(ADD_TO_GRAD, "node.grad = node.grad + grad if node._vjp is None else node.grad")]},
        fails=failing(TESTS[1:4] + TESTS[6:12], "inner ones included"),
        score=1 + 1 + 1 + 2 + 2,
    ),
    Submission(
        name="data_kept_as_int",
        mistake="Tensor keeps the dtype it is given (an int stays an int)",
        edits={CELL: [("self.data = np.array(data, dtype=np.float64)", "self.data = np.array(data)")]},
        fails={"test_tensor": "dtype int64"},
        score=FULL - 1,
    ),
    Submission(
        name="grad_none_until_backward",
        mistake="a Tensor's .grad is None until backward() reaches it (PyTorch's leaves)",
        edits={CELL: [("self.grad = np.zeros_like(self.data)\n        self._parents",
                       "self.grad = None\n        self._parents"),
                      (ADD_TO_GRAD, "node.grad = grad if node.grad is None else node.grad + grad")]},
        fails={"test_tensor": "NoneType"},
        score=FULL - 1,
    ),
    # ---- broadcasting ----------------------------------------------------------------------------
    Submission(
        name="broadcast_not_summed",
        mistake="unbroadcast returns the gradient as it is: a broadcast input's gradient keeps the broadcast shape",
        edits={CELL: [(UNBROADCAST_LEADING + UNBROADCAST_SIZE_ONE, "")]},
        fails={"test_broadcast": "but should have shape", "test_graphs": "but should have shape",
               "test_net": "grads['b1']"},
        score=FULL - 6,
    ),
    Submission(
        name="broadcast_not_summed_in_place",
        mistake="no unbroadcast and .grad += ...: numpy refuses to add a (2, 3) gradient into a (3,) one",
        edits={CELL: [(UNBROADCAST_LEADING + UNBROADCAST_SIZE_ONE, ""),
                      (ADD_TO_GRAD, "node.grad += grad")]},
        fails=failing(TESTS[1:5] + TESTS[6:10] + ("test_graphs", "test_net"), "non-broadcastable output operand"),
        score=1 + 1 + 2 + 2,
    ),
    Submission(
        name="broadcast_left_operand_not_summed",
        mistake="only the right operand's gradient is summed back: a broadcast left operand keeps the broadcast shape",
        edits={CELL: [("contribution = unbroadcast(contribution, parent.shape)",
                       "contribution = contribution if parent is node._parents[0] else unbroadcast(contribution, "
                       "parent.shape)")]},
        fails={"test_broadcast": "but should have shape", "test_graphs": "but should have shape"},
        score=FULL - 4,
    ),
    Submission(
        name="broadcast_leading_axes_only",
        mistake="unbroadcast sums the axes numpy added in front, not the axes of size 1",
        edits={CELL: [(UNBROADCAST_SIZE_ONE, "")]},
        fails={"test_broadcast": "but should have shape", "test_graphs": "but should have shape"},
        score=FULL - 4,
    ),
    Submission(
        name="broadcast_averaged",
        mistake="unbroadcast averages over the broadcast axes instead of summing",
        edits={CELL: [("grad = grad.sum(axis=0)", "grad = grad.mean(axis=0)"),
                      ("grad = grad.sum(axis=axis, keepdims=True)", "grad = grad.mean(axis=axis, keepdims=True)")]},
        fails={"test_broadcast": "averaged", "test_graphs": "averaged", "test_net": "grads['b2']"},
        score=FULL - 6,
    ),
    # ---- one operation wrong ---------------------------------------------------------------------
    Submission(
        name="mul_not_swapped",
        mistake="x * y sends upstream * x to x instead of upstream * y",
        edits={CELL: [("lambda g: (g * other.data, g * self.data)", "lambda g: (g * self.data, g * other.data)")]},
        fails=failing(TESTS[1:4] + TESTS[6:11], "multiplication swaps", test_chain="non-finite", test_graphs="grad[",
                      test_sce="the gradient of the logits", test_net="grads['W2']"),
        score=1 + 1,
    ),
    Submission(
        name="sub_second_sign",
        mistake="x - y sends +upstream to y",
        edits={CELL: [("lambda g: (g, -g))\n\n    def __truediv__", "lambda g: (g, g))\n\n    def __truediv__")]},
        fails={"test_arith": "d(x - y)/dy = -1", "test_broadcast": "d(x - y)/dy = -1", "test_graphs": "x - y"},
        score=FULL - 7,
    ),
    Submission(
        name="rsub_reversed",
        mistake="__rsub__ computes x - c for c - x",
        edits={CELL: [("return as_tensor(other) - self", "return self - as_tensor(other)")]},
        fails={"test_arith": "__rsub__"},
        score=FULL - 3,
    ),
    Submission(
        name="rtruediv_reversed",
        mistake="__rtruediv__ computes x / c for c / x",
        edits={CELL: [("return as_tensor(other) / self", "return self / as_tensor(other)")]},
        fails={"test_arith": "__rtruediv__"},
        score=FULL - 3,
    ),
    Submission(
        name="div_sign",
        mistake="x / y sends +upstream * x / y**2 to y",
        edits={CELL: [("-g * self.data / other.data ** 2", "g * self.data / other.data ** 2")]},
        fails={"test_arith": "opposite sign", "test_broadcast": "opposite sign", "test_graphs": "x / y"},
        score=FULL - 7,
    ),
    Submission(
        name="div_not_squared",
        mistake="x / y sends -upstream * x / y to y",
        edits={CELL: [("-g * self.data / other.data ** 2", "-g * self.data / other.data")]},
        fails={"test_arith": "divides by y once", "test_broadcast": "divides by y once", "test_graphs": "x / y"},
        score=FULL - 7,
    ),
    Submission(
        name="neg_sign",
        mistake="-x passes the upstream gradient unchanged",
        edits={CELL: [("lambda g: (-g,))", "lambda g: (g,))")]},
        fails={"test_arith": "`-x`", "test_graphs": "`-x`"},
        score=FULL - 5,
    ),
    Submission(
        name="pow_abs",
        mistake="x ** p's derivative written with abs(x) ** (p - 1), to avoid NaN for fractional p",
        edits={CELL: [("g * exponent * self.data ** (exponent - 1)",
                       "g * exponent * np.abs(self.data) ** (exponent - 1)")]},
        fails={"test_arith": "wrong where x < 0", "test_graphs": "x ** p"},
        score=FULL - 5,
    ),
    Submission(
        name="pow_missing_factor",
        mistake="x ** p's derivative written x ** (p - 1), without the factor p",
        edits={CELL: [("g * exponent * self.data ** (exponent - 1)", "g * self.data ** (exponent - 1)")]},
        fails={"test_arith": "the factor p is missing", "test_graphs": "the factor p is missing"},
        score=FULL - 5,
    ),
    Submission(
        name="pow_through_exp_log",
        mistake="x ** p computed as exp(p log x): NaN for negative x",
        edits={CELL: [("return Tensor(self.data ** exponent, (self,)",
                       "return Tensor(np.exp(exponent * np.log(self.data)), (self,)")]},
        fails={"test_arith": "non-finite", "test_graphs": "non-finite"},
        score=FULL - 5,
    ),
    Submission(
        name="matmul_without_transpose",
        mistake="X @ W sends upstream @ W to X (the transpose of W forgotten)",
        edits={CELL: [("lambda g: (g @ other.data.T, self.data.T @ g)",
                       "lambda g: (g @ other.data, self.data.T @ g)")]},
        fails={"test_reductions": "upstream @ W.T", "test_graphs": "upstream @ W.T", "test_net": "upstream @ W.T"},
        score=FULL - 6,
    ),
    Submission(
        name="sum_axis_not_expanded",
        mistake=".sum(axis) broadcasts the upstream gradient without np.expand_dims",
        edits={CELL: [("np.broadcast_to(g if axis is None else np.expand_dims(g, axis), self.shape)",
                       "np.broadcast_to(g, self.shape)")]},
        fails={"test_reductions": "np.expand_dims(g, axis)", "test_graphs": "np.expand_dims(g, axis)"},
        score=FULL - 4,
    ),
    Submission(
        name="mean_not_divided",
        mistake=".mean() is the sum: the 1/n is missing",
        edits={CELL: [("return self.sum(axis) * (1.0 / count)", "return self.sum(axis)")]},
        fails={"test_reductions": "value['a.mean()']", "test_graphs": "value["},
        score=FULL - 4,
    ),
    Submission(
        name="mean_over_every_entry",
        mistake=".mean(axis) divides by x.size, whatever the axis",
        edits={CELL: [("count = self.data.size if axis is None else self.shape[axis]", "count = self.data.size")]},
        fails={"test_reductions": "value['a.mean(axis=1)']", "test_graphs": "value["},
        score=FULL - 4,
    ),
    Submission(
        name="exp_from_input",
        mistake="x.exp() sends upstream * x",
        edits={CELL: [("lambda g: (g * out,))\n\n    def log", "lambda g: (g * self.data,))\n\n    def log")]},
        fails={"test_elementwise": "its own output; yours uses x", "test_graphs": "exp"},
        score=FULL - 4,
    ),
    Submission(
        name="log_inverted",
        mistake="x.log() sends upstream * x",
        edits={CELL: [("lambda g: (g / self.data,)", "lambda g: (g * self.data,)")]},
        fails={"test_elementwise": "yours multiplies by x", "test_graphs": "log"},
        score=FULL - 4,
    ),
    Submission(
        name="relu_mask_from_gradient",
        mistake="x.relu() masks where the upstream gradient is positive",
        edits={CELL: [("lambda g: (g * (self.data > 0),)", "lambda g: (g * (g > 0),)")]},
        fails={"test_elementwise": "masks where the upstream gradient", "test_graphs": "relu",
               "test_net": "grads['W1']"},
        score=FULL - 6,
    ),
    Submission(
        name="tanh_from_input",
        mistake="x.tanh()'s derivative written 1 - x**2",
        edits={CELL: [("lambda g: (g * (1.0 - out ** 2),)", "lambda g: (g * (1.0 - self.data ** 2),)")]},
        fails={"test_elementwise": "yours is 1 - x**2", "test_graphs": "tanh"},
        score=FULL - 4,
    ),
    Submission(
        name="sigmoid_from_input",
        mistake="x.sigmoid()'s derivative written x * (1 - x)",
        edits={CELL: [("lambda g: (g * out * (1.0 - out),)", "lambda g: (g * self.data * (1.0 - self.data),)")]},
        fails={"test_elementwise": "uses x instead of s", "test_graphs": "sigmoid"},
        score=FULL - 4,
    ),
    # ---- Part C ----------------------------------------------------------------------------------
    Submission(
        name="sce_without_shift",
        mistake="the softmax cross-entropy without subtracting the row maxima: overflow for large logits",
        edits={"softmax_cross_entropy": [("shifted = z - z.max(axis=1, keepdims=True)", "shifted = z")]},
        fails={"test_sce": "is inf"},
        score=FULL - 2,
    ),
    Submission(
        name="sce_global_maximum",
        mistake="the softmax cross-entropy subtracts the maximum of the whole array",
        edits={"softmax_cross_entropy": [("shifted = z - z.max(axis=1, keepdims=True)", "shifted = z - z.max()")]},
        fails={"test_sce": "each row's own maximum"},
        score=FULL - 2,
    ),
    Submission(
        name="sce_summed",
        mistake="the loss and its gradient are sums over the examples, not means",
        edits={"softmax_cross_entropy": [("-log_probs[rows, y].mean()", "-log_probs[rows, y].sum()"),
                                         ("return (g * dlogits / N,)", "return (g * dlogits,)")]},
        fails={"test_sce": "summed over the examples", "test_net": "the loss"},
        score=FULL - 4,
    ),
    Submission(
        name="sce_gradient_not_divided",
        mistake="the loss is a mean but its gradient is not divided by N",
        edits={"softmax_cross_entropy": [("return (g * dlogits / N,)", "return (g * dlogits,)")]},
        fails={"test_sce": "the 1/N of the mean is missing", "test_net": "grads['W2']"},
        score=FULL - 4,
    ),
    Submission(
        name="sce_ignores_upstream",
        mistake="the softmax cross-entropy's backward ignores the upstream gradient (right only when it is 1)",
        edits={"softmax_cross_entropy": [("return (g * dlogits / N,)", "return (dlogits / N,)")]},
        fails={"test_sce": "ignores the gradient arriving at it"},
        score=FULL - 2,
    ),
    Submission(
        name="net_penalty_without_half",
        mistake="the penalty reg * sum(W**2), without the 1/2",
        edits={"two_layer_net": [("0.5 * reg * penalty", "reg * penalty")]},
        fails={"test_net": "without the 1/2"},
        score=FULL - 2,
    ),
    Submission(
        name="net_biases_penalised",
        mistake="the penalty covers the biases too",
        edits={"two_layer_net": [("penalty = (W1 * W1).sum() + (W2 * W2).sum()",
                                  "penalty = (W1 * W1).sum() + (W2 * W2).sum() + (b1 * b1).sum() + (b2 * b2).sum()")]},
        fails={"test_net": "the biases are penalised"},
        score=FULL - 2,
    ),
    Submission(
        name="net_without_relu",
        mistake="the hidden layer without its ReLU",
        edits={"two_layer_net": [("hidden = (Tensor(X) @ W1 + b1).relu()", "hidden = Tensor(X) @ W1 + b1")]},
        fails={"test_net": "the ReLU is missing"},
        score=FULL - 2,
    ),
    # ---- correct, written another way -----------------------------------------------------------
    Submission(
        name="alt_kahn",
        mistake="correct: Kahn's algorithm (counting users) for the order",
        edits=order(KAHN),
        score=FULL,
    ),
    Submission(
        name="alt_two_phase_stack",
        mistake="correct: a depth-first search pushing (node, expanded) pairs",
        edits=order(TWO_PHASE_STACK),
        score=FULL,
    ),
    Submission(
        name="alt_operation_classes",
        mistake="correct: one class per operation with forward and backward methods, Kahn's order inside backward(), "
                "einsum, a stable sigmoid, a warning on every backward()",
        replace={CELL: OPERATION_CLASSES, "softmax_cross_entropy": SCE_FROM_OPERATIONS},
        score=FULL,
    ),
    Submission(
        name="alt_sce_from_operations",
        mistake="correct: the softmax cross-entropy built from the engine's operations (shift, exp, sum, log, one-hot)",
        replace={"softmax_cross_entropy": SCE_FROM_OPERATIONS},
        score=FULL,
    ),
    Submission(
        name="alt_composite_operations",
        mistake="correct: x - y as x + (-y), x / y as x * y ** -1, mean as sum / n, sigmoid as 1 / (1 + exp(-x))",
        edits={CELL: [
            ("        other = as_tensor(other)\n"
             "        return Tensor(self.data - other.data, (self, other), lambda g: (g, -g))",
             "        return self + (-as_tensor(other))"),
            ("        other = as_tensor(other)\n        return Tensor(self.data / other.data, (self, other),\n"
             "                      lambda g: (g / other.data, -g * self.data / other.data ** 2))",
             "        return self * as_tensor(other) ** -1"),
            ("        out = 0.5 * (1.0 + np.tanh(0.5 * self.data))    # 1 / (1 + exp(-x)), without overflow\n"
             "        return Tensor(out, (self,), lambda g: (g * out * (1.0 - out),))",
             "        return 1.0 / (1.0 + (-self).exp())")]},
        score=FULL,
    ),
    Submission(
        name="alt_prints_and_in_place",
        mistake="correct: prints the order it uses, adds into .grad in place (after unbroadcasting), copies the data",
        edits={CELL: [(ADD_TO_GRAD, "node.grad += grad"),
                      ("        for node in self._reverse_topological_order():\n            grad = grads.pop",
                       "        order = self._reverse_topological_order()\n"
                       "        print(f'backward() through {len(order)} Tensors')\n"
                       "        for node in order:\n            grad = grads.pop")]},
        score=FULL,
    ),
]
