"""Builds the API reference of `psn_jax` from its docstrings with pdoc.

  python docs/build_api.py [OUT]      # default: build/api; open OUT/index.html

Every module of the package, Google-style docstrings, type hints rendered.
Exits with status 1 if pdoc emits any warning (tests/test_docs.py runs it).

The modules use `from __future__ import annotations`, so the fields of their
`NamedTuple`s are strings; Python evaluates them nowhere, and pdoc cannot
either (the generated `__new__` lives outside the module). `build` resolves
them with `typing.get_type_hints` in their module first.
"""

from __future__ import annotations

import importlib
import os
import pathlib
import pkgutil
import sys
import typing
import warnings

PACKAGE = "psn_jax"


def _modules(package: str = PACKAGE) -> list:
  root = importlib.import_module(package)
  names = [package] + [m.name for m in pkgutil.walk_packages(
      root.__path__, prefix=package + ".")]
  return [importlib.import_module(n) for n in names]


def resolve_namedtuple_fields(package: str = PACKAGE) -> None:
  """Gives each NamedTuple's `__new__` its fields' evaluated annotations."""
  for module in _modules(package):
    for obj in vars(module).values():
      if (isinstance(obj, type) and issubclass(obj, tuple)
          and hasattr(obj, "_fields") and obj.__module__ == module.__name__):
        hints = typing.get_type_hints(obj)
        obj.__new__.__annotations__ = {f: hints[f] for f in obj._fields
                                       if f in hints}


def build(out: str | os.PathLike) -> list[str]:
  """Writes the HTML reference to `out`; returns pdoc's warnings."""
  import pdoc  # pylint: disable=g-import-not-at-top
  import pdoc.render  # pylint: disable=g-import-not-at-top
  with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    resolve_namedtuple_fields()
    pdoc.render.configure(docformat="google", show_source=False)
    pdoc.pdoc(PACKAGE, output_directory=pathlib.Path(out))
  return [f"{w.category.__name__}: {w.message}" for w in caught
          if not issubclass(w.category, DeprecationWarning)]


def main(argv: list[str]) -> int:
  root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
  out = argv[1] if len(argv) > 1 else os.path.join(root, "build", "api")
  problems = build(out)
  for p in problems:
    print(p, file=sys.stderr)
  print(f"API reference in {out}/index.html"
        + (f"; {len(problems)} warnings" if problems else ""))
  return 1 if problems else 0


if __name__ == "__main__":
  sys.exit(main(sys.argv))
