#!/usr/bin/python3
"""check-deps.py: the build needs nothing that install-deps.sh does not install.

README command 1 must work on a minimal Debian 12 that has only what
`install-deps.sh` (no flag) installs, and `make check` on one that has what
`install-deps.sh --test` adds.  On a machine where much more is installed, a
package missing from those lists goes unnoticed until someone tries a fresh
machine.  This guard makes that machine out of this one: a root holding only
the files of the packages a minimal Debian 12 plus the base list would have
(Debian's required packages, apt, the list, and everything they depend on,
taken from dpkg's records of this host), hard-linked from the host and
mounted read-only, entered with pivot_root in a private mount namespace.
There it runs README command 1's build and demo (`make demo`), then
`meson setup -Dtests=enabled` in a root made from the base and test lists
together.  The lists come from `install-deps.sh --list` itself, so they
cannot drift from what it installs.

Usage: scripts/check-deps.py [--keep DIR]    (as root, from the repository)
"""
import glob
import os
import shutil
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INSTALL = os.path.join(REPO, "scripts", "install-deps.sh")
# what maintainer scripts make rather than dpkg unpacks: copied as they are
GENERATED = ("/etc/alternatives", "/etc/ld.so.cache", "/etc/passwd", "/etc/group",
             "/etc/shadow", "/etc/gshadow", "/etc/hosts", "/etc/hostname",
             "/etc/resolv.conf", "/etc/machine-id")


def listed(*flags):
    out = subprocess.run([INSTALL, "--list", *flags], check=True,
                         capture_output=True, text=True).stdout
    return out.split()


def bare(dep):
    """'libc6:any (>= 2.34)' -> 'libc6'"""
    return dep.strip().split(" ")[0].split(":")[0]


def installed_packages():
    """name -> (priority, essential, provides, [[alternatives], ...])."""
    fmt = ("${Package}\t${Status}\t${Priority}\t${Essential}\t${Provides}\t"
           "${Pre-Depends}\t${Depends}\n")
    out = subprocess.run(["dpkg-query", "-W", "-f", fmt], check=True,
                         capture_output=True, text=True).stdout
    pkgs = {}
    for line in out.splitlines():
        name, status, prio, ess, provides, pre, deps = line.split("\t")
        if not status.endswith(" installed"):
            continue
        groups = [[bare(a) for a in g.split("|")]
                  for field in (pre, deps) for g in field.split(",") if g.strip()]
        pkgs[name] = (prio, ess == "yes", [bare(p) for p in provides.split(",") if p.strip()],
                      groups)
    return pkgs


def closure(roots, pkgs):
    """Every installed package that installing roots on a minimal Debian
    pulls in: the roots, the required and essential packages, apt, and
    their dependencies (the first installed alternative of each group;
    virtual names through what provides them)."""
    providers = {}
    for name, (_, _, provides, _) in pkgs.items():
        for p in provides:
            providers.setdefault(p, []).append(name)

    def resolve(name):
        return [name] if name in pkgs else providers.get(name, [])

    todo = list(roots) + ["apt"] + [n for n, (prio, ess, _, _) in pkgs.items()
                                    if prio == "required" or ess]
    seen = set()
    while todo:
        for name in resolve(todo.pop()):
            if name in seen:
                continue
            seen.add(name)
            for group in pkgs[name][3]:
                alt = next((a for a in group if resolve(a)), None)
                if alt:
                    todo.append(alt)
    return seen


def package_files(pkg):
    for f in glob.glob("/var/lib/dpkg/info/%s.list" % pkg) + \
            glob.glob("/var/lib/dpkg/info/%s:*.list" % pkg):
        with open(f, errors="replace") as fh:
            yield from fh.read().splitlines()


def place(src, root):
    """Put host path src at the same place under root: directories made,
    symlinks copied, files hard-linked (copied across filesystems)."""
    dst = root + src
    if os.path.lexists(dst) or not os.path.lexists(src):
        return
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    if os.path.islink(src):
        os.symlink(os.readlink(src), dst)
    elif os.path.isdir(src):
        os.makedirs(dst, exist_ok=True)
    else:
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)


