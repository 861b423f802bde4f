"""Known submissions of exercise 2 (two-layer ReLU net, 2-2-1 tanh/sigmoid net): 17 automatic points.

Points per test cell: init 1, scores 1, loss 2, gradients 4, predict 1, train 2 (Part A);
net221_loss 3, predict_221 1, train_221 2 (Part B). A backward-pass mistake costs the gradient
test and the training test (training follows the wrong gradient); a crash in the backward pass
also costs the loss test, since no loss is returned.
"""

from tests.submissions import Submission

MASK = "dhidden_in = dhidden * (hidden_in > 0)     # the ReLU mask"

SUBMISSIONS = [
    # ---- Part A: the backward pass -------------------------------------------------------
    Submission(
        name="relu_mask_inverted",
        mistake="the ReLU mask keeps the gradient where the unit was inactive",
        edits={"two_layer_loss": [(MASK, "dhidden_in = dhidden * (hidden_in <= 0)")]},
        fails={"test_two_layer_grads": "ReLU mask", "test_train_two_layer": "losses"},
        score=11,
    ),
    Submission(
        name="relu_mask_dropped",
        mistake="the gradient skips the ReLU: dL/dZ = dL/dA",
        edits={"two_layer_loss": [(MASK, "dhidden_in = dhidden")]},
        fails={"test_two_layer_grads": "ReLU mask", "test_train_two_layer": "losses"},
        score=11,
    ),
    Submission(
        name="relu_mask_from_gradient",
        mistake="the mask is built from the upstream gradient instead of the forward pass",
        edits={"two_layer_loss": [(MASK, "dhidden_in = dhidden * (dhidden > 0)")]},
        fails={"test_two_layer_grads": "ReLU mask", "test_train_two_layer": "losses"},
        score=11,
    ),
    Submission(
        name="relu_mask_without_b1",
        mistake="the mask is computed from X @ W1, forgetting b1",
        edits={"two_layer_loss": [(MASK, "dhidden_in = dhidden * (X @ W1 > 0)")]},
        fails={"test_two_layer_grads": "ReLU mask", "test_train_two_layer": "losses"},
        score=11,
    ),
    Submission(
        name="grad_not_divided_by_n",
        mistake="dL/dS is not divided by N (the loss is still a mean)",
        edits={"two_layer_loss": [("    dscores /= N\n", "")]},
        fails={"test_two_layer_grads": "(P - Y) / N", "test_train_two_layer": "losses"},
        score=11,
    ),
    Submission(
        name="biases_regularised",
        mistake="the L2 penalty and its gradient include the biases",
        edits={"two_layer_loss": [
            ("np.sum(W1 * W1) + np.sum(W2 * W2))", "np.sum(W1 * W1) + np.sum(W2 * W2) + np.sum(b1 * b1) + np.sum(b2 * b2))"),
            ("db2 = dscores.sum(axis=0)", "db2 = dscores.sum(axis=0) + reg * b2"),
            ("db1 = dhidden_in.sum(axis=0)", "db1 = dhidden_in.sum(axis=0) + reg * b1")]},
        fails={"test_two_layer_loss": "the loss", "test_two_layer_grads": "grads['b2']",
               "test_train_two_layer": "losses"},
        score=9,
    ),
    Submission(
        name="dw2_transposed",
        mistake="dW2 computed as dScores^T A, shape (K, H) instead of (H, K)",
        edits={"two_layer_loss": [("dW2 = hidden.T @ dscores + reg * W2", "dW2 = dscores.T @ hidden + reg * W2.T")]},
        fails={"test_two_layer_grads": "looks transposed", "test_train_two_layer": "train_two_layer"},
        score=11,
    ),
    Submission(
        name="w2_not_transposed",
        mistake="W2 used where W2^T belongs: dL/dA = dScores @ W2",
        edits={"two_layer_loss": [("dhidden = dscores @ W2.T", "dhidden = dscores @ W2")]},
        fails={"test_two_layer_loss": "raised ValueError", "test_two_layer_grads": "raised ValueError",
               "test_train_two_layer": "raised ValueError"},
        score=9,
    ),
    Submission(
        name="bias_grad_wrong_axis",
        mistake="db2 summed over the classes (axis=1) instead of the examples",
        edits={"two_layer_loss": [("db2 = dscores.sum(axis=0)", "db2 = dscores.sum(axis=1)")]},
        fails={"test_two_layer_grads": "grads['b2']", "test_train_two_layer": "train_two_layer"},
        score=11,
    ),
    Submission(
        name="bias_grad_keepdims",
        mistake="db1 kept as a (1, H) row (keepdims=True)",
        edits={"two_layer_loss": [("db1 = dhidden_in.sum(axis=0)", "db1 = dhidden_in.sum(axis=0, keepdims=True)")]},
        fails={"test_two_layer_grads": "keepdims", "test_train_two_layer": "params['b1']"},
        score=11,
    ),
    Submission(
        name="no_max_subtraction",
        mistake="exp of the raw scores: overflows for large scores",
        edits={"two_layer_loss": [("shifted = scores - scores.max(axis=1, keepdims=True)", "shifted = scores")]},
        fails={"test_two_layer_loss": "maximum"},
        score=15,
    ),
    Submission(
        name="aliasing_modifies_params",
        mistake="dW2 = W2; dW2 *= reg: the alias changes params['W2'] in place",
        edits={"two_layer_loss": [("dW2 = hidden.T @ dscores + reg * W2",
                                   "dW2 = W2\n    dW2 *= reg\n    dW2 += hidden.T @ dscores")]},
        fails={"test_two_layer_loss": "in place", "test_two_layer_grads": "in place",
               "test_train_two_layer": "losses"},
        score=9,
    ),
    # ---- Part B: the 2-2-1 network ------------------------------------------------------------
    Submission(
        name="tanh_derivative_of_input",
        mistake="tanh'(z) written as 1 - z**2 instead of 1 - tanh(z)**2",
        edits={"net221_loss": [("(1.0 - hidden ** 2)", "(1.0 - (X @ params[\"W1\"] + b1) ** 2)")]},
        fails={"test_net221_loss": "grads['W1']", "test_train_221": "non-finite"},
        score=12,
    ),
    Submission(
        name="sigmoid_derivative_missing",
        mistake="the gradient skips the sigmoid's derivative p (1 - p)",
        edits={"net221_loss": [("dscore = (2.0 / N) * (p - y) * p * (1.0 - p)", "dscore = (2.0 / N) * (p - y)")]},
        fails={"test_net221_loss": "grads['W2']", "test_train_221": "losses"},
        score=12,
    ),
    Submission(
        name="use_bias_ignored",
        mistake="the biases in params are used even when use_bias=False",
        edits={"net221_loss": [('b1 = params["b1"] if use_bias else 0.0', 'b1 = params.get("b1", 0.0)'),
                               ('b2 = params["b2"] if use_bias else 0.0', 'b2 = params.get("b2", 0.0)')]},
        fails={"test_net221_loss": "ignore params['b1']"},
        score=14,
    ),
    # ---- correct answers written another way: full marks ----------------------------------------
    Submission(
        name="relu_grad_at_zero_is_one",
        mistake="none: ReLU'(0) taken as 1 (a valid subgradient)",
        edits={"two_layer_loss": [(MASK, "dhidden_in = dhidden * (hidden_in >= 0)")]},
        score=17,
    ),
    Submission(
        name="cs231n_style_einsum_warning",
        mistake="none: einsum, log-sum-exp via np.logaddexp, the cs231n in-place mask, and a warning",
        replace={"two_layer_loss": '''import warnings

def two_layer_loss(params, X, y=None, reg=0.0):
    """Scores, or loss and gradients, of the two-layer ReLU network."""
    hidden = np.maximum(0, np.einsum("nd,dh->nh", X, params["W1"]) + params["b1"])
    scores = np.einsum("nh,hk->nk", hidden, params["W2"]) + params["b2"]
    if y is None:
        return scores
    warnings.warn("this is a slow einsum version", RuntimeWarning)
    N = len(y)
    log_norm = np.logaddexp.reduce(scores, axis=1)
    loss = np.mean(log_norm - scores[np.arange(N), y])
    loss += 0.5 * reg * (np.sum(params["W1"] ** 2) + np.sum(params["W2"] ** 2))
    dscores = np.exp(scores - log_norm[:, None])
    dscores[np.arange(N), y] -= 1
    dscores /= N
    dhidden = dscores @ params["W2"].T
    dhidden[hidden <= 0] = 0
    return loss, {"W1": X.T @ dhidden + reg * params["W1"], "b1": np.sum(dhidden, axis=0),
                  "W2": hidden.T @ dscores + reg * params["W2"], "b2": np.sum(dscores, axis=0)}'''},
        score=17,
    ),
    Submission(
        name="train_in_place_on_copies",
        mistake="none: in-place updates, but on the function's own arrays",
        replace={"train_two_layer": '''def train_two_layer(X, y, H=100, step_size=1.0, reg=1e-3, num_iters=10000, seed=0):
    """Full-batch gradient descent on the two-layer net."""
    params = init_two_layer(X.shape[1], H, int(np.max(y)) + 1, seed=seed)
    losses = np.zeros(num_iters)
    for t in range(num_iters):
        losses[t], grads = two_layer_loss(params, X, y, reg)
        for name in params:
            params[name] -= step_size * grads[name]
    return params, losses'''},
        score=17,
    ),
    Submission(
        name="sigmoid_via_tanh_and_einsum",
        mistake="none: sigmoid written with tanh, zero biases when use_bias=False, einsum for the sums",
        replace={"net221_loss": '''def net221_loss(params, X, y, use_bias=True):
    """Mean squared error of the 2-2-1 network and its gradients."""
    b1, b2 = (params["b1"], params["b2"]) if use_bias else (np.zeros(2), np.zeros(1))
    h = np.tanh(np.einsum("nd,dh->nh", X, params["W1"]) + b1)
    p = 0.5 * (1 + np.tanh(0.5 * (h @ params["W2"] + b2)))        # (N, 1)
    error = p - y[:, None]
    delta = 2 * error * p * (1 - p) / len(y)                        # (N, 1)
    dz = delta * params["W2"].T * (1 - h ** 2)                      # (N, 2)
    grads = {"W1": np.einsum("nd,nh->dh", X, dz), "W2": np.einsum("nh,nk->hk", h, delta)}
    if use_bias:
        grads["b1"], grads["b2"] = dz.sum(axis=0), delta.sum(axis=0)
    return float(np.mean(error ** 2)), grads'''},
        score=17,
    ),
]
