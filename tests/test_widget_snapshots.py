"""Rendered to HTML offline, every widget shows its last picture.

The real nbconvert CLI renders notebooks with the course's preprocessor
(``nbcheck.widgets.snapshot.WidgetSnapshots``): every lecture, and a small notebook that shows
each of nbcheck's widgets (with the cheap models of the widget tests) and an
``ipywidgets.interact`` plot, moving controls after display. Each widget's last picture must be
in the page as an ``<img>`` data URI, a widget that trains in the background must show the end of
its run, and the page must load no widget script (it would come from a CDN).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import subprocess
import sys
from dataclasses import dataclass, field
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

from nbcheck.widgets import Playground
from nbcheck.widgets.snapshot import SNAPSHOT_CLASS
from tests import course_tools
from tests.test_widgets import prototype_model

REPO = course_tools.REPO
PREPROCESSOR = "nbcheck.widgets.snapshot.WidgetSnapshots"
CELL_SECONDS = 120  # as tests/test_lectures.py: a cell that takes longer fails, naming itself, instead of hanging
# The widgets each lecture displays, in order; the page must show a picture for each.
LECTURE_WIDGETS = {
    "01_linear_softmax": ["interact: step size and reg"],
    "02_two_layer_net": ["CurveFitDemo", "Playground"],
    "03_backprop_any_depth": ["DepthExplorer"],
    "04_computation_graphs": ["BackpropStepper"],
    "05_training_in_practice": ["OptimiserRace"],
}
# What the status line of a widget that trains says at the end of its lecture's default run.
FINISHED = {"02_two_layer_net": "step 3000/3000", "03_backprop_any_depth": "step 1500/1500"}

SETUP = f"""import sys
sys.path.insert(0, {str(REPO)!r})  # the widget tests' models come from the course's tests/

import hashlib

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np

from nbcheck.widgets import BackpropStepper, CurveFitDemo, DepthExplorer, OptimiserRace, Playground
from nbcheck.widgets.graph import Trace
from tests.test_depth_explorer import feature_model
from tests.test_graph_widgets import SQUARE, SQUARE_STEPS, SUM_TIMES, SUM_TIMES_STEPS
from tests.test_optimiser_race import gradient_step, sign_step
from tests.test_widgets import prototype_model

%matplotlib inline
LAST = {{}}  # widget name -> sha256 of the PNG it shows when its cell ends"""
WIDGET_CELLS = [
    SETUP,
    """fit = CurveFitDemo(lambda x, t, m, seed: np.polyfit(x[:, 0], t, min(m, 9)), lambda c, x: np.polyval(c, x[:, 0]),
                   {"sin": np.sin, "step": lambda x: (x > 0).astype(float)}, m=2)
fit""",
    ("fit.controls['m'].value = 5  # the page must show this later picture\n"
     "LAST['fit'] = hashlib.sha256(fit.image.value).hexdigest()"),
    """explorer = DepthExplorer(feature_model(), steps=20, depth=2, width=8, grid=16, live=False)
explorer.finish()
LAST['explorer'] = hashlib.sha256(explorer.image.value).hexdigest()
explorer""",
    """stepper = BackpropStepper({"sum times": Trace(SUM_TIMES, SUM_TIMES_STEPS),
                           "square": Trace(SQUARE, SQUARE_STEPS)})
stepper.move(+2)
LAST['stepper'] = hashlib.sha256(stepper.image.value).hexdigest()
stepper""",
    """race = OptimiserRace({"gd": lambda h: gradient_step(h.learning_rate),
                      "sign": lambda h: sign_step(h.learning_rate)}, steps=30, grid=40)
race""",
    "race.controls['surface'].value = 'ravine'\nLAST['race'] = hashlib.sha256(race.image.value).hexdigest()",
    """def plot(slope=1.0):
    plt.plot([0, 1], [0, slope])
    plt.show()


widgets.interact(plot, slope=(0.0, 2.0));""",
    "import json\nprint('LAST', json.dumps(LAST))",
    # Last: it trains on the kernel's loop, which the kernel never gets to before it stops.
    "Playground({'near': prototype_model()}, hidden=2, steps=300, grid=24)",
]


def nbconvert_html(notebooks: list[str], cwd: Path, *options: str) -> None:
    """Render ``notebooks`` with `jupyter nbconvert --to html` and the snapshot preprocessor, in ``cwd``."""
    run = subprocess.run([sys.executable, "-m", "nbconvert", "--to", "html", *options,
                          f"--HTMLExporter.preprocessors={PREPROCESSOR}",
                          f"--ExecutePreprocessor.timeout={CELL_SECONDS}", *notebooks],
                         cwd=cwd, capture_output=True, text=True, timeout=1200, check=False)
    assert run.returncode == 0, f"nbconvert failed:\n{run.stderr[-3000:]}"


def render(folder: Path, cells: list[str], *options: str) -> str:
    """The page of a notebook of ``cells``, written to and rendered in ``folder``."""
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in cells])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, folder / "widgets.ipynb")
    nbconvert_html(["widgets.ipynb"], folder, *options)
    return (folder / "widgets.html").read_text()


