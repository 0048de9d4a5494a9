"""What every plot does last: lay the figure out and write it to the path asked for.

The plots draw on a ``matplotlib.figure.Figure`` made directly, never through pyplot: pyplot
keeps every figure it makes open until it is closed (a loop of plots leaks them, and
matplotlib warns after 20), and choosing a backend for it (``matplotlib.use``) would switch
the user's own, e.g. a notebook's inline plots. A bare Figure needs no backend: ``savefig``
picks the renderer for the file format, and a notebook displays a returned Figure as it is.
"""
import os


def finish(fig, path, dpi):
    """Tighten the layout of ``fig`` and, when ``path`` is given, write it to exactly that
    path, creating its folders: in the format its suffix names (``.png``, ``.pdf``, ``.svg``),
    PNG when it has none (left to itself, matplotlib would write ``name.png`` instead).

    Example:
        >>> import os, tempfile
        >>> from matplotlib.figure import Figure
        >>> folder = tempfile.mkdtemp()
        >>> fig = finish(Figure(), os.path.join(folder, 'new', 'plot'), dpi=50)
        >>> os.listdir(os.path.join(folder, 'new'))
        ['plot']
    """
    fig.tight_layout()
    if path is not None:
        path = os.fspath(path)
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        fig.savefig(path, dpi=dpi, format=os.path.splitext(path)[1][1:].lower() or 'png')
    return fig
