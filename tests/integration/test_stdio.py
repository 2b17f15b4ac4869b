"""stdio, terminals, inherited fds, parenting: what monitors rely on."""
import array
import os
import pty
import select
import signal
import socket
import subprocess
import threading
import time

from conftest import CAPSA, wait_gone


def test_pipes_are_the_containers_stdio_and_eof(capsa, make_bundle, subreaper, tmp_path):
    b = make_bundle(["sh", "-c", "read line; echo got:$line; echo oops >&2"])
    pid_file = tmp_path / "pid"
    rep = subreaper.run([CAPSA, "--root", capsa.root, "run", "-d", "--pid-file", pid_file,
                         "--bundle", b, "p1"], pid_file=pid_file, stdin_data="hello\n",
                        timeout=10)
    assert rep["rc"] == 0, rep["cmd_stderr"]
    assert rep["ppid_is_driver"], rep  # the container is the monitor's child
    assert rep["foreign_holders"] == []  # capsa kept no copy of our pipes
    assert rep["stdout"] == "got:hello\n" and rep["stderr"] == "oops\n"
    assert rep["stdout_eof"] and rep["stderr_eof"]
    assert rep["container_reaped_by_driver"] and rep["container_exit_code"] == 0


def test_create_then_start_under_subreaper(capsa, make_bundle, subreaper, tmp_path):
    b = make_bundle(["sh", "-c", "echo started"])
    pid_file = tmp_path / "pid"
    rep = subreaper.run([CAPSA, "--root", capsa.root, "create", "--pid-file", pid_file,
                         "--bundle", b, "p2"], pid_file=pid_file,
                        then=[[CAPSA, "--root", capsa.root, "start", "p2"]])
    assert rep["rc"] == 0 and rep["ppid_is_driver"], rep
    assert rep["container_alive_at_cmd_exit"]
    assert rep["then"][0]["rc"] == 0
    assert rep["stdout"] == "started\n" and rep["stdout_eof"]
    assert rep["foreign_holders"] == []


def test_exec_detach_under_subreaper(capsa, make_bundle, subreaper, tmp_path):
    capsa.ok("run", "-d", "--bundle", make_bundle(["sleep", "100"]), "p3")
    pid_file = tmp_path / "pid"
    rep = subreaper.run([CAPSA, "--root", capsa.root, "exec", "-d", "--pid-file", pid_file,
                         "p3", "sh", "-c", "echo from-exec; exit 5"], pid_file=pid_file)
    assert rep["rc"] == 0, rep["cmd_stderr"]
    assert rep["stdout"] == "from-exec\n" and rep["stdout_eof"]
    assert rep["container_reaped_by_driver"] and rep["container_exit_code"] == 5


def test_preserve_fds_and_no_leaks(capsa, make_bundle, tmp_path):
    """fd 3 is offered with --preserve-fds 1; fd 4 is a host fd opened
    without O_CLOEXEC, which must never reach the container."""
    b = make_bundle(["sh", "-c", "ls /proc/self/fd | sort -n | tr '\\n' ' '"])
    wrap = 'exec 3>"$1" 4>"$2"; shift 2; exec "$@"'

    def run(cid, *extra):
        return subprocess.run(["sh", "-c", wrap, "_", str(tmp_path / "keep"),
                               str(tmp_path / "leak"), CAPSA, "--root", capsa.root,
                               "run", *extra, "--bundle", b, cid],
                              capture_output=True, text=True, timeout=20)
    out = run("fd1", "--preserve-fds", "1")
    assert out.returncode == 0, out.stderr
    # 0-2, the preserved 3, and the directory ls opens (4); a leaked host
    # fd 4 would push ls's own to 5
    assert out.stdout.split() == ["0", "1", "2", "3", "4"]
    out = run("fd2")
    assert out.returncode == 0, out.stderr
    # without --preserve-fds only 0-2 (and ls's own directory fd) exist
    assert out.stdout.split() == ["0", "1", "2", "3"]
    with open(tmp_path / "keep") as f:
        assert f.read() == ""


