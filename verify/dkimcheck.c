/* dkimcheck.c - DKIM verification through libopendkim, with keys from the
 * captured-DNS store and times judged as of the capture (RFC 6376 6; the
 * results are RFC 8601 2.7.1's, see result_for() below for each case). */
#define _DEFAULT_SOURCE
#include "dkimcheck.h"

#include <opendkim/dkim.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "dkimkey.h"
#include "dkimsig.h"
#include "dnstext.h"
#include "message.h"
#include "sstime.h"

/* The buffer dkim_get_key() offers the key-lookup callback is BUFRSZ + 1
 * bytes in libopendkim 2.11; the callback is told its size and uses that,
 * this is only what a signature whose key the library copied from another
 * signature (same d= and s=) is judged by. */
#define LIB_KEYBUF 1025
/* libopendkim's default clock drift (DEFCLOCKDRIFT), used when no
 * signature needs another. */
#define LIB_DRIFT 300
/* The library reads the clock after we do; the drift chosen holds for
 * this many seconds more. */
#define LIB_CLOCK_MARGIN 3600

static DKIM_LIB *lib;
static unsigned long resolver_calls;

/* One DKIM-Signature field of the message. */
struct sigrun {
	const struct msg_field *field;
	struct dkimsig sig;
	int rc;      /* dkimsig_parse()'s */
	int decided; /* the verdict was reached without the library */
	char keyname[300];
};

/* One message being checked: the user context of the libopendkim handle. */
struct run {
	struct sigrun *s;
	size_t n;
	struct verdict **v; /* v[i] is s[i]'s verdict */
	struct vdns dns;
	int64_t ts;
	DKIM_SIGINFO **libsigs; /* the library's signatures, in the same order */
	int nlib;
	size_t keybuf; /* what the library offers the key-lookup callback */
};

/* What the key lookup of one signature found. */
enum key_state {
	KEY_OK,
	KEY_ABSENT,     /* NXDOMAIN or no TXT record */
	KEY_TEMP,       /* SERVFAIL or another error rcode */
	KEY_UNCAPTURED, /* neither the capture nor a zone file has the answer */
	KEY_TRUNCATED,  /* the captured answer had TC set and no records */
	KEY_SYNTAX,     /* no TXT record is a key record */
	KEY_REVOKED,    /* p= is empty */
	KEY_MISMATCH,   /* k= does not fit a= */
	KEY_UNUSABLE,   /* p= is no key of type k= */
	KEY_TOO_LONG,   /* even compact, longer than the library takes */
	KEY_NOMEM,
};

struct keyans {
	enum key_state state;
	struct dkimkey key;
	int have_key;
	char why[1024];
};

/* ---- libopendkim's resolver, replaced by stubs that refuse ---- */

static int stub_init(void **srv)
{
	resolver_calls++;
	*srv = NULL;
	return -1;
}

static void stub_close(void *srv)
{
	(void)srv;
}

static int stub_start(void *srv, int type, unsigned char *q, unsigned char *buf, size_t buflen,
                      void **qh)
{
	(void)srv, (void)type, (void)q, (void)buf, (void)buflen;
	resolver_calls++;
	*qh = NULL;
	return DKIM_DNS_ERROR;
}

static int stub_cancel(void *srv, void *qh)
{
	(void)srv, (void)qh;
	return DKIM_DNS_SUCCESS;
}

static int stub_wait(void *srv, void *qh, struct timeval *to, size_t *bytes, int *error,
                     int *dnssec)
{
	(void)srv, (void)qh, (void)to, (void)bytes, (void)error, (void)dnssec;
	resolver_calls++;
	return DKIM_DNS_ERROR;
}

unsigned long dkimcheck_resolver_calls(void)
{
	return resolver_calls;
}

/* ---- the key, from the captured-DNS store ---- */

static void keyans_free(struct keyans *k)
{
	if (k->have_key)
		dkimkey_free(&k->key);
	k->have_key = 0;
}

static int key_fits(enum dkimkey_type t, enum dkimsig_alg a)
{
	return t == (a == DKIMSIG_ED25519_SHA256 ? DKIMKEY_ED25519 : DKIMKEY_RSA);
}

/* Looks the key of signature i up (recording the evidence in its verdict)
 * and says what it found. Deterministic: the callback and the verdict
 * that follows call it alike. */
