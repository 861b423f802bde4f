"""Grading a class: every student x every exercise, drawn from the catalogue, with one command on all cores.

    python bench/class_grading.py [--students 300] [--baseline-students 10] [--workers N]

In one course, in one run:

1. **ours**: ``python -m nbcheck.instructor grade <every assignment>`` (what an instructor runs: one
   nbgrader process per core, one gradebook, the judge and the sandbox), timed as a whole; then where
   a notebook's time goes, from the judge's log (kernel start, student cells, tests) and, for the
   rest, nbgrader's own work (reading, sanitising, the gradebook, writing);
2. **the baseline**: stock nbgrader, serial (one process; every cell, the tests included, run in the
   student's kernel; no sandbox), on the first ``--baseline-students`` of each assignment; its time
   per notebook, times the class, is what stock nbgrader would take for the class.

Student ``i``'s notebook for an assignment is entry ``i`` (cycling) of [the model solution, then every
known submission of tests/submissions/<assignment>.py]: right answers, known mistakes and right answers
written another way, as a class hands in. The goal: 300 students x 5 exercises in at most 15 minutes
on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from grading import IN_KERNEL  # noqa: E402  (bench/grading.py)
from nbcheck.instructor.grading import GRADED  # noqa: E402
from nbcheck.judge.sandbox import Zygote  # noqa: E402
from tests import course_tools  # noqa: E402
from tests.submissions import catalogue  # noqa: E402



def submit_class(course: Path, assignment_id: str, students: int) -> None:
    """Write ``students`` submissions of ``assignment_id`` into course/submitted, drawn from the catalogue."""
    solution = nbformat.read(course_tools.notebook_path(course_tools.REPO, "solutions", assignment_id), 4)
    release = nbformat.read(course_tools.notebook_path(course, "exercises", assignment_id), 4)
    answers = course_tools.model_answers(solution)
    drawn = [course_tools.Submitted(course_tools.student_notebook(release, answers))]
    drawn += [course_tools.submitted(release, answers, entry) for entry in catalogue(assignment_id)
              if not entry.name.startswith("hostile_")]
    for i in range(students):
        entry = drawn[i % len(drawn)]
        path = course_tools.notebook_path(course, "submitted", assignment_id, f"student{i:04d}")
        path = path.with_name(entry.filename) if entry.filename else path
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(entry.notebook, path)
        for name, content in entry.files.items():
            (path.parent / name).write_text(content)


def profile_autograde(course: Path, assignment_id: str, students: str) -> dict[str, float]:
    """One ``nbgrader autograde`` of the students matching ``students`` (a glob) under cProfile: seconds of the
    profiled process in all, in imports (Python's import machinery, cumulative) and in the gradebook (tottime of
    SQLAlchemy, alembic and sqlite3). cProfile slows Python code down, so read them as shares of the whole."""
    profile = course / "autograde.prof"
    nbgrader_scripts = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    subprocess.run([sys.executable, "-m", "cProfile", "-o", str(profile), "-m", "nbgrader", "autograde", assignment_id,
                    "--force", f"--student={students}"], cwd=course, env={**os.environ, "PATH": nbgrader_scripts},
                   capture_output=True, check=True)
    stats = pstats.Stats(str(profile)).stats  # (file, line, function) -> (calls, primitive calls, tottime, cumtime, callers)
    total = max(cumtime for *_, cumtime, _ in stats.values())
    imports = max((cumtime for (file, _, function), (*_, cumtime, _) in stats.items()
                   if function == "_find_and_load"), default=0.0)
    gradebook = sum(tottime for (file, _, function), (_, _, tottime, _, _) in stats.items()
                    if "sqlalchemy" in file or "alembic" in file or "sqlite3" in function)
    return {"total": total, "imports": imports, "gradebook": gradebook}


def zygote_start_seconds() -> float:
    """Starting the kernels' zygote (its sandbox and the imports every kernel shares): once per nbgrader process."""
    start = time.perf_counter()
    zygote = Zygote()
    seconds = time.perf_counter() - start
    zygote.close()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=300)
    parser.add_argument("--baseline-students", type=int, default=10)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--assignment", action="append", help="only these assignments (default: all)")
    options = parser.parse_args()
    assignments = options.assignment or course_tools.assignment_ids()
    with tempfile.TemporaryDirectory() as tmp:
        course = course_tools.make_course(Path(tmp) / "course")
        baseline = course_tools.make_course(Path(tmp) / "stock")
        (baseline / "nbgrader_config.py").write_text((baseline / "nbgrader_config.py").read_text() + IN_KERNEL)
        for assignment_id in assignments:
            submit_class(course, assignment_id, options.students)
            submit_class(baseline, assignment_id, options.baseline_students)
        notebooks = options.students * len(assignments)

        start = time.perf_counter()
        ours = subprocess.run([sys.executable, "-m", "nbcheck.instructor", "grade", *assignments,
                               "--workers", str(options.workers), "--course", str(course), "--verbose"],
                              capture_output=True, text=True)
        ours_seconds = time.perf_counter() - start
        if ours.returncode != 0:
            sys.exit(f"grading failed:\n{ours.stdout[-3000:]}\n{ours.stderr[-3000:]}")
        phases = list(zip(*(map(float, m.groups()) for m in GRADED.finditer(ours.stdout + ours.stderr))))

        profiled = profile_autograde(course, assignments[0], "student000*")
        zygote = zygote_start_seconds()

        start = time.perf_counter()
        for assignment_id in assignments:
            course_tools.run_nbgrader(baseline, "autograde", assignment_id, "--force")
        stock_seconds = time.perf_counter() - start
        stock_per_notebook = stock_seconds / (options.baseline_students * len(assignments))

    print(f"{options.students} students x {len(assignments)} exercises = {notebooks} notebooks, "
          f"{os.cpu_count()} cores, {options.workers} nbgrader processes")
    print(f"  ours, one command:        {ours_seconds / 60:6.1f} min  ({ours_seconds / notebooks:.2f} s a notebook, "
          f"{ours_seconds * options.workers / notebooks:.2f} s a notebook per process)  goal: at most 15 min")
    print(f"  stock nbgrader, serial:   {stock_per_notebook * notebooks / 60:6.1f} min projected from "
          f"{options.baseline_students * len(assignments)} notebooks ({stock_per_notebook:.2f} s a notebook)")
    print(f"  stock / ours:             {stock_per_notebook * notebooks / ours_seconds:6.1f}x")
    if phases:
        judge, kernel, cells, tests = (statistics.mean(p) for p in phases)
        per_process = ours_seconds * options.workers / notebooks
        print("  where a notebook's time goes (mean seconds in its nbgrader process):")
        for name, value in [("kernel start (forked by the zygote)", kernel), ("the student's cells", cells),
                            ("the tests (judge and kernel)", tests),
                            ("nbgrader: reading, sanitising, gradebook, writing", per_process - judge)]:
            print(f"    {name:52s} {value:5.2f} s")
    print(f"  once per nbgrader process ({options.workers} x {len(assignments)} of them): the kernels' zygote "
          f"starts in {zygote:.2f} s (sandbox, imports of IPython, numpy, matplotlib, nbcheck)")
    print(f"  one nbgrader process grading {min(options.students, 10)} notebooks of {assignments[0]} under cProfile: "
          f"{profiled['total']:.1f} s, of which imports {profiled['imports'] / profiled['total']:.0%} "
          f"and the gradebook (SQLAlchemy, SQLite) {profiled['gradebook'] / profiled['total']:.0%}")


if __name__ == "__main__":
    main()