def recv_fd(conn):
    fds = array.array("i")
    msg, anc, _, _ = conn.recvmsg(4096, socket.CMSG_SPACE(fds.itemsize))
    for level, kind, data in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(data[:fds.itemsize])
    return fds[0]


def read_until(fd, text, timeout=10):
    buf = b""
    end = time.monotonic() + timeout
    while text.encode() not in buf and time.monotonic() < end:
        r, _, _ = select.select([fd], [], [], 0.2)
        if r:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            buf += chunk
    return buf.decode(errors="replace")


def test_console_socket(capsa, make_bundle, tmp_path):
    sock_path = str(tmp_path / "console.sock")
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(sock_path)
    srv.listen(1)
    got = {}

    def accept():
        conn, _ = srv.accept()
        got["fd"] = recv_fd(conn)
        conn.close()
    t = threading.Thread(target=accept)
    t.start()
    b = make_bundle(["sh", "-c", "tty; test -t 0 && echo is-a-tty; ls -l /dev/console; sleep 100"],
                    terminal=True)
    capsa.ok("create", "--console-socket", sock_path, "--bundle", b, "tty1")
    t.join(5)
    srv.close()
    assert "fd" in got
    capsa.ok("start", "tty1")
    out = read_until(got["fd"], "console")
    os.close(got["fd"])
    assert "/dev/pts/0" in out and "is-a-tty" in out, out
    assert "136," in out  # /dev/console is the pty (major 136)


def test_terminal_without_console_socket_is_refused(capsa, make_bundle):
    b = make_bundle(["sh"], terminal=True)
    capsa.fails("create", "--bundle", b, "tty2", contains="--console-socket")
    assert capsa.ids() == []


def test_foreground_run_with_terminal(capsa, make_bundle):
    b = make_bundle(["sh", "-c", "test -t 0 && echo tty-ok; read x; echo got-$x; exit 4"],
                    terminal=True)
    master, slave = pty.openpty()
    p = subprocess.Popen([CAPSA, "--root", capsa.root, "run", "--bundle", b, "tty3"],
                         stdin=slave, stdout=slave, stderr=slave, close_fds=True)
    os.close(slave)
    out = read_until(master, "tty-ok")
    os.write(master, b"abc\r")
    out += read_until(master, "got-abc")
    assert p.wait(timeout=10) == 4
    os.close(master)
    assert "tty-ok" in out and "got-abc" in out, out


def test_runtime_exits_while_container_runs(capsa, make_bundle):
    """No capsa helper outlives create: only the init remains."""
    capsa.ok("create", "--bundle", make_bundle(["sleep", "100"]), "solo")
    pid = capsa.state("solo")["pid"]
    # by inode, not by path: a process re-executed from the read-only clone
    # of the binary's mount (selfexe.c) has an exe path that says little
    ours = os.stat(CAPSA)
    for p in [p for p in os.listdir("/proc") if p.isdigit()]:
        try:
            st = os.stat("/proc/%s/exe" % p)
        except OSError:
            continue
        if (st.st_dev, st.st_ino) == (ours.st_dev, ours.st_ino):
            assert int(p) == pid, "a capsa process %s stayed behind" % p
    capsa.ok("delete", "--force", "solo")
    assert wait_gone(pid)


