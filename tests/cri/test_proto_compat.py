"""Our src/cri/proto/cri.proto against the upstream CRI definition.

capsad's .proto is written by hand; a wrong field number or type would
decode the kubelet's requests into the wrong fields without any error.
Both files are compiled by protoc into descriptor sets and compared:
services and methods, every message and enum we define (fields by name,
number, type, label, type name, oneof, deprecation; enum values), and
every type the reference's methods reach, which we must define unless it
is a Windows* type (left out on purpose, with the fields of those types).

The reference is read at test time only, never committed: $CRI_API_PROTO,
else shared/specs/cri-api/api.proto beside the repository (or beside the
main checkout, from a git worktree).  No server is needed.
"""
import os
import re
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import criclient  # noqa: E402

PACKAGE = "runtime.v1"
REF_REL = os.path.join("shared", "specs", "cri-api", "api.proto")


def reference_path():
    if os.environ.get("CRI_API_PROTO"):
        return os.environ["CRI_API_PROTO"]
    tops = [criclient.REPO]
    # a worktree's shared/ is beside the main checkout, not beside it
    r = subprocess.run(["git", "-C", criclient.REPO, "rev-parse", "--git-common-dir"],
                       capture_output=True, text=True)
    if r.returncode == 0:
        common = os.path.join(criclient.REPO, r.stdout.strip())
        tops.append(os.path.dirname(os.path.abspath(common)))
    for top in tops:
        path = os.path.join(os.path.dirname(top), REF_REL)
        if os.path.exists(path):
            return path
    return os.path.join(os.path.dirname(criclient.REPO), REF_REL)


def compile_set(proto, out):
    """The FileDescriptorProto of proto, compiled by protoc."""
    from google.protobuf import descriptor_pb2
    protoc_out = out + ".pb"
    criclient.protoc("--proto_path=" + os.path.dirname(proto), "--include_imports",
                     "--descriptor_set_out=" + protoc_out, os.path.basename(proto))
    with open(protoc_out, "rb") as f:
        fds = descriptor_pb2.FileDescriptorSet.FromString(f.read())
    files = [f for f in fds.file if f.package == PACKAGE]
    assert len(files) == 1, "%s: %d files of package %s" % (proto, len(files), PACKAGE)
    return files[0]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    ref = reference_path()
    if not os.path.exists(ref):
        pytest.skip("the reference CRI definition %s is missing (set CRI_API_PROTO)" % ref)
    if criclient.protoc_missing():
        pytest.skip(criclient.protoc_missing())
    tmp = tmp_path_factory.mktemp("proto")
    # protoc 3.21 does not know debug_redact (protobuf 22 added it); the
    # option changes nothing on the wire
    with open(ref) as f:
        text = re.sub(r"\s*\[\s*debug_redact\s*=\s*true\s*\]", "", f.read())
    os.makedirs(tmp / "ref")
    with open(tmp / "ref" / "api.proto", "w") as f:
        f.write(text)
    return (compile_set(criclient.PROTO, str(tmp / "ours")),
            compile_set(str(tmp / "ref" / "api.proto"), str(tmp / "ref")))


def types_of(fd):
    """{full name: DescriptorProto}, {full name: EnumDescriptorProto},
    nested types included (map entries, SecurityProfile.ProfileType)."""
    msgs, enums = {}, {}

    def walk(prefix, messages, enum_types):
        for e in enum_types:
            enums[prefix + e.name] = e
        for m in messages:
            msgs[prefix + m.name] = m
            walk(prefix + m.name + ".", m.nested_type, m.enum_type)

    walk("." + fd.package + ".", fd.message_type, fd.enum_type)
    return msgs, enums


def field_key(m, f):
    """What must agree between two definitions of a field."""
    oneof = m.oneof_decl[f.oneof_index].name if f.HasField("oneof_index") else None
    return {"name": f.name, "number": f.number, "type": f.type, "label": f.label,
            "type_name": f.type_name, "oneof": oneof, "proto3_optional": f.proto3_optional,
            "deprecated": f.options.deprecated}


def is_windows(full_name):
    return full_name.rsplit(".", 1)[-1].startswith("Windows")


def check(problems):
    assert not problems, "%d difference(s) from the reference:\n  %s" % (
        len(problems), "\n  ".join(problems))


