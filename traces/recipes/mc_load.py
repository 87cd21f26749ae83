"""A tiny memcached load generator (text protocol over a loopback socket, standard library
only) for the memcached recipe: fill, delete most keys, refill with other sizes, flush_all.

    mc_load.py PORT

Deterministic (fixed seed); a few seconds. Values go into memcached's slab classes (1 MiB slab
pages that memcached keeps for good), so memory is reused, not returned: a negative control.
"""
import random
import sys

sys.dont_write_bytecode = True  # no __pycache__ in traces/ (the tree is committed)
from lineconn import LineConn  # noqa: E402

BATCH = 128


class Conn(LineConn):
    def __init__(self, port):
        super().__init__(port, "mc_load")

    def reply(self, ok=(b"STORED", b"DELETED", b"NOT_FOUND", b"OK")):
        line = self._line()
        if line not in ok:
            raise SystemExit("mc_load: unexpected reply %r" % line)
        return line

    def pipeline(self, commands):
        super().pipeline(commands, BATCH)


def set_cmd(key, value):
    return b"set %s 0 0 %d\r\n%s\r\n" % (key, len(value), value)


def fill(c, rng, n, lo, hi, prefix):
    blob = bytes(rng.randrange(256) for _ in range(hi))
    c.pipeline([set_cmd(b"%s:%d" % (prefix, i), blob[: rng.randrange(lo, hi)]) for i in range(n)])


def main(argv):
    port = int(argv[1])
    rng = random.Random(1618)
    c = Conn(port)
    fill(c, rng, 200_000, 100, 1000, b"small")          # ~110 MB in the small slab classes
    fill(c, rng, 4_000, 10_000, 100_000, b"big")        # ~220 MB in the large classes
    victims = rng.sample(range(200_000), 150_000)       # drop 3/4 of the small keys
    c.pipeline([b"delete small:%d\r\n" % i for i in victims])
    fill(c, rng, 100_000, 1000, 4000, b"mid")           # refill with other sizes
    c.pipeline([b"flush_all\r\n"])
    fill(c, rng, 50_000, 100, 1000, b"again")


if __name__ == "__main__":
    main(sys.argv)
