"""The computational graph that autodiff recorded, drawn as the backprop slides draw it.

    w0, x0, w1, x1, w2 = (dg.tensor(v, requires_grad=True) for v in (2.0, -1.0, -3.0, -2.0, -3.0))
    f = 1 / (1 + dg.exp(-(w0 * x0 + w1 * x1 + w2)))
    g = viz.graph(f, params={"w0": w0, "x0": x0, "w1": w1, "x1": x1, "w2": w2},
                  show_values=True, show_grads=True)
    print(g)                  # a text tree: every op with its output's value and gradient
    open("f.dot", "w").write(g.to_dot())   # Graphviz DOT text: `dot -Tpng f.dot -o f.png`

Op nodes are the recorded ``Function`` s (Mul, Add, Exp, Div...); leaves are the tensors
the graph starts from (named by ``params``, by ``Tensor.name`` or by their shape); constants
(tensors that need no gradient) show their value.  Every edge is a tensor: with
``show_values`` it carries the forward value, with ``show_grads`` the gradient of the output
with respect to it (computed with ``deepgrad.autograd.grad``; nothing's ``.grad`` changes).
Call it before ``backward`` (or after ``backward(retain_graph=True)``): backward frees the graph.
"""
from __future__ import annotations

import html

import numpy as np

__all__ = ["graph", "Graph", "GraphNode"]


def _np(t):
    a = t.data
    if type(a).__module__.startswith("cupy"):
        a = a.get()
    return np.asarray(a)


class GraphNode:
    """One node: ``kind`` is 'op', 'leaf', 'const' or 'output'; ``tensor`` the tensor it makes
    (an op's first output), ``value`` / ``grad`` its numpy value and gradient (or None)."""

    def __init__(self, key, kind, label, tensor=None):
        self.key, self.kind, self.label, self.tensor = key, kind, label, tensor
        self.value = None
        self.grad = None

    def __repr__(self):
        return f"GraphNode({self.kind}, {self.label!r})"


class Graph:
    """What ``graph`` returns: ``nodes`` (key -> GraphNode), ``edges`` ((src key, dst key, tensor)),
    ``to_dot()``, ``str(graph)`` (a text tree) and ``render(path)`` (needs the graphviz package)."""

    def __init__(self, nodes, edges, roots, values, grads, show_values, show_grads, precision, max_elements):
        self.nodes, self.edges, self._roots = nodes, edges, roots
        self._values, self._grads = values, grads
        self.show_values, self.show_grads = show_values, show_grads
        self.precision, self.max_elements = precision, max_elements

    # -- formatting -------------------------------------------------------------------------------------
    def _num(self, v):
        p = self.precision
        if v != 0 and (abs(v) < 0.5 * 10.0**-p or abs(v) >= 1e6):
            return f"{v:.{p}e}"
        return f"{v:.{p}f}"

    def _fmt(self, a):
        if a is None:
            return "None"
        if a.size > self.max_elements:
            return f"shape {tuple(a.shape)}"
        if a.ndim == 0:
            return self._num(a.item())
        return "[" + ", ".join(self._num(v) for v in a.ravel().tolist()) + "]"

    def _annotations(self, t):
        parts = []
        if self.show_values:
            parts.append(("value", self._fmt(self._values.get(id(t)))))
        if self.show_grads and id(t) in self._grads:
            parts.append(("grad", self._fmt(self._grads[id(t)])))
        return parts

    # -- text tree --------------------------------------------------------------------------------------
    def _line(self, node, t):
        shape = f" {tuple(t.shape)}" if t is not None else ""
        notes = "".join(f"  {k}={v}" for k, v in self._annotations(t)) if t is not None else ""
        return f"{node.label}{shape}{notes}"

    def __str__(self):
        lines, seen = [], set()
        into = {}
        for src, dst, t in self.edges:
            into.setdefault(dst, []).append((src, t))

        stack = [(key, self.nodes[key].tensor, "", True, True) for key in reversed(self._roots)]
        while stack:  # depth first without recursion: a long recurrent graph is deeper than Python's stack
            key, t, prefix, last, top = stack.pop()
            node = self.nodes[key]
            branch = "" if top else ("└─ " if last else "├─ ")
            again = key in seen and node.kind == "op"
            lines.append(prefix + branch + self._line(node, t) + ("  (see above)" if again else ""))
            if again:
                continue
            seen.add(key)
            kids = into.get(key, [])
            child_prefix = prefix + ("" if top else ("   " if last else "│  "))
            for i in reversed(range(len(kids))):
                src, st = kids[i]
                stack.append((src, st, child_prefix, i == len(kids) - 1, False))
        return "\n".join(lines)

    __repr__ = __str__

    # -- Graphviz -----------------------------------------------------------------------------------------
    def to_dot(self, name="deepgrad", rankdir="LR"):
        """The graph as Graphviz DOT text (no dependency): ops are ellipses, leaves blue boxes,
        constants grey boxes, the output a green box; edges carry value (green) and grad (red)."""
        style = {"op": 'shape=ellipse, style=filled, fillcolor="#fff2cc"',
                 "leaf": 'shape=box, style=filled, fillcolor="#cfe2f3"',
                 "const": 'shape=box, style=filled, fillcolor="#eeeeee"',
                 "output": 'shape=box, style=filled, fillcolor="#d9ead3"'}
        out = [f"digraph {name} {{", f"  rankdir={rankdir};",
               '  node [fontname="Helvetica", fontsize=11];', '  edge [fontname="Helvetica", fontsize=10];']
        ids = {key: f"n{i}" for i, key in enumerate(self.nodes)}
        for key, node in self.nodes.items():
            label = html.escape(node.label)
            if node.kind in ("leaf", "const", "output") and node.tensor is not None:
                label += f"<br/>{html.escape(str(tuple(node.tensor.shape)))}"
            out.append(f"  {ids[key]} [label=<{label}>, {style[node.kind]}];")
        for src, dst, t in self.edges:
            notes = self._annotations(t)
            colors = {"value": "darkgreen", "grad": "red"}
            if notes:
                text = "<br/>".join(f'<font color="{colors[k]}">{html.escape(v)}</font>' for k, v in notes)
                out.append(f"  {ids[src]} -> {ids[dst]} [label=<{text}>];")
            else:
                out.append(f"  {ids[src]} -> {ids[dst]};")
        out.append("}")
        return "\n".join(out) + "\n"

    def render(self, path, format="png"):
        """Write the picture with the optional ``graphviz`` package (and its ``dot`` program)."""
        try:
            import graphviz
        except ImportError as exc:
            raise ImportError("Graph.render needs the graphviz package (pip install graphviz) and Graphviz's "
                              "`dot` program; or write to_dot() to a file and run `dot -Tpng`") from exc
        return graphviz.Source(self.to_dot()).render(outfile=str(path), format=format, cleanup=True)


