"""Host scalars: the part of a training step a GPU program computes on the host.

Optimizer hyperparameters and step counters arrive from Python as host scalars every
step, and the counters go back to Python as ints. A device program that took them as
device arrays would upload each one (a copy per scalar) and copy each counter back (a
copy that waits for the GPU to finish the step). So the 0-d values computed from host
inputs alone (a counter plus one, a learning rate cast to float32, Adam's bias
corrections) are computed on the host with the reference interpreter, the counters and
hyperparameters written back never leave it, and the values device kernels read go up
in one upload per step.
"""
from __future__ import annotations

from dataclasses import dataclass

from codegen.ir import Graph, Node


@dataclass
class HostSplit:
    """``graph`` cut in two. ``host`` takes the host inputs (``host_inputs``: positions in
    the original graph) and returns the uploads, then the host outputs. ``device`` takes
    the other inputs (``device_inputs``), then the uploads. ``outputs`` says where each
    original output comes from: ('host', k) or ('device', k)."""

    host: Graph
    device: Graph
    host_inputs: list
    device_inputs: list
    n_uploads: int
    outputs: list

    def device_donate(self, donate: dict) -> dict:
        """``donate`` (original output -> original input) in the device graph's indices."""
        d_in = {k: i for i, k in enumerate(self.device_inputs)}
        return {self.outputs[o][1]: d_in[i] for o, i in donate.items()
                if self.outputs[o][0] == 'device' and i in d_in}


def _copy(graph: Graph, node: Node, inputs: list) -> list:
    """Append ``node`` to ``graph`` reading ``inputs``, with its attributes and types as
    they are (normalising attributes twice is not always the identity)."""
    copy = Node(node.op, inputs, node.attrs, [])
    copy.outputs = [graph._new_value(o.shape, o.dtype, copy) for o in node.outputs]
    graph.nodes.append(copy)
    return copy.outputs


def split_host(graph: Graph, host_inputs, host_outputs) -> HostSplit | None:
    """Split off the 0-d values computed from the 0-d inputs at ``host_inputs`` alone; the
    outputs at ``host_outputs`` that are among them stay on the host. None when no input is
    a host scalar."""
    host_inputs = sorted(k for k in host_inputs if graph.inputs[k].shape == ())
    if not host_inputs:
        return None
    on_host = {graph.inputs[k].id for k in host_inputs}
    producer = {o.id: n for n in graph.nodes for o in n.outputs}
    literal = {id(n) for n in graph.nodes if not n.inputs}   # fills, iotas, constants
    host_nodes = []
    for n in graph.nodes:
        if n.inputs and all(o.shape == () for o in n.outputs) and all(
                v.id in on_host or id(producer.get(v.id)) in literal for v in n.inputs) and \
                any(v.id in on_host for v in n.inputs):
            host_nodes.append(n)
            on_host.update(o.id for o in n.outputs)
    host_ids = {id(n) for n in host_nodes}

    # what leaves the host: values device nodes read, outputs that must be device arrays
    uploads, seen = [], set()

    def upload(v):
        if v.id not in seen:
            seen.add(v.id)
            uploads.append(v)
    for n in graph.nodes:
        if id(n) not in host_ids and id(n) not in literal:
            for v in n.inputs:
                if v.id in on_host:
                    upload(v)
    host_outs, where = [], []
    for k, v in enumerate(graph.outputs):
        if v.id in on_host and k in host_outputs:
            where.append(('host', len(host_outs)))
            host_outs.append(v)
        else:
            if v.id in on_host:
                upload(v)
            where.append(('device', None))

    host = Graph()
    hmap = {}
    for k in host_inputs:
        v = graph.inputs[k]
        hmap[v.id] = host.input(v.shape, v.dtype, name=v.name)
    for n in graph.nodes:
        if id(n) in host_ids:
            for v in n.inputs:
                if v.id not in hmap:  # a literal
                    p = producer[v.id]
                    for o, c in zip(p.outputs, _copy(host, p, [])):
                        hmap[o.id] = c
            for o, c in zip(n.outputs, _copy(host, n, [hmap[v.id] for v in n.inputs])):
                hmap[o.id] = c
    host.set_outputs([hmap[v.id] for v in uploads] + [hmap[v.id] for v in host_outs])

    device = Graph()
    dmap = {}
    skip = set(host_inputs)
    device_inputs = [k for k in range(len(graph.inputs)) if k not in skip]
    for k in device_inputs:
        v = graph.inputs[k]
        dmap[v.id] = device.input(v.shape, v.dtype, name=v.name)
    for j, v in enumerate(uploads):
        dmap[v.id] = device.input(v.shape, v.dtype, name=f'host{j}')
    for n in graph.nodes:
        if id(n) not in host_ids:
            for o, c in zip(n.outputs, _copy(device, n, [dmap[v.id] for v in n.inputs])):
                dmap[o.id] = c
    dev_outs = [v for (kind, _), v in zip(where, graph.outputs) if kind == 'device']
    device.set_outputs([dmap[v.id] for v in dev_outs])
    j = 0
    for k, (kind, _) in enumerate(where):
        if kind == 'device':
            where[k] = ('device', j)
            j += 1
    return HostSplit(host, device, host_inputs, device_inputs, len(uploads), where)
