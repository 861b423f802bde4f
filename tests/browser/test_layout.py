"""The Playground stays usable in an ordinary window: 1024 px wide, with JupyterLab's file browser open.

Its controls once shared a row with the picture and were squeezed to 41 px, their values, menus and
status line gone. Now they keep their column, which moves above the picture when the two do not fit
side by side; this test reads the sizes that Chromium laid out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import nbformat
import pytest

from tests import course_tools
from tests.browser import driver
from tests.browser.driver import Lab

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NARROW = {"width": 1024, "height": 900}
LECTURE = course_tools.REPO / "lectures" / "02_two_layer_net.ipynb"

# Every control of the widget's output, by its role: its box, and whether its text fits in it.
MEASURE = """() => {
    const output = [...document.querySelectorAll(".jp-OutputArea-output")].find(o => o.querySelector("img"));
    const box = el => { const r = el.getBoundingClientRect(); return {left: r.left, right: r.right, width: r.width}; };
    const fits = el => el.scrollWidth <= el.clientWidth + 1;
    const pick = selector => [...output.querySelectorAll(selector)].map(el => ({
        text: el.innerText.trim(), ...box(el), fits: fits(el)}));
    return {
        output: box(output), image: box(output.querySelector("img")),
        labels: pick(".widget-label"), readouts: pick(".widget-readout"), menus: pick("select"),
        sliders: pick(".slider-container, .widget-slider"), status: pick(".widget-html-content"),
    };
}"""


def playground_notebook() -> nbformat.NotebookNode:
    """One cell: lecture 2's network (its cells tagged "model") and its Playground."""
    cells = [c.source for c in nbformat.read(LECTURE, as_version=4).cells if "model" in c.metadata.get("tags", [])]
    source = "\n\n".join(["import numpy as np\nfrom nbcheck.widgets import Model, Playground", *cells,
                          "Playground(MODELS)"])
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)],
                                    metadata={"kernelspec": {"name": "python3", "display_name": "Python 3"}})


def test_the_playground_keeps_its_controls_at_1024_px(browser: Browser, lab: Lab) -> None:
    path = lab.root / "playground_narrow.ipynb"
    nbformat.write(playground_notebook(), path)
    context = browser.new_context(viewport=NARROW)
    try:
        page = context.new_page()
        driver.open_notebook(page, lab, path.name, 1)
        sidebar = page.locator("#filebrowser")
        if not sidebar.is_visible():
            page.locator(".jp-SideBar.jp-mod-left .lm-TabBar-tab[data-id=filebrowser]").click()
        sidebar.wait_for(state="visible")
        driver.run_all(page)
        page.locator(".jp-OutputArea-output img").first.wait_for(state="visible", timeout=driver.TIMEOUT_MS)
        assert not driver.errors(page), driver.errors(page)
        layout: dict[str, Any] = page.evaluate(MEASURE)
    finally:
        context.close()

    out = layout["output"]
    assert out["width"] < NARROW["width"] - 200, f"the file browser is not open beside the notebook: {out}"
    everything = [item for role in ("labels", "readouts", "menus", "sliders", "status") for item in layout[role]
                  if item["width"] or item["text"]]  # an empty, undisplayed label has no box
    hidden = [item for item in everything if item["right"] > out["right"] + 1 or item["left"] < out["left"] - 1]
    assert not hidden, f"controls outside the output area at 1024 px: {hidden}"
    assert len(layout["menus"]) == 2 and all(menu["width"] >= 100 for menu in layout["menus"]), layout["menus"]
    assert len(layout["sliders"]) >= 4 and all(s["width"] >= 100 for s in layout["sliders"]), layout["sliders"]
    cut = [item["text"] for item in layout["labels"] + layout["readouts"]
           if item["text"] and (not item["fits"] or item["width"] < 10)]
    assert not cut, f"descriptions or slider values cut off at 1024 px: {cut}"
    [status] = layout["status"]
    assert status["text"].startswith("step ") and status["fits"] and status["width"] >= 150, status
    assert layout["image"]["width"] >= 300, f"the picture is squeezed: {layout['image']}"
