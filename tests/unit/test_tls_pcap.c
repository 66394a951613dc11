/* test_tls_pcap.c - test tool: a capture read as smtpsniff reads it (frames
 * through the decoder and TCP reassembly, tests/frames.h), each TCP flow's
 * TLS bytes fed to the TLS parser (dissect/tls.h), and what the parser
 * learned printed one fact a line, for tests/tls/compare.py to hold against
 * tshark's view of the same capture.
 *
 * Usage: test_tls_pcap FILE [--split N]
 * Where TLS starts in a flow: at its first byte when that looks like TLS
 * (tls_probe), else at the first line start (or the first byte) whose bytes
 * are a record header's first two (14-17, then 03) - after STARTTLS / STLS
 * the next byte is a record header, and no line of SMTP, POP3 or IMAP
 * starts with a control character. --split N
 * feeds the bytes in pieces of at most N bytes (what was learned must not
 * change).
 *
 * Output, per flow (client port), in the order things happened:
 *   P DIR record TYPE LEN          every record
 *   P DIR hs TYPE LEN              every handshake message
 *   P DIR FIELD VALUE              what each hello, certificate, key
 *                                  exchange and CertificateVerify said
 *   P DIR alert LEVEL DESC         the last alert in the clear
 *   P - summary TEXT               tls_describe()
 *   P DIR event WHAT DETAIL        anomalies
 * where P is the client's port and DIR is C or S.
 */
#define _DEFAULT_SOURCE /* pcap.h needs u_char */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frames.h"
#include "reasm.h"
#include "tls.h"

static size_t split;

struct flow {
	struct tls_flow *t;
	unsigned port;
	int on[2];        /* TLS has started on this side */
	uint8_t tail[2];  /* the last byte before TLS (is a line start next?) */
	uint64_t seen[2]; /* bytes looked at before TLS */
	int hrr_seen;
};

static char dc(enum ss_dir d)
{
	return d == SS_C2S ? 'C' : 'S';
}

static void hex(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		printf("%02x", p[i]);
}

static void list(struct flow *f, enum ss_dir d, const char *name, const struct tls_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		printf("%u %c %s 0x%04x\n", f->port, dc(d), name, l->v[i]);
	if (l->total > l->n)
		printf("%u %c %s-more %u\n", f->port, dc(d), name, (unsigned)(l->total - l->n));
}

static void alpn(struct flow *f, enum ss_dir d, const struct tls_alpn *a)
{
	printf("%u %c alpn %.*s%s\n", f->port, dc(d), (int)a->len, (const char *)a->b,
	       a->cut ? "..." : "");
}

static void on_event(void *ctx, struct tls_flow *t, const struct tls_event *e)
{
	(void)t;
	struct flow *f = ctx;
	printf("%u %c event %s %s\n", f->port, dc(e->dir), e->what, e->detail);
}

static void on_record(void *ctx, struct tls_flow *t, const struct tls_record *r)
{
	(void)t;
	struct flow *f = ctx;
	printf("%u %c record %u %u\n", f->port, dc(r->dir), r->type, r->len);
}