static void key_fetch(struct run *r, size_t i, struct keyans *k)
{
	struct sigrun *s = &r->s[i];
	struct verdict *v = r->v[i];
	memset(k, 0, sizeof *k);
	r->dns.v = v;
	const struct dns_answer *a = vdns_lookup(&r->dns, s->keyname, LDNS_RR_TYPE_TXT);
	char src[300], rc[16];
	dns_answer_source(a, src);
	switch (a->kind) {
	case DNS_NXDOMAIN:
	case DNS_NODATA:
		/* RFC 6376 6.1.2 step 3: no key record is a PERMFAIL, unless
		 * the answer we have was cut short */
		k->state = a->truncated ? KEY_TRUNCATED : KEY_ABSENT;
		snprintf(k->why, sizeof k->why, "TXT %s is %s (%s%s)", s->keyname,
		         a->kind == DNS_NXDOMAIN ? "NXDOMAIN" : "a name without TXT records", src,
		         a->truncated ? ", truncated" : "");
		return;
	case DNS_SERVFAIL:
		k->state = KEY_TEMP;
		snprintf(k->why, sizeof k->why, "TXT %s got %s (%s)", s->keyname,
		         dnstext_rcode_name((unsigned)a->rcode, rc), src);
		return;
	case DNS_NOT_CAPTURED: {
		/* the store says why: no DNS at all, never answered, nobody asked */
		char q[sizeof s->keyname + 24];
		snprintf(q, sizeof q, "the key (TXT %s)", s->keyname);
		k->state = KEY_UNCAPTURED;
		dns_answer_why(a, q, k->why, sizeof k->why);
		return;
	}
	case DNS_DATA:
		break;
	}
	/* RFC 6376 3.6.2.2 leaves several TXT records at one name undefined;
	 * the first that is a key record is used, and the count shown. */
	size_t n = a->rrs ? ldns_rr_list_rr_count(a->rrs) : 0;
	char err[160] = "";
	for (size_t j = 0; j < n && !k->have_key; j++) {
		size_t len;
		char *txt = dns_answer_txt(a, j, &len);
		if (!txt)
			continue;
		int prc = dkimkey_parse(&k->key, (const uint8_t *)txt, len);
		free(txt);
		if (prc == 0) {
			k->have_key = 1;
			break;
		}
		if (!err[0])
			snprintf(err, sizeof err, "%s", k->key.err);
		dkimkey_free(&k->key);
		if (prc == -2) {
			k->state = KEY_NOMEM;
			snprintf(k->why, sizeof k->why, "out of memory");
			return;
		}
	}
	if (n > 1)
		verdict_prop(v, "key_records", "%zu", n);
	if (!k->have_key) {
		k->state = KEY_SYNTAX;
		snprintf(k->why, sizeof k->why, "TXT %s (%s): %s", s->keyname, src,
		         err[0] ? err : "no record");
		return;
	}
	verdict_prop(v, "key_type", "%s", dkimkey_type_name(k->key.type));
	if (k->key.bits)
		verdict_prop(v, "key_bits", "%u", k->key.bits);
	snprintf(k->why, sizeof k->why, "TXT %s (%s)", s->keyname, src);
	if (k->key.revoked)
		k->state = KEY_REVOKED;
	else if (!key_fits(k->key.type, s->sig.alg))
		k->state = KEY_MISMATCH;
	else if (!k->key.bits) /* however long: it is known not to be a key */
		k->state = KEY_UNUSABLE;
	else if (k->key.compact_len + 1 > r->keybuf)
		k->state = KEY_TOO_LONG;
	else
		k->state = KEY_OK;
}

/* ---- the library's callbacks ---- */

static long sig_index(const struct run *r, const DKIM_SIGINFO *sig)
{
	for (int i = 0; r->libsigs && i < r->nlib; i++)
		if (r->libsigs[i] == sig)
			return i;
	return -1;
}

/* Called once the library has read every signature: checks that it saw
 * the same signatures in the same order, and makes it skip those already
 * judged (no key lookup for a signature with a syntax error). */
static DKIM_CBSTAT cb_prescreen(DKIM *dkim, DKIM_SIGINFO **sigs, int nsigs)
{
	struct run *r = dkim_get_user_context(dkim);
	if (!r)
		return DKIM_CBSTAT_CONTINUE;
	r->libsigs = sigs;
	r->nlib = nsigs;
	for (int i = 0; i < nsigs; i++)
		if ((size_t)nsigs != r->n || r->s[i].decided)
			dkim_sig_ignore(sigs[i]);
	return DKIM_CBSTAT_CONTINUE;
}

