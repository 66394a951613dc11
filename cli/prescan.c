/* prescan.c - the first pass that names the hosts of a capture file (see
 * prescan.h).
 *
 * Only UDP to or from the DNS and syslog ports is looked at, and only what
 * names hosts is taken from it: the answer sections of responses and the
 * HOSTNAME of syslog lines. A classic pcap file is read in place
 * (capture/pcapread.h), and the filter leaves almost every frame unread
 * past its headers: the pass costs less than libpcap's bare loop over the
 * file (bench/README.md), a fraction of dissecting it.
 */
#define _POSIX_C_SOURCE 200809L
#include "prescan.h"

#include <pthread.h>
#include <string.h>
#include <time.h>

#include "cur.h"
#include "decode.h"
#include "dnswire.h"
#include "names.h"
#include "record.h"
#include "syslog.h"

#define PORT_DNS 53
#define PORT_SYSLOG 514

struct prescan {
	const char *path, *filter;
	uint64_t count;
	const struct ss_caps *caps;
	struct ss_decoder dec;
	struct prescan_stats st;
	int rc;
};

/* A DNS response over UDP: its answers name addresses. */
static void dns_response(struct prescan *ps, const uint8_t *p, size_t n)
{
	/* RFC 1035 4.1.1: QR set and ANCOUNT not 0, or there is nothing to
	 * learn (most of a busy resolver's answers are the ones with data) */
	if (n < 12 || !(p[2] & 0x80) || !(p[6] | p[7]))
		return;
	/* a message whose compression pointers loop costs ldns 65535 jumps a
	 * name: walked first, as the dissector does (dissect/dnswire.h) */
	struct dnswire w;
	if (dnswire_check(p, n, &w))
		return;
	ldns_pkt *pkt = NULL;
	if (ldns_wire2pkt(&pkt, p, n) != LDNS_STATUS_OK)
		return;
	if (ldns_pkt_qr(pkt)) {
		struct rec_dns d;
		memset(&d, 0, sizeof d);
		d.response = pkt;
		names_learn(&d);
		ps->st.answers++;
	}
	ldns_pkt_free(pkt);
}

/* A syslog datagram (RFC 5426: one line, no line end, though some senders
 * add LF): its HOSTNAME names its sender. */
static void syslog_line(struct prescan *ps, const struct ss_addr *sender, const uint8_t *p,
                        size_t n)
{
	if (n && p[n - 1] == '\n')
		n--;
	struct rec_log l;
	memset(&l, 0, sizeof l);
	if (syslog_parse(p, n, &l))
		return; /* no header: no HOSTNAME */
	names_learn_log(sender, &l.host);
	ps->st.logs++;
}

static void on_ip(const struct ss_ip *ip, void *ctx)
{
	struct prescan *ps = ctx;
	if (ip->proto != 17 || ip->l4_len < ip->l4_wire_len)
		return; /* not UDP, or cut by the snap length */
	struct cur c = cur_make(ip->l4, ip->l4_len);
	uint16_t sport = cur_be16(&c, "udp"), dport = cur_be16(&c, "udp");
	uint16_t len = cur_be16(&c, "udp");
	cur_skip(&c, 2, "udp"); /* checksum */
	if (c.err || len < 8)
		return;
	size_t n = len - 8u < cur_left(&c) ? len - 8u : cur_left(&c);
	const uint8_t *p = cur_rest(&c);
	if (sport == PORT_DNS)
		dns_response(ps, p, n);
	else if (dport == PORT_SYSLOG)
		syslog_line(ps, &ip->src, p, n);
}

static void on_frame(const struct ss_frame *f, void *ctx)
{
	struct prescan *ps = ctx;
	ps->st.frames++;
	decode_frame(&ps->dec, f);
}

static struct ss_source *open_file(struct prescan *ps, const char *filter)
{
	struct ss_source_opts so = {.file = ps->path, .filter = filter, .count = ps->count};
	char err[512];
	int code;
	return source_open(&so, err, sizeof err, &code);
}

static void *scan(void *arg)
{
	struct prescan *ps = arg;
	ps->rc = -1;
	struct ss_source *src = open_file(ps, ps->filter);
	if (!src && ps->filter && !ps->count)
		src = open_file(ps, NULL); /* a link type the filter cannot be compiled for */
	if (!src)
		return NULL;
	if (decode_init(&ps->dec, source_dlt(src), ps->caps, on_ip, ps) == 0) {
		source_run(src, on_frame, NULL, NULL, ps);
		decode_fini(&ps->dec);
		ps->rc = 0;
	}
	source_close(src);
	return NULL;
}

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int prescan_names(const char *path, const char *filter, uint64_t count, const struct ss_caps *caps,
                  struct prescan_stats *st)
{
	struct prescan ps;
	memset(&ps, 0, sizeof ps);
	ps.path = path;
	ps.count = count;
	/* -c counts the frames the user's filter lets through: the same ones */
	ps.filter = count ? filter : PRESCAN_FILTER;
	ps.caps = caps;
	double t0 = now_s();
	/* On a thread of its own: it has no event sink, so the events of the
	 * frames read here are not said twice. */
	pthread_t t;
	if (pthread_create(&t, NULL, scan, &ps))
		return -1;
	pthread_join(t, NULL);
	ps.st.named = names_count();
	ps.st.seconds = now_s() - t0;
	if (st)
		*st = ps.st;
	if (ps.rc)
		return -1;
	names_freeze();
	return 0;
}

int prescan_wanted(const struct options *o, const struct ss_source *src)
{
	return o->rep.names && !o->one_pass && o->src.file && strcmp(o->src.file, "-") &&
	       !source_is_live(src) && source_is_file(src);
}

void prescan_run(const struct options *o, const struct ss_source *src)
{
	/* Said nowhere: a file the first pass cannot read is said by the
	 * main pass, and its figures are in prescan_names()'s st. */
	if (prescan_wanted(o, src))
		prescan_names(o->src.file, o->src.filter, o->src.count, &o->caps, NULL);
}