def make_root(root, pkgs):
    """A root filesystem with only the files of pkgs (and what their
    maintainer scripts generate)."""
    for top in os.listdir("/"):      # the merged-/usr links: /bin -> usr/bin, ...
        if os.path.islink("/" + top) and os.readlink("/" + top).startswith("usr/"):
            place("/" + top, root)
            os.makedirs(os.path.join(root, os.readlink("/" + top)), exist_ok=True)
    for pkg in sorted(pkgs):
        for path in package_files(pkg):
            place(path, root)
    for path in GENERATED:
        if os.path.isdir(path) and not os.path.islink(path):
            for name in os.listdir(path):
                place(os.path.join(path, name), root)
        else:
            place(path, root)
    # the links update-alternatives makes (/usr/sbin/iptables ->
    # /etc/alternatives/iptables) belong to no package's file list
    for d in ("/usr/bin", "/usr/sbin"):
        for name in os.listdir(d):
            link = os.path.join(d, name)
            if os.path.islink(link) and os.readlink(link).startswith("/etc/alternatives/") \
                    and os.path.lexists(root + os.readlink(link)):
                place(link, root)
    for d in ("proc", "sys", "dev", "run", "tmp", "src", "old"):
        os.makedirs(os.path.join(root, d), exist_ok=True)
    os.chmod(os.path.join(root, "tmp"), 0o1777)


ENTER = r"""
set -e
r=$1; shift
mount --make-rprivate /
mount --bind "$r" "$r"
for d in usr etc; do mount --bind "$r/$d" "$r/$d"; mount -o remount,bind,ro "$r/$d"; done
mount --rbind /proc "$r/proc"; mount --rbind /sys "$r/sys"; mount --rbind /dev "$r/dev"
mount -t tmpfs tmpfs "$r/run"; mount -t tmpfs tmpfs "$r/tmp"
mount --bind "$REPO" "$r/src"; mount -o remount,bind,ro "$r/src"
cd "$r"; pivot_root . old; cd /
umount -l /old
exec env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/tmp LANG=C.UTF-8 sh -c "cd /src && $*"
"""


def run_in(root, cmd):
    env = dict(os.environ, REPO=REPO)
    return subprocess.run(["unshare", "--mount", "--", "sh", "-c", ENTER, "enter", root, cmd],
                          env=env, stdin=subprocess.DEVNULL).returncode


def check(name, roots, cmd, pkgs, work):
    """Run cmd in a root of roots' closure; say which of them failed."""
    root = os.path.join(work, name)
    have = closure(roots, pkgs)
    make_root(root, have)
    print("check-deps: %s: %s, in a root of %d packages (%d listed by install-deps.sh "
          "and what they pull in)" % (name, cmd, len(have), len(roots)), flush=True)
    rc = run_in(root, cmd)
    if rc != 0:
        print("check-deps: %s failed (exit %d) with only the packages install-deps.sh "
              "installs: a package the build or the demo needs is missing from its "
              "list (the output above names what was not found)" % (name, rc),
              file=sys.stderr)
    return rc == 0


def main():
    keep = sys.argv[2] if len(sys.argv) > 2 and sys.argv[1] == "--keep" else None
    pkgs = installed_packages()
    base, test = listed(), listed("--test")
    missing = [p for p in test if p not in pkgs]
    if missing:
        sys.exit("check-deps: not installed: %s (run scripts/install-deps.sh --test)"
                 % " ".join(missing))
    work = keep or tempfile.mkdtemp(prefix="capsa-check-deps.", dir="/var/tmp")
    os.makedirs(work, exist_ok=True)
    try:
        ok = check("base", base, "make demo BUILD=/tmp/build", pkgs, work)
        ok = check("test", test, "meson setup /tmp/build -Dtests=enabled >/dev/null",
                   pkgs, work) and ok
        if not ok:
            sys.exit(1)
        print("check-deps: README command 1 builds and runs the demo with only the base "
              "list; the tests configure with the test list")
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
