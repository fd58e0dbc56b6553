"""Random fixed-number connectivity: ``n_conn`` distinct, uniform partners per neuron.

Vectorised over all neurons with NumPy; no Python loop over rows.

* Sparse rows (``2 * n_conn <= candidates``): draw ``n_conn`` partners with
  replacement, sort each row, and redraw only the positions that repeat the
  value before them, until no row repeats a value.  Each round redraws a value
  already taken with probability below 1/2, so the duplicates shrink
  geometrically and a handful of rounds touch only a few rows.
* Dense rows: the ``n_conn`` smallest of independent uniform keys, one key
  per candidate (cost ``rows x candidates <= 2 x rows x n_conn``), in chunks
  of rows to bound memory.

Both treat every candidate label alike (the redraw rule only asks whether
two values are equal), so the distribution of a row's partner set is
invariant under permutations of its candidates: it is uniform over all
``n_conn``-subsets.  Excluding self-connections draws from ``n - 1`` values
and shifts those ``>= i`` up by one, a bijection onto the other candidates.
"""
from __future__ import annotations

import numpy as np

__all__ = ["random_partners"]

_CHUNK = 1 << 22  # keys per chunk on the dense path


def _generator(seed, where):
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is not None and (isinstance(seed, (bool, np.bool_))
                             or not isinstance(seed, (int, np.integer))):
        raise TypeError(f"{where}: seed must be an int, a numpy Generator or None, got "
                        f"{seed!r}.")
    return np.random.default_rng(seed)


def _draw(rng, rows, size, n_targets, exclude):
    """Uniform partners for ``rows`` (one array row per entry of ``rows``), ``size`` each."""
    if not exclude:
        return rng.integers(0, n_targets, size=(rows.shape[0], size), dtype=np.int32)
    has_self = rows < n_targets
    high = np.where(has_self, n_targets - 1, n_targets).astype(np.int32)[:, None]
    values = rng.integers(0, high, size=(rows.shape[0], size), dtype=np.int32)
    values += (values >= rows[:, None]) & has_self[:, None]
    return values


def _sparse(rng, n_rows, n_targets, n_conn, exclude):
    rows = np.arange(n_rows, dtype=np.int64)
    out = _draw(rng, rows, n_conn, n_targets, exclude)
    out.sort(axis=1)
    todo = np.flatnonzero((out[:, 1:] == out[:, :-1]).any(axis=1))
    while todo.size:
        block = out[todo]
        repeat = np.zeros(block.shape, dtype=bool)
        repeat[:, 1:] = block[:, 1:] == block[:, :-1]
        which_row, which_col = np.nonzero(repeat)
        fresh = _draw(rng, todo[which_row], 1, n_targets, exclude)[:, 0]
        block[which_row, which_col] = fresh
        block.sort(axis=1)
        out[todo] = block
        still = (block[:, 1:] == block[:, :-1]).any(axis=1)
        todo = todo[still]
    return out


def _dense(rng, n_rows, n_targets, n_conn, exclude):
    out = np.empty((n_rows, n_conn), dtype=np.int32)
    step = max(1, _CHUNK // max(n_targets, 1))
    for start in range(0, n_rows, step):  # chunks of rows, each vectorised
        stop = min(n_rows, start + step)
        keys = rng.random((stop - start, n_targets))
        if exclude:
            own = np.arange(start, stop)
            inside = own < n_targets
            keys[np.flatnonzero(inside), own[inside]] = np.inf
        if n_conn < n_targets:
            chosen = np.argpartition(keys, n_conn - 1, axis=1)[:, :n_conn]
        else:
            chosen = np.broadcast_to(np.arange(n_targets), keys.shape)
        out[start:stop] = np.sort(chosen, axis=1)
    return out


def random_partners(n_rows: int, n_targets: int, n_conn: int, *, seed=None,
                    allow_self: bool = True, where: str = "random"):
    """``(n_rows, n_conn)`` int32 partners, distinct within a row, sorted, uniform.

    Row ``i`` draws from ``range(n_targets)``, without ``i`` itself when
    ``allow_self`` is False.  The same ``seed`` gives the same result.
    """
    if isinstance(n_conn, (bool, np.bool_)) or not isinstance(n_conn, (int, np.integer)):
        raise TypeError(f"{where}: n_conn must be an int, got {n_conn!r}.")
    n_conn = int(n_conn)
    if n_conn < 0:
        raise ValueError(f"{where}: n_conn must be non-negative, got {n_conn}.")
    exclude = not allow_self and n_rows > 0 and n_targets > 0
    fewest = n_targets - 1 if exclude else n_targets
    if n_rows > 0 and n_conn > fewest:
        hint = " excluding self-connections" if exclude else ""
        raise ValueError(f"{where}: n_conn={n_conn} distinct partners cannot be drawn from "
                         f"{fewest} candidates{hint}; use n_conn <= {fewest}"
                         f"{' or allow_self=True' if exclude else ''}.")
    if n_targets > np.iinfo(np.int32).max:
        raise OverflowError(f"{where}: {n_targets} candidates exceed int32 indices.")
    rng = _generator(seed, where)
    if n_rows == 0 or n_conn == 0:
        return np.zeros((n_rows, n_conn), dtype=np.int32)
    if 2 * n_conn <= fewest:
        return _sparse(rng, n_rows, n_targets, n_conn, exclude)
    return _dense(rng, n_rows, n_targets, n_conn, exclude)
