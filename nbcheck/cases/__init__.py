"""The exercises' visible test cases, answered: one JSON file per exercise, generated, never edited.

``python -m nbcheck.cases solutions/<id>/<id>.ipynb`` rewrites ``<id>.json`` from the answer key in
the solution notebook's hidden block (see :mod:`nbcheck.grading.cases`).
"""
