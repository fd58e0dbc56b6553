#!/usr/bin/env bash
# Everything a lent GPU machine should check, in one call that fits a short lease:
#  1. the machine (GPU, driver, jax and its devices);
#  2. the Pallas tests compiled for the GPU (not interpret mode), against the
#     reference and dense oracles;
#  3. bench/gpu.py: every product against cuSPARSE (jax BCSR), dense jnp and
#     brainevent, then the COBA network;
#  4. the format test files on the GPU, where backend=None picks the Pallas kernels
#     (skipped when SUITE_TIMEOUT_S is 0).
# Usage: bash bench/gpu_checks.sh OUTDIR [TEST_TIMEOUT_S] [BENCH_TIMEOUT_S] [SUITE_TIMEOUT_S]
# Logs and the PNG go to OUTDIR; each step has its own time limit, so a hang in
# one still leaves the others' output.
set -u
out="${1:?usage: bash bench/gpu_checks.sh OUTDIR [TEST_TIMEOUT_S] [BENCH_TIMEOUT_S] [SUITE_TIMEOUT_S]}"
test_s="${2:-180}"
bench_s="${3:-300}"
suite_s="${4:-0}"
workers="$(( $(nproc) > 12 ? 12 : $(nproc) ))"
mkdir -p "$out"
cd "$(dirname "$0")/.."
export PYTHONUNBUFFERED=1 XLA_PYTHON_CLIENT_PREALLOCATE=false
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"

{
    nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm --format=csv
    python3 -c "import sys, jax, jaxlib, numba, scipy; print(sys.version.split()[0], 'jax', \
jax.__version__, 'jaxlib', jaxlib.__version__, 'numba', numba.__version__, 'scipy', \
scipy.__version__, jax.devices())"
    python3 -c "import brainevent; print('brainevent', brainevent.__version__)" || true
} 2>&1 | tee "$out/machine.txt"

echo "== Pallas tests on the GPU (limit ${test_s} s)"
start=$SECONDS
timeout "$test_s" python3 -m pytest -q -o addopts="" -p no:cacheprovider -n "$workers" \
    -rfE tests/test_pallas.py > "$out/pallas_tests.log" 2>&1
echo "exit $? after $((SECONDS - start)) s"
grep -E "passed|failed|error" "$out/pallas_tests.log" | tail -3

echo "== bench/gpu.py (limit ${bench_s} s)"
start=$SECONDS
timeout "$bench_s" python3 bench/gpu.py --png "$out/gpu.png" > "$out/gpu_bench.log" 2>&1
echo "exit $? after $((SECONDS - start)) s"
tail -45 "$out/gpu_bench.log"

[ "$suite_s" -gt 0 ] || exit 0
echo "== format tests on the GPU (limit ${suite_s} s)"
start=$SECONDS
timeout "$suite_s" python3 -m pytest -q -o addopts="" -p no:cacheprovider -n "$workers" \
    -rfE tests/test_csr.py tests/test_fixed_num.py tests/test_jitc.py tests/test_plasticity.py \
    tests/test_csr_functional.py tests/test_operators.py > "$out/format_tests.log" 2>&1
echo "exit $? after $((SECONDS - start)) s"
grep -E "^(FAILED|ERROR)|passed|failed" "$out/format_tests.log" | tail -25
