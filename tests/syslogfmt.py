"""syslogfmt.py - the two forms the lab's syslog lines take, for the tests
that hold them against each other (tests/lab/lab_syslog.py,
tests/corpus/lab_logs.py): a datagram in rsyslog's traditional forward
format, and a line of the logserver's merged file (NAME.log beside
NAME.pcap), each as (host, tag, message) keyed the same way."""
import re


def wire_line(payload):
    """(host, tag, message) of a datagram in rsyslog's traditional forward
    format: <PRI>Mmm dd hh:mm:ss HOST TAG MSG."""
    m = re.match(rb"<\d{1,3}>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d ([^ ]+) (.*)\Z", payload, re.S)
    if not m:
        return None
    host, rest = m.group(1).decode(), m.group(2).decode("utf-8", "replace")
    # The tag ends at its colon (rsyslog takes up to 32 characters), the
    # message is the rest, its leading space included.
    t = re.match(r"([^ :]{1,32}:)(.*)\Z", rest, re.S)
    if not t:
        t = re.match(r"([^ ]*)(.*)\Z", rest, re.S)
    return host, t.group(1), t.group(2)


def log_line(line):
    """(host, tag, message) of a line of the merged log, written with
    upstream's template: TIME HOSTNAME(24 columns) TAG(24 columns)MSG."""
    time, _, rest = line.partition(" ")
    if len(rest) < 50:
        return None
    return rest[:24].rstrip(), rest[25:49], rest[49:]


def log_lines(path):
    """(line number, line) of the merged log at path. Lines end at LF only:
    a message may carry a CR of its own (rspamd logs header lines as it
    hashed them), which rsyslog passes on."""
    text = open(path, encoding="utf-8", errors="replace", newline="").read()
    lines = text.split("\n")[:-1] if text.endswith("\n") else text.split("\n")
    return enumerate(lines, 1)


def key(host, tag, msg):
    # The file shows a tag in 24 columns, cut or padded.
    return host, tag[:24].ljust(24), msg
