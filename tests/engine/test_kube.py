"""`kube play` and `kube down` of a Pod manifest (YAML through libyaml):
containers of one pod sharing an emptyDir volume and localhost, a hostPort
published, env, command and args; and manifests that are refused with a
line naming what is wrong (an alias bomb, an unknown field, another kind,
a bad port), leaving nothing behind."""
import json
import subprocess

POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: kweb
  labels:
    app: web
spec:
  restartPolicy: Never
  containers:
  - name: srv
    image: busybox
    command: ["sh", "-c"]
    args:
    - echo "$GREETING" > /data/index.html; exec httpd -f -p 8080 -h /data
    env:
    - name: GREETING
      value: hello from kube
    ports:
    - containerPort: 8080
      hostPort: 18090
    volumeMounts:
    - name: shared
      mountPath: /data
  - name: side
    image: busybox
    command: ["sleep", "1000"]
    volumeMounts:
    - name: shared
      mountPath: /shared
      readOnly: true
  volumes:
  - name: shared
    emptyDir: {}
"""

FETCH = ("import sys, urllib.request; "
         "print(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode(), end='')")


def fetch(e, url):
    return subprocess.run(["nsenter", "--net=/run/netns/" + e.netns, "/usr/bin/python3", "-c",
                           FETCH, url], capture_output=True, text=True)


def test_kube_play_and_down(engine, tmp_path):
    f = tmp_path / "pod.yaml"
    f.write_text(POD)
    out = engine.ok("kube", "play", f).stdout.splitlines()
    assert out[0] == "Pod:" and out[2] == "Containers:" and len(out) == 5, out
    info = json.loads(engine.ok("pod", "inspect", "kweb").stdout)
    assert info["State"] == "Running" and info["Labels"] == {"app": "web"}
    assert sorted(c["Name"] for c in info["Containers"])[1:] == ["kweb-side", "kweb-srv"]
    # the emptyDir is one volume for both; the side container sees it read-only
    for _ in range(50):
        r = engine.run("exec", "kweb-side", "cat", "/shared/index.html")
        if r.returncode == 0:
            break
    assert r.stdout == "hello from kube\n", r.stderr
    engine.fails("exec", "kweb-side", "touch", "/shared/x")
    assert fetch(engine, "http://127.0.0.1:18090/").stdout == "hello from kube\n"
    # a second play of the same pod: refused, the first one untouched
    r = engine.fails("kube", "play", f)
    assert "kweb" in r.stderr, r.stderr
    assert json.loads(engine.ok("pod", "inspect", "kweb").stdout)["State"] == "Running"
    engine.ok("kube", "down", f)
    assert engine.ps() == [] and engine.ok("pod", "ps", "-q").stdout == ""
    assert engine.ok("volume", "ls", "-q").stdout == ""


BAD = {
    "alias": ("a: &x [1, 2]\nb: [*x, *x]\n", "anchors are not supported"),
    "kind": ("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec: {}\n",
             "only apiVersion v1, kind Pod"),
    "field": (POD.replace("  restartPolicy: Never\n", "  hostNetwork: true\n"),
              "spec.hostNetwork is not supported"),
    "port": (POD.replace("hostPort: 18090", "hostPort: 99999"), "hostPort: want a port"),
    "image": (POD.replace("    image: busybox\n    command: [\"sleep\"",
                          "    command: [\"sleep\""), "image: want a string"),
    "volume": (POD.replace("  - name: shared\n    emptyDir: {}\n", ""),
               "volume shared is not in spec.volumes"),
    "deep": ("a: " + "[" * 100 + "]" * 100 + "\n", "nested deeper than"),
    "syntax": ("a: [1, 2\n", "YAML:"),
    "twice": ("a: 1\na: 2\n", "given twice"),
}


def test_kube_play_refuses_bad_manifests(engine, tmp_path):
    for name, (text, words) in BAD.items():
        f = tmp_path / (name + ".yaml")
        f.write_text(text)
        r = engine.fails("kube", "play", f, code=125)
        assert words in r.stderr, (name, r.stderr)
        assert len(r.stderr.strip().splitlines()) == 1, (name, r.stderr)
    assert engine.ps() == [] and engine.ok("pod", "ps", "-q").stdout == ""


def test_kube_play_failing_halfway_leaves_nothing(engine, tmp_path):
    f = tmp_path / "pod.yaml"
    f.write_text(POD.replace("    image: busybox\n    command: [\"sleep\"",
                             "    image: localhost/nosuch\n    imagePullPolicy: Never\n"
                             "    command: [\"sleep\""))
    r = engine.fails("kube", "play", f)
    assert "nosuch" in r.stderr, r.stderr
    assert engine.ps() == [] and engine.ok("pod", "ps", "-q").stdout == ""
    assert engine.ok("volume", "ls", "-q").stdout == ""
