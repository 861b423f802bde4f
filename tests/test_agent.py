"""nbcheck.judge.agent, driven directly: what the kernel side answers to each request."""

from __future__ import annotations

import numpy as np
import pytest

from nbcheck.judge import wire
from nbcheck.judge.agent import Agent


def request(agent: Agent, op: str, *args, **fields):
    tree, buffers = wire.encode([list(args), fields.pop("kwargs", {})])
    reply, reply_buffers = agent.handle({"op": op, "args": tree["$list"][0], "kwargs": tree["$list"][1], **fields},
                                        buffers)
    if reply.get("ok") and "value" in reply:
        reply["value"] = wire.decode(reply["value"], reply_buffers, handle=lambda h: ("handle", h["$handle"], h["type"]))
    return reply


@pytest.fixture
def agent() -> Agent:
    class Counter:
        def __init__(self, start):
            self.count = start

        def __add__(self, other):
            return Counter(self.count + other)

        def value(self):
            return self.count

    def softmax(scores):
        e = np.exp(scores - scores.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def inplace(x):
        x += 1
        return x

    def todo(x):
        raise NotImplementedError()

    def uses_todo(x):
        return todo(x)

    def interrupted():
        raise KeyboardInterrupt


    return Agent({"softmax": softmax, "inplace": inplace, "uses_todo": uses_todo, "todo": todo,
                  "Counter": Counter, "interrupted": interrupted, "answer": 42})



def test_lookup_says_what_a_name_is(agent: Agent) -> None:
    assert request(agent, "lookup", name="softmax") == {"ok": True, "value": None, "defined": True, "callable": True,
                                                        "type": "function"}
    assert request(agent, "lookup", name="answer")["callable"] is False
    assert request(agent, "lookup", name="missing")["defined"] is False


def test_a_call_returns_plain_data(agent: Agent) -> None:
    reply = request(agent, "call", np.array([[0.0, 0.0]]), name="softmax", check_inputs=True)
    assert reply["ok"] and np.allclose(reply["value"], [[0.5, 0.5]])


def test_failures_are_described_not_raised(agent: Agent) -> None:
    reply = request(agent, "call", np.ones(2), name="uses_todo")
    assert reply["failure"]["type"] == "NotImplementedError" and reply["failure"]["culprit"] == "todo"
    assert request(agent, "call", np.ones(2), name="inplace", check_inputs=True) == {"ok": False, "modified": "x"}
    assert request(agent, "call", name="interrupted") == {"ok": False, "interrupted": True}
    assert "gone" in request(agent, "call", name="nothing_here")
    assert request(agent, "rm -rf")["failure"]["type"] == "ProtocolError"


def test_a_runner_may_change_the_namespace_but_not_its_inputs() -> None:
    namespace: dict = {}
    exec("""
import warnings

def sgd(w, dw, config):  # the warning is recorded in the namespace: not a change of the runner's input
    warnings.warn("lr is large")
    return w - config["learning_rate"] * dw, config

def sgd_in_place(w, dw, config):
    config["learning_rate"] *= 0.5
    return w - config["learning_rate"] * dw, config
""", namespace)  # defined as a notebook cell defines them: the namespace is their globals
    runner = "nbcheck.grading.training.sgd"  # steps of the student's sgd, each fed what the last returned
    agent = Agent(namespace)
    reply = request(agent, "runner", np.ones(2), np.ones((3, 2)), {"learning_rate": 0.5}, path=runner, check_inputs=True)
    assert reply["ok"] and np.allclose(reply["value"][0]["step 3"], [-0.5, -0.5])
    assert "__warningregistry__" in namespace, "the warning really was recorded in the namespace"
    namespace["sgd"] = namespace["sgd_in_place"]
    reply = request(agent, "runner", np.ones(2), np.ones((3, 2)), {"learning_rate": 0.5}, path=runner, check_inputs=True)
    assert reply == {"ok": False, "modified": "config"}


def test_objects_stay_in_the_kernel_and_are_reached_by_handle(agent: Agent) -> None:
    made = request(agent, "call", 3, name="Counter")["value"]
    assert made[0] == "handle" and made[2] == "Counter"
    bigger = request(agent, "operator", wire.Handle(made[1], "Counter", ""), 4, name="add")["value"]
    assert request(agent, "getattr", handle=bigger[1], attribute="count")["value"] == 7
    method = request(agent, "getattr", handle=bigger[1], attribute="value")["value"]
    assert request(agent, "call", handle=method[1])["value"] == 7
    request(agent, "release", handles=[bigger[1]])
    assert "gone" in request(agent, "getattr", handle=bigger[1], attribute="count")
