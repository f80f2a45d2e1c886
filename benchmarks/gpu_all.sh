#!/usr/bin/env bash
# The GPU checks of issue 16 in one device call (about 4 minutes on an H200; each part has its own time limit,
# 470 s in all):
#   1. host syncs per steady guarded step, blocking and deferred (target 0 in the deferred mode; the trainer
#      callbacks' path too: observe with a re-run closure at every call; guard.step with a GradScaler), and whether
#      the deferred mode's weights equal the blocking mode's on the device (safe: CUDA's exp/log in the far clip
#      target; with a GradScaler: weights, optimizer state, scale and growth count over overflows and outliers);
#   2. the overhead table: the reference models and a GPT-2-small-like stack (target <= 1.03x clip_grad_norm_);
#   1b. kernel launches per step on the MLP (torch.profiler);
#   3. the tensor-count sweep (host cost against 16 ... 4,096 parameter tensors).
# Run from anywhere:  bash benchmarks/gpu_all.sh       (PYTHON=... to choose the interpreter; with OUT set, the log
# is also written to $OUT/gpu_all.log). It uses the checkout's src/ (no install needed): torch and numpy only.
set -u
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD/src:$PWD/benchmarks${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
PY=${PYTHON:-python3}
log=${OUT:-/tmp}/gpu_all.log
{
  date -u
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
  "$PY" -c "import torch, gradguard; print('torch', torch.__version__, 'cuda', torch.cuda.is_available(), \
'gradguard from', gradguard.__file__)"
  echo; echo "## 1. host syncs and deferred-vs-blocking equality"
  timeout 150 "$PY" benchmarks/gpu_sync_check.py || echo "gpu_sync_check: exit $?"
  echo; echo "## 1b. kernel launches per step (MLP 6x512)"
  timeout 60 "$PY" benchmarks/gpu_launches.py 2>&1 | grep -v "^USDT\|profiler.py\|_warn_once" || echo "gpu_launches: exit $?"
  echo; echo "## 2. overhead on the models (median ms per step, ratios per round)"
  timeout 200 "$PY" benchmarks/overhead.py --device cuda --rounds 9 --steps-per-round 20 --warmup 30 || echo "overhead: exit $?"
  echo; echo "## 3. tensor-count sweep (fixed gradients, AdamW)"
  timeout 120 "$PY" benchmarks/overhead.py --device cuda --sweep --rounds 5 --warmup 30 --counts 16,256,1024 \
    || echo "sweep: exit $?"
  date -u
} 2>&1 | tee "$log"
