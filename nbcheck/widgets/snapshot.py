"""Widgets in rendered notebooks: each widget's last picture, visible without a network.

``jupyter nbconvert --execute --to html`` stores the state of every widget in the notebook and
renders each widget output with @jupyter-widgets/html-manager, a script the page loads from a CDN
(unpkg.com): offline, every widget stays blank. The widget outputs cannot carry a fallback that
the page would show instead, because nbconvert's HTML exporter picks the widget view whenever its
state is stored (``WidgetsDataTypeFilter``), and the lab template then writes nothing but the
script tag. And a widget that trains on the kernel's event loop (the Playground, the depth
explorer) would be stored at its first picture: the kernel stops right after the last cell.

:class:`WidgetSnapshots` is an nbconvert preprocessor that executes the notebook, then trains
every widget's run to its end (:func:`nbcheck.widgets.render.finish_training`, in one more cell
that is not kept), and turns every widget output into plain HTML built from the stored state,
that is from each widget's state when the notebook finished: the pictures (``Image`` widgets, and
what an ``Output`` widget captured, e.g. the plot of ``ipywidgets.interact``) as ``<img>`` data
URIs, the text of ``Label`` and ``HTML`` widgets (status lines, tables), and boxes as rows and
columns. Controls are left out: a page cannot move them. The stored state is then dropped, so the
page loads no widget script. Use it in place of ``--execute``::

    jupyter nbconvert --to html --HTMLExporter.preprocessors=nbcheck.widgets.snapshot.WidgetSnapshots \\
        lectures/*.ipynb --output-dir build/lectures

A notebook that has run already (``--execute`` as well, or saved with its outputs and widget
state) is not run again; its widgets show the state it stored.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

import nbformat
from nbconvert.preprocessors import ExecutePreprocessor

VIEW = "application/vnd.jupyter.widget-view+json"
STATE = "application/vnd.jupyter.widget-state+json"
REFERENCE = "IPY_MODEL_"  # how a widget's state names another widget (a box's children, its layout)
BOXES = {"HBoxModel": "row wrap", "VBoxModel": "column", "BoxModel": "row wrap", "GridBoxModel": "row wrap"}
SNAPSHOT_CLASS = "widget-snapshot"  # the HTML class of what replaces a widget output
# The extra last cell: only a notebook that imported the widgets has any that train.
FINISH_TRAINING = """import sys
if "nbcheck.widgets.render" in sys.modules:
    sys.modules["nbcheck.widgets.render"].finish_training()"""


def image_tag(mimetype: str, data: str, width: str | None = None) -> str:
    """An <img> with base64 ``data`` inline, at most as wide as the page and never stretched."""
    size = f"width: {width}; " if width and width.endswith("px") else ""
    return (f'<img src="data:{mimetype};base64,{data}" alt="the widget\'s last picture" '
            f'style="{size}max-width: 100%; height: auto">')


def output_html(output: Mapping[str, Any]) -> str:
    """One captured output (of an ``Output`` widget): its picture, else its HTML, else its text."""
    data = output.get("data", {})
    for mimetype in ("image/png", "image/jpeg"):
        if mimetype in data:
            return image_tag(mimetype, "".join(data[mimetype]).replace("\n", ""))
    if "text/html" in data:
        return "".join(data["text/html"])
    text = "".join(data.get("text/plain", output.get("text", "")))
    return f"<pre>{html.escape(text)}</pre>" if text.strip() else ""


class Snapshot:
    """Static HTML for widget models, from a notebook's stored widget state (model id -> entry)."""

    def __init__(self, state: Mapping[str, Mapping[str, Any]]) -> None:
        self.state = state

    def html(self, model_id: str) -> str:
        """The widget's last state as HTML; empty for a widget with nothing to show (a control)."""
        entry = self.state.get(model_id.removeprefix(REFERENCE))
        if entry is None:
            return ""
        name, fields = entry.get("model_name"), entry.get("state", {})
        if name in BOXES:
            parts = [self.html(child) for child in fields.get("children", [])]
            inner = "".join(f"<div>{part}</div>" for part in parts if part)
            return f'<div style="display: flex; flex-flow: {BOXES[name]}; gap: 4px">{inner}</div>' if inner else ""
        if name == "ImageModel":
            value = next((b["data"] for b in entry.get("buffers", []) if b.get("path") == ["value"]), "")
            return image_tag(f"image/{fields.get('format', 'png')}", value, self._width(fields)) if value else ""
        if name == "OutputModel":
            return "".join(output_html(output) for output in fields.get("outputs", []))
        if name == "LabelModel":
            return f"<div>{html.escape(str(fields.get('value', '')))}</div>"
        if name in ("HTMLModel", "HTMLMathModel"):
            return f"<div>{fields.get('value', '')}</div>"
        return ""

    def _width(self, fields: Mapping[str, Any]) -> str | None:
        layout = self.state.get(str(fields.get("layout", "")).removeprefix(REFERENCE), {})
        return layout.get("state", {}).get("width")


def snapshot(nb: Any) -> Any:
    """Replace every widget output of ``nb`` by static HTML of the widget's last state; drop the state.

    An output keeps its ``text/plain``; one whose widget shows nothing (a lone slider) is left
    with that text only.
    """
    state = nb.metadata.pop("widgets", {}).get(STATE, {}).get("state", {})
    pictures = Snapshot(state)
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            view = output.get("data", {}).pop(VIEW, None)
            if view is not None:
                picture = pictures.html(view["model_id"])
                if picture:
                    output.data["text/html"] = f'<div class="{SNAPSHOT_CLASS}">{picture}</div>'
    return nb


class WidgetSnapshots(ExecutePreprocessor):
    """Execute the notebook, finish the widgets' training, and replace every widget output by a snapshot.

    Configured as ``ExecutePreprocessor`` is (``--ExecutePreprocessor.timeout=...``).
    """

    def preprocess(self, nb: Any, resources: dict | None = None, km: Any = None) -> tuple[Any, dict]:
        if not any(cell.get("execution_count") for cell in nb.cells):
            nb.cells.append(nbformat.v4.new_code_cell(FINISH_TRAINING))
            nb, resources = super().preprocess(nb, resources, km)
            nb.cells.pop()
        return snapshot(nb), resources