static void on_msg(void *ctx, struct tls_flow *t, const struct tls_msg *m)
{
	struct flow *f = ctx;
	enum ss_dir d = m->dir;
	printf("%u %c hs %u %u\n", f->port, dc(d), m->type, m->len);
	if (!m->body)
		return;
	if (m->type == TLS_HS_CLIENT_HELLO && d == SS_C2S) {
		const struct tls_client_hello *ch = &t->ch;
		printf("%u C version 0x%04x\n", f->port, ch->version);
		printf("%u C random ", f->port);
		hex(ch->random, 32);
		printf("\n");
		if (ch->sid_len) {
			printf("%u C session_id ", f->port);
			hex(ch->sid, ch->sid_len);
			printf("\n");
		}
		list(f, d, "suite", &ch->suites);
		for (size_t i = 0; i < ch->ncomp; i++)
			printf("%u C comp %u\n", f->port, ch->comp[i]);
		list(f, d, "ext", &ch->exts);
		if (ch->sni_len)
			printf("%u C sni %.*s\n", f->port, (int)ch->sni_len, (const char *)ch->sni);
		for (size_t i = 0; i < ch->nalpn; i++)
			alpn(f, d, &ch->alpn[i]);
		list(f, d, "supported_version", &ch->versions);
		list(f, d, "supported_group", &ch->groups);
		list(f, d, "key_share", &ch->key_shares);
		list(f, d, "sigalg", &ch->sigalgs);
		for (size_t i = 0; i < ch->npsk_modes; i++)
			printf("%u C psk_mode %u\n", f->port, ch->psk_modes[i]);
		printf("%u C flags ems=%d etm=%d ticket=%d/%u psk=%d/%u reneg=%d early=%d\n",
		       f->port, ch->ems, ch->etm, ch->ticket_ext, ch->ticket_len, ch->psk,
		       ch->psk_ids, ch->reneg_info, ch->early_data);
	} else if (m->type == TLS_HS_SERVER_HELLO && d == SS_S2C && t->hrr.seen != f->hrr_seen) {
		f->hrr_seen = t->hrr.seen;
		const struct tls_hrr *h = &t->hrr;
		printf("%u S version 0x%04x\n", f->port, h->version);
		printf("%u S random "
		       "cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c\n",
		       f->port);
		if (h->sid_len) {
			printf("%u S session_id ", f->port);
			hex(h->sid, h->sid_len);
			printf("\n");
		}
		printf("%u S suite 0x%04x\n", f->port, h->suite);
		printf("%u S comp %u\n", f->port, h->comp);
		list(f, d, "ext", &h->exts);
		if (h->selected)
			printf("%u S supported_version 0x%04x\n", f->port, h->selected);
		if (h->group)
			printf("%u S selected_group 0x%04x\n", f->port, h->group);
	} else if (m->type == TLS_HS_SERVER_HELLO && d == SS_S2C) {
		const struct tls_server_hello *sh = &t->sh;
		printf("%u S version 0x%04x\n", f->port, sh->version);
		printf("%u S random ", f->port);
		hex(sh->random, 32);
		printf("\n");
		if (sh->sid_len) {
			printf("%u S session_id ", f->port);
			hex(sh->sid, sh->sid_len);
			printf("\n");
		}
		printf("%u S suite 0x%04x\n", f->port, sh->suite);
		printf("%u S comp %u\n", f->port, sh->comp);
		list(f, d, "ext", &sh->exts);
		if (sh->has_alpn)
			alpn(f, d, &sh->alpn);
		if (sh->selected)
			printf("%u S supported_version 0x%04x\n", f->port, sh->selected);
		if (sh->has_key_share)
			printf("%u S key_share 0x%04x\n", f->port, sh->key_share);
		if (sh->psk)
			printf("%u S psk_selected %u\n", f->port, sh->psk_id);
		printf("%u S flags ems=%d etm=%d ticket=%d reneg=%d\n", f->port, sh->ems, sh->etm,
		       sh->ticket_ext, sh->reneg_info);
	} else if (m->type == TLS_HS_CERTIFICATE) {
		const struct tls_chain *c = &t->side[d].chain;
		for (size_t i = 0; i < c->n; i++) {
			const struct tls_cert *x = &c->certs[i];
			char a[32], b[32];
			printf("%u %c cert ", f->port, dc(d));
			hex(x->sha256, 32);
			printf("\n%u %c cert.subject %s\n", f->port, dc(d), x->subject);
			printf("%u %c cert.issuer %s\n", f->port, dc(d), x->issuer);
			printf("%u %c cert.validity %s / %s\n", f->port, dc(d),
			       tls_time_str(x->not_before, a), tls_time_str(x->not_after, b));
			printf("%u %c cert.sans %s\n", f->port, dc(d), x->sans);
		}
	} else if (m->type == TLS_HS_SERVER_KEY_EXCHANGE) {
		if (t->group)
			printf("%u S named_curve 0x%04x\n", f->port, t->group);
		if (t->dh_bits)
			printf("%u S dh_bits %u\n", f->port, t->dh_bits);
		if (t->ske_scheme)
			printf("%u S sigalg 0x%04x\n", f->port, t->ske_scheme);
	} else if (m->type == TLS_HS_CERTIFICATE_REQUEST) {
		list(f, d, "sigalg", &t->cr_sigalgs);
	} else if (m->type == TLS_HS_CERTIFICATE_VERIFY) {
		if (t->side[d].cv_scheme)
			printf("%u %c sigalg 0x%04x\n", f->port, dc(d), t->side[d].cv_scheme);
	}
}

