"""Allocation churn for the python3 traces: build and drop objects of varied sizes, in phases,
so that the allocator under test both grows and gives memory back.

Run with PYTHONMALLOC=malloc so every object goes through the C allocator (jemalloc, tcmalloc,
mimalloc or glibc, whichever is loaded) instead of CPython's own pymalloc arenas.
Deterministic (fixed seed); about 8-10 s with `churn.py 2`; peak RSS about 650 MB.
"""
import gc
import random
import sys
import time

rng = random.Random(20221)
PAUSE = 0.4  # let snapshots (every 100 ms) and the allocators' purge timers see each phase


def pause():
    gc.collect()
    time.sleep(PAUSE)


def small_objects(n):
    """Phase 1: many small dicts, lists and strings (the 16 B - 1 KiB size classes), all dropped."""
    keep = []
    for i in range(n):
        keep.append({"id": i, "name": "obj%d" % i, "tags": [i, i + 1, i + 2]})
    return keep


def mixed_bytes(n, keep_one_in):
    """Phase 2: bytes objects from 1 KiB to 1 MiB (log-uniform); keep a few at random."""
    objs = [bytes(int(2 ** rng.uniform(10, 20))) for _ in range(n)]
    return [o for o in objs if rng.randrange(keep_one_in) == 0]


def large_buffers(rounds):
    """Phase 3: 4-64 MiB buffers written and freed (allocators map these separately)."""
    for _ in range(rounds):
        b = bytearray(rng.choice([4, 8, 16, 32, 64]) << 20)
        b[::4096] = b"x" * len(b[::4096])  # touch every page
        del b


def sparse_64k(n, keep_fraction):
    """Phase 4: n 64 KiB objects, then free all but keep_fraction of them at random."""
    objs = [bytearray(64 << 10) for _ in range(n)]
    for o in objs:
        o[::4096] = b"y" * len(o[::4096])
    rng.shuffle(objs)
    return objs[: int(n * keep_fraction)]


def main():
    cycles = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    survivors = []
    for c in range(cycles):
        objs = small_objects(600_000)
        pause()
        del objs
        pause()

        survivors.append(mixed_bytes(1500, 20))
        pause()

        large_buffers(8)
        pause()

        survivors.append(sparse_64k(4096, 0.25))
        pause()
    del survivors
    pause()


if __name__ == "__main__":
    main()
