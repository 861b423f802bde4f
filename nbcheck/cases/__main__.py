"""python -m nbcheck.cases NOTEBOOK...: rewrite the visible cases of each solution notebook."""

import argparse
from pathlib import Path

from nbcheck.grading.cases import write

parser = argparse.ArgumentParser(description="Write the answered visible cases of solution notebooks to "
                                             "nbcheck/cases/<exercise>.json.")
parser.add_argument("notebooks", nargs="+", type=Path)
for notebook in parser.parse_args().notebooks:
    for path in write(notebook):
        print(f"wrote {path}")
