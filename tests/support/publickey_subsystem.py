"""An RFC 4819 "publickey" subsystem server for the test sshd, which OpenSSH lacks.

    Subsystem publickey /usr/bin/python3 tests/support/publickey_subsystem.py STORE

sshd runs it per channel; it speaks the protocol on stdin/stdout (stdlib only). Keys live
in the text file STORE, one line per key, "ALGORITHM BASE64-BLOB" (as in a .pub file)
followed by "NAME=BASE64-VALUE" per attribute, so tests can read what a session stored
and a second session sees it. Only ssh-ed25519 and ssh-rsa keys and the "comment"
attribute are supported; the errors are the RFC's (section 3.3 status codes).
"""
import base64
import fcntl
import os
import struct
import sys

# RFC 4819 section 3.3; this server never denies access nor runs out of storage (1, 2).
SUCCESS = 0
ACCESS_DENIED = 1
STORAGE_EXCEEDED = 2
VERSION_NOT_SUPPORTED = 3
KEY_NOT_FOUND = 4
KEY_NOT_SUPPORTED = 5
KEY_ALREADY_PRESENT = 6
GENERAL_FAILURE = 7
REQUEST_NOT_SUPPORTED = 8
ATTRIBUTE_NOT_SUPPORTED = 9

PROTOCOL_VERSION = 2
SUPPORTED_ALGORITHMS = ("ssh-ed25519", "ssh-rsa")
SUPPORTED_ATTRIBUTES = ("comment",)
LANGUAGE = b"en"


class Reader:
    """The fields of one request packet, read in order (RFC 4251 data types)."""

    def __init__(self, data):
        self.data, self.pos = data, 0

    def take(self, n):
        if self.pos + n > len(self.data):
            raise ValueError("truncated packet")
        chunk = self.data[self.pos:self.pos + n]
        self.pos += n
        return chunk

    def uint32(self):
        return struct.unpack(">I", self.take(4))[0]

    def string(self):
        return self.take(self.uint32())

    def boolean(self):
        return self.take(1) != b"\0"


def string(value):
    return struct.pack(">I", len(value)) + value


def packet(*fields):
    body = b"".join(fields)
    return struct.pack(">I", len(body)) + body


def status(code, description):
    return packet(string(b"status"), struct.pack(">I", code), string(description.encode()), string(LANGUAGE))


class Store:
    """The key file, read and rewritten whole under a lock (sessions may run at once)."""

    def __init__(self, path):
        self.path = path

    def __enter__(self):
        self.lock = open(self.path + ".lock", "w")
        fcntl.flock(self.lock, fcntl.LOCK_EX)
        self.keys = {}  # (algorithm, blob) -> [(name, value)]
        if os.path.exists(self.path):
            with open(self.path, encoding="ascii") as f:
                for line in f:
                    fields = line.split()
                    if len(fields) < 2:
                        continue
                    attrs = []
                    for field in fields[2:]:
                        name, _, value = field.partition("=")
                        attrs.append((name.encode(), base64.b64decode(value)))
                    self.keys[(fields[0].encode(), base64.b64decode(fields[1]))] = attrs
        return self

    def save(self):
        lines = []
        for (algorithm, blob), attrs in self.keys.items():
            fields = [algorithm.decode(), base64.b64encode(blob).decode()]
            fields += [name.decode() + "=" + base64.b64encode(value).decode() for name, value in attrs]
            lines.append(" ".join(fields) + "\n")
        tmp = self.path + ".tmp"
        with open(tmp, "w", encoding="ascii") as f:
            f.writelines(lines)
        os.replace(tmp, self.path)  # a reader never sees half a file

    def __exit__(self, *exc):
        self.lock.close()


# Each request's handler returns its whole answer (a list of packets), written at once:
# libssh2 reads a packet's body in one channel read, and list_fetch keeps the keys read so
# far in locals, so an answer split across reads would fail or lose keys.
def add(request, store_path):
    algorithm, blob, overwrite = request.string(), request.string(), request.boolean()
    attrs = []
    for _ in range(request.uint32()):
        name, value, critical = request.string(), request.string(), request.boolean()
        if name.decode(errors="replace") in SUPPORTED_ATTRIBUTES:
            attrs.append((name, value))
        elif critical:
            # RFC 4819 3.4.1: a critical attribute the server does not know fails the add.
            return [status(ATTRIBUTE_NOT_SUPPORTED, "critical attribute not supported: " + name.decode(errors="replace"))]
        # An unknown attribute that is not critical is ignored (not stored).
    if algorithm.decode(errors="replace") not in SUPPORTED_ALGORITHMS:
        return [status(KEY_NOT_SUPPORTED, "key algorithm not supported: " + algorithm.decode(errors="replace"))]
    with Store(store_path) as store:
        if (algorithm, blob) in store.keys and not overwrite:
            return [status(KEY_ALREADY_PRESENT, "key already present")]
        store.keys[(algorithm, blob)] = attrs
        store.save()
    return [status(SUCCESS, "success")]


def remove(request, store_path):
    algorithm, blob = request.string(), request.string()
    with Store(store_path) as store:
        if store.keys.pop((algorithm, blob), None) is None:
            return [status(KEY_NOT_FOUND, "key not found")]
        store.save()
    return [status(SUCCESS, "success")]


def list_keys(request, store_path):
    with Store(store_path) as store:
        answer = [packet(string(b"publickey"), string(algorithm), string(blob), struct.pack(">I", len(attrs)),
                         *[string(name) + string(value) for name, value in attrs])
                  for (algorithm, blob), attrs in store.keys.items()]
    return answer + [status(SUCCESS, "success")]


def list_attributes(request, store_path):
    # boolean compulsory: no, a client may leave them out
    return [packet(string(b"attribute"), string(name.encode()), b"\0") for name in SUPPORTED_ATTRIBUTES] + [
        status(SUCCESS, "success")]


REQUESTS = {b"add": add, b"remove": remove, b"list": list_keys, b"listattributes": list_attributes}


def read_exactly(stream, n):
    data = b""
    while len(data) < n:
        chunk = stream.read(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def serve(store_path, stream_in, out):
    version_agreed = False
    while True:
        header = read_exactly(stream_in, 4)
        if header is None:
            return 0  # the client closed the channel
        body = read_exactly(stream_in, struct.unpack(">I", header)[0])
        if body is None:
            return 1
        request = Reader(body)
        try:
            name = request.string()
            if name == b"version":
                # RFC 4819 3.1: the client's version comes first; we speak version 2 only,
                # and close the channel on any other.
                if request.uint32() != PROTOCOL_VERSION:
                    out.write(status(VERSION_NOT_SUPPORTED, "version not supported"))
                    out.flush()
                    return 1
                answer = [packet(string(b"version"), struct.pack(">I", PROTOCOL_VERSION))]
                version_agreed = True
            elif not version_agreed:
                answer = [status(GENERAL_FAILURE, "version must be negotiated first")]
            elif name in REQUESTS:
                answer = REQUESTS[name](request, store_path)
            else:
                answer = [status(REQUEST_NOT_SUPPORTED, "request not supported")]
        except ValueError as e:
            answer = [status(GENERAL_FAILURE, "malformed request: " + str(e))]
        out.write(b"".join(answer))
        out.flush()


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: publickey_subsystem.py STORE")
    sys.exit(serve(sys.argv[1], sys.stdin.buffer, sys.stdout.buffer))
