"""Live ipywidgets demos for the lectures; each module holds one demo's machinery and no model.

* :mod:`nbcheck.widgets.render`: the course's class colours, off-screen PNG rendering and layout;
* :mod:`nbcheck.widgets.playground`: the 2-D classification playground and the 1-D curve-fit demo
  (lecture 2);
* :mod:`nbcheck.widgets.depth`: the depth explorer (lecture 3);
* :mod:`nbcheck.widgets.graph`: computation-graph pictures and the backprop stepper (lecture 4);
* :mod:`nbcheck.widgets.race`: the optimiser race (lecture 5);
* :mod:`nbcheck.widgets.snapshot`: rendered notebooks (nbconvert) show each widget's last picture offline.
"""

from nbcheck.widgets.depth import DeepModel, DepthExplorer
from nbcheck.widgets.graph import BackpropStepper, draw_graph
from nbcheck.widgets.playground import CurveFitDemo, Model, Playground
from nbcheck.widgets.race import OptimiserRace
from nbcheck.widgets.render import CLASS_COLOURS, region_colours

__all__ = ["BackpropStepper", "CLASS_COLOURS", "CurveFitDemo", "DeepModel", "DepthExplorer", "Model", "OptimiserRace",
           "Playground", "draw_graph", "region_colours"]
