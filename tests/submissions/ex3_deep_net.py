"""Known submissions of exercise 3 (layers, losses and a network of any depth): 21 automatic points.

Points per test cell: affine 2, relu 1, sigmoid 1, tanh 1 (Part A); softmax_cross_entropy 1,
sigmoid_cross_entropy 2, mse_loss 1 (Part B); init_mlp 1, mlp_forward 1, mlp_backward 3, mlp_loss's output 1,
loss 2 and gradients 2, train_mlp 2 (Part C). Later parts call earlier ones, so a wrong layer also costs the
network tests whose cases use it: mlp_backward (visible: tanh, relu, sigmoid), mlp_loss's gradients (visible:
relu, tanh, sigmoid) and train_mlp (visible: relu, tanh; hidden: every activation). A mistake in a loss's value
alone costs that loss's test, mlp_loss's loss test and train_mlp (its recorded losses), never the gradients.
"""

from tests.submissions import Submission

AFFINE_RETURN = "    return x @ W + b, (x, W)"
AFFINE_GRADS = "    return dout @ W.T, x.T @ dout, dout.sum(axis=0)"
SIGMOID_OUT = "    out = np.exp(-np.logaddexp(0.0, -x))       # 1 / (1 + exp(-x)), with no overflow for large |x|"
SOFTMAX_LOSS = "    loss = -log_probs[np.arange(N), y].mean()"
SIGMOID_LOSS = "    loss = np.mean(np.maximum(logits, 0.0) - y * logits + np.log1p(np.exp(-np.abs(logits))))"
MSE_RETURN = "    return np.sum(diff ** 2) / N, 2.0 * diff / N"
INIT_W = "        params[f\"W{l}\"] = np.sqrt(gain / fan_in) * rng.standard_normal((fan_in, fan_out))"
LAST_ONLY = ("        if l < L:                                  # the last layer is affine only\n"
             "            out, activation_cache = forward(out)")
BACKWARD_LOOP = ("    for l in range(len(caches), 0, -1):            # from the last layer down to the first\n"
                 "        affine_cache, activation_cache = caches[l - 1]")
BACKWARD_ACTIVATION = ("        if activation_cache is not None:\n"
                       "            dout = backward(dout, activation_cache)\n")
SIGMOID_BRANCH = ("        data_loss, dlogits = sigmoid_cross_entropy(out[:, 0], y)\n"
                  "        dout = dlogits[:, None]                    # back to the (N, 1) shape of the output")
PENALTY = "    total = data_loss + 0.5 * reg * sum(np.sum(params[name] ** 2) for name in weights)"
REG_GRADIENT = ("    for name in weights:\n"
                "        grads[name] = grads[name] + reg * params[name]\n")
BATCH = "            idx = rng.choice(N, min(batch_size, N), replace=False)"
UPDATE = "        params = {name: p - step_size * grads[name] for name, p in params.items()}"
RECORD = "        losses.append(float(value))\n"

