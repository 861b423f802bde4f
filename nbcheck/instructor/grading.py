"""Grade a whole class with every core: ``nbgrader autograde``, one process per core, one gradebook.

nbgrader grades one notebook at a time. :func:`autograde_class` deals the submitted students out to
``workers`` nbgrader processes that run at once in the course folder, each told to leave out the
others' students (``--CourseDirectory.student_id_exclude``); they all write to the course's own
gradebook, which is switched to SQLite's write-ahead log so that one process's write does not
block the others' reads. Each process starts one warm zygote for its students' kernels
(:mod:`nbcheck.judge.zygote`), so a notebook costs about a second of CPU.
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

# "Graded in 0.79 s: kernel start 0.40 s, student cells 0.06 s, tests 0.31 s" (nbcheck.judge.autograde's log)
GRADED = re.compile(r"Graded in ([\d.]+) s: kernel start ([\d.]+) s, student cells ([\d.]+) s, tests ([\d.]+) s")


@dataclass
class ClassRun:
    """What grading a class took: wall time, and the judge's time per notebook by phase (seconds)."""

    seconds: float = 0.0
    notebooks: int = 0
    workers: int = 1
    log: str = ""                                        # nbgrader's own, every process's
    phases: dict[str, list[float]] = field(default_factory=lambda: {
        "judge": [], "kernel start": [], "student cells": [], "tests": []})
    failures: list[str] = field(default_factory=list)   # nbgrader runs that failed, with their log's end


def nbgrader(course: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """``nbgrader <args>`` in the course folder, with this Python's scripts on PATH (nbgrader runs alembic)."""
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    return subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course,
                          env={**os.environ, "PATH": path, **(env or {})}, capture_output=True, text=True)


def submitted_students(course: Path, assignment_id: str) -> list[str]:
    """The students with a submission of ``assignment_id`` in ``submitted/``, sorted."""
    return sorted(path.parent.name for path in (course / "submitted").glob(f"*/{assignment_id}"))


def autograde_class(course: Path, assignment_ids: list[str], students: list[str] | None = None,
                    workers: int | None = None, force: bool = True, env: dict[str, str] | None = None) -> ClassRun:
    """Autograde ``students`` (default: everyone who submitted) on each assignment, ``workers`` at a time.

    Args:
        course: the course folder (with nbgrader_config.py and gradebook.db).
        assignment_ids: the assignments, each graded after the other.
        students: whom to grade; others who submitted are left as they are.
        workers: nbgrader processes at once (default: one per core).
        force: regrade submissions graded before (nbgrader's ``--force``).
        env: environment variables for the nbgrader processes.
    """
    workers = workers or os.cpu_count() or 1
    with sqlite3.connect(course / "gradebook.db") as gradebook:
        gradebook.execute("PRAGMA journal_mode=WAL").fetchall()
    run, start = ClassRun(workers=workers), time.perf_counter()
    for assignment_id in assignment_ids:
        everyone = submitted_students(course, assignment_id)
        chosen = [s for s in everyone if students is None or s in students]
        groups = [group for group in (chosen[k::workers] for k in range(workers)) if group]

        def grade(group: list[str]) -> subprocess.CompletedProcess:
            others = ",".join(s for s in everyone if s not in group)
            return nbgrader(course, "autograde", assignment_id, *(["--force"] if force else []),
                            *([f"--CourseDirectory.student_id_exclude={others}"] if others else []), env=env)

        with ThreadPoolExecutor(max(1, len(groups))) as pool:
            for result in pool.map(grade, groups):
                log = result.stdout + result.stderr
                run.log += log
                for match in GRADED.finditer(log):
                    for phase, value in zip(run.phases, match.groups()):
                        run.phases[phase].append(float(value))
                if result.returncode != 0:
                    run.failures.append(f"{assignment_id}: {log[-2000:]}")
        run.notebooks += len(chosen)
    run.seconds = time.perf_counter() - start
    return run
