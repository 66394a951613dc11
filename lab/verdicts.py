#!/usr/bin/python3
"""lab/verdicts.py - what lab/record writes beside each capture.

  verdicts.py verdicts EML                     the verdict headers, as written
  verdicts.py notes ID SET EML RFC NOTES       NAME.notes (see below)
  verdicts.py mailbox MAILDIR                  the messages: size, subject
  verdicts.py readme SET DIR CAPTURES_MD [TLS_MD]  the set's README.md (TLS_MD: with --tls)

NAME.notes are notes for people (smtpsniff --expect reads only what
--save-expect wrote). They give, in comments, why the RFCs give each verdict
and the verdicts the smtpbook book shows for the scenario (lab/book.py),
then one line per check the scenario's MX runs,
    CHECK  RFC  written=WRITTEN  [DIFFERS: why the RFC verdict stands]
where RFC is the RFCs' verdict (lab/rfc-verdicts), what smtpsniff must say,
and WRITTEN what the verifier's header says; a verifier that wrote other
than the RFCs must be explained in lab/verifier-notes.
"""
import email
import email.policy
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import book  # noqa: E402

VERDICT_HEADERS = ("authentication-results", "received-spf")


def verdict_headers(path):
    """The verdict headers of a message file, folded as written."""
    with open(path, "rb") as f:
        head = f.read().split(b"\n\n", 1)[0].decode("utf-8", "replace")
    out, keep = [], False
    for line in head.split("\n"):
        if line[:1] in (" ", "\t"):
            if keep:
                out.append(line)
            continue
        keep = line.split(":", 1)[0].strip().lower() in VERDICT_HEADERS
        if keep:
            out.append(line)
    return out


def written(path):
    """{method: result} from the message's verdict headers."""
    found = {}
    text = "\n".join(verdict_headers(path))
    for header in re.split(r"\n(?=\S)", text):
        name, _, value = header.partition(":")
        value = re.sub(r"\s+", " ", value).strip()
        if name.lower() == "received-spf":
            found.setdefault("spf", value.split()[0].lower())
        else:
            # authserv-id; method=result ...; method=result ...
            for part in value.split(";")[1:]:
                m = re.match(r"\s*(spf|dkim|dmarc)=(\w+)", part)
                if m:
                    found.setdefault(m.group(1), m.group(2).lower())
    return found


def table(path):
    with open(path) as f:
        return [l.rstrip("\n") for l in f if l.strip() and not l.startswith("#")]


def notes(sid, set_name, eml, rfc_path, notes_path):
    rfc = [l.split(None, 3) for l in table(rfc_path)]
    faults = {(s, i, c): why for s, i, c, _, why in
              (l.split(None, 4) for l in table(notes_path))}
    got = written(eml)
    print("# scenario%s, %s verifiers: notes for people, not an --expect file" % (sid, set_name))
    print("# (smtpsniff --save-expect writes those). The RFCs' verdicts (what smtpsniff")
    print("# must say), the book's, and what the lab's verifiers wrote (%s.verdicts)."
          % os.path.basename(eml)[:-4])
    rows = [r for r in rfc if r[0] == sid]
    if not rows:
        print("# This path has no checking MX: no verdict header is expected.")
        print("none")
        if got:
            print("# but the message carries: %s" % got)
        return
    for _, check, verdict, why in rows:
        print("# %s: %s" % (check, why))
    shown = book.verdicts().get(sid)
    if shown:
        print("# The book shows %s writing (upstream's rspamd):" % shown[0])
        for clause in shown[1]:
            print("#   %s" % clause)
    for _, check, verdict, _ in rows:
        w = got.get(check, "(none written)")
        line = "%-5s %-5s written=%s" % (check, verdict, w)
        if w != verdict:
            why = faults.get((set_name, sid, check))
            if why is None:
                sys.exit("verdicts: scenario%s %s: %s wrote %s, the RFCs say %s, and "
                         "lab/verifier-notes says nothing about it" % (sid, check, set_name, w, verdict))
            line += "  DIFFERS: " + why
        print(line)


def mailbox(maildir):
    files = []
    for sub in ("new", "cur"):
        d = os.path.join(maildir, sub)
        files += [os.path.join(d, n) for n in os.listdir(d)] if os.path.isdir(d) else []
    files.sort(key=lambda p: os.path.basename(p))
    print("# The messages user1 read, in delivery order: size in bytes (LF line ends, as on disk), Subject.")
    for p in files:
        with open(p, "rb") as f:
            msg = email.message_from_binary_file(f, policy=email.policy.compat32)
        print("%d %s" % (os.path.getsize(p), msg.get("Subject", "")))


def readme(set_name, out, captures_md, tls_md=None):
    who = {"opendkim": "OpenDKIM signing, and postfix-policyd-spf-python, OpenDKIM and OpenDMARC checking",
           "rspamd": "upstream's rspamd: dkim_signing on the signing relays, spf, dkim and dmarc on the MXs"}[set_name]
    with open(captures_md) as f:
        text = f.read()
    print("# Recordings of the smtpbook lab, %s verifiers\n" % set_name)
    print("Recorded by `lab/record%s%s`: %s." %
          ("" if set_name == "rspamd" else " --opendkim", " --tls" if tls_md else "", who))
    print("Each `NAME.pcap` has `NAME.eml` (the message as delivered), `NAME.verdicts` (its verdict")
    print("headers as written), `NAME.notes` (the RFCs' and the book's verdicts beside the written ones)")
    print("and `NAME.log` (every server's syslog lines during the capture, as the logserver merged them;")
    print("the capture holds the same lines, as UDP 514 datagrams to 10.255.0.253) next to it.\n")
    print("## Verdicts\n")
    print("| capture | RFCs | written by the verifiers |")
    print("|---|---|---|")
    for name in sorted(n[:-6] for n in os.listdir(out) if n.endswith(".notes")):
        if not name.startswith("scenario"):
            continue
        rfc, wr = [], []
        with open(os.path.join(out, name + ".notes")) as f:
            for line in f:
                if line.startswith("#") or not line.strip():
                    continue
                parts = line.split()
                if parts[0] == "none":
                    rfc.append("no checks")
                    continue
                rfc.append("%s=%s" % (parts[0], parts[1]))
                w = parts[2].split("=", 1)[1]
                wr.append("%s=%s%s" % (parts[0], w, " (differs)" if "DIFFERS:" in line else ""))
        print("| %s.pcap | %s | %s |" % (name, " ".join(rfc), " ".join(wr) or "none"))
    print()
    if tls_md:
        with open(tls_md) as f:
            print(f.read())
    print(text)


def main(a):
    if len(a) == 2 and a[0] == "verdicts":
        for line in verdict_headers(a[1]):
            print(line)
    elif len(a) == 6 and a[0] == "notes":
        notes(*a[1:])
    elif len(a) == 2 and a[0] == "mailbox":
        mailbox(a[1])
    elif len(a) in (4, 5) and a[0] == "readme":
        readme(*a[1:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
