"""A tiny Redis client (RESP over a loopback socket, standard library only) for the
redis-sparse recipe: fill N keys with large values, delete a random fraction of them.

    resp_client.py PORT fill N VALUE_BYTES
    resp_client.py PORT delete-random N FRACTION SEED
    resp_client.py PORT delete-wave N WAVE WAVES SEED   (wave k of a random order of all N keys)
    resp_client.py PORT CMD [ARGS...]          (one command, reply printed)

Commands are pipelined in batches so the run takes seconds, not minutes.
"""
import random
import sys

sys.dont_write_bytecode = True  # no __pycache__ in traces/ (the tree is committed)
from lineconn import LineConn  # noqa: E402

BATCH = 64


def encode(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, str):
            a = a.encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


class Conn(LineConn):
    def __init__(self, port):
        super().__init__(port, "resp_client")

    def reply(self):
        """Read one reply; only the types our commands produce (+ - : $)."""
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"-":
            raise SystemExit("resp_client: server error: " + rest.decode())
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            while len(self.buf) < n + 2:
                self.buf += self.sock.recv(65536)
            data, self.buf = self.buf[:n], self.buf[n + 2:]
            return data
        return rest

    def pipeline(self, commands):
        super().pipeline(commands, BATCH)


def main(argv):
    port, op = int(argv[1]), argv[2]
    c = Conn(port)
    if op == "fill":
        n, size = int(argv[3]), int(argv[4])
        value = bytes(range(256)) * (size // 256) + b"v" * (size % 256)
        c.pipeline([encode("SET", "key:%d" % i, value) for i in range(n)])
    elif op == "delete-random":
        n, fraction, seed = int(argv[3]), float(argv[4]), int(argv[5])
        victims = random.Random(seed).sample(range(n), int(n * fraction))
        c.pipeline([encode("DEL", "key:%d" % i) for i in victims])
    elif op == "delete-wave":
        n, wave, waves, seed = int(argv[3]), int(argv[4]), int(argv[5]), int(argv[6])
        order = list(range(n))
        random.Random(seed).shuffle(order)
        per = n // waves
        part = order[wave * per:] if wave == waves - 1 else order[wave * per:(wave + 1) * per]
        c.pipeline([encode("DEL", "key:%d" % i) for i in part])
    else:
        c.sock.sendall(encode(*argv[2:]))
        print(c.reply().decode(errors="replace"))


if __name__ == "__main__":
    main(sys.argv)