/* The library's only way to a key. Anything but a usable key is "not
 * found" (a per-signature DKIM_SIGERROR_NOKEY; TRYAGAIN or ERROR would
 * abort the whole message), and the verdict tells the cases apart from
 * key_fetch()'s answer. */
static DKIM_CBSTAT cb_key(DKIM *dkim, DKIM_SIGINFO *sig, u_char *buf, size_t buflen)
{
	struct run *r = dkim_get_user_context(dkim);
	long i = r ? sig_index(r, sig) : -1;
	if (i < 0 || (size_t)i >= r->n || !buf || buflen == 0)
		return DKIM_CBSTAT_NOTFOUND;
	r->keybuf = buflen;
	struct keyans k;
	key_fetch(r, (size_t)i, &k);
	DKIM_CBSTAT st = DKIM_CBSTAT_NOTFOUND;
	if (k.state == KEY_OK) {
		memcpy(buf, k.key.compact, k.key.compact_len + 1);
		st = DKIM_CBSTAT_CONTINUE;
	}
	keyans_free(&k);
	return st;
}

static DKIM_LIB *lib_get(void)
{
	if (lib)
		return lib;
	lib = dkim_init(NULL, NULL);
	if (!lib)
		return NULL;
	/* BADSIGHANDLES: a signature the library cannot parse still gets its
	 * place in the list, so its list and ours stay in step. */
	uint32_t flags = DKIM_LIBFLAGS_BADSIGHANDLES;
	if (dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_FLAGS, &flags, sizeof flags) !=
	        DKIM_STAT_OK ||
	    dkim_set_key_lookup(lib, cb_key) != DKIM_STAT_OK ||
	    dkim_set_prescreen(lib, cb_prescreen) != DKIM_STAT_OK) {
		dkim_close(lib);
		lib = NULL;
		return NULL;
	}
	/* Nothing may reach the network: every resolver hook refuses. */
	dkim_dns_set_query_service(lib, NULL);
	dkim_dns_set_init(lib, stub_init);
	dkim_dns_set_close(lib, stub_close);
	dkim_dns_set_query_start(lib, stub_start);
	dkim_dns_set_query_cancel(lib, stub_cancel);
	dkim_dns_set_query_waitreply(lib, stub_wait);
	return lib;
}

void dkimcheck_shutdown(void)
{
	if (lib)
		dkim_close(lib);
	lib = NULL;
}

/* ---- times ---- */

static int64_t seconds(int64_t ns)
{
	int64_t s = ns / SS_NS_PER_SEC;
	return ns % SS_NS_PER_SEC < 0 ? s - 1 : s;
}

/* RFC 6376 3.5 t= and x=, as of the capture time. Returns 1 when the
 * verdict is reached (expired, or made in the future). */
static int judge_time(struct run *r, size_t i)
{
	const struct dkimsig *s = &r->s[i].sig;
	int64_t now = seconds(r->ts);
	char a[40], b[40];
	if (s->x && s->x_sec != DKIMSIG_INFINITE && now > s->x_sec + DKIMCHECK_CLOCK_SLACK) {
		verdict_set(
		    r->v[i], V_PERMERROR,
		    "signature expired at %s (x=%s) before the capture time %s (RFC 6376 3.5)",
		    ss_time_iso(ss_time_make(s->x_sec, 0), a), s->x, ss_time_iso(r->ts, b));
		return 1;
	}
	if (s->t && (s->t_sec == DKIMSIG_INFINITE || s->t_sec > now + DKIMCHECK_CLOCK_SLACK)) {
		verdict_set(r->v[i], V_PERMERROR,
		            "signature made in the future: t=%s (%s) is after the capture time %s "
		            "(RFC 6376 3.5)",
		            s->t,
		            s->t_sec == DKIMSIG_INFINITE
		                ? "infinite"
		                : ss_time_iso(ss_time_make(s->t_sec, 0), a),
		            ss_time_iso(r->ts, b));
		return 1;
	}
	return 0;
}

/* libopendkim checks t= and x= against time() in dkim_siglist_setup(),
 * in uint64_t: expired when now >= x + drift, in the future when now <
 * t - drift (both wrap). Whether drift d lets signature s through for
 * the next LIB_CLOCK_MARGIN seconds. */
static int lib_time_ok(const struct dkimsig *s, uint64_t d, uint64_t now)
{
	const uint64_t at[2] = {now, now + LIB_CLOCK_MARGIN};
	for (int k = 0; k < 2; k++) {
		if (s->x && at[k] >= s->x_lib + d)
			return 0;
		if (s->t && at[k] < s->t_lib - d)
			return 0;
	}
	return 1;
}