def test_file(files):
    ours, ref = files
    assert ours.package == ref.package == PACKAGE
    assert ours.syntax == ref.syntax == "proto3"
    assert not ours.dependency, "our .proto imports nothing"


def test_services(files):
    ours, ref = files
    problems = []
    our_svcs = {s.name: s for s in ours.service}
    ref_svcs = {s.name: s for s in ref.service}
    for extra in sorted(set(our_svcs) - set(ref_svcs)):
        problems.append("service %s is not in the reference" % extra)
    for name, rs in ref_svcs.items():
        os_ = our_svcs.get(name)
        if os_ is None:
            problems.append("service %s is missing" % name)
            continue
        our_m = {m.name: m for m in os_.method}
        ref_m = {m.name: m for m in rs.method}
        for extra in sorted(set(our_m) - set(ref_m)):
            problems.append("%s.%s is not in the reference" % (name, extra))
        for mname, rm in ref_m.items():
            om = our_m.get(mname)
            if om is None:
                problems.append("%s.%s is missing" % (name, mname))
                continue
            for attr in ("input_type", "output_type", "client_streaming", "server_streaming"):
                if getattr(om, attr) != getattr(rm, attr):
                    problems.append("%s.%s: %s is %r, the reference's %r" % (
                        name, mname, attr, getattr(om, attr), getattr(rm, attr)))
    check(problems)


def test_our_messages_match(files):
    """Every message we define is the reference's, field for field, minus
    the fields of Windows* types."""
    ours, ref = files
    our_msgs, _ = types_of(ours)
    ref_msgs, _ = types_of(ref)
    problems = []
    for name, om in sorted(our_msgs.items()):
        rm = ref_msgs.get(name)
        if rm is None:
            problems.append("message %s is not in the reference" % name)
            continue
        if om.options.map_entry != rm.options.map_entry:
            problems.append("%s: map entry %s, the reference's %s" % (
                name, om.options.map_entry, rm.options.map_entry))
        ref_f = {f.number: f for f in rm.field}
        our_f = {f.number: f for f in om.field}
        for num, f in our_f.items():
            if num not in ref_f:
                problems.append("%s.%s = %d is not in the reference" % (name, f.name, num))
            else:
                ok, rk = field_key(om, f), field_key(rm, ref_f[num])
                problems += ["%s field %d: %s is %r, the reference's %r" % (name, num, k, ok[k], rk[k])
                             for k in ok if ok[k] != rk[k]]
        for num, f in ref_f.items():
            if num not in our_f and not is_windows(f.type_name):
                problems.append("%s.%s = %d is missing" % (name, f.name, num))
    check(problems)


def test_our_enums_match(files):
    ours, ref = files
    _, our_enums = types_of(ours)
    _, ref_enums = types_of(ref)
    problems = []
    for name, oe in sorted(our_enums.items()):
        re_ = ref_enums.get(name)
        if re_ is None:
            problems.append("enum %s is not in the reference" % name)
            continue
        ov = [(v.name, v.number) for v in oe.value]
        rv = [(v.name, v.number) for v in re_.value]
        if sorted(ov) != sorted(rv):
            problems.append("enum %s: ours has %s, the reference %s" % (
                name, sorted(set(ov) - set(rv)), sorted(set(rv) - set(ov))))
    check(problems)


def test_reachable_types_defined(files):
    """Every message and enum a reference method reaches is ours too,
    except the Windows* ones."""
    ours, ref = files
    our_msgs, our_enums = types_of(ours)
    ref_msgs, ref_enums = types_of(ref)
    todo = [t for s in ref.service for m in s.method for t in (m.input_type, m.output_type)]
    seen = set()
    while todo:
        name = todo.pop()
        if name in seen or is_windows(name):
            continue
        seen.add(name)
        if name in ref_msgs:
            todo.extend(f.type_name for f in ref_msgs[name].field if f.type_name)
        else:
            assert name in ref_enums, "the reference names an unknown type %s" % name
    missing = sorted(n for n in seen if n not in our_msgs and n not in our_enums)
    check(["%s is missing" % n for n in missing])
    # and the walk is not vacuous
    assert len(seen) > 150, "only %d types reached" % len(seen)
