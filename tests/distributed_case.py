"""One process of the two-process loopback check (started by ``tests/test_sharding.py``).

Usage: ``python tests/distributed_case.py PROCESS_ID PORT``.  Each process owns
2 CPU devices; both build the same matrices, shard them over the 4 global
devices and compare every product with the unsharded matrix computed on
their own.  Exit status 0 means every check passed.
"""
from __future__ import annotations

import sys


def main(process_id: int, port: int) -> None:
    import jax
    jax.config.update("jax_num_cpu_devices", 2)
    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    jax.distributed.initialize(coordinator_address=f"127.0.0.1:{port}", num_processes=2,
                               process_id=process_id, initialization_timeout=60)

    import jax.numpy as jnp
    import numpy as np
    from jax.experimental import multihost_utils
    from jax.sharding import Mesh, NamedSharding, PartitionSpec as P

    import sparsecore as sc

    assert jax.process_count() == 2 and jax.device_count() == 4, jax.devices()
    mesh = Mesh(np.array(jax.devices()), ("d",))
    rng = np.random.default_rng(0)  # the same matrices in both processes
    dense = np.where(rng.random((22, 13)) < 0.3, rng.uniform(-1, 1, (22, 13)), 0)
    dense = dense.astype(np.float32)
    matrices = [sc.CSR.fromdense(jnp.asarray(dense)),
                sc.FixedPreNumConn.random(22, 13, 4, weight=0.5, seed=3),
                sc.JITCNormalR((1.0, 0.2, 0.3, 11), shape=(22, 13))]
    x_right, spikes_left = rng.uniform(-1, 1, 13).astype(np.float32), rng.random(22) < 0.5

    for W in matrices:
        reference = (np.asarray(W @ jnp.asarray(x_right)),
                     np.asarray(jnp.asarray(spikes_left) @ W))
        for spec in (P("d", None), P(None, "d")):
            S = W.shard(NamedSharding(mesh, spec))
            # the operands are global arrays too, replicated over the 4 devices
            xr = multihost_utils.host_local_array_to_global_array(x_right, mesh, P())
            sl = multihost_utils.host_local_array_to_global_array(spikes_left, mesh, P())
            right, left = jax.jit(lambda A, a, b: (A @ a, b @ A))(S, xr, sl)
            got = (multihost_utils.process_allgather(right, tiled=True),
                   multihost_utils.process_allgather(left, tiled=True))
            for g, r, what in zip(got, reference, ("W @ x", "spikes @ W")):
                np.testing.assert_allclose(np.asarray(g), r, rtol=1e-5, atol=1e-5,
                                           err_msg=f"{type(W).__name__} {spec} {what}")
    print(f"process {process_id}: ok", flush=True)
    jax.distributed.shutdown()


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]))
