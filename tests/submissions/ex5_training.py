"""Known submissions of exercise 5 (training in practice): 25 automatic points.

Points per test cell: sgd 1, sgd_momentum 2, adagrad 2, rmsprop 2, adam 3 (Part A); dropout_forward 2,
dropout_backward 2 (Part B); minibatches 1, step_decay 1, exponential_decay 1, cosine_decay 1,
clip_by_global_norm 2 (Part C); train 3 (the history) and train_early_stopping 2 (Part D).

What a mistake costs besides its own test: ``train`` calls the student's ``minibatches`` (every run) and
``clip_by_global_norm`` (the runs of test_train that clip), so a wrong partition also costs both training
tests (5 points) and wrong clipped gradients cost test_train (3); ``dropout_backward``'s test runs the
student's forward pass, so a forward pass that is not deterministic for a seed costs it too. The update
rules are never used by the tests of ``train`` (they use nbcheck's fixture rule), so a wrong rule costs only
its own test.
"""

from tests.submissions import Submission

# Exact lines of the model answers that the edits below change.
ADAM_HATS = "m_hat, v_hat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)"
ADAM_STEP = 'return w - config["lr"] * m_hat / (np.sqrt(v_hat) + config["eps"]), config'
ADAM_T = 't = config.get("t", 0) + 1'
MOMENTUM_V = 'v = config["momentum"] * config.get("v", np.zeros_like(w)) + dw'
MOMENTUM_STEP = 'return w - config["lr"] * v, config'
ADAGRAD_CACHE = 'cache = config.get("cache", np.zeros_like(w)) + dw ** 2'
ADAGRAD_STEP = 'return w - config["lr"] * dw / (np.sqrt(cache) + config["eps"]), config'
RMSPROP_CACHE = 'cache = decay * config.get("cache", np.zeros_like(w)) + (1 - decay) * dw ** 2'
MASK = "mask = (np.random.default_rng(seed).random(x.shape) < keep_prob) / keep_prob"
ORDER = "order = np.random.default_rng(seed).permutation(N)"
SLICES = "return [order[start:start + batch_size] for start in range(0, N, batch_size)]"
CLIPPED = 'return {name: grad * (max_norm / norm) for name, grad in grads.items()}, norm'
NORM = "norm = np.sqrt(sum(np.sum(grad ** 2) for grad in grads.values()))"
SCHEDULE = "lr = schedule(epoch)"
UPDATE = "new_params[name], configs[name] = update(value, grads[name], configs[name])"
BATCHES = "for batch in minibatches(len(X_train), batch_size, seed + epoch):"
BEST = "best_params, best_loss, epochs_without_improvement = params, val_loss, 0"
STOP = "if patience is not None and epochs_without_improvement >= patience:"

ALL_TRAIN = {"test_train": "history", "test_train_early_stopping": "best_params"}

