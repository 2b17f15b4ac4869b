"""spdyclient.py: a small SPDY/3.1 client for the streaming tests, the
client half of what crictl and the kubelet speak to capsad's streaming
server: the HTTP/1.1 upgrade, then SYN_STREAM / DATA / RST_STREAM /
PING / GOAWAY frames, header blocks compressed with zlib and the SPDY/3
dictionary (read from src/cri/stream/spdy_dict.c at import, checked by
its Adler-32).  Synchronous and single-threaded: the tests send, then
read frames until what they wait for has come.

    sock = connect_in_netns("/run/netns/NAME", "127.0.0.1", port)
    c = Client(sock)
    status, headers, body = c.upgrade("/exec/TOKEN", ["v4.channel.k8s.io"])
    err = c.open({"streamtype": "error"})
    out = c.open({"streamtype": "stdout"})
    c.wait(lambda: c.fin(out) and c.fin(err))
    c.text(out), c.text(err)
"""
import ctypes
import os
import re
import socket
import struct
import threading
import time
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
DICT_C = os.path.join(REPO, "src", "cri", "stream", "spdy_dict.c")
DICT_ADLER32 = 0xE3C6A7C2
CLONE_NEWNET = 0x40000000

SYN_STREAM, SYN_REPLY, RST_STREAM, SETTINGS, PING, GOAWAY = 1, 2, 3, 4, 6, 7
FLAG_FIN = 1


def _c_string(body):
    """The bytes of one C string literal's body (escapes decoded; a hex
    escape takes every hex digit that follows, as in C)."""
    out = bytearray()
    i = 0
    simple = {"n": 10, "t": 9, "r": 13, "\\": 92, '"': 34, "'": 39, "0": 0}
    while i < len(body):
        ch = body[i]
        if ch != "\\":
            out += ch.encode()
            i += 1
            continue
        nxt = body[i + 1]
        if nxt == "x":
            m = re.match(r"[0-9a-fA-F]+", body[i + 2:])
            out.append(int(m.group(0), 16) & 0xFF)
            i += 2 + len(m.group(0))
        elif nxt in "01234567":
            m = re.match(r"[0-7]{1,3}", body[i + 1:])
            out.append(int(m.group(0), 8) & 0xFF)
            i += 1 + len(m.group(0))
        else:
            out.append(simple[nxt])
            i += 2
    return bytes(out)


def load_dictionary():
    with open(DICT_C) as f:
        src = f.read()
    body = src[src.index("dict[] ="):]
    body = body[:body.index(";")]
    body = re.sub(r"/\*.*?\*/", "", body, flags=re.S)
    d = b"".join(_c_string(m) for m in re.findall(r'"((?:[^"\\]|\\.)*)"', body))
    if zlib.adler32(d) != DICT_ADLER32:
        raise RuntimeError("the SPDY dictionary read from %s is wrong" % DICT_C)
    return d


DICTIONARY = load_dictionary()


def connect_in_netns(netns, host, port, timeout=10):
    """A TCP connection made inside the network namespace at path netns
    (a thread enters it, connects and ends; the socket stays there)."""
    got = {}

    def run():
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            fd = os.open(netns, os.O_RDONLY)
            try:
                if libc.setns(fd, CLONE_NEWNET) != 0:
                    raise OSError(ctypes.get_errno(), "setns " + netns)
            finally:
                os.close(fd)
            got["sock"] = socket.create_connection((host, port), timeout=timeout)
        except Exception as e:  # handed to the caller
            got["error"] = e

    t = threading.Thread(target=run)
    t.start()
    t.join()
    if "error" in got:
        raise got["error"]
    return got["sock"]


class Stream:
    def __init__(self, sid, headers):
        self.id, self.headers = sid, headers
        self.data = bytearray()
        self.replied = False
        self.fin = False
        self.reset = None


