"""How long a student waits for each check, and what nbgrader's autograde costs on top.

For every assignment, in one process:
1. baseline: the model solution, as a student would submit it, executed top to bottom in a
   fresh kernel with nbclient (what "Restart and Run All" costs), timing every test cell;
2. nbgrader: ``nbgrader autograde`` of that same notebook for one student in a temporary course.
It prints each test cell's time (the wait after pressing Shift-Enter on a check) and the
ratio of autograde's wall time to the baseline.

    python bench/grading.py
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import nbformat
from nbclient import NotebookClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests import course_tools  # noqa: E402


def _seconds(cell: nbformat.NotebookNode) -> float:
    timing = cell.metadata.get("execution", {})
    start, end = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
    if not (start and end):
        return float("nan")
    parse = lambda stamp: datetime.fromisoformat(stamp.replace("Z", "+00:00"))  # noqa: E731
    return (parse(end) - parse(start)).total_seconds()


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = course_tools.make_course(Path(tmp) / "course")
        for assignment_id in course_tools.assignment_ids():
            solution = nbformat.read(course_tools.notebook_path(course_tools.REPO, "solutions", assignment_id), 4)
            release = nbformat.read(course_tools.notebook_path(root, "exercises", assignment_id), 4)
            notebook = course_tools.student_notebook(release, course_tools.model_answers(solution))

            executed = nbformat.from_dict(notebook)
            start = time.perf_counter()
            NotebookClient(executed, timeout=120, kernel_name="python3", record_timing=True,
                           resources={"metadata": {"path": tmp}}).execute()
            baseline = time.perf_counter() - start

            start = time.perf_counter()
            course_tools.autograde(root, assignment_id, {"bench": notebook})
            autograde = time.perf_counter() - start

            print(f"\n{assignment_id}")
            print(f"  {'test cell':32s} {'seconds':>8s}")
            for cell in executed.cells:
                meta = cell.metadata.get("nbgrader", {})
                if meta.get("grade") and cell.cell_type == "code":
                    print(f"  {meta['grade_id']:32s} {_seconds(cell):8.3f}")
            print(f"  Run All in a fresh kernel (baseline): {baseline:6.2f} s")
            print(f"  nbgrader autograde, one student:      {autograde:6.2f} s  "
                  f"({autograde / baseline:.2f}x the baseline)")


if __name__ == "__main__":
    main()
