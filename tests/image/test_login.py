"""capsactl login / logout (podman's flags and words): credentials are
checked against the registry before they are stored (auth file 0600),
pull and push find them again (--authfile, $REGISTRY_AUTH_FILE, docker's
~/.docker/config.json), logout removes them."""
import base64
import json
import os
import stat

import pytest

import oci_images
import procs

TLS = "--tls-verify=false"


def b64(user, password):
    return base64.b64encode(("%s:%s" % (user, password)).encode()).decode()


@pytest.fixture(scope="module")
def basic_ref(registry_basic, busybox_layout):
    """busybox in the Basic-auth registry."""
    return oci_images.load_into_registry(busybox_layout.path, "latest", registry_basic.url,
                                         repo="login/busybox", creds=registry_basic.creds)


@pytest.fixture
def isolated(store, tmp_path):
    """store whose default auth file is a path under tmp (never the host's)."""
    store.env["REGISTRY_AUTH_FILE"] = str(tmp_path / "default-auth.json")
    store.env.pop("DOCKER_CONFIG", None)
    store.env.pop("XDG_CONFIG_HOME", None)
    return store


def login(store, reg, *extra, password=None, **kw):
    return store.run("login", TLS, "-u", reg.user, "-p",
                     reg.password if password is None else password, *extra, reg.url, **kw)


def test_login_stores_checked_credentials(isolated, registry_basic, basic_ref, tmp_path):
    store, auth = isolated, tmp_path / "auth.json"
    # without credentials the pull is refused
    store.fails("pull", TLS, "--authfile", auth, basic_ref, contains="401 unauthorized")
    r = login(store, registry_basic, "--authfile", auth)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "Login Succeeded!\n"
    assert stat.S_IMODE(os.stat(auth).st_mode) == 0o600
    doc = json.loads(auth.read_text())
    assert doc == {"auths": {registry_basic.url: {
        "auth": b64(registry_basic.user, registry_basic.password)}}}
    r = store.ok("pull", "-q", TLS, "--authfile", auth, basic_ref)
    assert len(r.stdout.strip()) == 64
    # --get-login names the user
    r = store.ok("login", "--get-login", "--authfile", auth, registry_basic.url)
    assert r.stdout == registry_basic.user + "\n"


def test_wrong_password_changes_nothing(isolated, registry_basic, tmp_path):
    store, auth = isolated, tmp_path / "auth.json"
    r = login(store, registry_basic, "--authfile", auth, password="wrong")
    assert r.returncode == 125
    assert r.stderr.strip() == \
        'capsactl: logging into "%s": invalid username/password' % registry_basic.url
    assert not auth.exists()
    # a file with other entries is left byte for byte
    auth.write_text('{"auths": {"example.com": {"auth": "%s"}}, "x": 1}' % b64("a", "b"))
    before = auth.read_bytes()
    r = login(store, registry_basic, "--authfile", auth, password="wrong")
    assert r.returncode == 125
    assert auth.read_bytes() == before
    # a good login keeps the other entries and keys
    assert login(store, registry_basic, "--authfile", auth).returncode == 0
    doc = json.loads(auth.read_text())
    assert doc["x"] == 1 and set(doc["auths"]) == {"example.com", registry_basic.url}


def test_login_token_registry(isolated, registry_token, tmp_path):
    store, auth = isolated, tmp_path / "auth.json"
    r = login(store, registry_token, "--authfile", auth, password="nope")
    assert r.returncode == 125
    assert "invalid username/password" in r.stderr, r.stderr
    assert not auth.exists()
    registry_token.token.reset()
    r = login(store, registry_token, "--authfile", auth)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "Login Succeeded!\n"
    # the credentials went to the token server (the realm), and were good
    assert any(q["user"] == registry_token.user and q["status"] == 200
               for q in registry_token.token.requests)
    assert registry_token.url in json.loads(auth.read_text())["auths"]


def test_logout(isolated, registry_basic, tmp_path):
    store, auth = isolated, tmp_path / "auth.json"
    assert login(store, registry_basic, "--authfile", auth).returncode == 0
    r = store.ok("logout", "--authfile", auth, registry_basic.url)
    assert r.stdout == "Removed login credentials for %s\n" % registry_basic.url
    assert json.loads(auth.read_text())["auths"] == {}
    r = store.fails("logout", "--authfile", auth, registry_basic.url)
    assert r.returncode == 125
    assert r.stderr.strip() == "capsactl: not logged into %s" % registry_basic.url
    r = store.fails("logout", "--authfile", auth, "unknown.example.com")
    assert "not logged into unknown.example.com" in r.stderr
    store.fails("login", "--get-login", "--authfile", auth, registry_basic.url,
                contains="not logged into %s" % registry_basic.url)