def test_socket_activation_fds(capsa, make_bundle, tmp_path):
    """LISTEN_FDS/LISTEN_PID naming capsa: the fds stay open in the
    container, which is told LISTEN_FDS=n, LISTEN_PID=1."""
    b = make_bundle(["sh", "-c", "echo $LISTEN_FDS $LISTEN_PID; ls /proc/self/fd | sort -n | tr '\\n' ' '"])
    script = ('exec 3>"$1"; shift; export LISTEN_FDS=1 LISTEN_PID=$$; exec "$@"')
    r = subprocess.run(["sh", "-c", script, "_", str(tmp_path / "sock"), CAPSA, "--root",
                        capsa.root, "run", "--bundle", b, "act"],
                       capture_output=True, text=True, timeout=20)
    assert r.returncode == 0, r.stderr
    first, fds = r.stdout.split("\n", 1)
    assert first == "1 1"
    assert fds.split() == ["0", "1", "2", "3", "4"]
    # LISTEN_PID naming another process: nothing is passed
    script = ('exec 3>"$1"; shift; export LISTEN_FDS=1 LISTEN_PID=1; exec "$@"')
    r = subprocess.run(["sh", "-c", script, "_", str(tmp_path / "sock"), CAPSA, "--root",
                        capsa.root, "run", "--bundle", b, "act2"],
                       capture_output=True, text=True, timeout=20)
    assert r.stdout.split("\n", 1)[1].split() == ["0", "1", "2", "3"]


def test_exec_tty_foreground(capsa, make_bundle):
    capsa.ok("run", "-d", "--bundle", make_bundle(["sleep", "100"]), "xt")
    master, slave = pty.openpty()
    p = subprocess.Popen([CAPSA, "--root", capsa.root, "exec", "-t", "xt", "sh", "-c",
                          "test -t 1 && tty; read x; echo got-$x; exit 9"],
                         stdin=slave, stdout=slave, stderr=slave, close_fds=True)
    os.close(slave)
    out = read_until(master, "/dev/pts/")
    os.write(master, b"zz\r")
    out += read_until(master, "got-zz")
    assert p.wait(timeout=10) == 9
    os.close(master)
    assert "/dev/pts/" in out and "got-zz" in out, out


def set_winsize(fd, rows, cols):
    import fcntl
    import struct
    import termios
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def test_foreground_tty_size_and_sigwinch(capsa, make_bundle):
    b = make_bundle(["sh", "-c", "stty size; read x; stty size"], terminal=True)
    master, slave = pty.openpty()
    set_winsize(slave, 31, 101)
    p = subprocess.Popen([CAPSA, "--root", capsa.root, "run", "--bundle", b, "winch"],
                         stdin=slave, stdout=slave, stderr=slave, close_fds=True)
    out = read_until(master, "31 101")
    set_winsize(slave, 40, 120)  # the user resizes the terminal ...
    p.send_signal(signal.SIGWINCH)  # ... and the terminal tells capsa
    time.sleep(0.2)
    os.write(master, b"go\r")
    out += read_until(master, "40 120")
    os.close(slave)
    assert p.wait(timeout=10) == 0
    os.close(master)
    assert "31 101" in out and "40 120" in out, out


def test_foreground_terminal_from_an_interactive_shell(capsa, make_bundle, tmp_path):
    """A person at a terminal (tmux here) runs a container with a terminal:
    the shell inside gets the keys, the size, and its exit code comes back."""
    import shutil
    assert shutil.which("tmux"), "tmux is needed (scripts/install-deps.sh --test)"
    sock = str(tmp_path / "tmux.sock")
    b = make_bundle(["sh"], terminal=True)
    cmd = "%s --root %s run --bundle %s tmx; echo EXIT=$?; sleep 30" % (CAPSA, capsa.root, b)
    tmux = ["tmux", "-S", sock]
    subprocess.run(tmux + ["new-session", "-d", "-x", "100", "-y", "30", cmd], check=True,
                   timeout=10)
    try:
        def screen():
            return subprocess.run(tmux + ["capture-pane", "-p"], capture_output=True,
                                  text=True, timeout=10).stdout

        def wait_for(text):
            end = time.monotonic() + 10
            while text not in screen() and time.monotonic() < end:
                time.sleep(0.05)
            return screen()
        wait_for("#")  # the container's shell prompt
        subprocess.run(tmux + ["send-keys", "echo hello-$((6*7)); stty size; exit 7",
                               "Enter"], check=True, timeout=10)
        out = wait_for("EXIT=")
        assert "hello-42" in out and "30 100" in out and "EXIT=7" in out, out
    finally:
        subprocess.run(tmux + ["kill-server"], timeout=10)