/* The drift that makes the library accept the times of as many of the
 * signatures still to verify as it can (all, unless t= and x= are absurd),
 * since those times were already judged against the capture time: the
 * candidates are the smallest drifts that satisfy one bound each. */
static uint64_t lib_drift(const struct run *r)
{
	uint64_t now = (uint64_t)time(NULL), best = LIB_DRIFT;
	size_t best_ok = 0;
	for (size_t c = 0; c <= 2 * r->n; c++) {
		uint64_t d = LIB_DRIFT;
		if (c > 0) {
			const struct sigrun *s = &r->s[(c - 1) / 2];
			if (s->decided || ((c & 1) ? !s->sig.x : !s->sig.t))
				continue;
			d = (c & 1) ? now + LIB_CLOCK_MARGIN + 1 - s->sig.x_lib
			            : s->sig.t_lib - now;
		}
		size_t ok = 0;
		for (size_t i = 0; i < r->n; i++)
			ok += !r->s[i].decided && lib_time_ok(&r->s[i].sig, d, now);
		if (ok > best_ok || (ok == best_ok && c == 0)) {
			best_ok = ok;
			best = d;
		}
	}
	return best;
}

/* ---- verdicts ---- */

static void sig_props(struct verdict *v, const struct sigrun *sr)
{
	const struct dkimsig *s = &sr->sig;
	if (s->d)
		verdict_domain(v, s->d);
	if (s->s)
		verdict_selector(v, s->s);
	if (s->a)
		verdict_prop(v, "a", "%s", s->a);
	if (sr->rc == 0)
		verdict_prop(v, "c", "%s/%s", s->hdr_relaxed ? "relaxed" : "simple",
		             s->body_relaxed ? "relaxed" : "simple");
	else
		verdict_prop(v, "c", "%s", s->c ? s->c : "simple/simple");
	if (s->i)
		verdict_prop(v, "i", "%s", s->i);
	else if (s->d)
		verdict_prop(v, "i", "@%s", s->d); /* RFC 6376 3.5: i= defaults to @d= */
	if (s->h)
		verdict_prop(v, "h", "%s", s->h);
	if (s->l)
		verdict_prop(v, "l", "%s", s->l);
	if (s->t)
		verdict_prop(v, "t", "%s", s->t);
	if (s->x)
		verdict_prop(v, "x", "%s", s->x);
	if (s->b)
		verdict_prop(v, "b", "%.8s", s->b); /* RFC 6008 header.b */
}

/* body_hash: ok or mismatch, from the library's check when it made one,
 * else from the body hash it computed anyway (RFC 6376 3.7), so that a
 * signature that fails on its header fields still says whether the body
 * changed. */
static void body_hash_prop(struct verdict *v, DKIM_SIGINFO *ls, const struct dkimsig *s)
{
	int bh = dkim_sig_getbh(ls);
	void *hh, *bd;
	size_t hhlen, bdlen;
	unsigned char b64[128];
	if (bh == DKIM_SIGBH_MATCH) {
		verdict_prop(v, "body_hash", "ok");
	} else if (bh == DKIM_SIGBH_MISMATCH) {
		verdict_prop(v, "body_hash", "mismatch");
	} else if (s->bh && dkim_sig_gethashes(ls, &hh, &hhlen, &bd, &bdlen) == DKIM_STAT_OK &&
	           bdlen > 0 && bdlen <= 64) {
		EVP_EncodeBlock(b64, bd, (int)bdlen);
		verdict_prop(v, "body_hash", "%s", strcmp((char *)b64, s->bh) ? "mismatch" : "ok");
	} else {
		verdict_prop(v, "body_hash", "not checked");
	}
}

/* A key type as a reader names it. */
static const char *key_words(enum dkimkey_type t)
{
	return t == DKIMKEY_ED25519 ? "ed25519" : "RSA";
}

