"""What grading costs: a student's wait for each visible check, and autograde with the judge against in-kernel.

For every assignment, in one process:

1. **a student's wait**: the model solution run top to bottom in a fresh kernel (nbclient), as a
   student's "Restart and Run All"; every test cell's time is the wait after pressing Shift-Enter
   on a check (target: at most 0.5 s each);
2. **autograde**: one student's notebook graded by ``nbgrader autograde`` with the course's
   configuration (the judge: test cells outside the student's kernel, the kernel in a sandbox),
   against the same notebook graded with nbgrader's stock in-kernel ``Execute`` (the baseline:
   every cell, the tests included, in the student's kernel). The two alternate, A B A B, and the
   ratio is taken pair by pair (target: at most 1.3x).

A whole class, graded with every core: bench/class_grading.py.

    python bench/grading.py [--rounds 5] [--assignment ex1_softmax]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import nbformat
from nbclient import NotebookClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests import course_tools  # noqa: E402

IN_KERNEL = """
# The baseline: nbgrader's stock pipeline, every cell (the tests too) run in the student's kernel.
c.Autograde.autograde_preprocessors = ["nbgrader.preprocessors.Execute", *c.Autograde.autograde_preprocessors[1:]]
"""


def _seconds(cell: nbformat.NotebookNode) -> float:
    timing = cell.metadata.get("execution", {})
    start, end = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
    if not (start and end):
        return float("nan")
    parse = lambda stamp: datetime.fromisoformat(stamp.replace("Z", "+00:00"))  # noqa: E731
    return (parse(end) - parse(start)).total_seconds()


def student_wait(notebook: nbformat.NotebookNode, folder: str) -> dict[str, float]:
    """grade_id -> seconds, for every test cell of ``notebook`` run top to bottom in a fresh kernel."""
    executed = nbformat.from_dict(notebook)
    NotebookClient(executed, timeout=120, kernel_name="python3", record_timing=True,
                   resources={"metadata": {"path": folder}}).execute()
    return {cell.metadata["nbgrader"]["grade_id"]: _seconds(cell) for cell in executed.cells
            if cell.metadata.get("nbgrader", {}).get("grade") and cell.cell_type == "code"}


def autograde_seconds(course: Path, assignment_id: str, notebook: nbformat.NotebookNode, student: str) -> float:
    path = course_tools.notebook_path(course, "submitted", assignment_id, student)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)
    start = time.perf_counter()
    course_tools.run_nbgrader(course, "autograde", assignment_id, "--student", student, "--force")
    seconds = time.perf_counter() - start
    grades = course_tools.read_grades(course, assignment_id, student)
    assert grades.score == grades.max_score, f"{course.name} did not give full marks: {grades.failed()}"
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5, help="A B pairs of autograde runs per assignment")
    parser.add_argument("--assignment", action="append", help="only these assignments (default: all)")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        judged = course_tools.make_course(Path(tmp) / "judged")
        in_kernel = course_tools.make_course(Path(tmp) / "in-kernel")
        (in_kernel / "nbgrader_config.py").write_text((in_kernel / "nbgrader_config.py").read_text() + IN_KERNEL)
        for assignment_id in options.assignment or course_tools.assignment_ids():
            solution = nbformat.read(course_tools.notebook_path(course_tools.REPO, "solutions", assignment_id), 4)
            release = nbformat.read(course_tools.notebook_path(judged, "exercises", assignment_id), 4)
            notebook = course_tools.student_notebook(release, course_tools.model_answers(solution))

            waits = student_wait(notebook, tmp)
            print(f"\n{assignment_id}: a student's wait for each check (target: at most 0.5 s)")
            for grade_id, seconds in waits.items():
                print(f"  {grade_id:34s} {seconds:6.3f} s")

            pairs = [(autograde_seconds(judged, assignment_id, notebook, f"bench{r}"),
                      autograde_seconds(in_kernel, assignment_id, notebook, f"bench{r}")) for r in range(options.rounds)]
            judge, baseline = zip(*pairs)
            ratios = [a / b for a, b in pairs]
            print(f"{assignment_id}: autograde of one notebook, {options.rounds} pairs (median, min-max)")
            print(f"  judge and sandbox:        {statistics.median(judge):6.2f} s ({min(judge):.2f}-{max(judge):.2f})")
            print(f"  in-kernel (stock nbgrader): {statistics.median(baseline):4.2f} s "
                  f"({min(baseline):.2f}-{max(baseline):.2f})")
            print(f"  ratio, pair by pair:       {statistics.median(ratios):6.2f}x ({min(ratios):.2f}-{max(ratios):.2f}) "
                  "(target: at most 1.3x)")


if __name__ == "__main__":
    main()
