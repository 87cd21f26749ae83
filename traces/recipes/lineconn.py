"""A loopback TCP connection that reads CRLF-terminated reply lines, shared by the recipes'
load generators (mc_load.py for memcached's text protocol, resp_client.py for Redis' RESP):
both protocols frame their replies the same way. Standard library only."""
import socket


class LineConn:
    """One connection to 127.0.0.1:PORT; NAME prefixes the error when the server hangs up."""

    def __init__(self, port, name):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.buf = b""
        self.name = name

    def _line(self):
        """The next reply line, without its CRLF."""
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise SystemExit("%s: connection closed by server" % self.name)
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def reply(self):
        """One reply, checked; each protocol's Conn says how to read it."""
        raise NotImplementedError

    def pipeline(self, commands, batch):
        """Send commands in batches of BATCH, reading each batch's replies before the next, so
        a run of thousands of commands takes seconds, not a round trip each."""
        for i in range(0, len(commands), batch):
            part = commands[i:i + batch]
            self.sock.sendall(b"".join(part))
            for _ in part:
                self.reply()