def _names(params):
    if params is None:
        return {}
    items = params.items() if isinstance(params, dict) else params
    names = {}
    for item in items:
        try:
            name, t = item
        except (TypeError, ValueError):
            raise TypeError("graph: params must be a dict {name: Tensor} or (name, Tensor) pairs "
                            f"(e.g. model.named_parameters()), got an item {item!r}") from None
        names[id(t)] = str(name)
    return names


def graph(output, params=None, show_values=False, show_grads=False, precision=2, max_elements=6):
    """Walk the graph recorded for ``output`` (a Tensor or a list of them) and return a ``Graph``.

    ``params`` names leaves ({name: tensor} or ``model.named_parameters()``).  ``show_values`` /
    ``show_grads`` put the forward value / gradient of each tensor on its edge (those with at most
    ``max_elements`` elements; others show their shape), ``precision`` decimals.  For a non-scalar
    output the gradients are those of ``output.sum()``.

    >>> x = dg.tensor(3.0, requires_grad=True); y = x * x
    >>> print(viz.graph(y, {"x": x}, show_values=True, show_grads=True))
    output ()  value=9.00  grad=1.00
    └─ Mul ()  value=9.00  grad=1.00
       ├─ x ()  value=3.00  grad=6.00
       └─ x ()  value=3.00  grad=6.00
    """
    from deepgrad.tensor import Tensor

    outputs = [output] if isinstance(output, Tensor) else list(output)
    if not outputs or not all(isinstance(o, Tensor) for o in outputs):
        raise TypeError(f"graph: expected a Tensor or a list of Tensors, got {type(output).__name__}")
    names = _names(params)
    nodes, edges, tensors = {}, [], {}

    def tensor_node(t):
        """The key of the node that makes ``t``, adding it (and its inputs) on first sight."""
        tensors[id(t)] = t
        f = t.creator
        if f is not None:
            if f.inputs is None:
                raise RuntimeError(f"graph: the graph of {f.name} was freed by backward; call viz.graph before "
                                   "backward, or call backward(retain_graph=True)")
            key = ("op", id(f))
            if key not in nodes:
                nodes[key] = GraphNode(key, "op", f.name, t)
                stack.append(f)
            return key
        key = ("t", id(t))
        if key not in nodes:
            if id(t) in names:
                label = names[id(t)]
            elif t.name:
                label = str(t.name)
            elif t.requires_grad:
                label = "leaf"
            else:
                label = "const " + (_const_text(t, precision) if t.data.size <= max_elements else "")
            nodes[key] = GraphNode(key, "leaf" if t.requires_grad else "const", label.strip(), t)
        return key

    stack = []
    roots = []
    for i, o in enumerate(outputs):
        key = ("out", i)
        label = names.get(id(o)) or (o.name and str(o.name)) or ("output" if len(outputs) == 1 else f"output {i}")
        nodes[key] = GraphNode(key, "output", label, o)
        edges.append((tensor_node(o), key, o))
        roots.append(key)
    while stack:
        f = stack.pop()
        for x in f.inputs:
            edges.append((tensor_node(x), ("op", id(f)), x))

    values = {k: _np(t) for k, t in tensors.items()}
    grads = _gradients(outputs, tensors) if show_grads else {}
    for node in nodes.values():
        if node.tensor is not None:
            node.value = values.get(id(node.tensor))
            node.grad = grads.get(id(node.tensor))
    return Graph(nodes, edges, roots, values, grads, show_values, show_grads, precision, max_elements)


def _const_text(t, precision):
    a = _np(t)
    text = ", ".join(f"{v:.{precision}f}" for v in a.ravel().tolist())
    return text if a.ndim == 0 else f"[{text}]"


def _gradients(outputs, tensors):
    """d(sum of outputs)/d(tensor) for every tensor of the graph that requires grad."""
    from deepgrad import autograd, ones_like

    wanted = [t for t in tensors.values() if t.requires_grad]
    roots = [o for o in outputs if o.requires_grad]
    if not wanted or not roots:
        return {}
    grads = autograd.grad(roots, wanted, grad_outputs=[ones_like(o) for o in roots], retain_graph=True,
                          allow_unused=True)
    return {id(t): _np(g) for t, g in zip(wanted, grads) if g is not None}
