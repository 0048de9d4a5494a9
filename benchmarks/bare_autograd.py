"""The least a Python autograd does per op: a yardstick for minidl's per-op overhead.

``benchmarks.overhead`` times the autograd-overhead chain (``workloads.autograd_chain``) on
these tensors beside minidl's, so the report can say how much of minidl's time per op is
the graph itself and how much is what minidl adds (input checks, saved-value bookkeeping,
backward formulas written as differentiable Tensor ops, gradient shape and dtype checks,
freeing the graph, ``create_graph``, anomaly mode). Nothing here is used by minidl.

A BareTensor records, for each op, its parents and a closure that maps the output's
gradient to the parents' gradients (the local vector-Jacobian products). ``backward`` sorts
the graph depth-first (every node after the nodes it was made from), then walks it in
reverse, summing the gradients that reach each node. Only what the chain uses exists: ``*``,
``+`` and ``sum`` of same-shape arrays, no broadcasting, no checks.

Example:
    >>> import numpy as np
    >>> a = BareTensor(np.array([2.0])); b = BareTensor(np.array([3.0]))
    >>> (a * b + a).sum().backward()
    >>> a.grad, b.grad
    (array([4.]), array([2.]))
"""
import numpy as np


class BareTensor:
    __slots__ = ('data', 'grad', 'parents', 'vjp')

    def __init__(self, data, parents=(), vjp=None):
        self.data, self.grad, self.parents, self.vjp = data, None, parents, vjp

    def __mul__(self, other):
        a, b = self.data, other.data
        return BareTensor(a * b, (self, other), lambda g: (g * b, g * a))

    def __add__(self, other):
        return BareTensor(self.data + other.data, (self, other), lambda g: (g, g))

    def sum(self):
        shape = self.data.shape
        return BareTensor(self.data.sum(keepdims=True).reshape(()), (self,),
                          lambda g: (np.broadcast_to(g, shape),))

    def backward(self):
        """dL/dx into ``.grad`` of every tensor this one was made from (L = this 0-d tensor)."""
        order, visited, stack = [], set(), [(self, False)]
        while stack:                                    # depth-first, without recursion
            node, parents_done = stack.pop()
            if parents_done:
                order.append(node)
            elif id(node) not in visited:
                visited.add(id(node))
                stack.append((node, True))
                stack.extend((p, False) for p in node.parents if id(p) not in visited)
        grads = {id(self): np.ones_like(self.data)}
        for node in reversed(order):
            g = grads.pop(id(node))
            if node.vjp is None:                        # a leaf
                node.grad = g if node.grad is None else node.grad + g
                continue
            for parent, gp in zip(node.parents, node.vjp(g)):
                previous = grads.get(id(parent))
                grads[id(parent)] = gp if previous is None else previous + gp