static void *t_open(const struct ss_flow *fl, void *ctx)
{
	(void)ctx;
	if (fl->proto != 6)
		return NULL;
	struct flow *f = calloc(1, sizeof *f);
	f->port = fl->ep[SS_C2S].port;
	struct tls_opts o = {0, 0, NULL, on_event, on_record, on_msg, f};
	f->t = tls_new(&o);
	f->tail[0] = f->tail[1] = '\n';
	return f;
}

static void feed(struct flow *f, enum ss_dir d, const uint8_t *p, size_t n, const struct ss_pos *at)
{
	size_t i = 0;
	while (i < n) {
		size_t k = split && n - i > split ? split : n - i;
		struct ss_pos pos = *at;
		pos.off = at->off + i;
		tls_feed(f->t, d, p + i, k, &pos);
		i += k;
	}
}

static void t_data(void *st, enum ss_dir d, const uint8_t *p, size_t n, const struct ss_pos *at)
{
	struct flow *f = st;
	if (!f)
		return;
	size_t i = 0;
	while (!f->on[d] && i < n) {
		/* TLS starts at a line start (or the first byte) holding a record
		 * header's first bytes: 14-17, then 03 */
		if (f->tail[d] == '\n' && p[i] >= 0x14 && p[i] <= 0x17 &&
		    (i + 1 >= n || p[i + 1] == 3)) {
			f->on[d] = 1;
			break;
		}
		if (!f->seen[d] && d == SS_C2S && tls_probe(p, n) == 1) {
			f->on[d] = 1;
			break;
		}
		f->tail[d] = p[i];
		f->seen[d]++;
		i++;
	}
	if (f->on[d] && i < n) {
		struct ss_pos pos = *at;
		pos.off = at->off + i;
		feed(f, d, p + i, n - i, &pos);
	}
}

static void t_gap(void *st, enum ss_dir d, uint64_t len, const struct ss_pos *at)
{
	struct flow *f = st;
	if (f && f->on[d])
		tls_gap(f->t, d, len, at);
}

static void t_close(void *st, const struct ss_flow *fl, const struct ss_pos *at)
{
	(void)fl;
	struct flow *f = st;
	if (!f)
		return;
	if (f->on[0] || f->on[1]) {
		tls_end(f->t, at);
		for (int d = 0; d < 2; d++) {
			const struct tls_side *s = &f->t->side[d];
			if (s->alerts)
				printf("%u %c alert %u %u\n", f->port, dc((enum ss_dir)d),
				       s->alert_level, s->alert_desc);
		}
		char line[2048];
		tls_describe(f->t, line, sizeof line);
		printf("%u - summary %s\n", f->port, line);
	}
	tls_free(f->t);
	free(f);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: test_tls_pcap FILE [--split N]\n");
		return 2;
	}
	if (argc >= 4 && !strcmp(argv[2], "--split"))
		split = (size_t)strtoul(argv[3], NULL, 10);
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *p = frames_open(argv[1], err);
	if (!p) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	struct ss_caps caps;
	ss_caps_defaults(&caps);
	struct ss_reasm *r = reasm_new(&caps);
	struct ss_tap tap = {t_open, t_data, t_gap, NULL, t_close, NULL};
	reasm_add_tap(r, &tap);
	struct ss_decoder dec;
	if (decode_init(&dec, pcap_datalink(p), &caps, reasm_ip, r)) {
		fprintf(stderr, "link type not supported\n");
		return 2;
	}
	frames_decode(p, &dec);
	reasm_finish(r);
	reasm_free(r);
	decode_fini(&dec);
	pcap_close(p);
	return 0;
}