/* The verdict of a signature whose key lookup the callback refused. */
static void judge_key(struct verdict *v, const struct keyans *k)
{
	switch (k->state) {
	case KEY_ABSENT: /* RFC 6376 6.1.2 step 3: PERMFAIL (no key for signature) */
		verdict_set(v, V_PERMERROR, "key not found: %s", k->why);
		break;
	case KEY_TEMP: /* RFC 6376 6.1.2 step 2: TEMPFAIL (key unavailable) */
		verdict_set(v, V_TEMPERROR, "key lookup failed: %s", k->why);
		break;
	case KEY_UNCAPTURED:
		verdict_set(v, V_UNKNOWN, "cannot tell: %s", k->why);
		break;
	case KEY_TRUNCATED:
		verdict_set(v, V_UNKNOWN, "cannot tell: the captured key answer was truncated: %s",
		            k->why);
		break;
	case KEY_SYNTAX: /* RFC 6376 6.1.2 step 5: PERMFAIL (key syntax error) */
		verdict_set(v, V_PERMERROR, "key syntax: %s", k->why);
		break;
	case KEY_REVOKED: /* RFC 6376 3.6.1 p=, 6.1.2 step 6: PERMFAIL (key revoked) */
		verdict_set(v, V_PERMERROR, "key revoked (empty p=): %s", k->why);
		break;
	case KEY_MISMATCH: /* RFC 6376 6.1.2 step 8: PERMFAIL (inappropriate key algorithm) */
		verdict_set(v, V_PERMERROR, "the key is k=%s, not for this signature's a=: %s",
		            dkimkey_type_name(k->key.type), k->why);
		break;
	case KEY_UNUSABLE: /* RFC 6376 6.1.2: PERMFAIL, p= not suitable for k= */
		verdict_set(v, V_PERMERROR, "the key is not a usable %s key: %s: %s",
		            key_words(k->key.type), k->why, k->key.unusable);
		break;
	case KEY_TOO_LONG:
		verdict_set(
		    v, V_UNKNOWN,
		    "cannot tell: the key record is %zu characters even without spaces and "
		    "notes%s, more than libopendkim 2.11 takes: %s",
		    k->key.compact_len,
		    k->key.form == DKIMKEY_PKCS1
		        ? " (its PKCS#1 key made the SubjectPublicKeyInfo the library reads)"
		        : "",
		    k->why);
		break;
	case KEY_NOMEM:
		verdict_set(v, V_UNKNOWN, "cannot tell: out of memory");
		break;
	case KEY_OK:
		verdict_set(v, V_UNKNOWN,
		            "cannot tell: libopendkim found no key where smtpsniff did");
		break;
	}
}