class Client:
    def __init__(self, sock):
        self.sock = sock
        self.sock.settimeout(None)
        self.deflate = zlib.compressobj(zdict=DICTIONARY)
        self.inflate = zlib.decompressobj(zdict=DICTIONARY)
        self.next_id = 1
        self.buf = b""
        self.streams = {}
        self.goaway = None
        self.pings = []
        self.eof = False

    # ---- HTTP/1.1 ----------------------------------------------------
    def upgrade(self, path, protocols, method="POST", upgrade=True, extra=()):
        """Send the request; (status, headers as a dict of lower-case
        names, body).  After a 101 the connection speaks SPDY."""
        lines = ["%s %s HTTP/1.1" % (method, path), "Host: 127.0.0.1"]
        if upgrade:
            lines += ["Connection: Upgrade", "Upgrade: SPDY/3.1"]
        lines += ["X-Stream-Protocol-Version: %s" % p for p in protocols]
        lines += list(extra)
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        return self.read_response()

    def read_response(self, timeout=10):
        deadline = time.monotonic() + timeout
        while b"\r\n\r\n" not in self.buf:
            self._recv(deadline)
            if self.eof:
                break
        head, _, rest = self.buf.partition(b"\r\n\r\n")
        lines = head.decode(errors="replace").split("\r\n")
        status = int(lines[0].split(" ")[1]) if lines and " " in lines[0] else 0
        headers = {}
        for ln in lines[1:]:
            k, _, v = ln.partition(":")
            headers[k.strip().lower()] = v.strip()
        if status == 101:
            self.buf = rest
            return status, headers, b""
        n = int(headers.get("content-length", "0"))
        while len(rest) < n and not self.eof:
            self.buf = head + b"\r\n\r\n" + rest
            self._recv(deadline)
            rest = self.buf.partition(b"\r\n\r\n")[2]
        self.buf = b""
        return status, headers, rest[:n]

    def _recv(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("nothing from the server in time")
        self.sock.settimeout(left)
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            raise TimeoutError("nothing from the server in time")
        finally:
            self.sock.settimeout(None)
        if not data:
            self.eof = True
        self.buf += data

    # ---- SPDY out -------------------------------------------------------
    def _block(self, headers):
        raw = struct.pack(">I", len(headers))
        for k, v in headers.items():
            kb, vb = k.encode(), v.encode()
            raw += struct.pack(">I", len(kb)) + kb + struct.pack(">I", len(vb)) + vb
        return self.deflate.compress(raw) + self.deflate.flush(zlib.Z_SYNC_FLUSH)

    def _control(self, ftype, flags, payload):
        return struct.pack(">HHI", 0x8003, ftype, flags << 24 | len(payload)) + payload

    def open(self, headers, fin=False):
        """SYN_STREAM with these headers; its id."""
        sid = self.next_id
        self.next_id += 2
        payload = struct.pack(">IIH", sid, 0, 0) + self._block(headers)
        self.sock.sendall(self._control(SYN_STREAM, FLAG_FIN if fin else 0, payload))
        self.streams[sid] = Stream(sid, headers)
        return sid

    def send(self, sid, data, fin=False):
        self.sock.sendall(struct.pack(">II", sid, (FLAG_FIN if fin else 0) << 24 | len(data))
                          + data)

    def close_stream(self, sid):
        self.send(sid, b"", fin=True)

    def reset(self, sid, status=5):
        self.sock.sendall(self._control(RST_STREAM, 0, struct.pack(">II", sid, status)))

    def ping(self, pid):
        self.sock.sendall(self._control(PING, 0, struct.pack(">I", pid)))

    def send_goaway(self):
        self.sock.sendall(self._control(GOAWAY, 0, struct.pack(">II", 0, 0)))

    # ---- SPDY in --------------------------------------------------------
    def _frames(self):
        while len(self.buf) >= 8:
            w0, w1 = struct.unpack(">II", self.buf[:8])
            length = w1 & 0xFFFFFF
            if len(self.buf) < 8 + length:
                return
            payload, self.buf = self.buf[8:8 + length], self.buf[8 + length:]
            flags = w1 >> 24
            if w0 & 0x80000000:
                self._control_in((w0 >> 16) & 0x7FFF, w0 & 0xFFFF, flags, payload)
            else:
                st = self.streams.get(w0 & 0x7FFFFFFF)
                if st is None:
                    raise AssertionError("DATA on unknown stream %d" % (w0 & 0x7FFFFFFF))
                if not st.replied:
                    raise AssertionError("DATA on stream %d before its SYN_REPLY" % st.id)
                if st.fin:
                    raise AssertionError("DATA on stream %d after its FIN" % st.id)
                st.data += payload
                st.fin = bool(flags & FLAG_FIN)

    def _control_in(self, version, ftype, flags, payload):
        assert version == 3, version
        if ftype == SYN_REPLY:
            sid = struct.unpack(">I", payload[:4])[0] & 0x7FFFFFFF
            self.inflate.decompress(payload[4:])  # keeps the zlib stream in step
            self.streams[sid].replied = True
            self.streams[sid].fin = self.streams[sid].fin or bool(flags & FLAG_FIN)
        elif ftype == RST_STREAM:
            sid, status = struct.unpack(">II", payload[:8])
            self.streams[sid & 0x7FFFFFFF].reset = status
        elif ftype == GOAWAY:
            self.goaway = struct.unpack(">II", payload[:8])
        elif ftype == PING:
            self.pings.append(struct.unpack(">I", payload[:4])[0])

    def pump(self, timeout):
        """Read and parse what comes within timeout (at least one read)."""
        try:
            self._recv(time.monotonic() + timeout)
        except TimeoutError:
            pass
        self._frames()

    def wait(self, pred, timeout=20, what="the server"):
        deadline = time.monotonic() + timeout
        self._frames()
        while not pred():
            if self.eof:
                raise AssertionError("connection closed while waiting for %s" % what)
            if time.monotonic() > deadline:
                raise TimeoutError("waiting for %s" % what)
            self.pump(min(0.5, max(0.01, deadline - time.monotonic())))
        return True

    def read_to_eof(self, timeout=20):
        deadline = time.monotonic() + timeout
        while not self.eof:
            self._recv(deadline)
            self._frames()

    def fin(self, sid):
        return self.streams[sid].fin

    def text(self, sid):
        return bytes(self.streams[sid].data).decode(errors="replace")

    def close(self):
        self.sock.close()
