"""Tools for the course's instructors, run from the course root like nbgrader: ``python -m nbcheck.instructor``.

- ``grade <assignment_id>...``: autograde every submission with every core, into the course's own
  gradebook (:mod:`nbcheck.instructor.grading`);
- ``report <assignment_id>``: after ``nbgrader autograde``, what the class got wrong
  (:mod:`nbcheck.instructor.report`, :mod:`nbcheck.instructor.page`).
"""
