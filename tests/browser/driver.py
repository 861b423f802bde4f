"""Drive the real JupyterLab in Chromium as a reader does: open a notebook, run it, use its widgets.

Everything happens through the page: menus, keyboard and mouse, as a person would use them. Times
are taken inside the browser (``performance.now()``), from the input event that changes a control
to the moment the widget's ``<img>`` gets its new picture, so they include the kernel's work, the
comm messages both ways and the browser's handling of the PNG.
"""

from __future__ import annotations

import json
import re
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tests.lab_server import TOKEN

if TYPE_CHECKING:  # Playwright may be missing: the tests then skip (conftest.py), and this module must import
    from playwright.sync_api import Page

TIMEOUT_MS = 300_000  # a lecture's Run All, or a widget's retraining, on a loaded 2-core machine
QUIET_MS = 500  # a widget whose picture has not changed for this long, its training done, has settled
STALLED_MS = 5_000  # ... or for this long, training done or not (a run that diverged stops early)
REDRAW_MS = 30_000  # a change's first new picture comes within ~0.5 s; this much later, it never will

# Run once the notebook is open: remember when each input event, each new picture and each move
# of a progress bar happened, and in which output.
RECORDER = """() => {
    window.recorder = {events: [], frames: [], progress: []};
    for (const type of ["keydown", "input", "change", "click"])
        document.addEventListener(type, () => recorder.events.push(performance.now()), true);
    new MutationObserver(mutations => {
        for (const m of mutations) {
            const record = {output: m.target.closest(".jp-OutputArea-output"), t: performance.now()};
            if (m.target.tagName === "IMG" && m.attributeName === "src") recorder.frames.push(record);
            if (m.target.classList.contains("progress-bar")) recorder.progress.push(record);
        }
    }).observe(document.body, {attributes: true, attributeFilter: ["src", "style"], subtree: true});
}"""

# The text of every error output of the notebook (a traceback, or a one-line error).
ERRORS = """() => [...document.querySelectorAll(
        ".jp-Notebook .jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")]
    .map(output => output.innerText.trim())
    .filter(text => /(^|\\n)\\w*(Error|Exception)\\b/.test(text))"""

PROMPTS = """() => [...document.querySelectorAll(".jp-Notebook .jp-CodeCell .jp-InputPrompt")]
    .map(prompt => prompt.textContent.trim())"""

# Every widget picture of the notebook: number its output (data-widget) and its controls (data-control),
# and say which cell (its index among all cells) shows it.
FIND_WIDGETS = """() => {
    const cells = [...document.querySelectorAll(".jp-Notebook .jp-Cell")];
    const kinds = [["select", "dropdown"], [".noUi-handle", "slider"], ["button", "button"],
                   ["input[type=checkbox]", "checkbox"], ["*", "unknown"]];
    const label = el => (el.matches("button") ? el.textContent
        : el.matches("input[type=checkbox]") ? el.closest("label")?.textContent
        : el.closest(".widget-inline-hbox")?.querySelector(".widget-label")?.textContent)?.trim() || "?";
    return [...document.querySelectorAll(".jp-Notebook .jp-OutputArea-output")]
        .filter(output => output.querySelector("img.widget-image"))
        .map((output, w) => {
            output.dataset.widget = w;
            const elements = output.querySelectorAll("select, .noUi-handle, button, input, textarea");
            const controls = [...elements].map((el, i) => {
                el.dataset.control = `${w}-${i}`;
                const kind = kinds.find(([selector]) => el.matches(selector))[1];
                return {id: el.dataset.control, kind, label: label(el)};
            });
            return {index: w, cell: cells.indexOf(output.closest(".jp-Cell")), controls};
        });
}"""

# Settled: no new picture for a while and, where a progress bar shows training, the run is over and
# its last picture (drawn after the bar's last move) has arrived.
SETTLED = """([widget, quiet, stalled]) => {
    const output = document.querySelector(`[data-widget="${widget}"]`);
    const last = records => records.filter(r => r.output === output).at(-1)?.t ?? 0;
    const idle = performance.now() - last(recorder.frames);
    const full = [...output.querySelectorAll(".progress-bar")].every(bar => parseFloat(bar.style.width) >= 99.999);
    const trained = full && last(recorder.frames) > last(recorder.progress);
    return idle >= stalled || (idle >= quiet && trained);
}"""

