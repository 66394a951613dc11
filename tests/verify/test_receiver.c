/* test_receiver.c - whose verdicts count (RFC 8601 5): only the fields the
 * receiving host added, and among its Authentication-Results only those
 * whose authserv-id names it; Received-SPF by its place alone. The
 * messages are made here, each field written as the RFCs' examples and the
 * lab's verifiers write them.
 *
 * Usage: test_receiver SRCDIR SHAREDDIR (neither is needed)
 */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "message.h"
#include "receiver.h"

static const char copy[] =
    "Return-Path: <user1@a.test>\r\n"
    "Received: from mx.b.test (mx.b.test [10.255.2.33])\r\n"
    "\tby imap.b.test (Postfix) with ESMTP id 1; Mon, 23 Nov 2026 15:20:07 +0000\r\n"
    /* the MX's fields, above the message it received */
    "Authentication-Results: mx.b.test; dmarc=fail (p=reject dis=none) header.from=x.test\r\n"
    "Authentication-Results: elsewhere.test; dkim=pass header.d=y.test\r\n"
    "Authentication-Results: b.test; spf=pass smtp.mailfrom=user1@a.test\r\n"
    "Received-SPF: Pass (mailfrom) identity=mailfrom; client-ip=10.255.1.21;\r\n"
    " helo=dkim.smtp.a.test; envelope-from=user1@a.test; receiver=b.test\r\n"
    "Received: from dkim.smtp.a.test (comment by nobody [10.255.1.21])\r\n"
    "\tby mx.b.test (Postfix) with ESMTP id 2; Mon, 23 Nov 2026 15:20:06 +0000\r\n"
    /* what the MX received: a verdict from outside, not its own */
    "Authentication-Results: mx.b.test; dkim=fail header.d=forged.test\r\n"
    "DKIM-Signature: v=1; a=rsa-sha256; d=y.test; s=smtpbook; bh=x; h=From; b=IaXfyoNi\r\n"
    "From: user1@x.test\r\n"
    "\r\n"
    "body\r\n";

int main(void)
{
	struct msg m;
	CHECK(msg_parse(&m, (const uint8_t *)copy, sizeof copy - 1) == 0);
	CHECK(m.nfields == 10);

	/* imap.b.test's copy: the MX put the 4 fields above its Received
	 * and the Received itself on top of what it got (5 fields). */
	const char *names[] = {"mx.b.test", NULL};
	struct rcv r;
	receiver_read(&r, &m, 7, names);
	/* 7 fields taken: Return-Path, Received (by imap), the MX's four, its
	 * Received; the AR below, received from outside, is not read. */
	CHECK(r.by_name && !strcmp(r.by_name, "imap.b.test"));
	CHECK(r.n == 3);
	CHECK(r.foreign == 1 && r.foreign_id && !strcmp(r.foreign_id, "elsewhere.test"));
	const struct rcv_verdict *dmarc = NULL, *spf_ar = NULL, *spf_rs = NULL;
	for (size_t i = 0; i < r.n; i++) {
		if (r.v[i].method == V_DMARC)
			dmarc = &r.v[i];
		if (r.v[i].method == V_SPF && !strcmp(r.v[i].field, "Authentication-Results"))
			spf_ar = &r.v[i];
		if (r.v[i].method == V_SPF && !strcmp(r.v[i].field, "Received-SPF"))
			spf_rs = &r.v[i];
	}
	/* the exact authserv-id */
	CHECK(dmarc && dmarc->result == V_FAIL && !strcmp(dmarc->domain, "x.test") &&
	      !strcmp(dmarc->authserv_id, "mx.b.test") &&
	      !strcmp(dmarc->text, "dmarc=fail (p=reject dis=none) header.from=x.test"));
	/* an ADMD's name above the host's (RFC 8601 2.5) */
	CHECK(spf_ar && spf_ar->result == V_PASS && !strcmp(spf_ar->identity, "mailfrom") &&
	      !strcmp(spf_ar->domain, "a.test"));
	/* Received-SPF: no authserv-id, its place is enough; identity= says
	 * which identity */
	CHECK(spf_rs && spf_rs->result == V_PASS && !strcmp(spf_rs->identity, "mailfrom") &&
	      !strcmp(spf_rs->domain, "a.test") && spf_rs->field_index == 5);
	receiver_free(&r);

	/* Without names from the caller, the host is named by the topmost
	 * added Received ("by imap.b.test"): of the Authentication-Results in
	 * the 9 fields taken, mx.b.test (twice) and elsewhere.test are another
	 * host's; b.test, a parent of imap.b.test, counts. */
	receiver_read(&r, &m, 9, NULL);
	CHECK(r.by_name && !strcmp(r.by_name, "imap.b.test"));
	size_t ars = 0;
	for (size_t i = 0; i < r.n; i++)
		ars += !strcmp(r.v[i].field, "Authentication-Results");
	CHECK(ars == 1);
	CHECK(r.foreign == 3 && !strcmp(r.foreign_id, "mx.b.test"));
	receiver_free(&r);

	/* Nothing added: nothing read. */
	receiver_read(&r, &m, 0, names);
	CHECK(r.n == 0 && r.foreign == 0 && !r.by_name);
	receiver_free(&r);

	msg_free(&m);
	printf("%d checks, %d failed\n", checks, failures);
	return failures ? 1 : 0;
}
