"""Live ipywidgets demos for the lectures; each module holds one demo's machinery and no model.

* :mod:`nbcheck.widgets.render`: the course's class colours and off-screen PNG rendering;
* :mod:`nbcheck.widgets.playground`: the 2-D classification playground and the 1-D curve-fit demo
  (lecture 2).
"""

from nbcheck.widgets.playground import CurveFitDemo, Model, Playground
from nbcheck.widgets.render import CLASS_COLOURS, region_colours

__all__ = ["CLASS_COLOURS", "CurveFitDemo", "Model", "Playground", "region_colours"]