SUBMISSIONS = [
    # ---- Part A: the update rules --------------------------------------------------------------------
    Submission(
        name="adam_without_bias_correction",
        mistake="Adam steps with m / (sqrt(v) + eps): no bias correction",
        edits={"adam": [(ADAM_HATS, "m_hat, v_hat = m, v")]},
        fails={"test_adam": "not bias-corrected"},
        score=22,
    ),
    Submission(
        name="adam_t_incremented_after_use",
        mistake="Adam uses t before incrementing it: the first step divides by 1 - beta**0 = 0",
        edits={"adam": [(ADAM_T, 't = config.get("t", 0)'),
                        ("config.update(m=m, v=v, t=t)", "config.update(m=m, v=v, t=t + 1)")]},
        fails={"test_adam": "incremented before it is used"},
        score=22,
    ),
    Submission(
        name="adam_eps_inside_sqrt",
        mistake="Adam divides by sqrt(v_hat + eps)",
        edits={"adam": [(ADAM_STEP, 'return w - config["lr"] * m_hat / np.sqrt(v_hat + config["eps"]), config')]},
        fails={"test_adam": "eps belongs outside the square root"},
        score=22,
    ),
    Submission(
        name="adam_eps_on_uncorrected_v",
        mistake="Kingma and Ba's reordered step: lr * sqrt(1 - beta2**t) / (1 - beta1**t) * m / (sqrt(v) + eps)",
        edits={"adam": [(ADAM_STEP, 'return w - config["lr"] * np.sqrt(1 - beta2 ** t) / (1 - beta1 ** t) * m / '
                                    '(np.sqrt(v) + config["eps"]), config')]},
        fails={"test_adam": "reordered form"},
        score=22,
    ),
    Submission(
        name="adam_default_lr_1e-2",
        mistake="Adam's default learning rate taken as 1e-2, like the other rules",
        edits={"adam": [('config = {"lr": 1e-3,', 'config = {"lr": 1e-2,')]},
        fails={"test_adam": "Adam's learning rate is 1e-3"},
        score=22,
    ),
    Submission(
        name="adam_t_not_stored",
        mistake="Adam computes t = 1 at every call and never stores it",
        edits={"adam": [(ADAM_T, "t = 1"), ("config.update(m=m, v=v, t=t)", "config.update(m=m, v=v)")]},
        fails={"test_adam": "config (adam"},
        score=22,
    ),
    Submission(
        name="adam_betas_swapped",
        mistake="m averaged with beta2 and v with beta1",
        edits={"adam": [("beta1, beta2 = config[\"beta1\"], config[\"beta2\"]", "beta2, beta1 = config[\"beta1\"], config[\"beta2\"]")]},
        fails={"test_adam": "beta1 and beta2 are swapped"},
        score=22,
    ),
    Submission(
        name="momentum_sign_of_the_step",
        mistake="momentum steps uphill: w + lr * v",
        edits={"sgd_momentum": [(MOMENTUM_STEP, 'return w + config["lr"] * v, config')]},
        fails={"test_sgd_momentum": "wrong sign"},
        score=23,
    ),
    Submission(
        name="momentum_lecture_form",
        mistake="the lecture's form v = mu * v - lr * dw, w = w + v: the same w, but another velocity",
        edits={"sgd_momentum": [(MOMENTUM_V, 'v = config["momentum"] * config.get("v", np.zeros_like(w)) - '
                                             'config["lr"] * dw'),
                                (MOMENTUM_STEP, "return w + v, config")]},
        fails={"test_sgd_momentum": "lecture's form"},
        score=23,
    ),
    Submission(
        name="momentum_lr_inside_velocity",
        mistake="v = mu * v + lr * dw, w = w - v: lr in the velocity instead of the step",
        edits={"sgd_momentum": [(MOMENTUM_V, 'v = config["momentum"] * config.get("v", np.zeros_like(w)) + '
                                             'config["lr"] * dw'),
                                (MOMENTUM_STEP, "return w - v, config")]},
        fails={"test_sgd_momentum": "lr × the contract's velocity"},
        score=23,
    ),
    Submission(
        name="momentum_cs231n_setdefault",
        mistake="cs231n's config.setdefault on the config it was given: the caller's config is changed",
        replace={"sgd_momentum": '''def sgd_momentum(w, dw, config):
    """Gradient descent with momentum, cs231n's way."""
    config.setdefault("lr", 1e-2)
    config.setdefault("momentum", 0.9)
    v = config["momentum"] * config.get("v", np.zeros_like(w)) + dw
    config["v"] = v
    return w - config["lr"] * v, config'''},
        fails={"test_sgd_momentum": "modified its input `config` in place"},
        score=23,
    ),
    Submission(
        name="adagrad_cache_not_accumulated",
        mistake="Adagrad's cache is the last squared gradient only",
        edits={"adagrad": [(ADAGRAD_CACHE, "cache = dw ** 2")]},
        fails={"test_adagrad": "holds only the last squared gradient"},
        score=23,
    ),
    Submission(
        name="adagrad_eps_inside_sqrt",
        mistake="Adagrad divides by sqrt(cache + eps)",
        edits={"adagrad": [(ADAGRAD_STEP, 'return w - config["lr"] * dw / np.sqrt(cache + config["eps"]), config')]},
        fails={"test_adagrad": "eps belongs outside the square root"},
        score=23,
    ),
    Submission(
        name="adagrad_default_eps_1e-8",
        mistake="Adagrad's default eps taken as 1e-8 (RMSprop's and Adam's)",
        edits={"adagrad": [('"eps": 1e-10', '"eps": 1e-8')]},
        fails={"test_adagrad": "Adagrad's eps is 1e-10"},
        score=23,
    ),
    Submission(
        name="rmsprop_decay_swapped",
        mistake="RMSprop weighs the old cache by 1 - decay and the new square by decay",
        edits={"rmsprop": [(RMSPROP_CACHE, 'cache = (1 - decay) * config.get("cache", np.zeros_like(w)) + '
                                           'decay * dw ** 2')]},
        fails={"test_rmsprop": "decay weighs the old cache"},
        score=23,
    ),
    Submission(
        name="rmsprop_eps_inside_sqrt",
        mistake="RMSprop divides by sqrt(cache + eps)",
        edits={"rmsprop": [('return w - config["lr"] * dw / (np.sqrt(cache) + config["eps"]), config',
                            'return w - config["lr"] * dw / np.sqrt(cache + config["eps"]), config')]},
        fails={"test_rmsprop": "eps belongs outside the square root"},
        score=23,
    ),
    Submission(
        name="rmsprop_state_reset_every_call",
        mistake="RMSprop starts its cache from zeros at every call",
        edits={"rmsprop": [(RMSPROP_CACHE, "cache = (1 - decay) * dw ** 2")]},
        fails={"test_rmsprop": "starts again from zero at every call"},
        score=23,
    ),
    Submission(
        name="rmsprop_cache_updated_in_place",
        mistake="RMSprop updates the cache array it was given in place (cache *= decay)",
        edits={"rmsprop": [(RMSPROP_CACHE, 'cache = config.get("cache", np.zeros_like(w))\n    cache *= decay\n'
                                           '    cache += (1 - decay) * dw ** 2')]},
        fails={"test_rmsprop": "modified its input `config` in place"},
        score=23,
    ),
    Submission(
        name="sgd_in_place",
        mistake="sgd steps with w -= lr * dw: the caller's array changes",
        edits={"sgd": [('return w - config["lr"] * dw, config', 'w -= config["lr"] * dw\n    return w, config')]},
        fails={"test_sgd": "modified its input `w` in place"},
        score=24,
    ),
    Submission(
        name="rules_return_only_w",
        mistake="sgd returns next_w alone, without the config",
        edits={"sgd": [('return w - config["lr"] * dw, config', 'return w - config["lr"] * dw')]},
        fails={"test_sgd": "should return 2 values (next_w, config)"},
        score=24,
    ),
    # ---- Part B: dropout -------------------------------------------------------------------------------
    Submission(
        name="dropout_not_rescaled",
        mistake="the mask keeps units without dividing by keep_prob, forward and backward",
        edits={"dropout_forward": [(MASK, "mask = (np.random.default_rng(seed).random(x.shape) < keep_prob) * 1.0")]},
        fails={"test_dropout_forward": "not rescaled", "test_dropout_backward": "not rescaled"},
        score=21,
    ),
    Submission(
        name="dropout_scaled_at_test_time",
        mistake="inverted dropout in training, and x * keep_prob at test time as well",
        edits={"dropout_forward": [("return x, (None, False)", "return x * keep_prob, (None, False)")]},
        fails={"test_dropout_forward": "train=False) is wrong: it is x × keep_prob"},
        score=23,
    ),
    Submission(
        name="dropout_rescaled_at_test_time_too",
        mistake="x / keep_prob at test time as well as in training",
        edits={"dropout_forward": [("return x, (None, False)", "return x / keep_prob, (None, False)")]},
        fails={"test_dropout_forward": "the rescaling belongs to training only"},
        score=23,
    ),
    Submission(
        name="dropout_fresh_mask_in_backward",
        mistake="the backward pass draws a new mask instead of the forward pass's",
        replace={"dropout_backward": '''def dropout_backward(dout, cache):
    """The gradient of dropout: a new draw of the mask (wrongly)."""
    mask, train = cache
    if not train:
        return dout
    keep_prob = 1.0 / mask.max()
    return dout * (np.random.default_rng().random(dout.shape) < keep_prob) / keep_prob'''},
        fails={"test_dropout_backward": "instead of drawing a new one"},
        score=23,
    ),
    Submission(
        name="dropout_keep_prob_as_drop_prob",
        mistake="units are kept with probability 1 - keep_prob (mask = rand > keep_prob), scaled by 1 / keep_prob",
        edits={"dropout_forward": [(MASK, "mask = (np.random.default_rng(seed).random(x.shape) > keep_prob) / keep_prob")]},
        fails={"test_dropout_forward": "probability 1 - keep_prob"},
        score=23,
    ),
    Submission(
        name="dropout_seed_ignored",
        mistake="the mask comes from an unseeded generator: another mask at every call",
        edits={"dropout_forward": [(MASK, "mask = (np.random.default_rng().random(x.shape) < keep_prob) / keep_prob")]},
        fails={"test_dropout_forward": "same seed", "test_dropout_backward": "same seed"},
        score=21,
    ),
    Submission(
        name="dropout_one_mask_for_every_example",
        mistake="one mask of shape (D,) shared by every row of x",
        edits={"dropout_forward": [(MASK, "mask = (np.random.default_rng(seed).random(x.shape[1:]) < keep_prob) / keep_prob")]},
        fails={"test_dropout_forward": "drops the same units in every example"},
        score=23,
    ),
    # ---- Part C: batches, schedules, clipping ------------------------------------------------------------
    Submission(
        name="minibatches_with_replacement",
        mistake="each batch drawn with replacement (rng.integers): examples repeat and others are missed",
        edits={"minibatches": [(ORDER, "order = np.random.default_rng(seed).integers(0, N, size=N)")]},
        fails={"test_minibatches": "repeat examples", **ALL_TRAIN},
        score=19,
    ),
    Submission(
        name="minibatches_drop_last_batch",
        mistake="only full batches: the examples of the last, smaller batch are never used",
        edits={"minibatches": [(SLICES, "return [order[start:start + batch_size] for start in "
                                        "range(0, N - batch_size + 1, batch_size)]")]},
        fails={"test_minibatches": "leave out examples", **ALL_TRAIN},
        score=19,
    ),
    Submission(
        name="minibatches_array_split",
        mistake="np.array_split into ceil(N / batch_size) batches: balanced sizes, not batch_size",
        edits={"minibatches": [(SLICES, "return np.array_split(order, -(-N // batch_size))")]},
        fails={"test_minibatches": "batch sizes", **ALL_TRAIN},
        score=19,
    ),
    Submission(
        name="minibatches_legacy_global_seed",
        mistake="np.random.seed(seed) and np.random.permutation: a valid shuffle, but not the contract's",
        edits={"minibatches": [(ORDER, "np.random.seed(seed)\n    order = np.random.permutation(N)")]},
        fails={"test_minibatches": "not the one the contract asks for", **ALL_TRAIN},
        score=19,
    ),
    Submission(
        name="minibatches_not_shuffled",
        mistake="the batches follow the examples' order",
        edits={"minibatches": [(ORDER, "order = np.arange(N)")]},
        fails={"test_minibatches": "not shuffled", **ALL_TRAIN},
        score=19,
    ),
    Submission(
        name="step_decay_one_epoch_early",
        mistake="step_decay drops at epoch every - 1: (epoch + 1) // every",
        edits={"step_decay": [("return lr0 * drop ** (epoch // every)", "return lr0 * drop ** ((epoch + 1) // every)")]},
        fails={"test_step_decay": "one epoch early"},
        score=24,
    ),
    Submission(
        name="step_decay_without_floor",
        mistake="step_decay with a continuous exponent epoch / every",
        edits={"step_decay": [("return lr0 * drop ** (epoch // every)", "return lr0 * drop ** (epoch / every)")]},
        fails={"test_step_decay": "without rounding down"},
        score=24,
    ),
    Submission(
        name="exponential_decay_as_exp",
        mistake="exponential_decay written lr0 * exp(-rate * step)",
        edits={"exponential_decay": [("return lr0 * rate ** step", "return lr0 * np.exp(-rate * step)")]},
        fails={"test_exponential_decay": "not lr0 * exp(-rate * step)"},
        score=24,
    ),
    Submission(
        name="cosine_decay_without_half",
        mistake="cosine_decay without the / 2",
        edits={"cosine_decay": [("return lr0 * (1 + np.cos(np.pi * step / total)) / 2",
                                 "return lr0 * (1 + np.cos(np.pi * step / total))")]},
        fails={"test_cosine_decay": "the / 2 is missing"},
        score=24,
    ),
    Submission(
        name="clip_per_tensor",
        mistake="each gradient clipped by its own norm (the reported norm is the global one)",
        edits={"clip_by_global_norm": [(CLIPPED, "return {name: grad * min(1.0, max_norm / np.sqrt(np.sum(grad ** 2))) "
                                                 "for name, grad in grads.items()}, norm")]},
        fails={"test_clip_by_global_norm": "clipped by its own norm", "test_train": "history"},
        score=20,
    ),
    Submission(
        name="clip_returns_norm_after_clipping",
        mistake="the norm returned is the one after clipping",
        edits={"clip_by_global_norm": [(CLIPPED, "return {name: grad * (max_norm / norm) for name, grad in "
                                                 "grads.items()}, max_norm")]},
        fails={"test_clip_by_global_norm": "the norm after clipping"},
        score=23,
    ),
    Submission(
        name="clip_sum_of_norms",
        mistake="the global norm taken as the sum of the tensors' norms",
        edits={"clip_by_global_norm": [(NORM, "norm = sum(np.sqrt(np.sum(grad ** 2)) for grad in grads.values())")]},
        fails={"test_clip_by_global_norm": "sum of the tensors' norms", "test_train": "history"},
        score=20,
    ),
    Submission(
        name="clip_in_place",
        mistake="the gradients scaled in place in the dict it was given",
        edits={"clip_by_global_norm": [(CLIPPED, "for name in grads:\n        grads[name] = grads[name] * (max_norm / norm)\n"
                                                 "    return grads, norm")]},
        fails={"test_clip_by_global_norm": "modified its input `grads` in place"},
        score=23,
    ),
    # ---- Part D: the training loop ---------------------------------------------------------------------
    Submission(
        name="train_returns_last_params",
        mistake="train returns the parameters after the last epoch, not the best ones",
        edits={"train": [("    return best_params, history", "    return params, history")]},
        fails={"test_train_early_stopping": "best_params['W']"},
        score=23,
    ),
    Submission(
        name="train_schedule_one_epoch_ahead",
        mistake="the learning rate of epoch e taken from schedule(e + 1)",
        edits={"train": [(SCHEDULE, "lr = schedule(epoch + 1)")]},
        fails={"test_train": "one epoch ahead"},
        score=22,
    ),
    Submission(
        name="train_state_shared_between_parameters",
        mistake="one config, and so one optimiser state, for every parameter",
        edits={"train": [(UPDATE, "new_params[name], configs = update(value, grads[name], configs)"),
                         ("configs = {name: dict(config) for name in params}", "configs = dict(config)"),
                         ('configs = {name: {**c, "lr": lr} for name, c in configs.items()}',
                          'configs = {**configs, "lr": lr}')]},
        fails={"test_train": "share one optimiser state", "test_train_early_stopping": "share one optimiser state"},
        score=20,
    ),
    Submission(
        name="train_state_reset_every_call",
        mistake="the config each update returns is thrown away",
        edits={"train": [(UPDATE, "new_params[name], _ = update(value, grads[name], configs[name])")]},
        fails={"test_train": "lost between steps", "test_train_early_stopping": "lost between steps"},
        score=20,
    ),
    Submission(
        name="train_same_batches_every_epoch",
        mistake="minibatches(N, batch_size, seed) at every epoch",
        edits={"train": [(BATCHES, "for batch in minibatches(len(X_train), batch_size, seed):")]},
        fails={"test_train": "same batches", "test_train_early_stopping": "same batches"},
        score=20,
    ),
    Submission(
        name="train_ignores_clip",
        mistake="clip is accepted but never applied",
        edits={"train": [("grads, _ = clip_by_global_norm(grads, clip)", "pass")]},
        fails={"test_train": "not clipped"},
        score=22,
    ),
    Submission(
        name="train_val_loss_before_the_epoch",
        mistake="the validation loss is measured at the start of each epoch, before its updates",
        edits={"train": [("        if schedule is not None:\n            lr = schedule(epoch)",
                          "        val_loss = loss_fn(params, X_val, y_val)[0]\n        if schedule is not None:\n"
                          "            lr = schedule(epoch)"),
                         ("        val_loss = loss_fn(params, X_val, y_val)[0]\n        history", "        history")]},
        fails={"test_train": "before epoch e's updates", "test_train_early_stopping": "best_params"},
        score=20,
    ),
    Submission(
        name="train_patience_one_epoch_late",
        mistake="training stops only after patience + 1 epochs without improvement",
        edits={"train": [(STOP, "if patience is not None and epochs_without_improvement > patience:")]},
        fails={"test_train_early_stopping": "has shape"},
        score=23,
    ),
    Submission(
        name="train_sets_lr_in_callers_config",
        mistake="the schedule's lr written into the config train was given",
        edits={"train": [(SCHEDULE, 'lr = config["lr"] = schedule(epoch)')]},
        fails={"test_train": "modified its input `config` in place"},
        score=22,
    ),
    Submission(
        name="train_updates_params_in_place",
        mistake="each update stored back into the params dict train was given",
        edits={"train": [("            params = new_params\n", "            params.update(new_params)\n"),
                         (BEST, "best_params, best_loss, epochs_without_improvement = dict(params), val_loss, 0")]},
        fails={"test_train": "modified its input `params` in place",
               "test_train_early_stopping": "modified its input `params` in place"},
        score=20,
    ),
    Submission(
        name="train_loss_per_epoch",
        mistake="history['train_loss'] holds one mean per epoch instead of one loss per batch",
        edits={"train": [('history["train_loss"].append(loss)', "epoch_losses.append(loss)"),
                         (BATCHES, "epoch_losses = []\n        " + BATCHES),
                         ('history["val_loss"].append(val_loss)',
                          'history["val_loss"].append(val_loss)\n        history["train_loss"].append(np.mean(epoch_losses))')]},
        fails={"test_train": "history['train_loss'] (", "test_train_early_stopping": "history['train_loss'] ("},
        score=20,
    ),
    # ---- correct answers written another way: full marks -----------------------------------------------
    Submission(
        name="adam_torch_form",
        mistake="none: Adam as torch.optim writes it, lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)",
        edits={"adam": [(ADAM_STEP, 'return w - config["lr"] / (1 - beta1 ** t) * m / (np.sqrt(v) / np.sqrt(1 - beta2 ** t) '
                                    '+ config["eps"]), config')]},
        score=25,
    ),
    Submission(
        name="rules_copy_then_setdefault",
        mistake="none: each rule copies config, then cs231n's setdefault on the copy, a float t and a print",
        replace={"sgd_momentum": '''def sgd_momentum(w, dw, config):
    """Gradient descent with momentum."""
    config = dict(config)
    config.setdefault("lr", 1e-2)
    config.setdefault("momentum", 0.9)
    config["v"] = config["momentum"] * config.get("v", 0.0) + dw
    print("momentum step, |v| =", np.linalg.norm(config["v"]))
    return w - config["lr"] * config["v"], config''',
                 "adam": '''def adam(w, dw, config):
    """Adam, with bias correction and t kept as a float."""
    config = dict(config)
    for key, default in [("lr", 1e-3), ("beta1", 0.9), ("beta2", 0.999), ("eps", 1e-8)]:
        config.setdefault(key, default)
    config["t"] = config.get("t", 0.0) + 1.0
    config["m"] = config["beta1"] * config.get("m", np.zeros_like(w)) + (1 - config["beta1"]) * dw
    config["v"] = config["beta2"] * config.get("v", np.zeros_like(w)) + (1 - config["beta2"]) * (dw * dw)
    m_hat = config["m"] / (1 - config["beta1"] ** config["t"])
    v_hat = config["v"] / (1 - config["beta2"] ** config["t"])
    return w - config["lr"] * m_hat / (np.sqrt(v_hat) + config["eps"]), config'''},
        score=25,
    ),
    Submission(
        name="adam_and_train_warn",
        mistake="none: Adam warns at its first step and train warns when it stops early (warnings.warn)",
        edits={"adam": [(ADAM_T, ADAM_T + '\n    if t == 1:\n        warnings.warn("adam: first step", RuntimeWarning)'),
                        ("def adam(", "import warnings\n\n\ndef adam(")],
               "train": [("                break", '                warnings.warn(f"stopped after epoch {epoch}")\n'
                                                   "                break"),
                         ("def train(", "import warnings\n\n\ndef train(")]},
        score=25,
    ),
    Submission(
        name="dropout_binomial_dict_cache_global_seed",
        mistake="none: np.random.seed(seed) and np.random.binomial for the mask, a dict cache, a copy at test time",
        replace={"dropout_forward": '''def dropout_forward(x, keep_prob, train, seed):
    """Inverted dropout with numpy's global generator, seeded."""
    if not train:
        return x.copy(), {"mode": "test"}
    np.random.seed(seed)
    mask = np.random.binomial(1, keep_prob, size=x.shape) / keep_prob
    return x * mask, {"mode": "train", "mask": mask}''',
                 "dropout_backward": '''def dropout_backward(dout, cache):
    """The gradient of inverted dropout."""
    return dout * cache["mask"] if cache["mode"] == "train" else dout.copy()'''},
        score=25,
    ),
    Submission(
        name="minibatches_shuffle_and_split",
        mistake="none: rng.shuffle on np.arange(N), np.split at multiples of batch_size, a tuple",
        replace={"minibatches": '''def minibatches(N, batch_size, seed):
    """Shuffled batches of one epoch."""
    order = np.arange(N)
    np.random.default_rng(seed).shuffle(order)
    return tuple(np.split(order, range(batch_size, N, batch_size)))'''},
        score=25,
    ),
    Submission(
        name="schedules_with_math",
        mistake="none: math.floor, math.pow, math.cos",
        replace={"step_decay": '''import math

def step_decay(lr0, epoch, drop=0.5, every=10):
    return lr0 * math.pow(drop, math.floor(epoch / every))''',
                 "exponential_decay": '''def exponential_decay(lr0, step, rate):
    return lr0 * math.exp(step * math.log(rate))''',
                 "cosine_decay": '''def cosine_decay(lr0, step, total):
    return 0.5 * lr0 * (1.0 + math.cos(math.pi * step / total))'''},
        score=25,
    ),
    Submission(
        name="clip_concatenated_norm",
        mistake="none: the norm of all gradients flattened and concatenated, np.minimum for the factor",
        replace={"clip_by_global_norm": '''def clip_by_global_norm(grads, max_norm):
    """Clip by the global norm."""
    norm = float(np.linalg.norm(np.concatenate([g.ravel() for g in grads.values()])))
    factor = np.minimum(1.0, max_norm / norm)
    return {name: g * factor for name, g in grads.items()}, norm'''},
        score=25,
    ),
    Submission(
        name="train_arrays_and_best_copy",
        mistake="none: history preallocated as arrays, parameters updated in place on a private copy, best copied",
        replace={"train": '''def train(params, data, loss_fn, update, config, epochs, batch_size, schedule=None, patience=None, clip=None,
          seed=0):
    """Mini-batch training with early stopping."""
    X_train, y_train, X_val, y_val = data
    N = X_train.shape[0]
    per_epoch = -(-N // batch_size)
    params = {name: value.copy() for name, value in params.items()}
    state = {name: config.copy() for name in params}
    train_loss, val_loss = np.zeros(epochs * per_epoch), np.zeros(epochs)
    best, best_epoch, waited, done = None, -1, 0, 0
    for epoch in range(epochs):
        for name in state:
            if schedule is not None:
                state[name]["lr"] = schedule(epoch)
        for i, batch in enumerate(minibatches(N, batch_size, seed + epoch)):
            train_loss[epoch * per_epoch + i], grads = loss_fn(params, X_train[batch], y_train[batch])
            if clip:
                grads = clip_by_global_norm(grads, clip)[0]
            for name in params:
                params[name], state[name] = update(params[name], grads[name], state[name])
        val_loss[epoch], done = loss_fn(params, X_val, y_val)[0], epoch + 1
        if best is None or val_loss[epoch] < val_loss[best_epoch]:
            best, best_epoch, waited = {k: v.copy() for k, v in params.items()}, epoch, 0
        else:
            waited += 1
            if patience and waited == patience:
                break
    return best, {"train_loss": train_loss[:done * per_epoch], "val_loss": val_loss[:done]}'''},
        score=25,
    ),
]

