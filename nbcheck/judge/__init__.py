"""The judge: during ``nbgrader autograde``, test cells run here and the student's code runs elsewhere.

- :mod:`nbcheck.judge.sandbox` starts the student's kernel in a sandbox;
- :mod:`nbcheck.judge.agent` runs inside that kernel and calls the student's code on request;
- :mod:`nbcheck.judge.wire` is what crosses between the two: plain data, no pickle;
- :mod:`nbcheck.judge.session` runs one notebook: the student's cells, then the calls of the tests;
- :mod:`nbcheck.judge.autograde` plugs all this into nbgrader (see ``nbgrader_config.py``).
"""