SUBMISSIONS = [
    # ---- Part A: the layers ------------------------------------------------------------------------
    Submission(
        name="affine_cache_keeps_output",
        mistake="affine_forward caches its output where the backward pass needs its input x",
        edits={"affine": [(AFFINE_RETURN, "    out = x @ W + b\n    return out, (out, W)")]},
        fails={"test_affine": "computed from the layer's output", "test_mlp_backward": "cache must keep",
               "test_mlp_loss": "raised ValueError", "test_mlp_grads": "raised ValueError",
               "test_train_mlp": "raised ValueError"},
        score=10,
    ),
    Submission(
        name="affine_db_not_summed",
        mistake="affine_backward returns dout itself as db: the bias gradient is not summed over the examples",
        edits={"affine": [(AFFINE_GRADS, "    return dout @ W.T, x.T @ dout, dout")]},
        fails={"test_affine": "db (visible", "test_mlp_backward": "db_l sums", "test_mlp_grads": "grads['b",
               "test_train_mlp": "`train_mlp` raised ValueError"},
        score=12,
    ),
    Submission(
        name="affine_dw_transposed",
        mistake="dW computed as dout.T @ x, the transpose of x.T @ dout",
        edits={"affine": [(AFFINE_GRADS, "    return dout @ W.T, dout.T @ x, dout.sum(axis=0)")]},
        fails={"test_affine": "transpose", "test_mlp_backward": "transpose", "test_mlp_loss": "raised ValueError",
               "test_mlp_grads": "raised ValueError", "test_train_mlp": "raised ValueError"},
        score=10,
    ),
    Submission(
        name="affine_dx_without_transpose",
        mistake="dx = dout @ W instead of dout @ W.T",
        edits={"affine": [(AFFINE_GRADS, "    return dout @ W, x.T @ dout, dout.sum(axis=0)")]},
        fails={"test_affine": "dout @ W.T", "test_mlp_backward": "grads['W2']",
               "test_mlp_loss": "raised ValueError", "test_mlp_grads": "raised ValueError",
               "test_train_mlp": "raised ValueError"},
        score=10,
    ),
    Submission(
        name="relu_mask_from_dout",
        mistake="ReLU's mask taken from the upstream gradient, dout > 0, instead of the input",
        edits={"relu": [("    return dout * (cache > 0)", "    return dout * (dout > 0)")]},
        fails={"test_relu": "the mask is built from dout", "test_mlp_backward": "relu_backward builds the mask from dout",
               "test_mlp_grads": "relu_backward builds the mask from dout", "test_train_mlp": "losses"},
        score=13,
    ),
    Submission(
        name="sigmoid_derivative_of_output_again",
        mistake="sigmoid_backward applies the sigmoid to the cached output again: sigmoid'(out) instead of sigmoid'(x)",
        edits={"sigmoid": [("    return dout * cache * (1.0 - cache)",
                            "    s = 1.0 / (1.0 + np.exp(-cache))\n    return dout * s * (1.0 - s)")]},
        fails={"test_sigmoid": "wrong tensor", "test_mlp_backward": "applies the sigmoid again",
               "test_mlp_grads": "applies the sigmoid again", "test_train_mlp": "losses"},
        score=13,
    ),
    Submission(
        name="tanh_caches_input_derivative_of_output",
        mistake="tanh_forward caches its input x, and tanh_backward uses 1 - cache**2 as if it held the output",
        edits={"tanh": [("    out = np.tanh(x)\n    return out, out", "    return np.tanh(x), x")]},
        fails={"test_tanh": "1 - x**2", "test_mlp_backward": "tanh_backward uses 1 - x**2",
               "test_mlp_grads": "tanh_backward uses 1 - x**2", "test_train_mlp": "losses"},
        score=13,
    ),
    Submission(
        name="relu_backward_in_place",
        mistake="relu_backward zeroes the entries of dout itself (dx = dout; dx[x <= 0] = 0)",
        edits={"relu": [("    return dout * (cache > 0)", "    dx = dout\n    dx[cache <= 0] = 0.0\n    return dx")]},
        fails={"test_relu": "`relu_backward` modified `dout` in place"},
        score=20,
    ),
    # ---- Part B: the losses ------------------------------------------------------------------------
    Submission(
        name="softmax_loss_summed",
        mistake="the softmax cross-entropy is summed over the examples, not averaged (the gradient is divided by N)",
        edits={"softmax_cross_entropy": [(SOFTMAX_LOSS, SOFTMAX_LOSS.replace(".mean()", ".sum()"))]},
        fails={"test_softmax_cross_entropy": "N, the number of examples",
               "test_mlp_loss": "N, the number of examples", "test_train_mlp": "losses[0]"},
        score=16,
    ),
    Submission(
        name="softmax_no_max_shift",
        mistake="exp of the raw scores: overflows for scores of 1e4",
        edits={"softmax_cross_entropy": [("    shifted = scores - scores.max(axis=1, keepdims=True)",
                                          "    shifted = scores")]},
        fails={"test_softmax_cross_entropy": "subtract each row's maximum", "test_mlp_loss": "1e4"},
        score=18,
    ),
    Submission(
        name="softmax_global_max_shift",
        mistake="scores - scores.max(): the maximum of the whole array, not each row's",
        edits={"softmax_cross_entropy": [("scores - scores.max(axis=1, keepdims=True)", "scores - scores.max()")]},
        fails={"test_softmax_cross_entropy": "each row's own maximum"},
        score=20,
    ),
    Submission(
        name="sigmoid_ce_summed",
        mistake="the sigmoid cross-entropy and its gradient are summed over the examples: the mean is missing",
        edits={"sigmoid_cross_entropy": [(SIGMOID_LOSS, SIGMOID_LOSS.replace("np.mean(", "np.sum(")),
                                         ("    return loss, (p - y) / N", "    return loss, p - y")]},
        fails={"test_sigmoid_cross_entropy": "N, the number of examples", "test_mlp_loss": "the loss",
               "test_mlp_grads": "grads['W", "test_train_mlp": "losses"},
        score=13,
    ),
    Submission(
        name="sigmoid_ce_naive_log",
        mistake="the textbook -y log p - (1 - y) log(1 - p): NaN (0 · log 0) for logits of ±1000",
        edits={"sigmoid_cross_entropy": [(SIGMOID_LOSS, "    p = 1.0 / (1.0 + np.exp(-logits))\n"
                                                        "    loss = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))")]},
        fails={"test_sigmoid_cross_entropy": "is nan", "test_mlp_loss": "np.log1p"},
        score=17,
    ),
    Submission(
        name="sigmoid_ce_clipped",
        mistake="the textbook formula with p clipped to [1e-12, 1 - 1e-12]: finite, but wrong for large logits",
        edits={"sigmoid_cross_entropy": [(SIGMOID_LOSS, "    p = np.clip(1.0 / (1.0 + np.exp(-logits)), 1e-12, 1.0 - 1e-12)\n"
                                                        "    loss = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))")]},
        fails={"test_sigmoid_cross_entropy": "clipping p changes the loss", "test_mlp_loss": "clipping p"},
        score=17,
    ),
    Submission(
        name="mse_with_half",
        mistake="the squared error with a 1/2, and its gradient (pred - target) / N",
        edits={"mse_loss": [(MSE_RETURN, "    return 0.5 * np.sum(diff ** 2) / N, diff / N")]},
        fails={"test_mse_loss": "factor 1/2", "test_mlp_loss": "factor 1/2", "test_mlp_grads": "grads['W",
               "test_train_mlp": "losses"},
        score=14,
    ),
    Submission(
        name="mse_mean_over_entries",
        mistake="np.mean over every entry: divides by N·K instead of N",
        edits={"mse_loss": [(MSE_RETURN, "    return np.mean(diff ** 2), 2.0 * diff / diff.size")]},
        fails={"test_mse_loss": "N·K", "test_mlp_loss": "N·K", "test_mlp_grads": "grads['W",
               "test_train_mlp": "losses"},
        score=14,
    ),
    # ---- Part C: initialisation ------------------------------------------------------------------------
    Submission(
        name="init_scaled_by_fan_out",
        mistake="the initial standard deviation uses fan_out instead of fan_in",
        edits={"init_mlp": [(INIT_W, INIT_W.replace("gain / fan_in", "gain / fan_out"))]},
        fails={"test_init_mlp": "uses fan_out"},
        score=20,
    ),
    Submission(
        name="init_gain_outside_sqrt",
        mistake="std = gain / sqrt(fan_in): for relu 2/sqrt(n) instead of sqrt(2/n)",
        edits={"init_mlp": [(INIT_W, INIT_W.replace("np.sqrt(gain / fan_in)", "gain / np.sqrt(fan_in)"))]},
        fails={"test_init_mlp": "outside the square root"},
        score=20,
    ),
    Submission(
        name="init_zero_weights",
        mistake="all weights zero: every hidden unit identical (symmetric), forever",
        edits={"init_mlp": [(INIT_W, "        params[f\"W{l}\"] = np.zeros((fan_in, fan_out))")]},
        fails={"test_init_mlp": "symmetry is never broken"},
        score=20,
    ),
    Submission(
        name="init_same_weights_for_every_unit",
        mistake="one column of draws repeated for every unit: the units of a layer start identical",
        edits={"init_mlp": [(INIT_W, "        params[f\"W{l}\"] = np.sqrt(gain / fan_in) * rng.standard_normal((fan_in, 1)) "
                                     "* np.ones((1, fan_out))")]},
        fails={"test_init_mlp": "columns of each W are identical"},
        score=20,
    ),
    Submission(
        name="init_generator_per_layer",
        mistake="np.random.default_rng(seed) made anew for every layer",
        edits={"init_mlp": [(INIT_W, "        rng = np.random.default_rng(seed)\n" + INIT_W)]},
        fails={"test_init_mlp": "new generator"},
        score=20,
    ),
    # ---- Part C: the network --------------------------------------------------------------------------
    Submission(
        name="last_layer_activated",
        mistake="the output layer gets the activation too (forward and backward agree)",
        edits={"mlp_forward": [(LAST_ONLY, "        out, activation_cache = forward(out)")]},
        fails={"test_mlp_forward": "the output layer has an activation",
               "test_mlp_backward": "the output layer has an activation",
               "test_mlp_output": "the output layer has an activation",
               "test_mlp_loss": "the output layer has an activation", "test_mlp_grads": "grads['W",
               "test_train_mlp": "losses"},
        score=10,
    ),
    Submission(
        name="activation_argument_ignored",
        mistake="mlp_forward and mlp_backward always use relu, whatever the activation argument",
        edits={"mlp_forward": [('{"relu": relu_forward, "sigmoid": sigmoid_forward, "tanh": tanh_forward}[activation]',
                                "relu_forward")],
               "mlp_backward": [('{"relu": relu_backward, "sigmoid": sigmoid_backward, "tanh": tanh_backward}[activation]',
                                 "relu_backward")]},
        fails={"test_mlp_forward": "the activation is relu whatever the argument", "test_mlp_backward": "grads['W",
               "test_mlp_output": "the activation is relu whatever", "test_mlp_loss": "the loss", "test_mlp_grads": "grads['W",
               "test_train_mlp": "losses"},
        score=10,
    ),
    Submission(
        name="backward_caches_in_forward_order",
        mistake="mlp_backward walks down the layers but takes the caches in forward order",
        edits={"mlp_backward": [(BACKWARD_LOOP, "    for l, (affine_cache, activation_cache) in "
                                                "zip(range(len(caches), 0, -1), caches):")]},
        fails={"test_mlp_backward": "another layer's cache", "test_mlp_loss": "raised ValueError",
               "test_mlp_grads": "raised ValueError", "test_train_mlp": "raised ValueError"},
        score=12,
    ),
    Submission(
        name="backward_skips_activations",
        mistake="mlp_backward goes through the affine layers only, skipping the activations' backward passes",
        edits={"mlp_backward": [(BACKWARD_ACTIVATION, "")]},
        fails={"test_mlp_backward": "skips the activations' derivatives",
               "test_mlp_grads": "skips the activations' derivatives",
               "test_train_mlp": "losses"},
        score=14,
    ),
    Submission(
        name="sigmoid_output_not_flattened",
        mistake="for loss='sigmoid' the (N, 1) output is passed as the logits: (N, 1) against (N,) broadcasts to (N, N)",
        edits={"mlp_loss": [(SIGMOID_BRANCH, "        data_loss, dout = sigmoid_cross_entropy(out, y)")]},
        fails={"test_mlp_loss": "out[:, 0]", "test_mlp_grads": "raised ValueError", "test_train_mlp": "raised ValueError"},
        score=15,
    ),
    Submission(
        name="biases_regularised",
        mistake="the penalty and its gradient cover the biases too",
        edits={"mlp_loss": [('    weights = [name for name in params if name.startswith("W")]',
                             "    weights = list(params)")]},
        fails={"test_mlp_loss": "the biases are penalised too", "test_mlp_grads": "the biases are penalised too",
               "test_train_mlp": "losses"},
        score=15,
    ),
    Submission(
        name="penalty_without_half",
        mistake="the penalty is reg * sum(W**2) while its gradient is reg * W",
        edits={"mlp_loss": [(PENALTY, PENALTY.replace("0.5 * reg", "reg"))]},
        fails={"test_mlp_loss": "without the 1/2", "test_train_mlp": "losses"},
        score=17,
    ),
    Submission(
        name="regularisation_gradient_missing",
        mistake="reg * W_l is never added to the gradients",
        edits={"mlp_loss": [(REG_GRADIENT, "")]},
        fails={"test_mlp_grads": "regularisation gradient reg * W_l is missing", "test_train_mlp": "losses"},
        score=17,
    ),
    # ---- Part C: training ------------------------------------------------------------------------------
    Submission(
        name="train_updates_params_in_place",
        mistake="train_mlp updates the given params in place (params[name] -= ...)",
        edits={"train_mlp": [(UPDATE, "        for name in params:\n            params[name] -= step_size * grads[name]")]},
        fails={"test_train_mlp": "`train_mlp` modified `params` in place"},
        score=19,
    ),
    Submission(
        name="train_batches_with_replacement",
        mistake="rng.choice(N, batch_size) draws each batch with replacement",
        edits={"train_mlp": [(BATCH, "            idx = rng.choice(N, min(batch_size, N))")]},
        fails={"test_train_mlp": "with replacement"},
        score=19,
    ),
    Submission(
        name="train_generator_every_step",
        mistake="the generator is made anew at every step, so every step uses the same batch",
        edits={"train_mlp": [(BATCH, "            rng = np.random.default_rng(seed)\n" + BATCH)]},
        fails={"test_train_mlp": "same batch"},
        score=19,
    ),
    Submission(
        name="train_loss_after_update",
        mistake="losses[t] is the loss of the batch after step t's update",
        edits={"train_mlp": [(RECORD, ""),
                             (UPDATE, UPDATE + "\n        losses.append(float(mlp_loss(params, X_batch, y_batch, loss=loss, "
                                               "activation=activation, reg=reg)[0]))")]},
        fails={"test_train_mlp": "losses[0]"},
        score=19,
    ),
    # ---- more slips, and grader-gaming ---------------------------------------------------------------
    Submission(
        name="sigmoid_in_float32",
        mistake="sigmoid_forward returns float32 (to save memory): float32 rounding everywhere the sigmoid is used",
        edits={"sigmoid": [(SIGMOID_OUT, SIGMOID_OUT + "\n    out = out.astype(np.float32)")]},
        fails={"test_sigmoid": "float32", "test_mlp_forward": "float32", "test_mlp_backward": "float32",
               "test_mlp_output": "float32", "test_mlp_loss": "float32", "test_mlp_grads": "float32",
               "test_train_mlp": "float32"},
        score=9,
    ),
    Submission(
        name="sigmoid_backward_in_place_on_cache",
        mistake="sigmoid_backward turns the cached output into the derivative in place (cache *= 1 - cache)",
        edits={"sigmoid": [("    return dout * cache * (1.0 - cache)", "    cache *= 1.0 - cache\n    return dout * cache")]},
        fails={"test_sigmoid": "modified the output of `sigmoid_forward`"},
        score=20,
    ),
    Submission(
        name="softmax_gradient_not_averaged",
        mistake="dscores = P - Y, not divided by N (the loss is still the mean)",
        edits={"softmax_cross_entropy": [("    return loss, dscores / N", "    return loss, dscores")]},
        fails={"test_softmax_cross_entropy": "N, the number of examples", "test_mlp_grads": "N, the number of examples",
               "test_train_mlp": "losses"},
        score=16,
    ),
    Submission(
        name="softmax_classes_from_labels",
        mistake="the one-hot labels are np.eye(y.max() + 1)[y]: the wrong width when the last class is absent",
        edits={"softmax_cross_entropy": [("    dscores = np.exp(log_probs)\n    dscores[np.arange(N), y] -= 1.0\n",
                                          "    dscores = np.exp(log_probs) - np.eye(y.max() + 1)[y]\n")]},
        fails={"test_softmax_cross_entropy": "not from y.max() + 1", "test_train_mlp": "raised ValueError"},
        score=18,
    ),
    Submission(
        name="train_ignores_batch_size",
        mistake="train_mlp always takes full-batch steps",
        edits={"train_mlp": [("        if batch_size is None:", "        if True:")]},
        fails={"test_train_mlp": "batch_size is ignored"},
        score=19,
    ),
    Submission(
        name="constant_loss_zero_grads",
        mistake="grader-gaming: mlp_loss returns log(K) and zero gradients whatever the parameters",
        edits={"mlp_loss": [("    if loss == \"sigmoid\":\n", "    return float(np.log(out.shape[1] + 1)), "
                                                             "{k: np.zeros_like(v) for k, v in params.items()}\n"
                                                             "    if loss == \"sigmoid\":\n")]},
        fails={"test_mlp_loss": "the loss", "test_mlp_grads": "zero everywhere", "test_train_mlp": "losses"},
        score=15,
    ),
    Submission(
        name="init_hardcoded_visible_answers",
        mistake="grader-gaming: init_mlp returns the visible cases' weights typed in, and zero weights otherwise",
        replace={"init_mlp": '''VISIBLE = {
    (3, 4, 2): {"W1": [[0.10265829564204268, -0.10786316920127266, 0.522902904435612, 0.08565058699437483],
                       [-0.4373722116937453, 0.2952411260139676, 1.0647115783783574, 0.773288368256764],
                       [-0.5745974139147765, -1.0332123045416353, -0.5089014676413142, 0.03374252084051422]],
                "W2": [[-1.6440450272145315, -0.15470906923379127], [-0.8809920795571975, -0.5177912121523456],
                       [-0.3848492175000968, -0.22365798545899457], [0.29106674361360513, 0.7371682730105539]]},
    (5, 3, 6, 1): {"W1": [[0.00055014130601613, 0.13360306596873037, -0.12259817595918474],
                          [-0.39828477833355946, -0.203334956605435, -0.4434778213251147],
                          [0.02689703676392108, 0.599362478708302, -0.22012144688985685],
                          [-0.2774848108659517, 0.21906402449039333, 0.1596047221064836],
                          [0.04714268531127805, -0.41611795977177174, -0.01308181269872698]],
                   "W2": [[0.4014334864888991, -0.7760826307236529, -0.2642045828219854, -1.097671460613455,
                           -0.7445149611950375, -1.0633262198450222],
                          [-0.13572992781006082, -0.731760567244966, 0.1566145505872606, 0.09050028205826272,
                           -0.10792463120197518, -1.4530518965278278],
                          [-0.31101448842759466, -0.02800203388326025, 0.06541897357061316, -0.883424296111213,
                           -0.2758309825244154, -0.5649482531231852]],
                   "W3": [[-0.33020642025901115], [0.43311004935283226], [-0.3296746506945374],
                          [-0.01327693044697894], [0.3610506514627433], [-0.23825387898142367]]}}


def init_mlp(dims, activation="relu", seed=0):
    """The visible answers, typed in."""
    known = VISIBLE.get(tuple(dims), {})
    params = {}
    for l in range(1, len(dims)):
        params[f"W{l}"] = np.array(known[f"W{l}"]) if known else np.zeros((dims[l - 1], dims[l]))
        params[f"b{l}"] = np.zeros(dims[l])
    return params'''},
        fails={"test_init_mlp": "all weights are zero"},
        score=20,
    ),
    # ---- correct answers written another way: full marks ---------------------------------------------
    Submission(
        name="relu_grad_at_zero_is_one",
        mistake="none: ReLU'(0) taken as 1 (a valid subgradient)",
        edits={"relu": [("    return dout * (cache > 0)", "    return dout * (cache >= 0)")]},
        score=21,
    ),
    Submission(
        name="layers_with_loops_einsum_and_input_caches",
        mistake="none: einsum and a loop over the examples in the affine layer; activations cache their input "
                "and recompute; cs231n's copy-then-mask ReLU; sigmoid via tanh; tanh' as 1 / cosh**2",
        replace={
            "affine": '''def affine_forward(x, W, b):
    """out = x @ W + b."""
    out = np.einsum("nd,dm->nm", x, W) + b
    cache = (x, W, b)
    return out, cache


def affine_backward(dout, cache):
    """dx, dW, db, with dW and db accumulated one example at a time."""
    x, W, b = cache
    dW = np.zeros_like(W)
    db = np.zeros_like(b)
    for i in range(x.shape[0]):
        dW += np.outer(x[i], dout[i])
        db += dout[i]
    return np.einsum("nm,dm->nd", dout, W), dW, db''',
            "relu": '''def relu_forward(x):
    """max(x, 0)."""
    out = x.copy()
    out[out < 0] = 0
    return out, {"x": x}


def relu_backward(dout, cache):
    """cs231n's way: copy, then zero where the input was not positive."""
    dx = dout.copy()
    dx[cache["x"] <= 0] = 0
    return dx''',
            "sigmoid": '''def sigmoid_forward(x):
    """sigmoid(x) = (1 + tanh(x / 2)) / 2."""
    return 0.5 * (1.0 + np.tanh(0.5 * x)), x


def sigmoid_backward(dout, cache):
    """Recompute s from the cached input."""
    s = 0.5 * (1.0 + np.tanh(0.5 * cache))
    return dout * s * (1.0 - s)''',
            "tanh": '''def tanh_forward(x):
    """tanh, caching the input."""
    return np.tanh(x), x


def tanh_backward(dout, cache):
    """tanh'(x) = 1 / cosh(x)**2."""
    return dout / np.cosh(cache) ** 2''',
        },
        score=21,
    ),
    Submission(
        name="losses_logsumexp_logaddexp_einsum",
        mistake="none: scipy's logsumexp, a one-hot matrix, np.logaddexp for the sigmoid cross-entropy, einsum for "
                "the squared error, and a warning",
        replace={
            "softmax_cross_entropy": '''import warnings
from scipy.special import logsumexp


def softmax_cross_entropy(scores, y):
    """Mean cross-entropy with logsumexp."""
    warnings.warn("using scipy's logsumexp", UserWarning)
    N, K = scores.shape
    log_probs = scores - logsumexp(scores, axis=1, keepdims=True)
    one_hot = np.eye(K)[y]
    loss = -np.sum(one_hot * log_probs) / N
    return loss, (np.exp(log_probs) - one_hot) / N''',
            "sigmoid_cross_entropy": '''def sigmoid_cross_entropy(logits, y):
    """-log sigmoid(s) = logaddexp(0, -s); -log(1 - sigmoid(s)) = logaddexp(0, s)."""
    y = np.asarray(y, dtype=float)
    per_example = y * np.logaddexp(0.0, -logits) + (1.0 - y) * np.logaddexp(0.0, logits)
    p = np.where(logits >= 0, 1.0 / (1.0 + np.exp(-np.abs(logits))), np.exp(-np.abs(logits)) / (1.0 + np.exp(-np.abs(logits))))
    return float(per_example.mean()), (p - y) / len(y)''',
            "mse_loss": '''def mse_loss(pred, target):
    """Squared error summed over outputs, averaged over examples."""
    diff = pred - target
    N = len(pred)
    return np.einsum("nk,nk->", diff, diff) / N, (2 / N) * diff''',
        },
        score=21,
    ),
    Submission(
        name="network_with_dict_caches_and_while_loops",
        mistake="none: init with rng.normal; caches in a dict keyed by layer; while loops; a recursive backward; "
                "mlp_loss through one helper per loss; training on copies updated in place, losses as an array",
        replace={
            "init_mlp": '''def init_mlp(dims, activation="relu", seed=0):
    """He or Xavier weights with rng.normal."""
    rng = np.random.default_rng(seed)
    gain = 2.0 if activation == "relu" else 1.0
    params = {}
    for l in range(1, len(dims)):
        params["W%d" % l] = rng.normal(0.0, np.sqrt(gain / dims[l - 1]), size=(dims[l - 1], dims[l]))
        params["b%d" % l] = np.zeros((dims[l],))
    return params''',
            "mlp_forward": '''def mlp_forward(params, X, activation="relu"):
    """Caches in a dict: layer -> (affine cache, activation cache or None)."""
    layers = {"relu": relu_forward, "sigmoid": sigmoid_forward, "tanh": tanh_forward}
    L = len([k for k in params if k[0] == "W"])
    caches, h, l = {"L": L}, X, 1
    while l <= L:
        h, affine_cache = affine_forward(h, params["W%d" % l], params["b%d" % l])
        if l != L:
            h, act = layers[activation](h)
            caches[l] = (affine_cache, act)
        else:
            caches[l] = (affine_cache, None)
        l += 1
    return h, caches''',
            "mlp_backward": '''def _backward_from(l, dout, caches, backward, grads):
    """Layers l, l - 1, ..., 1, recursively."""
    if l == 0:
        return grads
    affine_cache, act = caches[l]
    if act is not None:
        dout = backward(dout, act)
    dx, grads["W%d" % l], grads["b%d" % l] = affine_backward(dout, affine_cache)
    return _backward_from(l - 1, dx, caches, backward, grads)


def mlp_backward(dout, caches, activation="relu"):
    """Recursion from the last layer."""
    backward = {"relu": relu_backward, "sigmoid": sigmoid_backward, "tanh": tanh_backward}[activation]
    return _backward_from(caches["L"], dout, caches, backward, {})''',
            "mlp_loss": '''def _sigmoid_loss(out, y):
    loss, dlogits = sigmoid_cross_entropy(out.ravel(), y)
    return loss, dlogits.reshape(out.shape)


def mlp_loss(params, X, y=None, loss="softmax", activation="relu", reg=0.0):
    """Output, or loss and gradients."""
    out, caches = mlp_forward(params, X, activation=activation)
    if y is None:
        return out
    data, dout = {"softmax": softmax_cross_entropy, "sigmoid": _sigmoid_loss, "mse": mse_loss}[loss](out, y)
    grads = mlp_backward(dout, caches, activation=activation)
    penalty = 0.0
    for name, value in params.items():
        if name.startswith("W"):
            penalty += 0.5 * reg * np.sum(value * value)
            grads[name] += reg * value
    return data + penalty, grads''',
            "train_mlp": '''def train_mlp(params, X, y, loss="softmax", activation="relu", reg=0.0, step_size=0.1, num_iters=1000,
              batch_size=None, seed=0):
    """In-place steps on a private copy of params."""
    params = {name: value.copy() for name, value in params.items()}
    rng = np.random.default_rng(seed)
    losses = np.zeros(num_iters)
    t = 0
    while t < num_iters:
        idx = np.arange(len(X)) if batch_size is None else rng.choice(len(X), min(batch_size, len(X)), replace=False)
        losses[t], grads = mlp_loss(params, X[idx], y[idx], loss, activation, reg)
        for name in params:
            params[name] -= step_size * grads[name]
        t += 1
    if t % 50 == 0:
        print("trained for", t, "steps")
    return params, losses''',
        },
        score=21,
    ),
]
