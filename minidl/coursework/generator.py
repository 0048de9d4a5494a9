"""Starter and solution files, generated from minidl's own source.

An assignment's code IS minidl's implementation. In the package source, the part a student
writes is marked::

    def backward(self, gy):
        y, = self.saved_tensors
        # BEGIN SOLUTION
        return gy * (y > 0)
        # END SOLUTION

The generator copies the named classes and functions of a module and replaces every marked
region by a placeholder that names its function::

        raise NotImplementedError("ReLU.backward: not implemented yet")

With ``keep_solutions=True`` it keeps the code and drops the marker lines instead: the
reference solution, which must pass the grader. Starter files therefore cannot drift from
the package. Each file imports what its code, as written out, uses (made absolute, so that
it runs against the installed minidl): a starter leaves out the helpers that only the
removed solution calls.

Example:
    >>> code = extract('minidl.functional.activation', ['ReLU'])
    >>> print(code[:code.index('class')].strip())
    from minidl.autograd.function import Function
    from minidl.backend import get_array_module
    >>> print(code[code.index('    def backward'):].strip())
    def backward(self, gy):
            mask, = self.saved_tensors
            raise NotImplementedError("ReLU.backward: not implemented yet")
"""
import ast
import importlib
import importlib.util
import inspect
import re

BEGIN, END = '# BEGIN SOLUTION', '# END SOLUTION'
PLACEHOLDER = 'raise NotImplementedError("{}: not implemented yet")'
UNIMPLEMENTED = re.compile(r'NotImplementedError\("(\S+): not implemented yet"\)')


def module_source(module_name):
    return inspect.getsource(importlib.import_module(module_name))


def regions(lines):
    """(first, last) line indices of each marked region, markers included."""
    found, start = [], None
    for i, line in enumerate(lines):
        if line.strip() == BEGIN:
            start = i
        elif line.strip() == END:
            found.append((start, i))
    return found


def _qualname(tree, lineno):
    """'Class.method' or 'function': the innermost definition holding line ``lineno`` (1-based)."""
    names = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.lineno <= lineno <= node.end_lineno:
            names.append((node.lineno, node.name))
    return '.'.join(name for _, name in sorted(names))


def _with_placeholders(source, keep_solutions):
    """The source lines with each region replaced (by its placeholder or by its bare code).

    Removed lines become None, so that line numbers still match the parsed tree.
    """
    lines = source.split('\n')
    tree = ast.parse(source)
    for first, last in regions(lines):
        if keep_solutions:
            lines[first] = lines[last] = None
        else:
            indent = lines[first][:len(lines[first]) - len(lines[first].lstrip())]
            lines[first:last + 1] = ([indent + PLACEHOLDER.format(_qualname(tree, first + 1))]
                                     + [None] * (last - first))
    return lines


def _definitions(tree):
    """Top-level name -> node, for every def, class and assignment of a module."""
    names = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names[node.name] = node
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    names[target.id] = node
    return names


def _imports(tree, module_name):
    """Top-level bound name -> (absolute module or None, imported name) for every import."""
    package = module_name.rpartition('.')[0]
    bound = {}
    for node in tree.body:
        if isinstance(node, ast.Import):
            for alias in node.names:
                bound[alias.asname or alias.name] = (None, alias.name)
        elif isinstance(node, ast.ImportFrom):
            source = importlib.util.resolve_name('.' * node.level + (node.module or ''), package)
            for alias in node.names:
                bound[alias.asname or alias.name] = (source, alias.name)
    return bound


