import numpy as np
import pytest

import tracegrad
import tracegrad.functions as F
from tracegrad import computational_graph as c


def graph():
    x = tracegrad.Variable(np.ones((2, 3), np.float32), name='x')
    h = x * 2
    y = F.sum(F.relu(h) + h)  # h is used twice: one node, two edges out
    y.name = 'y'
    return x, h, y


def test_nodes_and_edges():
    x, h, y = graph()
    g = c.build_computational_graph([y])
    variables = [n for n in g.nodes if isinstance(n, tracegrad.VariableNode)]
    functions = [n for n in g.nodes if isinstance(n, tracegrad.FunctionNode)]
    assert len(functions) == 4  # mul, relu, add, sum
    assert x.node in variables and h.node in variables and y.node in variables
    assert (x.node, h.creator) in g.edges and (h.creator, h.node) in g.edges
    assert sum(1 for head, _ in g.edges if head is h.node) == 2


def test_dump_dot():
    x, _, y = graph()
    dot = c.build_computational_graph(y, rankdir='LR').dump()
    assert dot.startswith('digraph graphname{rankdir=LR;') and dot.endswith('}')
    assert f'{id(x.node)} [label="x: (2, 3), float32",shape="octagon",' in dot
    assert 'y: float32' in dot
    assert dot.count('->') == 9
    no_names = c.build_computational_graph(y, show_name=False).dump()
    assert 'x: ' not in no_names


def test_remove_variable_and_styles():
    _, h, y = graph()
    g = c.build_computational_graph(y, remove_variable=True, variable_style=None,
                                    function_style={'color': 'red'})
    dot = g.dump()
    assert 'float32' not in dot
    assert 'color="red"' in dot
    assert f'{id(h.creator)} -> {id(h.creator)}' not in dot
    assert dot.count('->') == 4  # mul->relu, mul->add, relu->add, add->sum


def test_errors():
    _, _, y = graph()
    with pytest.raises(ValueError, match='rankdir'):
        c.build_computational_graph(y, rankdir='XY')
    with pytest.raises(TypeError, match='outputs'):
        c.build_computational_graph([1])
    with pytest.raises(ValueError, match='remove_split'):
        c.build_computational_graph(y, remove_split=False)
    with pytest.raises(NotImplementedError, match='dot'):
        c.build_computational_graph(y).dump('png')
