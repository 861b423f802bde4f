"""The instructor's command line: ``python -m nbcheck.instructor <command> ...``, run from the course root."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from nbgrader.api import MissingEntry

from nbcheck.instructor import grading, page, report


def run_report(args: argparse.Namespace) -> int:
    """Write the class report of one assignment, and print where it is and what hit the most students."""
    coursedir = report.course_directory(args.course)
    try:
        results = report.collect(coursedir, args.assignment_id)
    except MissingEntry:
        print(f"{args.assignment_id} is not in the gradebook ({coursedir.db_url}): run `nbgrader generate_assignment "
              f"{args.assignment_id}` and `nbgrader autograde {args.assignment_id}` first.", file=sys.stderr)
        return 2
    if not results.scores:
        print(f"No submission of {args.assignment_id} has been autograded yet: run `nbgrader autograde "
              f"{args.assignment_id}` first.", file=sys.stderr)
        return 2
    folder = args.out or args.course / "reports" / args.assignment_id
    failures, tests = report.write_csv(results, folder)
    html = page.write_html(results, folder / "report.html")
    students = len(results.scores)
    print(f"{args.assignment_id}: {students} students, mean {sum(results.scores.values()) / students:.3g} of "
          f"{results.max_points:g} autograded points")
    for test in results.ranked_tests()[:5]:
        print(f"  {test.name}: {students - len(results.failed(test.name))}/{students} pass")
    for cause in results.ranked_causes()[:5]:
        print(f"  {len(cause.students)} student{'s' if len(cause.students) != 1 else ''}: {cause.name}")
    print(f"wrote {html}, {failures} and {tests}")
    return 0


def run_grade(args: argparse.Namespace) -> int:
    """Autograde every submission of the assignments with every core, then print what it took."""
    missing = [a for a in args.assignment_ids if not grading.submitted_students(args.course, a)]
    if missing:
        print(f"Nothing submitted for {', '.join(missing)}: `nbgrader collect <assignment_id>` puts students' "
              "submissions in submitted/.", file=sys.stderr)
        return 2
    run = grading.autograde_class(args.course, args.assignment_ids, workers=args.workers, force=args.force)
    if args.verbose:
        print(run.log)
    for failure in run.failures:
        print(f"nbgrader autograde failed for {failure}", file=sys.stderr)
    print(f"graded {run.notebooks} notebooks of {', '.join(args.assignment_ids)} in {run.seconds:.1f} s "
          f"({run.seconds / max(run.notebooks, 1):.2f} s a notebook, {run.workers} at a time)")
    if run.phases["judge"]:
        means = {phase: sum(values) / len(values) for phase, values in run.phases.items()}
        print("  a notebook's judge, on average: " + ", ".join(f"{phase} {value:.2f} s" for phase, value in means.items()))
    print("Next: `python -m nbcheck.instructor report <assignment_id>`, or open Formgrader.")
    return 1 if run.failures else 0


def parser() -> argparse.ArgumentParser:
    commands = argparse.ArgumentParser(prog="python -m nbcheck.instructor",
                                       description="The course's tools for instructors. Run them from the course "
                                                   "root, as nbgrader's commands.")
    subcommands = commands.add_subparsers(dest="command", required=True, metavar="command")
    reporting = subcommands.add_parser(
        "report", help="after autograde: what the class got wrong (HTML page and CSV)",
        description="After `nbgrader autograde <assignment_id>`: every test's pass rate, the causes of failure "
                    "(named mistakes, else the kind of message) and what each student lost, sorted by how many "
                    "students each hit. Writes report.html, failures.csv and tests.csv.")
    reporting.add_argument("assignment_id")
    reporting.add_argument("--course", type=Path, default=Path("."),
                           help="the course root, where nbgrader_config.py is (default: the current folder)")
    reporting.add_argument("--out", type=Path,
                           help="the folder to write to (default: <course>/reports/<assignment_id>)")
    reporting.set_defaults(run=run_report)
    grade = subcommands.add_parser(
        "grade", help="autograde a whole class with every core",
        description="`nbgrader autograde` for every submitted student of each assignment, with one nbgrader process "
                    "per core writing to the course's gradebook. Students graded before are graded again unless "
                    "--keep is given.")
    grade.add_argument("assignment_ids", nargs="+", metavar="assignment_id")
    grade.add_argument("--course", type=Path, default=Path("."),
                       help="the course root, where nbgrader_config.py is (default: the current folder)")
    grade.add_argument("--workers", type=int, help="nbgrader processes at once (default: one per core)")
    grade.add_argument("--keep", dest="force", action="store_false",
                       help="leave submissions that were graded before as they are")
    grade.add_argument("--verbose", action="store_true", help="print nbgrader's own log")
    grade.set_defaults(run=run_grade)
    return commands


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
