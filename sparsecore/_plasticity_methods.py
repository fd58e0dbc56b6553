"""Plasticity methods of the compressed matrices (mixed into CSR and CSC).

``update_on_pre`` / ``update_on_post`` return a new matrix with the weights of
spiking neurons' synapses moved by a trace; ``with_column_index`` attaches the
map that makes the update on the non-compressed side cost spikes x fan-in;
``yw_to_w`` / ``yw_to_w_transposed`` compute per-synapse products.

The column map is an optional pytree child of the matrix (``_column_index``:
``None`` or a tuple ``(mirror_indices, mirror_indptr, weight_indices)``), so it
travels through ``jax.jit``, ``vmap`` and ``lax.scan`` as leaves like every
other index array and is never computed and stored behind the user's back.
"""
from __future__ import annotations

from typing import Self

import jax
import jax.numpy as jnp

from . import _units, _validation as V
from ._typing import ArrayLike, Backend, Result
from ._plasticity import column_index, compressed_update_mantissa, yw2y_op

__all__ = ["CompressedPlasticity", "FixedNumPlasticity"]


class CompressedPlasticity:
    """Methods shared by ``CSR`` and ``CSC`` (``_axis`` 0 or 1).

    The buffers describe a row-compressed view of shape ``_view_shape``; the
    spiking side whose neurons are the view's rows is updated directly, the
    other side through the mirror structure and ``weight_indices``.
    """

    _column_index = None  # (mirror_indices, mirror_indptr, weight_indices) or None

    # -- hooks: the row-compressed view of the buffers -------------------------
    def _plastic_view(self):
        """``(values, indices, indptr, view_shape, axis)``; ``axis`` 0: view rows are rows."""
        return self.data, self.indices, self.indptr, self._view_shape, self._axis

    def _plastic_rebuild(self, values, mirror):
        """The same matrix with new (flat, storage-order) values and column index."""
        obj = type(self).tree_unflatten((self.shape,), (values, self.indices, self.indptr))
        obj._column_index = mirror
        return obj

    def _column_index_checks(self):
        """The checks of an attached column index, for ``_validation.check_structure``."""
        if self._column_index is None:
            return ()
        view_shape = self._plastic_view()[3]
        indices, indptr, weight_indices = self._column_index
        nnz = indices.shape[0]
        return (("indptr", indptr, nnz, "column_index indptr"),
                ("bounds", indices, view_shape[0], "column_index indices"),
                ("bounds", weight_indices, nnz, "column_index weight_indices"))

    def _checked_column_index(self, checked):
        """The column index from the arrays of :meth:`_column_index_checks`, in its order."""
        if not checked:
            return None
        indptr, indices, weight_indices = checked
        return (indices, indptr, weight_indices)

    @property
    def column_index(self) -> tuple[jax.Array, jax.Array, jax.Array] | None:
        """The attached ``(indices, indptr, weight_indices)`` mirror, or None.

        For a CSR matrix this is the column-compressed structure and the CSR
        position of each of its entries (see :func:`sparsecore.csr_to_csc_index`);
        for a CSC matrix, the row-compressed structure and CSC positions.
        """
        return self._column_index

    def with_column_index(self) -> Self:
        """The same matrix carrying its mirror structure as extra pytree leaves.

        Makes ``update_on_post`` of a CSR matrix (``update_on_pre`` of a CSC
        matrix) cost spikes x fan-in instead of a sort of all entries per
        call.  It is also the transposed index of the event products: with
        it, ``W @ spikes`` of a CSR or FixedPostNumConn matrix (``spikes @ W``
        of CSC or FixedPreNumConn) visits the synapses of the active inputs
        only, instead of testing every stored entry (same result; gradients
        and ``vmap`` unchanged).  Build it once, outside the simulation loop
        (it also builds under ``jax.jit``: a stable argsort); it is kept by
        ``.T``, ``with_data``, elementwise operations with scalars and by the
        update methods, and dropped by operations that may change the
        structure.

        Examples
        --------
        >>> import jax.numpy as jnp, sparsecore as sc
        >>> W = sc.CSR.fromdense(jnp.array([[1., 0.], [2., 3.]])).with_column_index()
        >>> W.column_index[2]
        Array([0, 1, 2], dtype=int32)
        >>> W.update_on_post(jnp.array([0.5, 1.0]), jnp.array([False, True])).todense()
        Array([[1., 0.],
               [2., 4.]], dtype=float32)
        >>> W @ jnp.array([False, True])  # the event product walks column 1 only
        Array([0., 3.], dtype=float32)
        """
        if self._column_index is not None:
            return self
        values, indices, indptr, view_shape, _ = self._plastic_view()
        return self._plastic_rebuild(values, column_index(indices, indptr, view_shape))

    def _plastic_update(self, spike, trace, w_min, w_max, *, on_pre: bool, backend, clip):
        values, indices, indptr, view_shape, axis = self._plastic_view()
        mantissa, unit = _units.split(values)  # once: the trace and bounds convert to it
        name = f"{type(self).__name__}.update_on_{'pre' if on_pre else 'post'}"
        if on_pre != (axis == 0):  # the buffers compress the trace side: walk the mirror
            mirror = self._column_index
            if mirror is None:  # built inside this call only; never stored on self
                mirror = column_index(indices, indptr, view_shape)
            indices, indptr, weight_indices = mirror
        else:
            weight_indices = None
        out = compressed_update_mantissa(mantissa, unit, indices, indptr, weight_indices, spike,
                                         trace, w_min, w_max, shape=self.shape, on_pre=on_pre,
                                         where=name, backend=backend, full=False, clip=clip)
        return self._plastic_rebuild(_units.attach(out, unit), self._column_index)

    def update_on_pre(self, pre_spike, post_trace, w_min=None, w_max=None, *, backend=None,
                      clip="updated"):
        """New matrix with ``W[i, j] += post_trace[j]`` for every spiking row ``i``.

        Only the updated entries are clipped to ``[w_min, w_max]`` (either may
        be None); ``clip="all"`` clips every weight after the update, as
        brainevent does (one more pass over all weights).  Spikes are bool or
        any nonzero number; the trace and bounds are converted to the weights'
        unit.  For a CSC matrix without a column
        index the mirror is built inside the call (correct, O(nnz log nnz));
        use :meth:`with_column_index` in loops.  Donate the matrix to
        ``jax.jit`` to update the weights in place.

        Examples
        --------
        >>> import jax.numpy as jnp, sparsecore as sc
        >>> W = sc.CSR.fromdense(jnp.array([[1., 0.], [2., 3.]]))
        >>> W.update_on_pre(jnp.array([True, False]), jnp.array([0.5, 0.5])).todense()
        Array([[1.5, 0. ],
               [2. , 3. ]], dtype=float32)
        """
        return self._plastic_update(pre_spike, post_trace, w_min, w_max, on_pre=True,
                                    backend=backend, clip=clip)

    def update_on_post(self, pre_trace, post_spike, w_min=None, w_max=None, *, backend=None,
                       clip="updated"):
        """New matrix with ``W[i, j] += pre_trace[i]`` for every spiking column ``j``.

        Conventions as in :meth:`update_on_pre`.  For a CSR matrix the update
        walks the column index: attach it once with :meth:`with_column_index`
        (cost spikes x fan-in); without it the index is built inside the call,
        O(nnz log nnz), and not stored.

        Examples
        --------
        >>> import jax.numpy as jnp, sparsecore as sc
        >>> W = sc.CSR.fromdense(jnp.array([[1., 0.], [2., 3.]]))
        >>> W.update_on_post(jnp.array([0.5, -4.0]), jnp.array([1., 0.]), w_min=0.).todense()
        Array([[1.5, 0. ],
               [0. , 3. ]], dtype=float32)
        """
        return self._plastic_update(post_spike, pre_trace, w_min, w_max, on_pre=False,
                                    backend=backend, clip=clip)

    def _yw(self, y, w, *, by_row: bool, backend):
        values, indices, indptr, view_shape, axis = self._plastic_view()
        w = values if w is None else self._flat_values(w)
        name = f"{type(self).__name__}.yw_to_w{'' if by_row else '_transposed'}"
        out = yw2y_op(y, w, indices, indptr, shape=view_shape, transpose=by_row == (axis == 1),
                      backend=backend, where=name, full=False)
        return self._entries_layout(out)

    def _flat_values(self, w):
        return w

    def _entries_layout(self, values):
        return values

    def yw_to_w(self, y: ArrayLike, w: ArrayLike | None = None, *,
                backend: Backend = None) -> Result:
        """Per-synapse ``w[k] * y[row(k)]``: one value per stored entry, in storage order.

        ``y`` has one value per row (presynaptic neuron, ``shape[0]``); ``w``
        defaults to the stored weights.  Differentiable in ``y`` and ``w``.
        Wrap the result with :meth:`with_data` to get a matrix.

        Examples
        --------
        >>> import jax.numpy as jnp, sparsecore as sc
        >>> W = sc.CSR.fromdense(jnp.array([[1., 0.], [2., 3.]]))
        >>> W.yw_to_w(jnp.array([10., 100.]))
        Array([ 10., 200., 300.], dtype=float32)
        """
        return self._yw(y, w, by_row=True, backend=backend)

    def yw_to_w_transposed(self, y: ArrayLike, w: ArrayLike | None = None, *,
                           backend: Backend = None) -> Result:
        """Per-synapse ``w[k] * y[col(k)]``, ``y`` with one value per column (``shape[1]``).

        Examples
        --------
        >>> import jax.numpy as jnp, sparsecore as sc
        >>> W = sc.CSR.fromdense(jnp.array([[1., 0.], [2., 3.]]))
        >>> W.yw_to_w_transposed(jnp.array([10., 100.]))
        Array([ 10.,  20., 300.], dtype=float32)
        """
        return self._yw(y, w, by_row=False, backend=backend)


