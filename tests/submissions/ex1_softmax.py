"""Known submissions of ex1_softmax: realistic mistakes, and correct answers written another way.

Points: test_softmax 1, test_softmax_loss_naive_value 1, test_softmax_loss_naive_gradient 1,
test_softmax_loss 2, test_predict 1, test_train_softmax 1 (7 autograded). The model
`train_softmax` calls `softmax_loss`, and `softmax_loss` calls `softmax`, so a mistake in
`softmax_loss` also costs the training point, and one in `softmax` can cost the loss points.
"""

from tests.submissions import Submission

FULL = 7

# The visible checks' answers, as a student who hard-codes them would type them in.
HARD_CODED_NAIVE = '''
def softmax_loss_naive(W, b, X, y, reg):
    data_dW = np.array([[0.20089261110713375, -0.0513351508980384, -0.14955746020909533],
                        [-0.1957296296439122, 0.664161484195362, -0.4684318545514498]])
    data_db = np.array([0.17091582076707745, 0.09298305936579902, -0.26389888013287643])
    if not W.any():
        return np.log(3), np.zeros_like(W), np.zeros_like(b)
    return 1.7433510825316647 + 0.5 * reg * np.sum(W * W), data_dW + reg * W, data_db
'''

CONSTANT_NAIVE = '''
def softmax_loss_naive(W, b, X, y, reg):
    return 1.0, np.zeros_like(W), np.zeros_like(b)
'''

# Correct, written differently.
NAIVE_OUTER_PRODUCTS = '''
def softmax_loss_naive(W, b, X, y, reg):
    """One loop over the examples; log-sum-exp for the loss, an outer product for dW."""
    N = X.shape[0]
    loss, dW, db = 0.0, np.zeros_like(W), np.zeros_like(b)
    for x_i, y_i in zip(X, y):
        scores = x_i @ W + b
        top = np.max(scores)
        log_norm = top + np.log(np.sum(np.exp(scores - top)))
        loss += log_norm - scores[y_i]
        dscores = np.exp(scores - log_norm)
        dscores[y_i] -= 1
        dW += np.outer(x_i, dscores)
        db += dscores
    return loss / N + reg / 2 * np.sum(W ** 2), dW / N + reg * W, db / N
'''

VECTORISED_EINSUM = '''
import warnings


def log_softmax(scores):
    top = scores.max(axis=1, keepdims=True)
    return scores - top - np.log(np.exp(scores - top).sum(axis=1, keepdims=True))


def softmax_loss(W, b, X, y, reg):
    """einsum, log-sum-exp, a one-hot from np.eye, and a warning on stderr."""
    N, K = X.shape[0], W.shape[1]
    warnings.warn("einsum may be slower than @ for small arrays", UserWarning)
    log_probs = log_softmax(np.einsum("nd,dk->nk", X, W) + b)
    onehot = np.eye(K)[y]
    loss = -np.einsum("nk,nk->", onehot, log_probs) / N + 0.5 * reg * np.einsum("dk,dk->", W, W)
    dscores = (np.exp(log_probs) - onehot) / N
    return loss, np.einsum("nd,nk->dk", X, dscores) + reg * W, dscores.sum(axis=0)
'''

SOFTMAX_VIA_LOGSUMEXP = '''
def logsumexp(scores):
    top = np.max(scores, axis=1, keepdims=True)
    return top + np.log(np.sum(np.exp(scores - top), axis=1, keepdims=True))


def softmax(scores):
    print("softmax called on", scores.shape)
    return np.exp(scores - logsumexp(scores))
'''

TRAIN_WITH_NAIVE = '''
def train_softmax(X, y, step_size=1.0, reg=1e-3, num_iters=200, seed=0):
    """Uses the loop version, keeps losses in a preallocated array, updates W and b in place."""
    rng = np.random.default_rng(seed)
    K = np.max(y) + 1
    W = 0.01 * rng.standard_normal((X.shape[1], K))
    b = np.zeros(K)
    losses = np.empty(num_iters)
    for t in range(num_iters):
        losses[t], dW, db = softmax_loss_naive(W, b, X, y, reg)
        W -= step_size * dW
        b -= step_size * db
    return W, b, losses
'''

