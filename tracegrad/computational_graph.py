"""The computational graph behind Variables, as Graphviz dot text.

>>> from tracegrad import computational_graph as c
>>> x = Variable(np.ones((2, 3), np.float32), name='x')
>>> y = F.sum(x * 2)
>>> g = c.build_computational_graph([y])
>>> dot = g.dump()
>>> dot.startswith('digraph graphname{rankdir=TB;')
True
>>> 'label="x: (2, 3), float32"' in dot
True
"""
from __future__ import annotations

import heapq
import itertools

from tracegrad.function_node import FunctionNode
from tracegrad.variable import Variable, VariableNode

_var_style = {'shape': 'octagon', 'fillcolor': '#E0E0E0', 'style': 'filled'}
_func_style = {'shape': 'record', 'fillcolor': '#6495ED', 'style': 'filled'}


def _escape(value) -> str:
    return str(value).replace('\\', '\\\\').replace('"', '\\"')


class DotNode:
    """A variable or function node with its dot attributes.

    Args:
        node: a :class:`VariableNode` or :class:`FunctionNode`.
        attribute: dot attributes that override the defaults.
        show_name: prefix a variable's label with its name.
    """

    def __init__(self, node, attribute: dict | None = None, show_name: bool = True):
        if not isinstance(node, (VariableNode, FunctionNode)):
            raise TypeError(f'DotNode: expected a VariableNode or FunctionNode, got '
                            f'{type(node).__name__}')
        self.node = node
        self.id_ = id(node)
        label = node.label
        if isinstance(node, VariableNode):
            if show_name and node.name is not None:
                label = f'{node.name}: {label}'
            self.attribute = {'label': label, 'shape': 'oval'}
        else:
            self.attribute = {'label': label, 'shape': 'box'}
        if attribute is not None:
            self.attribute.update(attribute)

    @property
    def label(self) -> str:
        """The node's dot statement, ``id [k="v",...];``."""
        attributes = ','.join(f'{k}="{_escape(v)}"' for k, v in self.attribute.items())
        return f'{self.id_} [{attributes}];'


class ComputationalGraph:
    """Nodes and edges of a graph, renderable as dot by :meth:`dump`.

    Args:
        nodes: the VariableNodes and FunctionNodes.
        edges: ``(head, tail)`` pairs: an input variable to its function, or a
            function to its output variable.
        variable_style: dot attributes of variables (``'default'``, None, or a dict).
        function_style: dot attributes of functions.
        rankdir: ``'TB'``, ``'BT'``, ``'LR'`` or ``'RL'``.
        remove_variable: draw functions only, linked to each other.
        show_name: show variable names.
    """

    def __init__(self, nodes, edges, variable_style='default', function_style='default',
                 rankdir: str = 'TB', remove_variable: bool = False, show_name: bool = True):
        if rankdir not in ('TB', 'BT', 'LR', 'RL'):
            raise ValueError(f"ComputationalGraph: rankdir must be 'TB', 'BT', 'LR' or 'RL', "
                             f"got {rankdir!r}")
        self.nodes = nodes
        self.edges = edges
        self.variable_style = _style(variable_style, _var_style)
        self.function_style = _style(function_style, _func_style)
        self.rankdir = rankdir
        self.remove_variable = remove_variable
        self.show_name = show_name

    def _style_of(self, node) -> dict:
        return self.variable_style if isinstance(node, VariableNode) else self.function_style

    def _to_dot(self) -> str:
        nodes, edges = self.nodes, self.edges
        if self.remove_variable:
            nodes = [n for n in nodes if isinstance(n, FunctionNode)]
            edges = _function_edges(edges)
        parts = [f'digraph graphname{{rankdir={self.rankdir};']
        for node in nodes:
            parts.append(DotNode(node, self._style_of(node), self.show_name).label)
        drawn = set()
        for head, tail in edges:
            edge = (id(head), id(tail))
            if edge not in drawn:
                drawn.add(edge)
                parts.append(f'{edge[0]} -> {edge[1]};')
        parts.append('}')
        return ''.join(parts)

    def dump(self, format: str = 'dot') -> str:
        """Return the graph as text; only ``'dot'`` is supported."""
        if format != 'dot':
            raise NotImplementedError(f"ComputationalGraph.dump: only format='dot' is "
                                      f"supported, got {format!r}")
        return self._to_dot()


def _style(style, default: dict) -> dict:
    if style is None:
        return {}
    if isinstance(style, str) and style == 'default':
        return dict(default)
    return dict(style)


def _function_edges(edges) -> list:
    """Replace each variable by its creator (heads) or consumers (tails)."""
    creators: dict = {}
    consumers: dict = {}
    for head, tail in edges:
        if isinstance(head, FunctionNode):
            creators[id(tail)] = head
        else:
            consumers.setdefault(id(head), []).append(tail)
    result = []
    for var_id, creator in creators.items():
        for consumer in consumers.get(var_id, ()):
            result.append((creator, consumer))
    return result


def build_computational_graph(outputs, remove_split: bool = True, variable_style='default',
                              function_style='default', rankdir: str = 'TB',
                              remove_variable: bool = False,
                              show_name: bool = True) -> ComputationalGraph:
    """Collect the graph that produced ``outputs`` by walking back through creators.

    Args:
        outputs: a Variable, VariableNode or FunctionNode, or a list of them.
        remove_split: must be True (kept for Chainer compatibility).
        variable_style: dot attributes of variables.
        function_style: dot attributes of functions.
        rankdir: the dot layout direction.
        remove_variable: draw only functions.
        show_name: show variable names.

    Returns:
        ComputationalGraph: call ``.dump()`` for the dot text.
    """
    if not remove_split:
        raise ValueError('build_computational_graph: remove_split=False is not supported')
    node_types = (Variable, VariableNode, FunctionNode)
    if isinstance(outputs, node_types):
        outputs = [outputs]
    for o in outputs:
        if not isinstance(o, node_types):
            raise TypeError(f'build_computational_graph: outputs must be Variables, '
                            f'VariableNodes or FunctionNodes, got {type(o).__name__}')
    counter = itertools.count()
    queue: list = []
    nodes: dict = {}
    edges: dict = {}

    def push(node) -> None:
        if id(node) not in nodes:
            nodes[id(node)] = node
            heapq.heappush(queue, (-node.rank, next(counter), node))

    for o in outputs:
        push(o.node if isinstance(o, Variable) else o)
    # Visit in decreasing rank, as backprop does, so each node is expanded once.
    while queue:
        _, _, node = heapq.heappop(queue)
        if isinstance(node, VariableNode):
            creator = node.creator_node
            if creator is not None:
                edges.setdefault((id(creator), id(node)), (creator, node))
                push(creator)
        else:
            for input_node in node.inputs or ():
                edges.setdefault((id(input_node), id(node)), (input_node, node))
                push(input_node)
    return ComputationalGraph(list(nodes.values()), list(edges.values()), variable_style,
                              function_style, rankdir, remove_variable, show_name)