class FixedNumPlasticity(CompressedPlasticity):
    """The same methods for FixedPostNumConn / FixedPreNumConn (``_axis`` 0 or 1).

    The ``(N, n_conn)`` tables are a compressed matrix whose rows all hold
    ``n_conn`` entries; the updates run on the flattened buffers (a reshape,
    so a donated weight table is still updated in place) and return values of
    shape ``(N, n_conn)``.
    """

    def _plastic_view(self):
        n_rows, n_conn = self.indices.shape
        indptr = jnp.arange(n_rows + 1, dtype=V.index_dtype_for(n_rows * n_conn)) * n_conn
        return (self._flat_values(self.data), self.indices.reshape(-1), indptr,
                self._view_shape, self._axis)

    def _flat_values(self, w):
        mantissa, unit = _units.split(w)
        mantissa = jnp.asarray(mantissa)
        flat = mantissa.reshape(-1) if mantissa.ndim == 2 else mantissa
        return _units.attach(flat, unit)

    def _entries_layout(self, values):
        return values.reshape(self.indices.shape)  # an array or a Quantity: units kept

    def _plastic_rebuild(self, values, mirror):
        homo = self.nnz != 1 and _units.split(values)[0].size == 1  # one shared weight stays
        layout = values if homo else self._entries_layout(values)
        obj = type(self).tree_unflatten((self.shape,), (layout, self.indices))
        obj._column_index = mirror
        return obj
