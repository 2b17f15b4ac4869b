"""criclient.py: a small CRI client for the tests in tests/cri.

Debian's python3-grpcio comes without grpc_tools, so there are no generated
stubs: the message classes come from `protoc --python_out` run on our own
src/cri/proto/cri.proto (once per process, into a temporary directory), and
every call is made from the file's service descriptors:

    cri = Cri("/run/capsad/capsad.sock")
    cri.call("Version").runtime_name
    cri.call("RunPodSandbox", config={"metadata": {"name": "p", "uid": "u"}})
    for chunk in cri.call("StreamContainers"): ...       # server streaming
    cri.raw("/runtime.v1.RuntimeService/Version", b"\\xff")  # hostile bytes

Messages are built from keyword arguments; nested messages, repeated fields
and maps take dicts and lists.  grpc.RpcError reaches the caller untouched
(`e.code()`, `e.details()`).
"""
import functools
import importlib.util
import os
import shutil
import subprocess
import tempfile

try:
    import grpc
except ImportError:  # missing() says so; the compat test needs no grpc
    grpc = None

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
PROTO = os.path.join(REPO, "src", "cri", "proto", "cri.proto")
SERVICES = ("RuntimeService", "ImageService")
# above the server's 16 MiB limit, so tests can send what it must refuse
MAX_MESSAGE = 32 << 20
DEFAULT_TIMEOUT = 30.0


def protoc_missing():
    """Why our .proto cannot be compiled and loaded here, or None."""
    if shutil.which("protoc") is None:
        return "protoc is not installed (protobuf-compiler)"
    try:
        found = importlib.util.find_spec("google.protobuf") is not None
    except ImportError:  # no google package at all
        found = False
    if not found:
        return "python3-protobuf is not installed"
    return None


def missing():
    """Why this client cannot run here (for a skip), or None."""
    if grpc is None:
        return "python3-grpcio is not installed"
    return protoc_missing()


def protoc(*args):
    """Run protoc; its own message on failure."""
    r = subprocess.run(["protoc", *args], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("protoc %s: %s" % (" ".join(args), r.stderr.strip()))


@functools.lru_cache(maxsize=None)
def pb():
    """The cri_pb2 module made from our .proto.  Loaded once: its file
    registers in protobuf's default descriptor pool, which refuses the same
    file twice."""
    out = tempfile.mkdtemp(prefix="criclient.")
    try:
        protoc("--proto_path=" + os.path.dirname(PROTO), "--python_out=" + out,
               os.path.basename(PROTO))
        spec = importlib.util.spec_from_file_location("cri_pb2", os.path.join(out, "cri_pb2.py"))
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
    finally:
        shutil.rmtree(out, ignore_errors=True)
    return mod


def msg(name, **fields):
    """A message of our .proto by name ("PodSandboxConfig"), with fields."""
    cls = getattr(pb(), name, None)
    if cls is None or not hasattr(cls, "DESCRIPTOR"):
        raise KeyError("no message %s in %s" % (name, PROTO))
    return cls(**fields)


def find_method(name):
    """(service descriptor, method descriptor) of "Version" or
    "ImageService/PullImage"."""
    svc_name, _, m_name = name.rpartition("/")
    for svc in (svc_name,) if svc_name else SERVICES:
        svc_d = pb().DESCRIPTOR.services_by_name.get(svc)
        if svc_d is not None and m_name in svc_d.methods_by_name:
            return svc_d, svc_d.methods_by_name[m_name]
    raise KeyError("no method %s in %s" % (name, ", ".join(SERVICES)))


def _identity(b):
    return b


class Cri:
    """A channel to a CRI server's unix socket."""

    def __init__(self, socket_path, timeout=DEFAULT_TIMEOUT):
        if grpc is None:
            raise RuntimeError(missing())
        self.socket_path = socket_path
        self.timeout = timeout  # seconds, for calls that name none
        self.channel = grpc.insecure_channel(
            "unix://" + socket_path,
            options=[("grpc.max_send_message_length", MAX_MESSAGE),
                     ("grpc.max_receive_message_length", MAX_MESSAGE)])

    def close(self):
        self.channel.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    msg = staticmethod(msg)

    @property
    def pb(self):
        return pb()

    @staticmethod
    def methods():
        """(service, method, server-streaming) of every method of our .proto."""
        for svc in SERVICES:
            for m in pb().DESCRIPTOR.services_by_name[svc].methods:
                yield svc, m.name, m.server_streaming

    def call(self, method, request=None, timeout=None, compression=None, **fields):
        """Call a method with request, or one built from fields; the reply
        message, or an iterator of them for a server-streaming method.
        timeout is the call's deadline in seconds (self.timeout if None)."""
        svc, m = find_method(method)
        if request is None:
            if timeout is not None and "timeout" in m.input_type.fields_by_name:
                # StopContainer, ExecSync, CheckpointContainer: which one was meant?
                raise TypeError("%s has a field named timeout: pass request=cri.msg(%r, ...) "
                                "and the deadline as timeout" % (m.input_type.name,
                                                                 m.input_type.name))
            request = msg(m.input_type.name, **fields)
        elif fields:
            raise TypeError("give request or fields, not both")
        elif request.DESCRIPTOR.full_name != m.input_type.full_name:
            raise TypeError("%s takes %s, not %s" % (m.name, m.input_type.full_name,
                                                     request.DESCRIPTOR.full_name))
        reply = getattr(pb(), m.output_type.name)
        kind = self.channel.unary_stream if m.server_streaming else self.channel.unary_unary
        stub = kind("/%s/%s" % (svc.full_name, m.name),
                    request_serializer=lambda r: r.SerializeToString(),
                    response_deserializer=reply.FromString)
        return stub(request, timeout=self.timeout if timeout is None else timeout,
                    compression=compression)

    def raw(self, path, data, timeout=None, stream=False):
        """Send data as the one message of a call to path
        ("/runtime.v1.RuntimeService/Version"), unchecked; the reply's bytes
        (an iterator of them if stream)."""
        kind = self.channel.unary_stream if stream else self.channel.unary_unary
        stub = kind(path, request_serializer=_identity, response_deserializer=_identity)
        return stub(data, timeout=self.timeout if timeout is None else timeout)