PICTURE = """async widget => {
    const digests = [];
    for (const img of document.querySelectorAll(`[data-widget="${widget}"] img.widget-image`)) {
        const digest = await crypto.subtle.digest("SHA-256", await (await fetch(img.src)).arrayBuffer());
        digests.push([...new Uint8Array(digest)].map(byte => byte.toString(16).padStart(2, "0")).join(""));
    }
    return digests.join(" ");
}"""

# {ms}: ms from the first input event after `mark` to the widget's first picture after it, once both
# happened; {ms: null} when `limit` ms passed without them; null (keep waiting) until then.
LATENCY = """([widget, mark, limit]) => {
    const output = document.querySelector(`[data-widget="${widget}"]`);
    const event = recorder.events.find(t => t > mark);
    const frame = event && recorder.frames.find(f => f.output === output && f.t > event);
    return frame ? {ms: frame.t - event} : performance.now() - mark > limit ? {ms: null} : null;
}"""


@dataclass
class Lab:
    """A running JupyterLab server: its address, the course copy it serves and its log file."""

    url: str
    root: Path
    log: Path

    def api(self, method: str, path: str) -> Any:
        """Call the server's REST API; return the decoded JSON answer (None for an empty one)."""
        request = urllib.request.Request(f"{self.url}/api/{path}", method=method,
                                         headers={"Authorization": f"token {TOKEN}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            body = response.read()
        return json.loads(body) if body else None

    def log_from(self, offset: int) -> str:
        """What the server logged after ``offset`` bytes (take the offset with ``log.stat().st_size``)."""
        with self.log.open() as log:
            log.seek(offset)
            return log.read()


@dataclass
class Control:
    """One control of a widget in the page: what kind it is, its label and its ``data-control`` id."""

    id: str
    kind: str
    label: str


@dataclass
class Widget:
    """A widget shown by a notebook cell: its name (the class the cell calls), controls and latencies."""

    index: int
    cell: int
    name: str
    controls: list[Control]
    latencies_ms: list[float] = field(default_factory=list)


def open_notebook(page: Page, lab: Lab, path: str, cells: int) -> None:
    """Open ``path`` (relative to the server's root), which has ``cells`` cells, and wait for its kernel."""
    page.goto(f"{lab.url}/lab/tree/{path}?reset&token={TOKEN}")  # reset: no tabs restored from an earlier page
    page.wait_for_function(f"document.querySelectorAll('.jp-Notebook .jp-Cell').length === {cells}",
                           timeout=TIMEOUT_MS)
    page.locator(".jp-NotebookPanel-toolbar [data-status=idle]").first.wait_for(state="attached",
                                                                                timeout=TIMEOUT_MS)
    page.evaluate(RECORDER)


def menu(page: Page, *path: str) -> None:
    """Choose a menu item, e.g. ``menu(page, "Run", "Run All Cells")``."""
    page.locator(".lm-MenuBar-item", has_text=re.compile(f"^{re.escape(path[0])}$")).click()
    for item in path[1:]:
        page.locator(".lm-Menu:visible .lm-Menu-itemLabel", has_text=re.compile(f"^{re.escape(item)}$")).click()


def prompts(page: Page) -> list[str]:
    """The execution prompts of the notebook's code cells, e.g. ``["[1]:", "[*]:", "[ ]:"]``."""
    return page.evaluate(PROMPTS)


def errors(page: Page) -> list[str]:
    """The text of every error output of the notebook."""
    return page.evaluate(ERRORS)


def run_all(page: Page) -> None:
    """Run > Run All Cells, then wait until every code cell has run, or one failed and the rest were cancelled."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    menu(page, "Run", "Run All Cells")
    try:
        page.wait_for_function(f"""() => {{
            const prompts = ({PROMPTS})();
            return prompts.every(p => /^\\[\\d+\\]:$/.test(p)) || (!prompts.includes("[*]:") && ({ERRORS})().length > 0);
        }}""", timeout=TIMEOUT_MS, polling=250)
    except PlaywrightTimeout:
        raise AssertionError(f"Run All had not finished after {TIMEOUT_MS / 1000:.0f} s: {describe(page)}") from None


def describe(page: Page) -> str:
    """What the notebook shows now: each code cell's prompt, the kernel's status and any dialog."""
    shown = prompts(page)
    waiting = [f"cell {n} {prompt}" for n, prompt in enumerate(shown) if not re.fullmatch(r"\[\d+\]:", prompt)]
    status = page.locator(".jp-NotebookPanel-toolbar [data-status]").first.get_attribute("data-status", timeout=5_000)
    dialogs = page.locator(".jp-Dialog").all_inner_texts()
    return (f"{len(shown)} code cells, not run: {', '.join(waiting) or 'none'} (code cells counted from 0); "
            f"kernel {status}; dialogs: {dialogs or 'none'}; errors: {errors(page) or 'none'}")


def type_into_cell(page: Page, index: int, source: str) -> None:
    """Replace the text of the notebook's ``index``-th cell by typing ``source`` into its editor."""
    page.locator(".jp-Notebook .jp-Cell").nth(index).locator(".cm-content").click()
    page.keyboard.press("Control+a")
    page.keyboard.insert_text(source)  # as pasted: no auto-indent or closing brackets added


def widgets(page: Page, sources: list[str], names: list[str]) -> list[Widget]:
    """Every widget picture in the open notebook, with its controls, named by the one of ``names``
    (widget classes) that its cell calls; ``sources`` are the notebook's cells' sources."""
    found = []
    for item in page.evaluate(FIND_WIDGETS):
        called = [name for name in names if re.search(rf"\b{name}\(", sources[item["cell"]])]
        name = called[0] if len(called) == 1 else f"the widget of cell {item['cell']}"
        found.append(Widget(item["index"], item["cell"], name, [Control(**control) for control in item["controls"]]))
    return found


def settle(page: Page, widget: Widget) -> None:
    """Wait until the widget has stopped redrawing (its training run, if any, is over)."""
    page.wait_for_function(SETTLED, arg=[widget.index, QUIET_MS, STALLED_MS], timeout=TIMEOUT_MS, polling=100)


def picture(page: Page, widget: Widget) -> str:
    """A digest of the bytes of the picture(s) the widget shows now."""
    return page.evaluate(PICTURE, widget.index)


def enabled(page: Page, control: Control) -> bool:
    return page.locator(f"[data-control='{control.id}']").is_enabled()


def operate(page: Page, control: Control) -> None:
    """Change a control as a person would: the next option, one step of a slider, a click."""
    element = page.locator(f"[data-control='{control.id}']")
    if control.kind == "dropdown":
        options = element.evaluate("select => [...select.options].map(option => option.value)")
        element.select_option(options[(options.index(element.input_value()) + 1) % len(options)])
    elif control.kind == "slider":
        now, low = (float(element.get_attribute(name)) for name in ("aria-valuenow", "aria-valuemin"))
        element.press("ArrowLeft" if now > low else "ArrowRight")
    elif control.kind in ("button", "checkbox"):
        element.click()
    else:
        raise AssertionError(f"the test does not know how to operate the {control.kind} control {control.label!r}")


def change(page: Page, widget: Widget, control: Control) -> None:
    """Operate ``control`` once; assert that the picture changes; record the latency of its first new picture."""
    settle(page, widget)
    before = picture(page, widget)
    mark = page.evaluate("performance.now()")
    operate(page, control)
    latency = page.wait_for_function(LATENCY, arg=[widget.index, mark, REDRAW_MS], timeout=TIMEOUT_MS,
                                     polling=50).json_value()["ms"]
    assert latency is not None, \
        f"{widget.name}: no new picture within {REDRAW_MS // 1000} s of changing {control.label!r}"
    settle(page, widget)
    assert picture(page, widget) != before, f"{widget.name}: the picture did not change after {control.label!r}"
    widget.latencies_ms.append(latency)


def operate_all(page: Page, widget: Widget, times: int = 2) -> None:
    """Change every control ``times`` times in a row, asserting a new picture each time.

    A control that is disabled now (a "prev" button at the first step) waits until another change
    enables it.
    """
    pending = [control for control in widget.controls for _ in range(times)]
    while pending:
        control = next((c for c in pending if enabled(page, c)), None)
        assert control is not None, f"{widget.name}: {sorted({c.label for c in pending})} stay disabled"
        pending.remove(control)
        change(page, widget, control)
