#!/bin/bash
# Everything issue 6 asks to run on an NVIDIA GPU, in one call: the GPU tests and bench_gpu.py.
#
#   bash benchmarks/gpu_session.sh [tests] [bench] [-- bench_gpu.py args...]
#
# Needs CuPy 13+, PyTorch (CUDA) and pytest on the machine.  MNIST comes from $DEEPGRAD_DATA, or
# from the IDX .gz files in $MNIST_GZ (default gpu_carry/mnist: copy ~/.cache/deepgrad/mnist/*.gz
# there and carry that folder along to a machine without internet).  Logs go to $OUT (default
# gpu_logs/).
set -o pipefail
export PYTHONUNBUFFERED=1 PYTHONPATH=src PYTHONDONTWRITEBYTECODE=1
OUT=${OUT:-gpu_logs}
mkdir -p "$OUT"
if [[ -z $DEEPGRAD_DATA ]]; then
  MNIST_GZ=${MNIST_GZ:-gpu_carry/mnist}
  mkdir -p /tmp/dg/mnist
  for f in "$MNIST_GZ"/*.gz; do gunzip -c "$f" > "/tmp/dg/mnist/$(basename "$f" .gz)"; done
  export DEEPGRAD_DATA=/tmp/dg
fi
nvidia-smi -L
python3 -c "import cupy, torch, numpy; print('cupy', cupy.__version__, 'torch', torch.__version__, \
'numpy', numpy.__version__, 'gpus', cupy.cuda.runtime.getDeviceCount())"
what="$*"
bench_args=()
[[ $what == *--* ]] && bench_args=(${what#*--})
xdist=()
python3 -c "import xdist" 2>/dev/null && xdist=(-n 8)
if [[ $what == *tests* ]]; then
  echo "== every gpu-marked test (kernels on)"
  timeout 300 python3 -m pytest tests -m gpu -p no:cacheprovider "${xdist[@]}" -q -rfE --tb=short 2>&1 \
    | tee "$OUT/tests_gpu.log" | tail -40
  echo "== the same with deepgrad.kernels off (the plain CuPy array code)"
  DEEPGRAD_KERNELS=0 timeout 200 python3 -m pytest tests -m gpu -p no:cacheprovider "${xdist[@]}" -q -rfE \
    --tb=short --ignore=tests/gpu 2>&1 | tee "$OUT/tests_gpu_kernels_off.log" | tail -20
fi
if [[ $what == *bench* ]]; then
  echo "== bench_gpu.py ${bench_args[*]}"
  timeout 300 python3 benchmarks/bench_gpu.py "${bench_args[@]}" 2>&1 | tee "$OUT/bench.log"
fi
