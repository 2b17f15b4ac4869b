"""Observations on which capsa is allowed to differ from runc 1.1.5.

Keys are "scenario/observation-key" (fnmatch patterns allowed, e.g.
"version/spec_value" or "list_json/*/owner"). The value is either
  - a string: the reason; the key is then not compared at all, or
  - a dict {"reason": str, "capsa": value}: capsa must show exactly `value`
    (a callable taking capsa's value and returning bool is accepted too).

Add an entry only for a deliberate, documented divergence, with the reason
an engine does not care (or the design decision that overrides runc).

Example:
    "version/first_line_program": {
        "reason": "capsa names itself; go-runc only parses runc's output "
                  "for display",
        "capsa": "capsa",
    },
"""

KNOWN_DIFFERENCES = {
    "version/first_line_program": {
        "reason": "capsa names itself; engines only show this line",
        "capsa": "capsa",
    },
    "version/spec_value": {
        "reason": "capsa implements runtime-spec 1.2.1 (shared/specs); runc 1.1 "
                  "reports 1.0.2-dev. Both accept any 1.x config.",
        "capsa": "1.2.1",
    },
    "pause_resume/*": "pause/resume need the freezer cgroup: issue 3/4 "
                      "(capsa says 'not supported yet' until then)",
    # poststart: runtime-spec config.md says the poststart hooks run "after
    # the user-specified process is executed but before the start operation
    # returns" (lifecycle step 9, after step 6 `start`); runc 1.1 runs them
    # at the end of `create`, with status "created" (opencontainers/runc
    # #1710; moved to `start` upstream by runc PR #5186). capsa runs them in
    # `start`, after the init was told to exec, with status "running".
    "hooks/ran_during_create": {
        "reason": "poststart runs in start (runtime-spec), not at the end of "
                  "create as in runc 1.1",
        "capsa": ["prestart", "createRuntime", "createContainer"],
    },
    "hooks/ran_during_start": {
        "reason": "poststart runs in start (runtime-spec), after "
                  "startContainer",
        "capsa": ["startContainer", "poststart"],
    },
    "hooks/poststart/status": {
        "reason": "poststart runs once the user's program was executed: the "
                  "container is running (runc 1.1: created, from create)",
        "capsa": "running",
    },
    "hooks/prestart/status": {
        "reason": "runtime.md: 'created' once the environment of step 2 "
                  "exists, which is when prestart, createRuntime and "
                  "createContainer run (crun agrees, runtime-tools "
                  "hooks_stdin checks it; runc 1.1 says 'creating')",
        "capsa": "created",
    },
    "hooks/createRuntime/status": {
        "reason": "as hooks/prestart/status",
        "capsa": "created",
    },
    "hooks/createContainer/status": {
        "reason": "as hooks/prestart/status",
        "capsa": "created",
    },
    "hooks_failing/poststart_fails/create_rc": {
        "reason": "poststart does not run during create in capsa, so its "
                  "failure cannot fail create (runc 1.1 runs it in create)",
        "capsa": 0,
    },
    "hooks_failing/poststart_fails/status_after_start": {
        "reason": "a failing poststart fails start and stops the container "
                  "(runtime.md lifecycle step 9); the record stays until the "
                  "engine's delete (runc 1.1 fails create and removes it)",
        "capsa": "stopped",
    },
    "hooks_failing/poststart_fails/hooks_run_before_delete": {
        "reason": "the stopped container's poststop runs at the engine's "
                  "delete, once (runc 1.1 runs it as create fails)",
        "capsa": ["poststart"],
    },
    # Foreground `run` without a terminal: runc 1.1 puts pipes between the
    # container and its own stdio and copies (setupProcessPipes); capsa hands
    # the container the caller's fds, as both runtimes do for create and
    # run -d (see fds/create_preserve_1/stdio) and as crun does for run.
    # With the pid namespace, nothing in the container outlives the init, so
    # the caller still sees EOF when run returns. Engines use create/start.
    "fds/run*/stdio": {
        "reason": "capsa run gives the container the caller's own stdio "
                  "(here /dev/null and two files); runc 1.1 interposes "
                  "pipes it copies from",
        "capsa": ["/dev/null", "file", "file"],
    },
    "hostname/uts/domainname": {
        "reason": "capsa sets config.json domainname (runtime-spec "
                  "config.md); runc 1.1 ignores the field (added in runc "
                  "1.2, opencontainers/runc #3600)",
        "capsa": "example.org",
    },
}
