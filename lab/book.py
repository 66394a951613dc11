"""lab/book.py - the verdicts the smtpbook book shows, read from its text.

The book (../shared/smtpbook/upstream/book/v1/article.md, or the file named
by $SMTPBOOK_BOOK) prints, for each scenario it teaches, the message as
imap.b.test delivered it: its Subject names the scenario and its
Authentication-Results holds what the checking MX (upstream's rspamd)
wrote. verdicts(PATH) returns them:

    {"4-1": ("dmarc.mx.b.test", ["dkim=pass header.d=... header.b=F6rlfsvS",
                                 "spf=pass (...) smtp.mailfrom=...",
                                 "dmarc=pass (policy=quarantine) header.from=a.test"]), ...}

clauses(VALUE) splits a field's value the same way, and same(A, B) says
whether two clauses are the same verdict: equal once white space is
collapsed and header.b (the first bytes of each signature, which differ
with every signing) is left out. Used by lab/verdicts.py and the tests;
Debian's python3, standard library only.
"""
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT = os.path.join(HERE, "..", "..", "shared", "smtpbook", "upstream", "book", "v1", "article.md")


def path():
    """The book's text, or None when it is not there."""
    p = os.environ.get("SMTPBOOK_BOOK", DEFAULT)
    return p if os.path.exists(p) else None


def clauses(value):
    """authserv-id and the method clauses of an Authentication-Results value."""
    parts = [re.sub(r"\s+", " ", p).strip() for p in value.split(";")]
    return parts[0], [p for p in parts[1:] if p]


def _unfold(lines, start):
    """The value of the header field starting at lines[start], unfolded."""
    value = lines[start].split(":", 1)[1]
    for line in lines[start + 1:]:
        if not line[:1].isspace() or not line.strip():
            break
        value += " " + line.strip()
    return value


def verdicts(book=None):
    book = book or path()
    if not book:
        return {}
    text = open(book, encoding="utf-8").read()
    found = {}
    for block in re.findall(r"```[^\n]*\n(.*?)```", text, re.S):
        lines = block.split("\n")
        sid = ar = None
        for i, line in enumerate(lines):
            m = re.match(r"Subject: scenario(\d-\d) ", line)
            if m:
                sid = m.group(1)
            if line.lower().startswith("authentication-results:"):
                ar = _unfold(lines, i)
        if sid and ar:
            found[sid] = clauses(ar)
    return found


def _norm(clause):
    return re.sub(r"\s*header\.b=(\"[^\"]*\"|\S+)", "", re.sub(r"\s+", " ", clause)).strip()


def same(a, b):
    return _norm(a) == _norm(b)


def method(clause):
    return clause.split("=", 1)[0].strip().lower()
