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
}
