#!/usr/bin/env bash
# The GPU bridge's device check. On a machine with an NVIDIA GPU, from the repository root:
#
#   bash bench/gpu/device-check.sh [out-dir]            (default out-dir: bench/results)
#
# Builds the native addon with the CUDA backend (nvcc + the C++ compiler, the same sources and
# flags as binding.gyp, without npm), checks every op of the CUDA and CPU backends against the JS
# reference (f32 bounds: 1e-5 elementwise, 1e-4 matmul/conv), the typed errors and flat device
# memory, and times matmul 4096² and a small MLP forward pass. Writes <out-dir>/device-check.json.
#
# Needs nvcc, g++ and Node >= 20 (NODE=/path/to/node to pick one; NODE_INCLUDE=<dir with
# node_api.h> when Node's headers are not beside it). On a bare machine without node_modules, make
# the check's JS bundle beforehand where npm ci ran:  bash bench/gpu/device-check.sh --bundle FILE
# and point DEVICE_CHECK_JS=FILE at it there. QUICK=1 runs fewer timing rounds.
set -euo pipefail
cd "$(dirname "$0")/../.."

bundle () {
  node_modules/.bin/esbuild bench/gpu/device-check.ts --bundle --platform=node --format=esm --target=node20 \
    --outfile="$1" --log-level=warning
}

if [ "${1:-}" = "--bundle" ]; then
  bundle "${2:?usage: device-check.sh --bundle FILE}"
  echo "bundled the device check into $2"
  exit 0
fi

OUT=${1:-bench/results}
NODE=${NODE:-node}
NODE_BIN=$(command -v "$NODE")
NODE_INCLUDE=${NODE_INCLUDE:-$(dirname "$(dirname "$NODE_BIN")")/include/node}
[ -f "$NODE_INCLUDE/node_api.h" ] || { echo "device-check: no node_api.h in $NODE_INCLUDE (set NODE_INCLUDE)" >&2; exit 2; }
command -v nvcc >/dev/null || { echo "device-check: nvcc is not on the PATH: this check needs the CUDA toolkit" >&2; exit 2; }
CUDA_HOME=$(sh scripts/cuda-home.sh)
BUILD=$(mktemp -d)
trap 'rm -rf "$BUILD"' EXIT

echo "== building the addon with CUDA ($(nvcc --version | tail -1), CUDA at $CUDA_HOME)"
BLAS_CFLAGS="" BLAS_LIBS=""
if pkg-config --exists openblas 2>/dev/null; then
  BLAS_CFLAGS="-DFABRIC_WITH_OPENBLAS $(pkg-config --cflags openblas)"
  BLAS_LIBS=$(pkg-config --libs openblas)
fi
started=$(date +%s)
nvcc -std=c++17 -O3 -DFABRIC_WITH_CUDA -Xcompiler -fPIC \
  -gencode arch=compute_90,code=sm_90 -gencode arch=compute_80,code=compute_80 \
  -c src/gpu/native/cuda.cu -o "$BUILD/cuda.o" &
for f in addon cpu; do
  # shellcheck disable=SC2086
  g++ -std=c++17 -O3 -march=native -fno-math-errno -fPIC -DFABRIC_WITH_CUDA $BLAS_CFLAGS -I"$NODE_INCLUDE" \
    -c "src/gpu/native/$f.cc" -o "$BUILD/$f.o" &
done
wait
# shellcheck disable=SC2086
g++ -shared -o "$BUILD/fabric_gpu.node" "$BUILD/addon.o" "$BUILD/cpu.o" "$BUILD/cuda.o" \
  -L"$CUDA_HOME/lib64" -L"$CUDA_HOME/lib" -lcudart_static -ldl -lpthread -lrt $BLAS_LIBS
echo "built in $(( $(date +%s) - started )) s"

JS=${DEVICE_CHECK_JS:-}
if [ -z "$JS" ]; then
  [ -x node_modules/.bin/esbuild ] || { echo "device-check: no node_modules: set DEVICE_CHECK_JS (see --bundle)" >&2; exit 2; }
  JS="$BUILD/device-check.mjs"
  bundle "$JS"
fi

echo "== checking"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || true
FABRIC_GPU_ADDON="$BUILD/fabric_gpu.node" OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-$(nproc)} \
  "$NODE_BIN" --expose-gc "$JS" --out "$OUT" ${QUICK:+--quick}
