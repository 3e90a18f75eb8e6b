"""Routes are thin: a view parses the request, calls one service or named query and
serializes the answer (../shared/DESIGN.md; STYLE.md, Flask's tutorial: 3-10 lines)."""

from __future__ import annotations

import ast
import inspect
import textwrap

from web import create_app

MOST = 15  # statements' lines in a view's body, its docstring not counted


def _body_lines(view) -> int:
    source = textwrap.dedent(inspect.getsource(view))
    (fn,) = ast.parse(source).body
    body = fn.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # the docstring
    return 0 if not body else body[-1].end_lineno - body[0].lineno + 1


def test_every_route_is_a_few_lines(tmp_path):
    app = create_app({"DATABASE_URL": f"gpkg://{tmp_path / 'x.gpkg'}", "TESTING": True})
    long = {}
    for endpoint, view in app.view_functions.items():
        if endpoint == "static":
            continue
        n = _body_lines(inspect.unwrap(view))
        if n > MOST:
            long[endpoint] = n
    assert long == {}