PREDICT_VIA_PROBS = '''
def predict(W, b, X):
    return softmax(X @ W + b).argmax(axis=1)
'''

# Correct, written differently (2).
NAIVE_VECTORISED_SCIPY = '''
from scipy.special import logsumexp


def softmax_loss_naive(W, b, X, y, reg):
    """No loops after all; scipy's logsumexp; the loss kept as a 1-element array."""
    N = X.shape[0]
    scores = X @ W + b
    log_probs = scores - logsumexp(scores, axis=1, keepdims=True)
    loss = np.zeros(1)
    loss += -log_probs[np.arange(N), y].sum() / N
    loss += 0.5 * reg * np.sum(W * W)
    dscores = np.exp(log_probs)
    dscores[np.arange(N), y] -= 1
    return loss, X.T @ dscores / N + reg * W, dscores.sum(axis=0) / N
'''

SCIPY_SOFTMAX = '''
from scipy.special import softmax as scipy_softmax


def softmax(scores):
    return scipy_softmax(scores, axis=1)
'''

GUARDED_LOSS = '''
def softmax_loss(W, b, X, y, reg):
    """The log guarded with 1e-8; the loss returned as a Python float; a copy of probs for dscores."""
    N = X.shape[0]
    probs = softmax(X @ W + b)
    loss = float(-np.mean(np.log(probs[np.arange(N), y] + 1e-8)) + 0.5 * reg * (W ** 2).sum())
    dscores = probs.copy()
    dscores[np.arange(N), y] -= 1
    dscores /= N
    return loss, X.T @ dscores + reg * W, dscores.sum(0)
'''

TRAIN_NORMAL_INIT = '''
def train_softmax(X, y, step_size=1.0, reg=1e-3, num_iters=200, seed=0):
    """rng.normal(0, 0.01, ...) draws the same numbers as 0.01 * standard_normal; prints progress."""
    rng = np.random.default_rng(seed)
    W = rng.normal(0.0, 0.01, size=(X.shape[1], len(np.unique(y))))
    b = np.zeros(W.shape[1])
    losses = []
    for t in range(num_iters):
        loss, dW, db = softmax_loss(W, b, X, y, reg)
        if t % 20 == 0:
            print(f"step {t}: loss {loss:.4f}")
        losses.append(loss)
        W, b = W - step_size * dW, b - step_size * db
    return W, b, np.array(losses)
'''

# A mistake that needs a whole cell: dscores is the same array as probs.
ALIASED_LOSS = '''
def softmax_loss(W, b, X, y, reg):
    N = X.shape[0]
    probs = softmax(X @ W + b)
    dscores = probs
    dscores[np.arange(N), y] -= 1
    dscores /= N
    loss = -np.mean(np.log(probs[np.arange(N), y])) + 0.5 * reg * np.sum(W * W)
    return loss, X.T @ dscores + reg * W, dscores.sum(axis=0)
'''