# ---- grader-gaming: it must score 0 -------------------------------------------------------------------------
# The runners run in the student's kernel, where the student can replace them: here with ones that replay the
# visible answers shipped in nbcheck/cases/ex5_training.json. The visible checks then pass in the student's own
# kernel; in the judge the hidden cases still need the real answers, so every test fails.
PATCHED_RUNNERS = """import nbcheck.grading.training as runners
from nbcheck.grading.cases import visible_cases


def replay(check):
    def runner(namespace, **inputs):
        cases = visible_cases("ex5_training", check)[1]
        for case in cases:
            if all(repr(case.inputs.get(k)) == repr(v) for k, v in inputs.items()):
                return tuple(case.answer.outputs.values())
        return tuple(cases[0].answer.outputs.values())
    return runner


for check in ("sgd", "sgd_momentum", "adagrad", "rmsprop", "adam", "train"):
    setattr(runners, check, replay(check))"""

SUBMISSIONS.append(Submission(
    name="patched_runners_replay_visible_answers",
    mistake="grader-gaming: nothing implemented, nbcheck's runners replaced by ones that replay the visible answers",
    start="release",
    edits={"sgd": [("def sgd(", PATCHED_RUNNERS + "\n\n\ndef sgd(")]},
    fails={"test_sgd": "(sgd on w of shape", "test_sgd_momentum": "(sgd_momentum on w of shape",
           "test_adagrad": "(adagrad on w of shape", "test_rmsprop": "(rmsprop on w of shape",
           "test_adam": "(adam on w of shape", "test_dropout_forward": "not implemented",
           "test_dropout_backward": "not implemented", "test_minibatches": "not implemented",
           "test_step_decay": "not implemented", "test_exponential_decay": "not implemented",
           "test_cosine_decay": "not implemented", "test_clip_by_global_norm": "not implemented",
           "test_train": "least squares", "test_train_early_stopping": "least squares"},
    score=0,
))