def embedded_pictures(html: str) -> list[bytes]:
    """Every PNG the page shows inline."""
    found = re.findall(r'<img [^>]*src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    return [base64.b64decode(data) for data in found]


@dataclass
class Shown:
    """What the page shows in place of one widget output: the sources of its pictures, and its text."""

    pictures: list[str] = field(default_factory=list)
    text: str = ""


class SnapshotFinder(HTMLParser):
    """Collects every snapshot of a page (snapshots do not nest)."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[Shown] = []
        self.depth = 0  # of <div>s inside the current snapshot; 0 outside any

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.depth == 0:
            if tag == "div" and ("class", SNAPSHOT_CLASS) in attrs:
                self.found.append(Shown())
                self.depth = 1
        elif tag == "div":
            self.depth += 1
        elif tag == "img":
            self.found[-1].pictures.append(dict(attrs).get("src") or "")

    def handle_endtag(self, tag: str) -> None:
        if self.depth and tag == "div":
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.found[-1].text += data


def snapshots(html: str) -> list[Shown]:
    """What the page shows in place of each widget output, in order."""
    finder = SnapshotFinder()
    finder.feed(html)
    return finder.found


def assert_needs_no_widget_script(html: str) -> None:
    assert "application/vnd.jupyter.widget-view+json" not in html
    assert "application/vnd.jupyter.widget-state+json" not in html
    assert "unpkg.com" not in html and "html-manager" not in html


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, str]]:
    """The widget notebook's page, and the digest of each widget's picture at the end of its cells."""
    html = render(tmp_path_factory.mktemp("snapshots"), WIDGET_CELLS)
    last = re.search(r"LAST (\{.*?\})", html)
    assert last, "the notebook did not print its widgets' last pictures"
    return html, json.loads(unescape(last.group(1)))


def test_every_widget_shows_its_last_picture(page: tuple[str, dict[str, str]]) -> None:
    html, last = page
    shown = {hashlib.sha256(picture).hexdigest() for picture in embedded_pictures(html)}
    assert set(last) == {"fit", "explorer", "stepper", "race"}
    missing = [name for name, digest in last.items() if digest not in shown]
    assert not missing, f"the page lacks the last picture of {missing}"
    # 5 widgets and the interact's plot: every picture of the page is a widget's, the notebook draws no other.
    shown = snapshots(html)
    assert len(shown) == 6 and len(embedded_pictures(html)) == 6
    assert all(len(snapshot.pictures) == 1 and snapshot.pictures[0].startswith("data:image/png;base64,")
               for snapshot in shown)


def test_a_widget_that_trains_shows_the_end_of_its_run(page: tuple[str, dict[str, str]]) -> None:
    html, _ = page
    playground = Playground({"near": prototype_model()}, hidden=2, steps=300, grid=24, live=False)
    playground.finish()  # the same run, here: the same last picture, to the byte
    assert "step 300/300" in snapshots(html)[-1].text
    assert hashlib.sha256(playground.image.value).hexdigest() in {
        hashlib.sha256(picture).hexdigest() for picture in embedded_pictures(html)}


def test_the_page_needs_no_widget_script(page: tuple[str, dict[str, str]]) -> None:
    assert_needs_no_widget_script(page[0])


def test_a_notebook_executed_already_is_not_run_again(tmp_path: Path) -> None:
    """With --execute as well, nbconvert's own executor runs the notebook; the preprocessor only snapshots it."""
    cells = ["open('runs.txt', 'a').write('run\\n')",
             ("from nbcheck.widgets import Playground\n"
              "from tests.test_widgets import prototype_model\n"
              "Playground({'near': prototype_model()}, hidden=2, steps=300, grid=24)")]
    html = render(tmp_path, [f"import sys\nsys.path.insert(0, {str(REPO)!r})", *cells], "--execute")
    assert (tmp_path / "runs.txt").read_text() == "run\n"
    assert len(snapshots(html)) == 1 and len(embedded_pictures(html)) == 1
    assert_needs_no_widget_script(html)


@pytest.fixture(scope="module")
def lecture_pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Every lecture rendered by the snapshot preprocessor: lecture name -> its page."""
    folder = tmp_path_factory.mktemp("lectures")
    nbconvert_html(sorted(str(path) for path in (REPO / "lectures").glob("*.ipynb")), REPO, "--output-dir", str(folder))
    return {path.stem: path.read_text() for path in folder.glob("*.html")}


@pytest.mark.slow
@pytest.mark.parametrize("lecture", LECTURE_WIDGETS)
def test_every_lecture_widget_shows_its_last_picture(lecture: str, lecture_pages: dict[str, str]) -> None:
    html = lecture_pages[lecture]
    shown = snapshots(html)
    assert len(shown) == len(LECTURE_WIDGETS[lecture]), f"expected pictures of {LECTURE_WIDGETS[lecture]}"
    for widget, snapshot in zip(LECTURE_WIDGETS[lecture], shown):
        assert [src[:22] for src in snapshot.pictures] == ["data:image/png;base64,"], f"{widget} shows no picture"
    if lecture in FINISHED:
        assert FINISHED[lecture] in shown[-1].text, f"{LECTURE_WIDGETS[lecture][-1]} did not finish its run"
    assert_needs_no_widget_script(html)
