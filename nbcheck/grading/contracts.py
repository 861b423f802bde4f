"""Contracts about how a function is written, checked on the notebook's source code.

:func:`loops_in` finds out whether a function written in the notebook contains a Python loop,
directly or in any notebook function or class it uses, so that a "vectorised" answer cannot be the
loop version under another name. It reads the code of the notebook's cells (in the student's
kernel, IPython's history; in the judge, the submitted notebook), never the running objects, and
it refuses what it cannot read: code run through ``exec``, or a name bound to something that is not
a ``def``.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from pathlib import Path

from nbcheck.grading import calls

LOOPS = (ast.For, ast.AsyncFor, ast.While, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
# Calls that run Python code once per element: loops under another name.
LOOP_CALLS = {"map", "filter", "vectorize", "frompyfunc", "apply_along_axis", "apply_over_axes", "fromiter",
              "reduce", "accumulate", "starmap", "fromfunction"}
# Calls that run code this check cannot see.
HIDING_CALLS = {"exec", "eval", "compile", "getattr", "globals", "locals", "vars", "__import__", "import_module"}


def loops_in(name: str) -> str | None:
    """Why ``name`` is not loop-free (a sentence for the student), or None when it is."""
    table = _definitions(_notebook_sources())
    seen: set[str] = set()
    called = {name}
    pending = [name]
    while pending:
        current = pending.pop()
        if current in seen or current not in table:
            continue
        seen.add(current)
        kind, node, line_of = table[current]
        via = "" if current == name else f" (which `{name}` uses)"
        if kind == "module":
            return (f"`{name}` uses `{current}`, from your own file {node}: keep the vectorised code in the "
                    "notebook, so that it can be checked for loops.")
        if kind == "value" and isinstance(node, ast.Name):
            pending.append(node.id)
            called |= {node.id} if current in called else set()
            continue
        if kind == "value" and current in called and not isinstance(node, ast.Lambda):
            return (f"`{current}`{via} is not defined with `def` in your notebook, so it cannot be checked for "
                    "loops: define it with `def`.")
        for child in ast.walk(node):
            problem = _problem(child, line_of)
            if problem:
                return f"`{name}` must not use a Python loop, but `{current}`{via} {problem}"
            if isinstance(child, ast.Call) and isinstance(child.func, ast.Name):
                called.add(child.func.id)
                if child.func.id == current and kind == "def":
                    return (f"`{name}` must not use a Python loop, but `{current}`{via} calls itself at "
                            f"`{line_of(child)}`: recursion repeats code just like a loop.")
            if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Load):
                pending.append(child.id)
    return None


def _problem(node: ast.AST, line_of) -> str | None:
    """What is wrong with ``node`` in a loop-free function, or None."""
    if isinstance(node, LOOPS):
        what = {ast.For: "a for loop", ast.AsyncFor: "a for loop", ast.While: "a while loop"}.get(type(node),
                                                                                                "a comprehension")
        return f"has {what} at `{line_of(node)}`: replace it with array operations on whole arrays."
    if isinstance(node, ast.Call):
        called = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        if called in LOOP_CALLS:
            return f"calls `{called}` at `{line_of(node)}`, which runs Python code once per element: a loop in disguise."
        if called in HIDING_CALLS:
            return f"calls `{called}` at `{line_of(node)}`, which hides code from this check: write the code out."
    return None


def _notebook_sources() -> list[str]:
    """The code of the notebook's cells, in the order they ran."""
    process = calls.judge.get()
    if process is not None:
        return list(process.notebook_sources)
    import IPython
    shell = IPython.get_ipython()
    return [s for s in shell.user_ns.get("In", []) if s] if shell is not None else []


def _definitions(sources: Sequence[str]) -> dict[str, tuple[str, ast.AST | str, object]]:
    """Top-level name -> ("def" | "value" | "module", its node or file, a line formatter); the last binding wins."""
    table: dict[str, tuple[str, ast.AST | str, object]] = {}
    local_modules = {p.stem: p.name for p in Path.cwd().glob("*.py")} if calls.judge.get() is None else \
        dict(calls.judge.get().local_modules)
    for source in sources:
        tree = _parse(source)
        if tree is None:
            continue
        lines = source.splitlines()

        def line_of(node: ast.AST, lines: list[str] = lines) -> str:
            return lines[node.lineno - 1].strip() if 0 < getattr(node, "lineno", 0) <= len(lines) else "?"

        for statement in tree.body:
            if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                table[statement.name] = ("def", statement, line_of)
            elif isinstance(statement, (ast.Assign, ast.AnnAssign)) and statement.value is not None:
                targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
                for target in targets:
                    if isinstance(target, ast.Name):
                        table[target.id] = ("value", statement.value, line_of)
            elif isinstance(statement, (ast.Import, ast.ImportFrom)):
                module = statement.module if isinstance(statement, ast.ImportFrom) else None
                for alias in statement.names:
                    root = (module or alias.name).split(".")[0]
                    bound = alias.asname or alias.name.split(".")[0]
                    if root in local_modules and not statement.level:
                        table[bound] = ("module", local_modules[root], line_of)
                    else:
                        table.pop(bound, None)
    return table


def _parse(source: str) -> ast.Module | None:
    """The cell's code as Python (IPython magics turned into calls first), or None if it is not Python."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager
        source = TransformerManager().transform_cell(source)
    except Exception:  # no IPython here: parse the code as it is
        pass
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError):
        return None
