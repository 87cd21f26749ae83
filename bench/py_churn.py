"""CPU-bound allocation churn for the whole-program slowdown benchmark (bench/py_slowdown.sh).

No sleeps: the run time is all allocation work, so any cost the recorder adds shows.
Run with PYTHONMALLOC=malloc and jemalloc preloaded (MALLOC_CONF=dirty_decay_ms:100 so
jemalloc purges with madvise(MADV_DONTNEED) while it runs). Deterministic (fixed seed).
  python3 py_churn.py [ROUNDS]
"""
import random
import sys

rng = random.Random(4242)
rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 60
live = []
for r in range(rounds):
    # Grow: 4,000 objects from 1 KiB to 256 KiB (log-uniform), written once.
    live.extend(bytearray(int(2 ** rng.uniform(10, 18))) for _ in range(4000))
    # Shrink: drop 90% at random, keeping the rest (fragmentation, partial purges).
    rng.shuffle(live)
    del live[len(live) // 10:]
print(len(live))
