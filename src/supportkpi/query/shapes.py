"""Compile each query shape once: requests that differ only in values share one statement.

A *shape* is everything that decides a metric's statement except the values a request
brings: its range start and end, "now" for clocks still running, and its filter values. The
first request of a shape builds the expression twice, with its own values and with perturbed
ones, and keeps the statement with parameters that :func:`template_of` derives from the pair.
Later requests of the shape skip building and compiling and bind their values. A shape whose
statement depends on a value in any other way (a table built per request, a bound
computed from the end) is remembered as not parameterisable and runs as before.

A statement that reads only the store's own tables (the canonical ones and the stored facts)
and in-memory tables is shared by every connection to the same store under the same stored
facts (``Backend.template_scope``): the readers of a server's pool, and the connections
opened after a load, which reads the same tables with new rows. A statement naming a
temporary table of its connection (a fact computed on the fly) is kept by that connection
alone, and goes with it.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import ibis.expr.types as ir
import pandas as pd

from supportkpi.engine.backends import Backend
from supportkpi.engine.templates import SqlTemplate, template_of

#: Shapes kept per backend (a dashboard uses a few hundred; each holds one statement).
MAX_SHAPES = 2048


@dataclass(frozen=True)
class Values:
    """The values of one request that become statement parameters."""

    lo: int | None  # range start, epoch seconds
    hi: int | None  # range end (exclusive)
    as_of: int | None  # "now" for clocks still running
    where: Mapping[str, Sequence[Any]]

    def named(self) -> dict[str, Any]:
        """Each value under its parameter name (``lo``, ``hi``, ``as_of``, ``w0_0`` ...)."""
        given = (("lo", self.lo), ("hi", self.hi), ("as_of", self.as_of))
        out: dict[str, Any] = {name: value for name, value in given if value is not None}
        for i, values in enumerate(self.where.values()):
            for j, value in enumerate(values):
                out[f"w{i}_{j}"] = value
        return out

    def perturbed(self) -> Values | None:
        """The same values, each moved so that no two can be confused (``None`` when a value
        has a type that cannot be moved, such as a date a library caller filtered on)."""
        where: dict[str, list[Any]] = {}
        for i, (dim, values) in enumerate(self.where.items()):
            moved: list[Any] = []
            for j, value in enumerate(values):
                if isinstance(value, str):
                    moved.append(f"{value}\x1f{i}.{j}")
                elif isinstance(value, int) and not isinstance(value, bool):
                    moved.append(value + 1_000_003 + 1009 * i + j)
                else:
                    return None
            where[dim] = moved
        # Distinct small offsets: a range end and "now" are often the same instant.
        return Values(
            lo=None if self.lo is None else self.lo + 1,
            hi=None if self.hi is None else self.hi + 2,
            as_of=None if self.as_of is None else self.as_of + 3,
            where=where,
        )

    def shape(self) -> tuple[Hashable, ...]:
        """What of these values the statement's form depends on: which are given, and how
        many filter values of which type each filter has."""
        return (
            self.lo is None,
            self.hi is None,
            self.as_of is None,
            tuple(
                (dim, tuple(type(v).__name__ for v in values)) for dim, values in self.where.items()
            ),
        )


#: Marks a shape whose statement cannot take its values as parameters.
_NOT_PARAMETERISED = object()


class ShapeCache:
    """Statements by shape for one backend: a bounded LRU map, safe across threads."""

    def __init__(self, limit: int = MAX_SHAPES) -> None:
        self.limit = limit
        self._entries: OrderedDict[Hashable, object] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: Hashable) -> object | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
                self.hits += 1
            else:
                self.misses += 1
            return entry

    def put(self, key: Hashable, entry: object) -> None:
        with self._lock:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self.limit:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)


_CACHES: weakref.WeakKeyDictionary[Backend, ShapeCache] = weakref.WeakKeyDictionary()
#: Statements shared by every backend of one scope (``Backend.template_scope``), the most
#: recently used scopes kept: a store's scope changes only when its stored facts do.
_SHARED: OrderedDict[Hashable, ShapeCache] = OrderedDict()
MAX_SCOPES = 8
_CACHES_LOCK = threading.Lock()


def shape_cache(backend: Backend) -> ShapeCache:
    """The statements kept for ``backend`` alone (created on first use); its ``hits`` count
    the shapes it found compiled, here or in its scope's shared cache."""
    with _CACHES_LOCK:
        cache = _CACHES.get(backend)
        if cache is None:
            cache = _CACHES[backend] = ShapeCache()
        return cache


def _shared_cache(scope: Hashable) -> ShapeCache:
    with _CACHES_LOCK:
        cache = _SHARED.get(scope)
        if cache is None:
            cache = _SHARED[scope] = ShapeCache()
            while len(_SHARED) > MAX_SCOPES:
                _SHARED.popitem(last=False)
        _SHARED.move_to_end(scope)
        return cache


#: The shared statements whose in-memory tables each backend has registered.
_REGISTERED: weakref.WeakKeyDictionary[Backend, weakref.WeakSet[SqlTemplate]] = (
    weakref.WeakKeyDictionary()
)


def _run_template(backend: Backend, template: SqlTemplate, values: Values) -> pd.DataFrame:
    with _CACHES_LOCK:
        registered = _REGISTERED.setdefault(backend, weakref.WeakSet())
        first = template not in registered
    if first:  # a statement compiled on another connection: its memtables are not here yet
        backend.register_inputs(template.source)
        with _CACHES_LOCK:
            registered.add(template)
    return backend.run_template(template, values.named())


def run_shaped(
    backend: Backend,
    shape: Hashable,
    values: Values,
    build: Callable[[Values, bool], ir.Table],
) -> pd.DataFrame:
    """Run the statement of ``build(values, ...)``, compiling it once per ``shape``.

    ``build(values, as_literals)`` returns the expression for ``values``. With
    ``as_literals`` the filter values are literals of the expression (so that the template
    can bind them); without, the builder may use any form (the engine compiles it afresh).
    ``shape`` must hold everything besides ``values`` that the expression depends on.

    A statement that reads only tables every connection of its backend's scope can read is
    shared with them: another reader of the server's pool, or the connection opened after
    the next load, finds it compiled.
    """
    if not backend.supports_templates:
        return backend.execute(build(values, False))
    key = (shape, values.shape())
    try:
        hash(key)
    except TypeError:  # an unhashable option or policy: no sharing, no harm
        return backend.execute(build(values, False))
    local = shape_cache(backend)
    scope = backend.template_scope()
    shared = _shared_cache(scope[0]) if scope is not None else None
    entry = local.get(key)
    if entry is None and shared is not None:
        entry = shared.get(key)
        if entry is not None:
            local.hits += 1
    if isinstance(entry, SqlTemplate):
        return _run_template(backend, entry, values)
    if entry is _NOT_PARAMETERISED:
        return backend.execute(build(values, False))
    moved = values.perturbed()
    template = None
    if moved is not None:
        template = template_of(
            backend.compile_tree,
            build(values, True),
            build(moved, True),
            values.named(),
            moved.named(),
        )
    # Whether a shape takes parameters does not depend on the connection; a statement that
    # names a temporary table of this connection does.
    shareable = scope is not None and (template is None or template.tables <= scope[1])
    (shared if shared is not None and shareable else local).put(
        key, template if template is not None else _NOT_PARAMETERISED
    )
    if template is None:
        return backend.execute(build(values, False))
    return _run_template(backend, template, values)