/* The verdict of signature i from what the library made of it. */
static void judge_lib(struct run *r, size_t i, DKIM *dk)
{
	struct verdict *v = r->v[i];
	const struct dkimsig *s = &r->s[i].sig;
	DKIM_SIGINFO *ls = r->libsigs[i];
	unsigned flags = dkim_sig_getflags(ls);
	int err = dkim_sig_geterror(ls);
	struct keyans k;
	memset(&k, 0, sizeof k);
	/* libopendkim 2.11 returns before it marks a signature PROCESSED when
	 * it cannot decode the key it fetched (KEYDECODE) */
	if ((flags & DKIM_SIGFLAG_PROCESSED) || err == DKIM_SIGERROR_KEYDECODE) {
		key_fetch(r, i, &k); /* the same lookup the library made: the evidence */
		/* smtpsniff's judgement of the key comes first: the library may
		 * have reused a key that another signature (same d= and s=, other
		 * a=) fetched, without asking the callback */
		if (k.state != KEY_OK) {
			judge_key(v, &k);
			keyans_free(&k);
			return;
		}
	}
	const char *testing =
	    (flags & DKIM_SIGFLAG_TESTKEY) ? " (the key says t=y: the domain is testing DKIM)" : "";
	switch (err) {
	case DKIM_SIGERROR_OK:
		if (!(flags & DKIM_SIGFLAG_PASSED) || dkim_sig_getbh(ls) != DKIM_SIGBH_MATCH) {
			verdict_set(v, V_UNKNOWN,
			            "cannot tell: libopendkim reports no error and no pass");
		} else if (s->l) {
			/* RFC 6376 8.2: what follows the signed length is anyone's */
			ssize_t msglen = -1, canonlen = -1, signlen = -1;
			dkim_sig_getcanonlen(dk, ls, &msglen, &canonlen, &signlen);
			verdict_set(
			    v, V_PASS,
			    "the signature verifies with the key at %s; only the first %s body "
			    "bytes are signed (l=), of %zd in the body%s",
			    k.why, s->l, msglen, testing);
		} else {
			verdict_set(v, V_PASS, "the signature verifies with the key at %s%s", k.why,
			            testing);
		}
		break;
	case DKIM_SIGERROR_BADSIG: /* RFC 6376 6.1.3: PERMFAIL, a failed verification */
		if (dkim_sig_getbh(ls) == DKIM_SIGBH_MISMATCH)
			verdict_set(
			    v, V_FAIL,
			    "body hash mismatch: the body changed after signing (key at %s)%s",
			    k.why, testing);
		else
			verdict_set(
			    v, V_FAIL,
			    "signature mismatch: signed header fields changed, or the wrong key "
			    "(key at %s)%s",
			    k.why, testing);
		break;
	case DKIM_SIGERROR_TOOLARGE_L:
		verdict_set(v, V_FAIL,
		            "the body is shorter than l=%s: bytes were removed after signing",
		            s->l ? s->l : "?");
		break;
	case DKIM_SIGERROR_NOKEY:
		judge_key(v, &k);
		break;
	case DKIM_SIGERROR_KEYFAIL:
		verdict_set(v, V_TEMPERROR, "key lookup failed (libopendkim)");
		break;
	case DKIM_SIGERROR_KEYREVOKED:
		verdict_set(v, V_PERMERROR, "key revoked (empty p=): %s", k.why);
		break;
	case DKIM_SIGERROR_KEYTOOSMALL: /* RFC 8301 3.2: fewer than 1024 bits is not acceptable */
		verdict_set(v, V_POLICY,
		            "key too small: %s bits (RFC 8301 3.2 wants 1024 or more): %s",
		            verdict_get(v, "key_bits") ? verdict_get(v, "key_bits") : "?", k.why);
		break;
	case DKIM_SIGERROR_SUBDOMAIN: /* RFC 6376 3.6.1 t=s */
		verdict_set(v, V_PERMERROR, "the key says t=s, but i= is in a subdomain of d=: %s",
		            k.why);
		break;
	case DKIM_SIGERROR_KEYHASHMISMATCH:
		verdict_set(
		    v, V_PERMERROR,
		    "the key's h= does not allow this signature's hash (RFC 6376 6.1.2): %s",
		    k.why);
		break;
	case DKIM_SIGERROR_NOTEMAILKEY:
		verdict_set(v, V_PERMERROR,
		            "the key's s= does not allow email (RFC 6376 6.1.2): %s", k.why);
		break;
	case DKIM_SIGERROR_KEYDECODE:
		/* smtpsniff decoded the key (key_fetch() said KEY_OK) and the
		 * library did not: the tools differ, the RFC has no verdict yet */
		verdict_set(v, V_UNKNOWN,
		            "cannot tell: libopendkim could not decode the %u-bit %s key (a %s in "
		            "p=) that smtpsniff decoded: %s",
		            k.key.bits, key_words(k.key.type), dkimkey_form_name(k.key.form),
		            k.why);
		break;
	case DKIM_SIGERROR_DNSSYNTAX:
	case DKIM_SIGERROR_KEYVERSION:
	case DKIM_SIGERROR_KEYUNKNOWNHASH:
	case DKIM_SIGERROR_KEYTYPEMISSING:
	case DKIM_SIGERROR_KEYTYPEUNKNOWN:
	case DKIM_SIGERROR_MULTIREPLY:
		verdict_set(v, V_PERMERROR, "key syntax (libopendkim: %s): %s",
		            dkim_sig_geterrorstr(err), k.why);
		break;
	case DKIM_SIGERROR_EXPIRED:
	case DKIM_SIGERROR_FUTURE:
	case DKIM_SIGERROR_TIMESTAMPS:
		/* the times were fine at capture time: the library judged them
		 * by today's clock and no drift setting could stop it */
		verdict_set(v, V_UNKNOWN,
		            "cannot tell: libopendkim checks t= and x= against today's clock (%s)",
		            dkim_sig_geterrorstr(err));
		break;
	case DKIM_SIGERROR_UNKNOWN:
		verdict_set(
		    v, V_UNKNOWN, "cannot tell: libopendkim did not process the signature%s%s",
		    dkim_geterror(dk) ? ": " : "", dkim_geterror(dk) ? dkim_geterror(dk) : "");
		break;
	default: /* a syntax error our own checks let through */
		verdict_set(v, V_PERMERROR, "syntax (libopendkim): %s", dkim_sig_geterrorstr(err));
		break;
	}
	keyans_free(&k);
}

/* Feeds the message to a libopendkim verifying handle and judges every
 * signature not yet judged. */
