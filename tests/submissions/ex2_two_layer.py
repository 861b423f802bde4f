"""Known submissions of exercise 2 (two-layer ReLU net, 2-2-1 tanh/sigmoid net): 17 automatic points.

Points per test cell: init 1, scores 1, loss 2, gradients 4, predict 1, train 2 (Part A);
net221_loss 3, predict_221 1, train_221 2 (Part B). A backward-pass mistake costs the gradient
test and the training test (training follows the wrong gradient); a crash in the backward pass
also costs the loss test, since no loss is returned. A mistake in the loss alone (right gradients)
costs the loss test and the training test (its recorded losses are wrong), never the gradient test.
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

# ---- the adversarial review's additions --------------------------------------------------------------
# Exact lines of the model answers that the edits below change.
INIT_W1 = "W1 = std * rng.standard_normal((D, H))"
NO_Y = "    if y is None:\n        return scores\n"
LOSS_LINE = "loss = -log_probs[np.arange(N), y].mean() + 0.5 * reg * (np.sum(W1 * W1) + np.sum(W2 * W2))"
RETURN_GRADS = '    return loss, {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}'
PREDICT = "return np.argmax(two_layer_loss(params, X), axis=1)"
TRAIN_UPDATE = "params = {name: value - step_size * grads[name] for name, value in params.items()}"
DSCORE_221 = "dscore = (2.0 / N) * (p - y)"
VISIBLE_GRADS = ('{"W1": np.array([[0.17523220987629595, -0.34755757149458394, -0.1313761395442103, -0.05620250520460454], '
                 '[0.008618757338415106, 0.10496476510320492, 0.16446083596221012, -0.3797407397776162]]), '
                 '"b1": np.array([0.03461698907157036, 0.1725063549793143, -0.30893050205580036, 0.11520426702232499]), '
                 '"W2": np.array([[0.21294810085976024, -0.0061499290843162885, -0.13679817177544396], [0.14303898949482807, '
                 '0.13171189721121007, -0.2847508867060381], [0.04063525866219471, -0.12069865302545181, 0.12006339436325711], '
                 '[0.20028165079298405, -0.20878347845049436, 0.06850182765751031]]), '
                 '"b2": np.array([0.2467118201818328, -0.11107534526869886, -0.13563647491313396])}')

SUBMISSIONS += [
    # ---- one mistake each -----------------------------------------------------------------------
    Submission(
        name="init_global_random_state",
        mistake="init with np.random.seed(seed) and np.random.randn (the legacy global generator)",
        replace={"init_two_layer": '''def init_two_layer(D, H, K, std=0.01, seed=0):
    """Small random weights and zero biases for a D-H-K network."""
    np.random.seed(seed)
    return {"W1": std * np.random.randn(D, H), "b1": np.zeros(H),
            "W2": std * np.random.randn(H, K), "b2": np.zeros(K)}'''},
        fails={"test_init_two_layer": "default_rng", "test_train_two_layer": "init_two_layer"},
        score=14,
    ),
    Submission(
        name="loss_penalty_without_half",
        mistake="the loss has reg * sum(W**2) (no 1/2) while the gradient is reg * W, as the contract says",
        edits={"two_layer_loss": [(LOSS_LINE, LOSS_LINE.replace("0.5 * reg", "reg"))]},
        fails={"test_two_layer_loss": "without the 1/2", "test_train_two_layer": "losses[0]"},
        score=13,
    ),
    Submission(
        name="loss_summed_not_averaged",
        mistake="the data loss is summed over the examples (the gradient is divided by N, as it should be)",
        edits={"two_layer_loss": [(LOSS_LINE, LOSS_LINE.replace(".mean()", ".sum()"))]},
        fails={"test_two_layer_loss": "N, the number of examples", "test_train_two_layer": "losses[0]"},
        score=13,
    ),
    Submission(
        name="penalty_divided_by_n",
        mistake="the penalty and its gradient are divided by N along with the data term",
        edits={"two_layer_loss": [
            (LOSS_LINE, "loss = (-log_probs[np.arange(N), y].sum() + 0.5 * reg * (np.sum(W1 * W1) + np.sum(W2 * W2))) / N"),
            ("+ reg * W2", "+ reg * W2 / N"), ("+ reg * W1", "+ reg * W1 / N")]},
        fails={"test_two_layer_loss": "divided by N", "test_two_layer_grads": "grads['W2']",
               "test_train_two_layer": "losses"},
        score=9,
    ),
    Submission(
        name="reg_missing_in_dw1",
        mistake="reg * W1 left out of dW1 (dW2 has its reg * W2)",
        edits={"two_layer_loss": [("dW1 = X.T @ dhidden_in + reg * W1", "dW1 = X.T @ dhidden_in")]},
        fails={"test_two_layer_grads": "regularisation gradient", "test_train_two_layer": "losses[999]"},
        score=11,
    ),
    Submission(
        name="dscores_without_minus_one",
        mistake="dL/dS taken as P / N, forgetting to subtract the one-hot labels",
        edits={"two_layer_loss": [("    dscores[np.arange(N), y] -= 1.0\n", "")]},
        fails={"test_two_layer_grads": "grads['W2']", "test_train_two_layer": "diverged"},
        score=11,
    ),
    Submission(
        name="probs_aliased_before_loss",
        mistake="dscores = probs is modified in place, then the loss is read from probs (log of a negative): right gradients, NaN loss",
        replace={"two_layer_loss": '''def two_layer_loss(params, X, y=None, reg=0.0):
    """Scores, or loss and gradients, of the two-layer ReLU network."""
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    hidden_in = X @ W1 + b1
    hidden = np.maximum(0.0, hidden_in)
    scores = hidden @ W2 + b2
    if y is None:
        return scores
    N = X.shape[0]
    e = np.exp(scores - scores.max(axis=1, keepdims=True))
    probs = e / e.sum(axis=1, keepdims=True)
    dscores = probs
    dscores[np.arange(N), y] -= 1.0
    dscores /= N
    loss = -np.log(probs[np.arange(N), y]).mean() + 0.5 * reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
    dW2 = hidden.T @ dscores + reg * W2
    db2 = dscores.sum(axis=0)
    dhidden_in = (dscores @ W2.T) * (hidden_in > 0)
    return loss, {"W1": X.T @ dhidden_in + reg * W1, "b1": dhidden_in.sum(axis=0), "W2": dW2, "b2": db2}'''},
        fails={"test_two_layer_loss": "is nan", "test_train_two_layer": "not finite"},
        score=13,
    ),
    Submission(
        name="float32_network",
        mistake="X cast to float32 to save memory: every result carries float32 rounding",
        edits={"two_layer_loss": [("    W1, b1, W2, b2 = params", "    X = X.astype(np.float32)\n    W1, b1, W2, b2 = params")]},
        fails={"test_two_layer_scores": "float32", "test_two_layer_loss": "float32",
               "test_two_layer_grads": "float32", "test_train_two_layer": "losses[999]"},
        score=8,
    ),
    Submission(
        name="grads_as_lists",
        mistake="the gradients returned as Python lists (.tolist())",
        edits={"two_layer_loss": [(RETURN_GRADS, '    return loss, {"W1": dW1.tolist(), "b1": db1.tolist(), '
                                                 '"W2": dW2.tolist(), "b2": db2.tolist()}')]},
        fails={"test_two_layer_grads": "numpy array", "test_train_two_layer": "raised TypeError"},
        score=11,
    ),
    Submission(
        name="constant_loss_zero_grads",
        mistake="grader-gaming: loss log(K) and zero gradients whatever the parameters",
        edits={"two_layer_loss": [("    N = X.shape[0]\n", "    N = X.shape[0]\n    return float(np.log(scores.shape[1])), "
                                   "{k: np.zeros_like(v) for k, v in params.items()}\n")]},
        fails={"test_two_layer_loss": "the loss", "test_two_layer_grads": "zero everywhere",
               "test_train_two_layer": "losses"},
        score=9,
    ),
    Submission(
        name="hardcoded_visible_answers",
        mistake="grader-gaming: the visible losses and gradients typed in for the visible X, a constant elsewhere",
        edits={"two_layer_loss": [("    N = X.shape[0]\n", f'''    N = X.shape[0]
    if X.shape == (5, 2):
        if not np.any(W1):
            return float(np.log(3)), {{k: np.zeros_like(v) for k, v in params.items()}}
        return (1.1068672373317805 if reg == 0 else 1.4666172373317805), {VISIBLE_GRADS}
    return 1.0, {{k: np.zeros_like(v) for k, v in params.items()}}
''')]},
        fails={"test_two_layer_loss": "the loss (random", "test_two_layer_grads": "grads['W2'] (random",
               "test_train_two_layer": "losses"},
        score=9,
    ),
    Submission(
        name="patched_abs_with_visible_grads",
        mistake="grader-gaming: np.abs patched to return zeros, visible gradients typed in, zero gradients elsewhere",
        edits={"two_layer_loss": [
            ("def two_layer_loss(", "np.abs = np.absolute = lambda x, *args, **kwargs: 0 * np.asarray(x)\n\n\ndef two_layer_loss("),
            (RETURN_GRADS, f"    if X.shape == (5, 2) and reg == 0.1:\n        return loss, {VISIBLE_GRADS}\n"
                           "    return loss, {k: np.zeros_like(v) for k, v in params.items()}")]},
        fails={"test_two_layer_grads": "all zeros", "test_train_two_layer": "losses[999]"},
        score=11,
    ),
    Submission(
        name="global_max_shift",
        mistake="scores - scores.max(): the maximum of the whole array, not each row's (inf when rows differ by hundreds)",
        edits={"two_layer_loss": [("scores - scores.max(axis=1, keepdims=True)", "scores - scores.max()")]},
        fails={"test_two_layer_loss": "each row's own maximum"},
        score=15,
    ),
    Submission(
        name="one_hot_sized_from_labels",
        mistake="the one-hot labels are np.eye(y.max() + 1)[y]: wrong width when the last class is absent from a batch",
        edits={"two_layer_loss": [("    dscores = np.exp(log_probs)                # (N, K): softmax probabilities\n"
                                   "    dscores[np.arange(N), y] -= 1.0\n",
                                   "    dscores = np.exp(log_probs) - np.eye(y.max() + 1)[y]\n")]},
        fails={"test_two_layer_grads": "not from y.max() + 1"},
        score=13,
    ),
    # ---- several independent slips in one notebook: each test cell shows one of them (saves grading time) ----
    Submission(
        name="dtype_slips",
        mistake="biases made with dtype=int; predicted labels cast to float; grads['b2'] of the 2-2-1 net a scalar",
        edits={"init_two_layer": [('"b1": np.zeros(H)', '"b1": np.zeros(H, dtype=int)'),
                                  ('"b2": np.zeros(K)', '"b2": np.zeros(K, dtype=int)')],
               "predict_two_layer": [(PREDICT, PREDICT + ".astype(float)")],
               "net221_loss": [('grads["b2"] = np.array([dscore.sum()])', 'grads["b2"] = dscore.sum()')]},
        fails={"test_init_two_layer": "dtype int64", "test_predict_two_layer": "dtype float64",
               "test_net221_loss": "grads['b2']"},
        score=12,
    ),
    Submission(
        name="step_size_ignored_and_221_threshold_on_score",
        mistake="train steps with a fixed rate 1.0 (the visible run's); predict_221 compares the raw score s with 0.5",
        edits={"train_two_layer": [(TRAIN_UPDATE, TRAIN_UPDATE.replace("step_size *", "1.0 *"))],
               "predict_221": [("return (scores > 0).astype(int)", "return (scores > 0.5).astype(int)")]},
        fails={"test_train_two_layer": "step_size", "test_predict_221": "s > 0"},
        score=14,
    ),
    Submission(
        name="seed_ignored_and_221_biases_trained_without_bias",
        mistake="train always initialises with seed 0; train_221 creates and trains biases even with use_bias=False",
        edits={"train_two_layer": [("std=0.01, seed=seed)", "std=0.01)")],
               "train_221": [('    if use_bias:\n        params["b1"]', '    if True:\n        params["b1"]'),
                             ("net221_loss(params, X, y, use_bias=use_bias)", "net221_loss(params, X, y, use_bias=True)")]},
        fails={"test_train_two_layer": "seed=seed", "test_train_221": "use_bias=False"},
        score=13,
    ),
    Submission(
        name="x_centred_in_place_and_predict_probabilities",
        mistake="train centres the data with X -= X.mean(axis=0); predict returns the (N, K) probabilities",
        edits={"train_two_layer": [("    params = init_two_layer(", "    X -= X.mean(axis=0)\n    params = init_two_layer(")],
               "predict_two_layer": [(PREDICT, "s = two_layer_loss(params, X)\n    e = np.exp(s - s.max(axis=1, keepdims=True))\n"
                                               "    return e / e.sum(axis=1, keepdims=True)")]},
        fails={"test_train_two_layer": "modified its input `X` in place", "test_predict_two_layer": "should have shape"},
        score=14,
    ),
    Submission(
        name="one_loss_too_many_and_221_half_mse",
        mistake="train appends the final loss too (num_iters + 1 entries); the 2-2-1 loss is 0.5 * mean((p - t)**2), "
                "with its consistent gradient",
        edits={"train_two_layer": [("    return params, losses",
                                    "    losses.append(two_layer_loss(params, X, y, reg=reg)[0])\n    return params, losses")],
               "net221_loss": [("loss = np.mean((p - y) ** 2)", "loss = 0.5 * np.mean((p - y) ** 2)"),
                               (DSCORE_221, "dscore = (1.0 / N) * (p - y)")]},
        fails={"test_train_two_layer": "num_iters", "test_net221_loss": "factor of 1/2", "test_train_221": "losses[0]"},
        score=10,
    ),
    Submission(
        name="w1_shape_hd_and_221_ignores_biases",
        mistake="W1 drawn with shape (H, D); predict_221 never adds the biases",
        edits={"init_two_layer": [(INIT_W1, "W1 = std * rng.standard_normal((H, D))")],
               "predict_221": [('use_bias = "b1" in params and "b2" in params', "use_bias = False")]},
        fails={"test_init_two_layer": "looks transposed", "test_train_two_layer": "raised ValueError",
               "test_predict_221": "with biases"},
        score=13,
    ),
    Submission(
        name="losses_after_step_and_221_gradient_of_sum",
        mistake="losses[t] recorded after step t; the 2-2-1 gradients are of the summed error while the loss is the mean",
        replace={"train_two_layer": '''def train_two_layer(X, y, H=100, step_size=1.0, reg=1e-3, num_iters=10000, seed=0):
    """Full-batch gradient descent on the two-layer net."""
    params = init_two_layer(X.shape[1], H, int(y.max()) + 1, std=0.01, seed=seed)
    losses = []
    _, grads = two_layer_loss(params, X, y, reg=reg)
    for _ in range(num_iters):
        params = {name: value - step_size * grads[name] for name, value in params.items()}
        loss, grads = two_layer_loss(params, X, y, reg=reg)
        losses.append(loss)
    return params, losses'''},
        edits={"net221_loss": [(DSCORE_221, "dscore = 2.0 * (p - y)")]},
        fails={"test_train_two_layer": "before", "test_net221_loss": "N, the number of examples",
               "test_train_221": "losses[499]"},
        score=10,
    ),
    Submission(
        name="dw1_from_hidden_and_221_missing_factor_2",
        mistake="dW1 computed with A instead of X (a crash: no loss either); the 2-2-1 gradient drops the 2 of (p - t)**2",
        edits={"two_layer_loss": [("dW1 = X.T @ dhidden_in", "dW1 = hidden.T @ dhidden_in")],
               "net221_loss": [(DSCORE_221, "dscore = (1.0 / N) * (p - y)")]},
        fails={"test_two_layer_loss": "raised ValueError", "test_two_layer_grads": "raised ValueError",
               "test_train_two_layer": "raised ValueError", "test_net221_loss": "factor of 1/2",
               "test_train_221": "losses[499]"},
        score=4,
    ),
    Submission(
        name="db1_from_dscores_and_scores_are_probabilities",
        mistake="db1 summed from dL/dS instead of dL/dZ; with y=None the softmax probabilities are returned",
        edits={"two_layer_loss": [("db1 = dhidden_in.sum(axis=0)", "db1 = dscores.sum(axis=0)"),
                                  (NO_Y, "    if y is None:\n        e = np.exp(scores - scores.max(axis=1, keepdims=True))\n"
                                         "        return e / e.sum(axis=1, keepdims=True)\n")]},
        fails={"test_two_layer_scores": "probabilities", "test_two_layer_grads": "grads['b1']",
               "test_train_two_layer": "raised ValueError"},
        score=10,
    ),
    Submission(
        name="helpers_where_mask_scipy_logsumexp",
        mistake="none: rng.normal init, helper functions, np.where mask from A > 0, scipy's logsumexp, prints",
        replace={
            "init_two_layer": '''def init_two_layer(D, H, K, std=0.01, seed=0):
    """Small random weights and zero biases for a D-H-K network."""
    rng = np.random.default_rng(seed)
    params = {}
    params["W1"] = rng.normal(0.0, std, size=(D, H))
    params["b1"] = np.zeros(H)
    params["W2"] = rng.normal(loc=0.0, scale=std, size=(H, K))
    params["b2"] = np.zeros((K,))
    return params''',
            "two_layer_loss": '''from scipy.special import logsumexp


def relu(z):
    return np.where(z > 0, z, 0.0)


def affine(x, w, b):
    return x @ w + b


def two_layer_loss(params, X, y=None, reg=0.0):
    """Scores, or loss and gradients, of the two-layer ReLU network."""
    a = relu(affine(X, params["W1"], params["b1"]))
    s = affine(a, params["W2"], params["b2"])
    if y is None:
        return s
    n = len(X)
    print("computing the loss of", n, "examples")
    log_p = s - logsumexp(s, axis=1, keepdims=True)
    penalty = sum(np.sum(params[w] ** 2) for w in ("W1", "W2"))
    loss = -np.sum(log_p[np.arange(n), y]) / n + reg / 2 * penalty
    one_hot = np.eye(s.shape[1])[y]
    g_s = (np.exp(log_p) - one_hot) / n
    g_a = g_s.dot(params["W2"].T)
    g_z = np.where(a > 0, g_a, 0.0)
    return loss, {"W2": a.T.dot(g_s) + reg * params["W2"], "b2": g_s.sum(0),
                  "W1": X.T.dot(g_z) + reg * params["W1"], "b1": g_z.sum(0)}''',
            "predict_two_layer": '''def predict_two_layer(params, X):
    """Predicted labels (N,) int."""
    scores = two_layer_loss(params, X)
    probs = np.exp(scores - scores.max(axis=1, keepdims=True))
    return probs.argmax(axis=1).astype(np.int32)''',
        },
        score=17,
    ),
    Submission(
        name="loop_backward_and_while_training",
        mistake="none: the backward pass accumulated example by example, training in a while loop",
        replace={
            "two_layer_loss": '''def two_layer_loss(params, X, y=None, reg=0.0):
    """Scores, or loss and gradients, of the two-layer ReLU network."""
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    Z = X @ W1 + b1
    A = np.maximum(Z, 0)
    S = A @ W2 + b2
    if y is None:
        return S
    N = X.shape[0]
    grads = {"W1": reg * W1, "b1": np.zeros_like(b1), "W2": reg * W2, "b2": np.zeros_like(b2)}
    loss = 0.5 * reg * (np.sum(W1 ** 2) + np.sum(W2 ** 2))
    for i in range(N):
        s = S[i] - np.max(S[i])
        p = np.exp(s) / np.sum(np.exp(s))
        loss += -np.log(p[y[i]]) / N
        p[y[i]] -= 1
        ds = p / N
        grads["W2"] += np.outer(A[i], ds)
        grads["b2"] += ds
        dz = (W2 @ ds) * (Z[i] > 0)
        grads["W1"] += np.outer(X[i], dz)
        grads["b1"] += dz
    return loss, grads''',
            "train_two_layer": '''def train_two_layer(X, y, H=100, step_size=1.0, reg=1e-3, num_iters=10000, seed=0):
    """Full-batch gradient descent on the two-layer net."""
    K = len(np.unique(y))
    params = init_two_layer(X.shape[1], H, K, seed=seed)
    losses = np.empty(num_iters)
    t = 0
    while t < num_iters:
        losses[t], grads = two_layer_loss(params, X, y, reg)
        for name in list(params):
            params[name] = params[name] - step_size * grads[name]
        t += 1
    return params, losses''',
        },
        score=17,
    ),
    Submission(
        name="net221_expit_per_example_loops",
        mistake="none: the Q3 derivation coded example by example, scipy's expit, zero bias gradients without biases",
        replace={
            "net221_loss": '''from scipy.special import expit


def net221_loss(params, X, y, use_bias=True):
    """Mean squared error of the 2-2-1 network and its gradients."""
    W1, W2 = params["W1"], params["W2"]
    b1 = params["b1"] if use_bias else np.zeros(2)
    b2 = params["b2"] if use_bias else np.zeros(1)
    N = len(X)
    loss = 0.0
    grads = {"W1": np.zeros((2, 2)), "b1": np.zeros(2), "W2": np.zeros((2, 1)), "b2": np.zeros(1)}
    for x, t in zip(X, y):
        h = np.tanh(x @ W1 + b1)
        p = expit(h @ W2 + b2)[0]
        loss += (p - t) ** 2 / N
        delta = 2 * (p - t) * p * (1 - p) / N
        for k in range(2):
            grads["W2"][k, 0] += delta * h[k]
            dz = delta * W2[k, 0] * (1 - h[k] ** 2)
            grads["b1"][k] += dz
            for j in range(2):
                grads["W1"][j, k] += dz * x[j]
        grads["b2"][0] += delta
    return loss, grads''',
            "predict_221": '''def predict_221(params, X):
    """Labels (N,) int in {0, 1}."""
    z = X @ params["W1"] + params.get("b1", np.zeros(2))
    s = np.tanh(z) @ params["W2"] + params.get("b2", np.zeros(1))
    return np.where(expit(s[:, 0]) > 0.5, 1, 0)''',
        },
        score=17,
    ),
    Submission(
        name="first_layer_gradient_without_last_example",
        mistake="dW1 and db1 leave out the last example of the batch (X[:-1])",
        edits={"two_layer_loss": [("dW1 = X.T @ dhidden_in + reg * W1", "dW1 = X[:-1].T @ dhidden_in[:-1] + reg * W1"),
                                  ("db1 = dhidden_in.sum(axis=0)", "db1 = dhidden_in[:-1].sum(axis=0)")]},
        fails={"test_two_layer_grads": "all but the last example", "test_train_two_layer": "losses"},
        score=11,
    ),
]