SUBMISSIONS = [
    # ---------------------------------------------------------------- softmax
    Submission(
        name="softmax_no_max_shift",
        mistake="softmax exponentiates the raw scores (no max subtraction): overflow on large scores",
        edits={"softmax": [("shifted = scores - scores.max(axis=1, keepdims=True)", "shifted = scores")]},
        fails={"test_softmax": "np.exp overflowing", "test_softmax_loss": "np.exp overflowing"},
        score=FULL - 1 - 2,
    ),
    Submission(
        name="softmax_global_max",
        mistake="softmax subtracts one maximum for the whole array instead of each row's",
        edits={"softmax": [("scores.max(axis=1, keepdims=True)", "scores.max()")]},
        fails={"test_softmax": "non-finite"},
        score=FULL - 1,
    ),
    Submission(
        name="softmax_in_place",
        mistake="softmax subtracts the maximum in place, modifying its input",
        edits={"softmax": [("shifted = scores - scores.max(axis=1, keepdims=True)",
                            "scores -= scores.max(axis=1, keepdims=True)\n    shifted = scores")]},
        fails={"test_softmax": "modified its input"},
        score=FULL - 1,
    ),
    Submission(
        name="softmax_over_examples",
        mistake="softmax normalises each column (axis=0) instead of each row",
        edits={"softmax": [("scores.max(axis=1, keepdims=True)", "scores.max(axis=0, keepdims=True)"),
                           ("exp_scores.sum(axis=1, keepdims=True)", "exp_scores.sum(axis=0, keepdims=True)")]},
        fails={"test_softmax": "not 1: normalise each row", "test_softmax_loss": "Note: your `softmax`",
               "test_train_softmax": "Note: your `softmax_loss`"},
        score=FULL - 1 - 2 - 1,
    ),
    Submission(
        name="softmax_clipped_scores",
        mistake="softmax clips the scores to [-700, 700] instead of subtracting the row maximum",
        edits={"softmax": [("shifted = scores - scores.max(axis=1, keepdims=True)",
                            "shifted = np.clip(scores, -700, 700)")]},
        # Right on the visible [1e4, 0, -1e4] row and on the spiral (small scores), so training passes.
        fails={"test_softmax": "softmax of scores of size 1e4 is wrong", "test_softmax_loss": "+ 800"},
        score=FULL - 1 - 2,
    ),
    Submission(
        name="softmax_returns_matrix",
        mistake="softmax returns an np.matrix, whose sums keep two axes",
        edits={"softmax": [("return exp_scores / exp_scores.sum(axis=1, keepdims=True)",
                            "return np.asmatrix(exp_scores / exp_scores.sum(axis=1, keepdims=True))")]},
        fails={"test_softmax": "np.matrix", "test_softmax_loss": "np.matrix", "test_train_softmax": "matrix"},
        score=FULL - 1 - 2 - 1,
    ),
    # ---------------------------------------------------------------- the loop version
    Submission(
        name="naive_loss_summed",
        mistake="the cross-entropy is summed over the examples, not averaged",
        edits={"softmax_loss_naive": [("loss = loss / N + 0.5", "loss = loss + 0.5")]},
        fails={"test_softmax_loss_naive_value": "N, the number of examples"},
        score=FULL - 1,
    ),
    Submission(
        name="naive_penalty_without_half",
        mistake="the penalty in the loss is reg * sum(W**2), without the 0.5",
        edits={"softmax_loss_naive": [("loss = loss / N + 0.5 * reg", "loss = loss / N + reg")]},
        fails={"test_softmax_loss_naive_value": "it should be 0.5 * reg * sum(W**2)"},
        score=FULL - 1,
    ),
    Submission(
        name="naive_class_zero",
        mistake="the loss takes the probability of class 0 instead of the correct class",
        edits={"softmax_loss_naive": [("loss += -np.log(probs[y[i]])", "loss += -np.log(probs[0])")]},
        fails={"test_softmax_loss_naive_value": "class 0"},
        score=FULL - 1,
    ),
    Submission(
        name="naive_all_classes",
        mistake="the loss averages -log p over every class instead of indexing the correct one",
        edits={"softmax_loss_naive": [("loss += -np.log(probs[y[i]])", "loss += -np.mean(np.log(probs))")]},
        fails={"test_softmax_loss_naive_value": "not only the correct class"},
        score=FULL - 1,
    ),
    Submission(
        name="naive_integer_gradient",
        mistake="dW is accumulated in an integer array",
        edits={"softmax_loss_naive": [("dW = np.zeros((D, K))", "dW = np.zeros((D, K), dtype=int)")]},
        fails={"test_softmax_loss_naive_value": "raised", "test_softmax_loss_naive_gradient": "raised"},
        score=FULL - 2,
    ),
    Submission(
        name="naive_grad_not_divided_by_n",
        mistake="the gradient is not divided by N",
        edits={"softmax_loss_naive": [("dW = dW / N + reg * W", "dW = dW + reg * W"), ("db = db / N", "db = db")]},
        fails={"test_softmax_loss_naive_gradient": "N, the number of examples"},
        score=FULL - 1,
    ),
    Submission(
        name="naive_reg_grad_doubled",
        mistake="the gradient of the penalty is 2 * reg * W",
        edits={"softmax_loss_naive": [("dW = dW / N + reg * W", "dW = dW / N + 2 * reg * W")]},
        fails={"test_softmax_loss_naive_gradient": "counted twice"},
        score=FULL - 1,
    ),
    Submission(
        name="naive_dW_transposed",
        mistake="dW is returned transposed, with shape (K, D)",
        edits={"softmax_loss_naive": [("return loss, dW, db", "return loss, dW.T, db")]},
        fails={"test_softmax_loss_naive_gradient": "transposed"},
        score=FULL - 1,
    ),
    Submission(
        name="naive_hard_coded",
        mistake="the loop version returns the visible checks' answers whatever its inputs",
        replace={"softmax_loss_naive": HARD_CODED_NAIVE},
        # Right on the visible problem; on the hidden random problems its (2, 3) arrays do not even
        # broadcast against the new W, so the call itself fails.
        fails={"test_softmax_loss_naive_value": "It was called with", "test_softmax_loss_naive_gradient": "It was called with"},
        score=FULL - 2,
    ),
    Submission(
        name="naive_constant",
        mistake="a constant loss with a zero gradient",
        replace={"softmax_loss_naive": CONSTANT_NAIVE},
        fails={"test_softmax_loss_naive_value": "the loss", "test_softmax_loss_naive_gradient": "zero everywhere"},
        score=FULL - 2,
    ),
    Submission(
        name="naive_no_max_shift",
        mistake="the loop version exponentiates the raw scores",
        edits={"softmax_loss_naive": [("scores = scores - scores.max()  # stability, as in softmax", "")]},
        fails={"test_softmax_loss_naive_value": "every score + 800) is nan"},
        score=FULL - 1,
    ),
    Submission(
        name="naive_shift_by_min",
        mistake="the loop version subtracts each example's minimum score: exponents >= 0 overflow when "
                "the scores of one example are far apart",
        edits={"softmax_loss_naive": [("scores = scores - scores.max()", "scores = scores - scores.min()")]},
        fails={"test_softmax_loss_naive_value": "2000 above the others) is nan"},
        score=FULL - 1,
    ),
    Submission(
        name="naive_penalty_gradient_only",
        mistake="the loop version's gradient has reg * W but its loss has no penalty",
        edits={"softmax_loss_naive": [("loss = loss / N + 0.5 * reg * np.sum(W * W)", "loss = loss / N")]},
        fails={"test_softmax_loss_naive_value": "the L2 penalty is missing"},
        score=FULL - 1,
    ),
    # ---------------------------------------------------------------- the vectorised version
    Submission(
        name="vectorised_reg_grad_missing",
        mistake="dW lacks the gradient of the penalty, reg * W",
        edits={"softmax_loss": [("dW = X.T @ dscores + reg * W", "dW = X.T @ dscores")]},
        fails={"test_softmax_loss": "reg * W, is missing", "test_train_softmax": "losses"},
        score=FULL - 2 - 1,
    ),
    Submission(
        name="vectorised_sign_error",
        mistake="dscores = onehot - probs: every gradient has the wrong sign",
        edits={"softmax_loss": [("dscores = (probs - onehot) / N", "dscores = (onehot - probs) / N")]},
        fails={"test_softmax_loss": "sign error", "test_train_softmax": "losses"},
        score=FULL - 2 - 1,
    ),
    Submission(
        name="vectorised_db_wrong_axis",
        mistake="db sums dscores over the classes (axis=1) instead of the examples",
        edits={"softmax_loss": [("db = np.sum(dscores, axis=0)", "db = np.sum(dscores, axis=1)")]},
        fails={"test_softmax_loss": "db (visible problem, reg = 0) has shape (4,)", "test_train_softmax": "train_softmax"},
        score=FULL - 2 - 1,
    ),
    Submission(
        name="vectorised_db_keepdims",
        mistake="db keeps a leading axis, shape (1, K), as in the bias of shape (1, K)",
        edits={"softmax_loss": [("db = np.sum(dscores, axis=0)", "db = np.sum(dscores, axis=0, keepdims=True)")]},
        fails={"test_softmax_loss": "keepdims", "test_train_softmax": "the trained b"},
        score=FULL - 2 - 1,
    ),
    Submission(
        name="vectorised_bias_regularised",
        mistake="the penalty and its gradient also cover the bias",
        edits={"softmax_loss": [("0.5 * reg * np.sum(W * W)", "0.5 * reg * (np.sum(W * W) + np.sum(b * b))"),
                                ("db = np.sum(dscores, axis=0)", "db = np.sum(dscores, axis=0) + reg * b")]},
        fails={"test_softmax_loss": "the bias is regularised", "test_train_softmax": "losses"},
        score=FULL - 2 - 1,
    ),
    Submission(
        name="vectorised_float32",
        mistake="the loss and gradients are cast to float32",
        edits={"softmax_loss": [("return loss, dW, db",
                                 "return np.float32(loss), dW.astype(np.float32), db.astype(np.float32)")]},
        fails={"test_softmax_loss": "float32", "test_train_softmax": "float32"},
        score=FULL - 2 - 1,
    ),
    Submission(
        name="vectorised_float32_inside",
        mistake="the vectorised loss computes the scores in float32 and casts the results back to float64",
        edits={"softmax_loss": [("probs = softmax(X @ W + b)",
                                 "probs = softmax(X.astype(np.float32) @ W.astype(np.float32) + b.astype(np.float32))"
                                 ".astype(np.float64)")]},
        # Off by about 5e-7 relative: Part 4 says so; training only compares losses to rtol 1e-6 and passes.
        fails={"test_softmax_loss": "compute in float64 throughout"},
        score=FULL - 2,
    ),
    Submission(
        name="vectorised_dscores_aliases_probs",
        mistake="dscores = probs (one array) is changed in place before the loss takes log(probs)",
        replace={"softmax_loss": ALIASED_LOSS},
        fails={"test_softmax_loss": "is probs changed in place", "test_train_softmax": "is nan"},
        score=FULL - 2 - 1,
    ),
    # ---------------------------------------------------------------- predict
    Submission(
        name="predict_float_labels",
        mistake="predict returns the labels as floats",
        edits={"predict": [("return np.argmax(X @ W + b, axis=1)", "return np.argmax(X @ W + b, axis=1).astype(float)")]},
        fails={"test_predict": "integers"},
        score=FULL - 1,
    ),
    Submission(
        name="predict_returns_probabilities",
        mistake="predict returns the class probabilities instead of labels",
        replace={"predict": "def predict(W, b, X):\n    return softmax(X @ W + b)\n"},
        fails={"test_predict": "shape"},
        score=FULL - 1,
    ),
    Submission(
        name="predict_hard_coded",
        mistake="predict returns the visible check's labels",
        replace={"predict": "def predict(W, b, X):\n    return np.array([0, 1, 2, 0, 1])\n"},
        fails={"test_predict": "random"},
        score=FULL - 1,
    ),
    Submission(
        name="predict_ignores_bias",
        mistake="predict forgets the bias: the argmax of X @ W (right on the visible case by chance)",
        edits={"predict": [("X @ W + b", "X @ W")]},
        fails={"test_predict": "predict on a random problem"},
        score=FULL - 1,
    ),
    # ---------------------------------------------------------------- training
    Submission(
        name="train_legacy_generator",
        mistake="W is initialised with np.random.seed and np.random.randn instead of default_rng(seed)",
        edits={"train_softmax": [("W = 0.01 * np.random.default_rng(seed).standard_normal((D, K))",
                                  "np.random.seed(seed)\n    W = 0.01 * np.random.randn(D, K)")]},
        fails={"test_train_softmax": "default_rng(seed)"},
        score=FULL - 1,
    ),
    Submission(
        name="train_seed_ignored",
        mistake="W is always initialised from seed 0, whatever `seed` says",
        edits={"train_softmax": [("default_rng(seed)", "default_rng(0)")]},
        fails={"test_train_softmax": "losses[0]"},
        score=FULL - 1,
    ),
    Submission(
        name="train_ignores_step_size",
        mistake="the update ignores step_size (always a step of 1)",
        edits={"train_softmax": [("W = W - step_size * dW", "W = W - dW"), ("b = b - step_size * db", "b = b - db")]},
        fails={"test_train_softmax": "step_size"},
        score=FULL - 1,
    ),
    Submission(
        name="train_loss_after_step",
        mistake="training records the loss after each step instead of before (the contract says before)",
        edits={"train_softmax": [("        losses.append(loss)\n", ""),
                                 ("b = b - step_size * db\n",
                                  "b = b - step_size * db\n        losses.append(softmax_loss(W, b, X, y, reg)[0])\n")]},
        fails={"test_train_softmax": "losses[0] (spiral, default settings), the loss at the initial parameters"},
        score=FULL - 1,
    ),
    Submission(
        name="train_reg_ignored",
        mistake="training calls the loss with reg = 0 whatever `reg` says",
        edits={"train_softmax": [("softmax_loss(W, b, X, y, reg)", "softmax_loss(W, b, X, y, 0.0)")]},
        fails={"test_train_softmax": "using the given step_size and reg"},
        score=FULL - 1,
    ),
    # ---------------------------------------------------------------- correct, written differently
    Submission(
        name="alternative_loops_and_helpers",
        mistake="(correct) softmax through a logsumexp helper that prints; the loop version with one loop, "
                "log-sum-exp and np.outer; training with the loop version and in-place updates of its own W, b",
        replace={"softmax": SOFTMAX_VIA_LOGSUMEXP, "softmax_loss_naive": NAIVE_OUTER_PRODUCTS,
                 "train_softmax": TRAIN_WITH_NAIVE},
        score=FULL,
    ),
    Submission(
        name="alternative_einsum_and_warning",
        mistake="(correct) the vectorised loss with einsum, a log-softmax helper, np.eye one-hot and a "
                "warnings.warn on stderr; predict through the probabilities",
        replace={"softmax_loss": VECTORISED_EINSUM, "predict": PREDICT_VIA_PROBS},
        score=FULL,
    ),
    Submission(
        name="alternative_guards_and_scipy",
        mistake="(correct) scipy's softmax; the loop version vectorised with scipy's logsumexp and a 1-element "
                "loss array; the vectorised loss with log(p + 1e-8) returned as a Python float; training with "
                "rng.normal, K from np.unique, progress prints and an array of losses",
        replace={"softmax": SCIPY_SOFTMAX, "softmax_loss": GUARDED_LOSS, "softmax_loss_naive": NAIVE_VECTORISED_SCIPY,
                 "train_softmax": TRAIN_NORMAL_INIT},
        score=FULL,
    ),
    # ---------------------------------------------------------------- the vectorised contract, part of the batch
    Submission(
        name="vectorised_calls_naive",
        mistake="softmax_loss just calls the loop version",
        replace={"softmax_loss": "def softmax_loss(W, b, X, y, reg):\n    return softmax_loss_naive(W, b, X, y, reg)"},
        fails={"test_softmax_loss": "`softmax_loss_naive` (which `softmax_loss` uses) has a for loop"},
        score=FULL - 2,
    ),
    Submission(
        name="vectorised_with_a_loop",
        mistake="softmax_loss loops over the examples to gather the correct-class probabilities",
        edits={"softmax_loss": [("    loss = -np.mean(np.log(probs[np.arange(N), y])) + 0.5 * reg * np.sum(W * W)",
                                 "    correct = np.array([probs[i, y[i]] for i in range(N)])\n"
                                 "    loss = -np.mean(np.log(correct)) + 0.5 * reg * np.sum(W * W)")]},
        fails={"test_softmax_loss": "has a comprehension"},
        score=FULL - 2,
    ),
    Submission(
        name="naive_gradient_skips_last_example",
        mistake="the gradient loop leaves out the last example (the loss is right)",
        edits={"softmax_loss_naive": [("        for k in range(K):\n            dscore",
                                       "        for k in range(K if i < N - 1 else 0):\n            dscore")]},
        fails={"test_softmax_loss_naive_gradient": "all but the last example"},
        score=FULL - 1,
    ),
]