static void run_lib(struct run *r, const struct msg *m, const uint8_t *msg)
{
	char fail[300] = "";
	DKIM *dk = NULL;
	DKIM_STAT st;
	if (!lib_get()) {
		snprintf(fail, sizeof fail, "libopendkim did not start");
		goto out;
	}
	uint64_t drift = lib_drift(r);
	if (dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_CLOCKDRIFT, &drift, sizeof drift) !=
	    DKIM_STAT_OK) {
		snprintf(fail, sizeof fail, "libopendkim refused its clock drift setting");
		goto out;
	}
	dk = dkim_verify(lib, (const unsigned char *)"smtpsniff", NULL, &st);
	if (!dk) {
		snprintf(fail, sizeof fail, "libopendkim: %s", dkim_getresultstr(st));
		goto out;
	}
	dkim_set_user_context(dk, r);
	/* Header fields one by one, byte-exact, without their final line
	 * end (what dkim_chunk() would pass). A field the library refuses
	 * (DKIM_STAT_SYNTAX: a field name it does not take) is left out of
	 * its hashes, as in the milter. */
	for (size_t f = 0; f < m->nfields && !fail[0]; f++) {
		const struct msg_field *fl = &m->fields[f];
		size_t n = fl->len - fl->eol_len;
		if (n == 0)
			continue;
		st = dkim_header(dk, (u_char *)(msg + fl->off), n);
		if (st != DKIM_STAT_OK && st != DKIM_STAT_SYNTAX)
			snprintf(fail, sizeof fail, "libopendkim: %s", dkim_getresultstr(st));
	}
	if (!fail[0]) {
		st = dkim_eoh(dk);
		if (!r->libsigs || (size_t)r->nlib != r->n)
			snprintf(fail, sizeof fail,
			         "libopendkim found %d signatures where smtpsniff found %zu (%s)",
			         r->libsigs ? r->nlib : 0, r->n, dkim_getresultstr(st));
		else if (st != DKIM_STAT_OK && st != DKIM_STAT_NOSIG)
			snprintf(fail, sizeof fail, "libopendkim: %s", dkim_getresultstr(st));
	}
	for (size_t o = 0; !fail[0] && o < m->body_len; o += DKIMCHECK_CHUNK) {
		size_t n = m->body_len - o < DKIMCHECK_CHUNK ? m->body_len - o : DKIMCHECK_CHUNK;
		st = dkim_body(dk, (u_char *)(msg + m->body_off + o), n);
		if (st != DKIM_STAT_OK)
			snprintf(fail, sizeof fail, "libopendkim: %s", dkim_getresultstr(st));
	}
	/* RFC 6376 3.4.3 and 3.4.4: a body without a final CRLF is hashed
	 * with one added; libopendkim would rather give up on the whole
	 * message ("CRLF at end of body missing"). */
	if (!fail[0] && m->body_len > 0 &&
	    (m->body_len < 2 || memcmp(msg + m->body_off + m->body_len - 2, "\r\n", 2))) {
		st = dkim_body(dk, (u_char *)"\r\n", 2);
		if (st != DKIM_STAT_OK)
			snprintf(fail, sizeof fail, "libopendkim: %s", dkim_getresultstr(st));
	}
	if (!fail[0]) {
		/* dkim_eom()'s status speaks for one signature only; each is
		 * judged from its own state below */
		(void)dkim_eom(dk, NULL);
		for (size_t i = 0; i < r->n; i++) {
			body_hash_prop(r->v[i], r->libsigs[i], &r->s[i].sig);
			if (!r->s[i].decided)
				judge_lib(r, i, dk);
		}
	}
out:
	if (fail[0])
		for (size_t i = 0; i < r->n; i++)
			if (!r->s[i].decided)
				verdict_set(r->v[i], V_UNKNOWN, "cannot tell: %s", fail);
	if (dk)
		dkim_free(dk);
}

/* How many field names h= lists. */
static uint64_t h_names(const char *h)
{
	uint64_t n = 1;
	for (; *h; h++)
		n += *h == ':';
	return n;
}

static int is_signature(const uint8_t *msg, const struct msg_field *f)
{
	return f->name_len == 14 && !strncasecmp((const char *)msg + f->off, "DKIM-Signature", 14);
}

/* Everything decided before the library: syntax, times, caps. */
static void prejudge(struct run *r, size_t i)
{
	struct sigrun *s = &r->s[i];
	struct verdict *v = r->v[i];
	s->decided = 1;
	if (i >= DKIMCHECK_MAX_SIGS)
		verdict_set(v, V_UNKNOWN, "not checked: smtpsniff checks the first %d signatures",
		            DKIMCHECK_MAX_SIGS);
	else if (s->rc == -2)
		verdict_set(v, V_UNKNOWN, "cannot tell: out of memory");
	else if (s->rc < 0) /* RFC 6376 6.1.1: PERMFAIL before any lookup */
		verdict_set(v, V_PERMERROR, "syntax: %s", s->sig.err);
	else if (strlen(s->sig.h) > DKIMCHECK_MAX_H)
		verdict_set(
		    v, V_UNKNOWN,
		    "cannot tell: h= is %zu characters, more than libopendkim 2.11 reads (%d)",
		    strlen(s->sig.h), DKIMCHECK_MAX_H);
	else if (!judge_time(r, i))
		s->decided = 0;
}