def _extract(module_name, names, keep_solutions, provided):
    """(imports needed, code blocks) for ``names`` of ``module_name``; see :func:`extract`."""
    source = module_source(module_name)
    tree = ast.parse(source)
    lines = _with_placeholders(source, keep_solutions)
    definitions = _definitions(tree)
    missing = [name for name in names if name not in definitions]
    if missing:
        raise ValueError(f"{module_name} defines no {', '.join(missing)}")
    nodes = sorted((definitions[name] for name in names), key=lambda node: node.lineno)
    blocks = _blocks(lines, nodes)
    imports = _imports(tree, module_name)
    needed = []
    for name in sorted(_names_wanted(blocks, _blocks(source.split('\n'), nodes), imports) - set(provided)):
        if name in imports:
            needed.append(imports[name] + (name,))
        elif name in definitions and name not in names:
            needed.append((module_name, name, name))
    return needed, blocks


def _blocks(lines, nodes):
    """The source lines of each definition in ``nodes`` (decorators included), as one text each;
    a line that is None (removed with its solution region) is left out."""
    blocks = []
    for node in nodes:
        first = min([node.lineno] + [d.lineno for d in getattr(node, 'decorator_list', [])])
        blocks.append('\n'.join(line for line in lines[first - 1:node.end_lineno] if line is not None))
    return blocks


def _names_wanted(written, with_solutions, imports):
    """The names a generated file imports: those its code reads as written out (placeholders
    in), and the public tools that the solution takes from *other* modules, which a student's
    solution needs too (A2's batched MatMul sums its gradients back with sum_to_shape, from
    reduction.py). Never the helpers of the assignment's own module that only the solution
    calls: a student could call the reference implementation through them (A3's
    max_over_window_view)."""
    solution_tools = {name for name in _names_used(with_solutions)
                      if name in imports and not name.startswith('_')}
    return _names_used(written) | solution_tools


def _names_used(blocks):
    """The names that the code of ``blocks`` reads."""
    return {n.id for n in ast.walk(ast.parse('\n\n\n'.join(blocks))) if isinstance(n, ast.Name)}


def extract(module_name, names, keep_solutions=False):
    """The source of ``names`` (classes, functions) from ``module_name``, preceded by the
    imports they use, with each marked region replaced by its placeholder (or kept)."""
    needed, blocks = _extract(module_name, names, keep_solutions, ())
    return _import_lines(needed) + '\n\n\n' + '\n\n\n'.join(blocks)


def render(header, sources, keep_solutions=False, preamble=''):
    """A whole starter (or solution) file: the ``header`` docstring, the merged imports, then
    ``preamble`` (code), then for each (module, names) of ``sources`` its docstring as
    comments and its definitions.

    A name defined by one source and used by another refers to the file's own definition.
    """
    provided = {name for _, names in sources for name in names}
    needed, sections = [], []
    for module_name, names in sources:
        module_needed, blocks = _extract(module_name, names, keep_solutions, provided)
        needed += module_needed
        doc = inspect.getdoc(importlib.import_module(module_name)) or ''
        comment = '\n'.join(('# ' + line).rstrip() for line in doc.split('\n'))
        path = module_name.replace('.', '/') + '.py'
        sections.append(f"# {'=' * 68} from {path}\n{comment}\n\n\n" + '\n\n\n'.join(blocks))
    body = '\n\n\n'.join(sections)
    return f'"""{header}\n"""\n{_import_lines(needed)}\n\n{preamble}\n\n{body}\n'


def _import_lines(needed):
    plain = sorted({f"import {name}" if name == bound else f"import {name} as {bound}"
                    for source, name, bound in needed if source is None})
    grouped = {}
    for source, name, bound in needed:
        if source is not None:
            grouped.setdefault(source, set()).add(name if name == bound else f"{name} as {bound}")
    froms = [f"from {source} import {', '.join(sorted(names))}" for source, names in sorted(grouped.items())]
    return '\n'.join(plain + ([''] if plain and froms else []) + froms)


def unimplemented(text):
    """The functions whose placeholder is still in a student's file, in order.

    Example:
        >>> unimplemented('    raise NotImplementedError("ReLU.backward: not implemented yet")')
        ['ReLU.backward']
    """
    return list(dict.fromkeys(UNIMPLEMENTED.findall(text)))