def test_logout_all(isolated, registry_basic, tmp_path):
    store, auth = isolated, tmp_path / "auth.json"
    auth.write_text(json.dumps({"auths": {"a.example.com": {"auth": b64("a", "b")},
                                          "b.example.com": {"auth": b64("c", "d")}},
                                "credHelpers": {}}))
    r = store.ok("logout", "--authfile", auth, "--all")
    assert r.stdout == "Removed login credentials for all registries\n"
    assert json.loads(auth.read_text()) == {"auths": {}, "credHelpers": {}}


def test_password_stdin(isolated, registry_basic, tmp_path):
    store, auth = isolated, tmp_path / "auth.json"
    r = store.run("login", TLS, "--authfile", auth, "-u", registry_basic.user,
                  "--password-stdin", registry_basic.url, input=registry_basic.password + "\n")
    assert r.returncode == 0, r.stderr
    assert json.loads(auth.read_text())["auths"][registry_basic.url]["auth"] == \
        b64(registry_basic.user, registry_basic.password)


def test_registry_auth_file_env(isolated, registry_basic, basic_ref, tmp_path):
    store = isolated
    envfile = tmp_path / "env" / "auth.json"
    store.env["REGISTRY_AUTH_FILE"] = str(envfile)
    assert login(store, registry_basic).returncode == 0
    assert stat.S_IMODE(os.stat(envfile).st_mode) == 0o600
    assert registry_basic.url in json.loads(envfile.read_text())["auths"]
    # pull finds it there without being told
    store.ok("pull", "-q", TLS, basic_ref)
    store.ok("logout", registry_basic.url)
    assert json.loads(envfile.read_text())["auths"] == {}


def test_docker_config_is_read(isolated, registry_basic, basic_ref):
    store = isolated
    assert store.env["HOME"] == store.home and store.home.startswith(os.path.dirname(
        store.base))
    store.fails("pull", TLS, basic_ref, contains="401 unauthorized")
    os.makedirs(os.path.join(store.home, ".docker"))
    with open(os.path.join(store.home, ".docker", "config.json"), "w") as f:
        json.dump({"auths": {"http://%s/v1/" % registry_basic.url: {
            "auth": b64(registry_basic.user, registry_basic.password)}}}, f)
    store.ok("pull", "-q", TLS, basic_ref)


def test_flag_errors(isolated, registry_basic):
    store = isolated
    r = store.fails("login", TLS, "-p", "x", registry_basic.url,
                    contains="a password needs a user name")
    assert r.returncode == 125
    # no terminal: no prompt, an error
    store.fails("login", TLS, "-u", "someone", registry_basic.url,
                contains="no password: give -p PASSWORD or --password-stdin")
    store.fails("login", TLS, registry_basic.url, contains="no user name")
    store.fails("login", TLS, "-u", "a", "-p", "b", "--password-stdin", registry_basic.url,
                contains="exclude each other")
    store.fails("login", TLS, "-u", "a", "-p", "b", "not a registry",
                contains="not a registry")


def test_prompts_on_a_terminal(isolated, registry_basic, tmp_path):
    """On a terminal: the user name is asked (echoed), the password too
    (not echoed)."""
    store, auth = isolated, tmp_path / "auth.json"
    cmd = [store.binary, "--root", store.root, "--runroot", store.runroot,
           "login", TLS, "--authfile", auth, registry_basic.url]
    out, rc = procs.run_pty(cmd, steps=[(b"Username: ", registry_basic.user.encode() + b"\n"),
                                        (b"Password: ", registry_basic.password.encode()
                                         + b"\n")],
                            timeout=60, env=store.env)
    assert rc == 0, out
    assert b"Login Succeeded!" in out
    assert registry_basic.user.encode() in out
    assert registry_basic.password.encode() not in out
    assert registry_basic.url in json.loads(auth.read_text())["auths"]
    # logged in already: the stored credentials are checked, nothing asked
    cmd = cmd[:-1] + [registry_basic.url]
    out, rc = procs.run_pty(cmd, timeout=60, env=store.env)
    assert rc == 0, out
    assert b"Already logged in to " + registry_basic.url.encode() in out
