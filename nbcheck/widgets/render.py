"""What every lecture widget shares: the course's class colours, off-screen rendering, layout, and
finishing the training runs before a notebook's kernel stops.

Widgets draw with matplotlib's Agg canvas into PNG bytes for an ``ipywidgets.Image``, so they
need no plotting backend or ``Output`` capture, and they run the same in JupyterLab, in a
script and in the tests. The picture is shown at the figure's own size in pixels: a browser that
scales a picture, up or down, blurs it.
"""

from __future__ import annotations

import asyncio
import io
import weakref
from collections.abc import Sequence

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure

# One colour per class (the first three match matplotlib's Set1 red, blue, green).
CLASS_COLOURS = np.array([[0.89, 0.10, 0.11], [0.22, 0.49, 0.72], [0.30, 0.69, 0.29],
                          [0.60, 0.31, 0.64], [1.00, 0.50, 0.00]])
PNG_OPTIONS = {"compress_level": 1}  # ~20% faster than the default level 6; the bytes stay small
CONTROLS_WIDTH = "330px"  # a column of 300 px controls whose descriptions are 90 px wide
DESCRIPTION_WIDTH = "90px"  # room for "hidden units", "momentum μ"; ipywidgets' 80 px cuts them


def region_colours(scores: np.ndarray) -> np.ndarray:
    """Colour each point by its predicted class, paler where the prediction is less sure.

    Args:
        scores: (G, K) class scores of G grid points, K ≥ 2.

    Returns:
        (G, 3) RGB values in [0, 1]: the colour of class argmax_k s_k mixed with white,
        with weight 0.25 + 0.5·tanh(s_(1) − s_(2)) (the margin between the two best scores).
    """
    top_two = np.sort(scores, axis=1)[:, -2:]
    strength = 0.25 + 0.5 * np.tanh(top_two[:, 1] - top_two[:, 0])
    colour = CLASS_COLOURS[np.argmax(scores, axis=1) % len(CLASS_COLOURS)]
    return 1.0 - strength[:, None] * (1.0 - colour)


def render_png(figure: Figure) -> bytes:
    """The figure as PNG bytes (Agg, off-screen)."""
    buffer = io.BytesIO()
    figure.canvas.print_png(buffer, pil_kwargs=PNG_OPTIONS)
    return buffer.getvalue()


def picture_width(figure: Figure) -> str:
    """The CSS width of the figure's PNG: its width in pixels (figure size × dpi)."""
    return f"{figure.canvas.get_width_height()[0]}px"


def picture_layout(figure: Figure) -> widgets.Layout:
    """The layout of an ``Image`` that shows ``figure`` at its size in pixels.

    A box stretches its children (a column their width, a row their height), so the width is
    set and the image keeps to the start of the row. On a page narrower than the picture,
    ipywidgets' own ``max-width: 100%`` shrinks it, keeping its proportions, like any other
    output image.
    """
    return widgets.Layout(width=picture_width(figure), flex="0 0 auto", align_self="flex-start")


def controls_beside_picture(controls: Sequence[widgets.Widget], image: widgets.Image) -> widgets.HBox:
    """A column of controls left of the picture, or above it when the page is too narrow for both.

    The column keeps its width (a box would otherwise squeeze it to nothing beside a wide
    picture) and the row wraps instead.
    """
    column = widgets.VBox(list(controls), layout=widgets.Layout(width=CONTROLS_WIDTH, flex="0 0 auto"))
    return widgets.HBox([column, image], layout=widgets.Layout(flex_flow="row wrap", align_items="flex-start"))


# Every widget alive whose runs train on the kernel's event loop (Playground, DepthExplorer); each adds itself.
TRAINERS: weakref.WeakSet = weakref.WeakSet()


def finish_training() -> None:
    """Train every widget's current run to its end now, each drawing its last picture.

    A widget trains only while the kernel is idle. A notebook run by nbconvert ends, and its
    kernel stops, right after the last cell: a widget then stays at its first picture. The
    snapshot preprocessor (:mod:`nbcheck.widgets.snapshot`) calls this after the last cell.
    """
    for trainer in list(TRAINERS):
        trainer.finish()


def running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None
