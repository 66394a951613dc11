/* compare.c - pairing smtpsniff's verdicts with the receiver's (see
 * compare.h). */
#define _POSIX_C_SOURCE 200809L
#include "compare.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "strf.h"

static const char *const agreement_names[] = {"agree", "disagree", "unchecked", "unknown"};

const char *v_agreement_name(enum v_agreement a)
{
	return (unsigned)a <= V_CANNOT_TELL ? agreement_names[a] : "?";
}

static int same(const char *a, const char *b)
{
	return a && b && !strcasecmp(a, b);
}

/* b= as the receiver gave it is a prefix of ours (RFC 6008 header.b), or
 * ours (8 characters) of theirs. */
static int b_matches(const char *ours, const char *theirs)
{
	if (!ours || !theirs)
		return 1;
	size_t n = strlen(ours) < strlen(theirs) ? strlen(ours) : strlen(theirs);
	return n && !strncmp(ours, theirs, n);
}

/* How well receiver verdict t speaks of our verdict v: 0 not at all,
 * higher is better. */
static int score(const struct verdict *v, const struct rcv_verdict *t)
{
	if (t->method != v->method)
		return 0;
	switch (v->method) {
	case V_DKIM:
		if (v->result == V_NONE)
			return t->result == V_NONE ? 1 : 0;
		if (!same(v->domain, t->domain))
			return 0;
		if (t->selector && v->selector && !same(v->selector, t->selector))
			return 0;
		if (!b_matches(verdict_get(v, "b"), t->b))
			return 0;
		return 1 + (t->selector != NULL) + (t->b != NULL);
	case V_SPF: {
		const char *id = verdict_get(v, "identity");
		const char *tid = t->identity ? t->identity : "mailfrom";
		return id && !strcasecmp(id, tid) ? 1 : 0;
	}
	case V_DMARC:
		return 1;
	}
	return 0;
}

/* An SPF verdict of the MAIL FROM identity, or of none named. */
static int is_mailfrom(const struct verdict *v)
{
	const char *id = verdict_get(v, "identity");
	return !id || !strcasecmp(id, "mailfrom");
}

static const char *method_upper(enum v_method m)
{
	return m == V_DKIM ? "DKIM" : m == V_SPF ? "SPF" : "DMARC";
}

/* Why the receiver's copy holds no verdict for check v, in one line: it
 * wrote no verdict of its own at all, or verdicts of this method for other
 * checks (another SPF identity, another signature), or only verdicts of
 * other methods: then it did not check this method here. */
static char *unchecked_why(const struct v_hopcheck *h, const struct verdict *v, const char *host)
{
	const char *m = method_upper(v->method);
	const char *id = v->method == V_SPF ? verdict_get(v, "identity") : NULL;
	if (h->theirs.foreign)
		return ss_strf("%s wrote no %s verdict of its own (its copy has "
		               "Authentication-Results by %s, another host)",
		               host, m, h->theirs.foreign_id);
	int wrote[V_DMARC + 1] = {0};
	for (size_t j = 0; j < h->theirs.n; j++)
		wrote[h->theirs.v[j].method] = 1;
	if (v->method == V_SPF && wrote[V_SPF])
		return ss_strf("%s wrote no SPF verdict for the %s identity", host,
		               id ? id : "mailfrom");
	if (wrote[v->method])
		return ss_strf("%s wrote no %s verdict for this %s", host, m,
		               v->method == V_DKIM ? "signature" : "check");
	if (!h->theirs.n)
		return ss_strf("%s wrote no %s verdict%s%s%s", host, m,
		               is_mailfrom(v) ? "" : " for the ", is_mailfrom(v) ? "" : id,
		               is_mailfrom(v) ? "" : " identity");
	/* It wrote verdicts, none of this method: one or both of the others. */
	const char *first = NULL, *second = NULL;
	for (int i = 0; i <= V_DMARC; i++)
		if (wrote[i])
			*(first ? &second : &first) = method_upper((enum v_method)i);
	return ss_strf("%s did not check %s here: the copy it passed on carries its %s%s%s "
	               "verdict%s, but no %s one",
	               host, m, first, second ? " and " : "", second ? second : "",
	               second ? "s" : "", m);
}

void compare_hop(struct v_hopcheck *h, const char *host, const char *unseen)
{
	int used[RECEIVER_MAX_VERDICTS] = {0};
	for (size_t i = 0; i < h->nchecks; i++) {
		struct v_check *c = &h->checks[i];
		const struct verdict *v = c->ours;
		c->theirs = NULL;
		int best = 0;
		size_t bi = 0;
		for (size_t j = 0; j < h->theirs.n; j++) {
			int s = used[j] ? 0 : score(v, &h->theirs.v[j]);
			if (s > best) {
				best = s;
				bi = j;
			}
		}
		if (best) {
			used[bi] = 1;
			c->theirs = &h->theirs.v[bi];
		}
		const struct rcv_verdict *t = c->theirs;
		free(c->why);
		c->why = NULL;
		/* A receiver that wrote nothing for this check did not check
		 * it, whatever smtpsniff can tell of it: unchecked. */
		if (!h->copy_seen) {
			c->agreement = V_CANNOT_TELL;
			c->why = ss_strf("what %s wrote is unknown: the copy it passed on %s", host,
			                 unseen ? unseen : "is not in the capture");
		} else if (t && v->result == V_UNKNOWN) {
			c->agreement = V_CANNOT_TELL;
			c->why = ss_strf("%s", v->reason ? v->reason : "smtpsniff cannot tell");
		} else if (!t) {
			c->agreement = V_UNCHECKED;
			c->why = unchecked_why(h, v, host);
		} else if (t->result == (int)v->result) {
			c->agreement = V_AGREE;
		} else {
			c->agreement = V_DISAGREE;
			/* our reason says why the RFC gives our result; this
			 * says what the receiver wrote instead */
			c->why =
			    ss_strf("%s wrote %s=%s%s in %s (\"%s\"); by the RFC it is %s", host,
			            v_method_name(v->method), t->word,
			            t->result < 0 ? ", a result RFC 8601 does not define," : "",
			            t->field, t->text ? t->text : "", v_result_name(v->result));
		}
	}
}