size_t dkimcheck_verify(const uint8_t *msg, size_t len, int incomplete, struct dns_store *store,
                        int64_t ts, const struct ss_addr *asker, struct verdict ***out)
{
	struct msg m;
	*out = NULL;
	if (msg_parse(&m, msg, len))
		return 0;
	size_t n = dkimcheck_verify_parsed(&m, incomplete, store, ts, asker, out);
	msg_free(&m);
	return n;
}

size_t dkimcheck_verify_parsed(const struct msg *pm, int incomplete, struct dns_store *store,
                               int64_t ts, const struct ss_addr *asker, struct verdict ***out)
{
	const struct msg m = *pm; /* read only: the caller frees it */
	const uint8_t *msg = m.data;
	struct run r;
	size_t nv = 0;
	memset(&r, 0, sizeof r);
	*out = NULL;
	for (size_t f = 0; f < m.nfields; f++)
		r.n += (size_t)is_signature(msg, &m.fields[f]);
	nv = r.n ? r.n : 1;
	r.v = calloc(nv, sizeof *r.v);
	r.s = calloc(nv, sizeof *r.s);
	r.dns.store = store;
	r.dns.ts = ts;
	if (asker)
		r.dns.asker = *asker;
	r.ts = ts;
	r.keybuf = LIB_KEYBUF;
	for (size_t i = 0; r.v && i < nv; i++)
		if (!(r.v[i] = verdict_new(V_DKIM)))
			goto nomem;
	if (!r.v || !r.s)
		goto nomem;
	if (r.n == 0) {
		if (incomplete)
			verdict_set(
			    r.v[0], V_UNKNOWN,
			    "cannot tell: message incomplete (no DKIM-Signature in what was "
			    "captured)");
		else
			verdict_set(r.v[0], V_NONE, "no DKIM-Signature");
		goto done;
	}
	for (size_t f = 0, i = 0; f < m.nfields; f++) {
		const struct msg_field *fl = &m.fields[f];
		if (!is_signature(msg, fl))
			continue;
		struct sigrun *s = &r.s[i];
		s->field = fl;
		size_t end = fl->off + fl->len - fl->eol_len;
		s->rc = dkimsig_parse(&s->sig, msg + fl->value_off, end - fl->value_off);
		if (s->sig.s && s->sig.d)
			snprintf(s->keyname, sizeof s->keyname, "%s._domainkey.%s", s->sig.s,
			         s->sig.d);
		sig_props(r.v[i], s);
		i++;
	}
	if (incomplete || m.dropped_fields) {
		for (size_t i = 0; i < r.n; i++)
			verdict_set(
			    r.v[i], V_UNKNOWN, "cannot tell: %s",
			    incomplete ? "message incomplete"
			               : "the message has more header fields than smtpsniff keeps");
		goto done;
	}
	int todo = 0;
	for (size_t i = 0; i < r.n; i++) {
		prejudge(&r, i);
		todo += !r.s[i].decided;
	}
	uint64_t work = 0;
	for (size_t i = 0; i < r.n; i++)
		work += r.s[i].sig.h ? h_names(r.s[i].sig.h) * (uint64_t)m.nfields : 0;
	if (todo && work > DKIMCHECK_MAX_WORK) {
		for (size_t i = 0; i < r.n; i++)
			if (!r.s[i].decided)
				verdict_set(
				    r.v[i], V_UNKNOWN,
				    "cannot tell: %zu signatures over %zu header fields are more "
				    "than smtpsniff hands libopendkim",
				    r.n, m.nfields);
	} else if (todo) {
		run_lib(&r, &m, msg);
	}
done:
	for (size_t i = 0; i < r.n; i++)
		dkimsig_free(&r.s[i].sig);
	free(r.s);
	*out = r.v;
	return nv;
nomem:
	for (size_t i = 0; r.v && i < nv; i++)
		verdict_free(r.v[i]);
	free(r.v);
	r.v = NULL;
	nv = 0;
	r.n = r.s ? r.n : 0;
	goto done;
}
