# SPDX-License-Identifier: Apache-2.0
#
# The classification decisions of the pluto message inventory
# (decisions.tsv), and the conversion scanner shared by extract and check.
#
# A decision is one row: id, levels, regex, type, constants, why.
# - regex is a Python regular expression searched in the message format
#   (the C format string with its pieces joined, the wrapper in front).
#   Named groups mark which conversion fills which event field: every
#   conversion that lies inside the group (?P<peer_ip>...) fills peer_ip;
#   a field named twice takes a suffix: (?P<peer_ip__2>...).  A conversion
#   inside no group fills nothing ('-').
# - levels: '*' or a comma list of levels (log, error, warning, whack,
#   fatal, expectation, passert, impair), call=NAME (the logging call) and
#   file=REGEX (searched in file:line); the decision applies when the
#   message has one of the levels, one of the calls and one of the files
#   given.
# - type: an event type or 'info:<reason>' (a message deliberately not an
#   event, with a one-word reason).
# - constants: field=value pairs the event carries that are no conversion
#   (e.g. reason=superseded), '-' when none.
# '%_' in a regex stands for any one conversion (%s, %lu, %{jam_so}...);
# '%NOREL' for "the message names nothing an auditor must see" (see below).
# The first matching decision wins; a message no decision matches is
# 'undecided'.

import re

CONVERSION = re.compile(
    r"%(?:\{[A-Za-z0-9_]+\}|[-+ #0']*(?:\*|\d+)?(?:\.(?:\*|\d+))?"
    r"(?:hh|h|ll|l|j|z|t|L)?[diouxXeEfgGcspn]|%)")

# '%_' in a decision's regex stands for any one conversion.
CONV_RE = r"(?:%\{[A-Za-z0-9_]+\}|%[-+ #0']*(?:\*|\d+)?(?:\.(?:\*|\d+))?(?:hh|h|ll|l|j|z|t|L)?[diouxXeEfgGcsp])"

# '%NOREL' at the start of a regex: the message names no error, failure,
# rejection, refusal, invalid thing, timeout, delete, establishment or
# notification (an info decision must not hide those; tests/inventory/check).
NOREL_RE = (r"^(?!.*(?:ERROR|[Ff]ail|FAIL|[Rr]eject|REJECT|[Rr]efus|[Ii]nvalid|INVALID|"
            r"[Tt]ime ?out|timed out|[Dd]elet|DELET|[Ee]stablish|NOTIFY|[Nn]otif|[Ee]rror))")

LEVELS = {"log", "error", "warning", "whack", "fatal", "expectation",
          "passert", "impair"}


def conversions(fmt):
    """(start, end, text) of each conversion of fmt, '%%' excluded."""
    return [(m.start(), m.end(), m.group(0)) for m in CONVERSION.finditer(fmt)
            if m.group(0) != "%%"]


class Decision:
    def __init__(self, lineno, did, levels, regex, type_, constants, why):
        self.lineno = lineno
        self.id = did
        self.levels, self.calls, self.files = None, None, None
        for tok in (x.strip() for x in levels.split(",")):
            if tok in ("*", ""):
                continue
            if tok.startswith("call="):
                self.calls = (self.calls or set()) | {tok[5:]}
            elif tok.startswith("file="):
                self.files = (self.files or []) + [re.compile(tok[5:])]
            else:
                self.levels = (self.levels or set()) | {tok}
        self.regex = re.compile(regex.replace("%_", CONV_RE).replace("%NOREL", NOREL_RE))
        self.type = type_.strip()
        self.constants = "" if constants.strip() in ("-", "") else constants.strip()
        self.why = why.strip()


def load(path):
    out = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            parts = line.split("\t")
            if parts[0] == "id":
                continue
            if len(parts) != 6:
                raise SystemExit("%s:%d: want 6 tab-separated columns, got %d"
                                 % (path, n, len(parts)))
            try:
                d = Decision(n, *parts)
            except re.error as e:
                raise SystemExit("%s:%d: bad regex: %s" % (path, n, e))
            if d.levels and not d.levels <= LEVELS:
                raise SystemExit("%s:%d: unknown level in %s" % (path, n, parts[1]))
            if not re.match(r"^(info:[a-z_-]+|[a-z_]+)$", d.type):
                raise SystemExit("%s:%d: bad type %r" % (path, n, d.type))
            if not d.why:
                raise SystemExit("%s:%d: a decision says why" % (path, n))
            out.append(d)
    return out


# Where the words say so, a conversion is the error number whatever the
# decision: "... Errno %d: %s" (3.x), "[errno %d, ...", "errno=%d", and 4.x/5.x's
# %{jam_errno} ("Connection refused (errno 111)").
ERRNO_BEFORE = re.compile(r"(?:\b[Ee]rrno[ =:]?|\[errno |\(errno )$")
INTEGER = re.compile(r"%[-+ #0']*(?:\d+)?(?:hh|h|ll|l|j|z|t)?[diu]$")


def is_errno(fmt, start, text):
    """Whether the conversion text at fmt[start] prints an error number."""
    if text == "%{jam_errno}":
        return True
    return bool(INTEGER.match(text)) and bool(ERRNO_BEFORE.search(fmt[:start]))


def field_map(d, m, fmt):
    """'%s=conn_name %lu=state_serial ...' for the conversions of fmt."""
    spans = []
    for name, val in m.groupdict().items():
        if val is None:
            continue
        a, b = m.span(name)
        spans.append((a, b, name.split("__")[0]))
    out = []
    errno_named = any(name == "errno" for _, _, name in spans)
    for a, b, text in conversions(fmt):
        field = "-"
        for ga, gb, name in spans:
            if ga <= a and b <= gb:
                field = name
                break
        if field == "-" and not errno_named and is_errno(fmt, a, text):
            field = "errno"
            errno_named = True
        out.append("%s=%s" % (text, field))
    if d.constants:
        out.append(d.constants)
    return " ".join(out) if out else "-"


def classify(decisions, fmt, level, call="", where=""):
    """(type, fields, decision id) of one message."""
    call = call.split("[")[0]
    for d in decisions:
        if d.levels and level not in d.levels:
            continue
        if d.calls and call not in d.calls:
            continue
        if d.files and not any(f.search(where) for f in d.files):
            continue
        m = d.regex.search(fmt)
        if m:
            return d.type, field_map(d, m, fmt), d.id
    conv = conversions(fmt)
    return "undecided", " ".join("%s=-" % c[2] for c in conv) or "-", "-"
