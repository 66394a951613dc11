/* reasm.c - the engine's front door: datagrams in by protocol, time, flow
 * setup and teardown, memory accounting.
 */
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "reasm_int.h"

const char *ss_close_name(enum ss_close why)
{
	switch (why) {
	case SS_CLOSE_FIN:
		return "fin";
	case SS_CLOSE_RST:
		return "rst";
	case SS_CLOSE_IDLE:
		return "idle";
	case SS_CLOSE_CAP:
		return "cap";
	case SS_CLOSE_EOF:
		return "eof";
	case SS_CLOSE_REUSE:
		return "reuse";
	}
	return "?";
}

struct ss_reasm *reasm_new(const struct ss_caps *caps)
{
	struct ss_reasm *r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	r->caps = caps;
	/* The sessions the engine's flows carry hold their bytes between
	 * packets in one account (util/memacct.h), capped by the options. */
	ss_held.cap = caps->max_held_mem;
	if (table_init(r)) {
		free(r);
		return NULL;
	}
	return r;
}

void reasm_free(struct ss_reasm *r)
{
	if (!r)
		return;
	for (int l = 0; l < NLISTS; l++)
		while (r->list[l].head) {
			struct flow *f = r->list[l].head;
			deliver_free(r, f);
			tcp_release(r, f);
			table_remove(r, f);
		}
	table_fini(r);
	free(r);
}

int reasm_add_proto(struct ss_reasm *r, const struct ss_proto *p)
{
	if (r->nproto >= SS_MAX_PROTOS)
		return -1;
	r->proto[r->nproto++] = p;
	return 0;
}

int reasm_add_tap(struct ss_reasm *r, const struct ss_tap *t)
{
	if (r->ntap >= SS_MAX_TAPS)
		return -1;
	r->tap[r->ntap++] = t;
	return 0;
}

void mem_add(struct ss_reasm *r, struct flow *f, int64_t n)
{
	f->mem += (uint64_t)n;
	r->st.mem_now += (uint64_t)n;
	if (r->st.mem_now > r->st.mem_peak)
		r->st.mem_peak = r->st.mem_now;
}

int mem_over(const struct ss_reasm *r)
{
	return r->st.mem_now > r->caps->max_mem;
}

void flow_setup(struct ss_reasm *r, struct flow *f, int client_is_a0, int guessed)
{
	f->cli = (uint8_t)client_is_a0;
	f->pub.id = ++r->next_id;
	f->pub.proto = f->key.proto;
	int c = client_is_a0 ? 0 : 1;
	f->pub.ep[SS_C2S].addr = f->key.a[c];
	f->pub.ep[SS_C2S].port = f->key.port[c];
	f->pub.ep[SS_S2C].addr = f->key.a[!c];
	f->pub.ep[SS_S2C].port = f->key.port[!c];
	f->pub.first_ts = f->pub.last_ts = f->pub.open_since = f->pub.read_ts = r->now;
	f->pub.first_frame = f->pub.last_frame = r->frame;
	f->pub.dir_guessed = (uint8_t)guessed;
	f->pub.midstream = (uint8_t)(guessed && f->key.proto == 6);
	f->deciding = r->nproto > 0;
	for (int d = 0; d < 2; d++) {
		buf_init(&f->h[d].pending, r->caps->max_pending);
		buf_count(&f->h[d].pending, &ss_held);
		buf_init(&f->h[d].detect, r->caps->detect_bytes);
		/* The retransmission ring counts against --max-mem; a full engine
		 * stops checking new flows rather than refusing them. */
		f->h[d].hist.size = mem_over(r) ? 0 : (uint32_t)r->caps->rexmit_window;
	}
	for (int i = 0; i < r->ntap; i++)
		f->tap_st[i] = r->tap[i]->open ? r->tap[i]->open(&f->pub, r->tap[i]->ctx) : NULL;
}

/* Ends f: remaining data and gaps, then the consumers' close. A TCP flow
 * closed by FIN or RST stays in the table for --tcp-linger seconds so late
 * packets are known as late; every other flow is freed here. */
void flow_end(struct ss_reasm *r, struct flow *f, enum ss_close why)
{
	if (f->pub.proto == 6)
		tcp_flush(r, f);
	f->pub.closed = 1;
	f->pub.how = why;
	deliver_close(r, f);
	deliver_free(r, f);
	tcp_release(r, f);
	/* late segments of a TCP flow that closed are known for --tcp-linger */
	if (f->pub.proto == 6 && (why == SS_CLOSE_FIN || why == SS_CLOSE_RST))
		closed_add(r, f);
	table_remove(r, f);
}

void reasm_tick(struct ss_reasm *r, int64_t now)
{
	/* Capture time never runs backwards, even when a file's timestamps do. */
	if (now > r->now)
		r->now = now;
	tcp_due(r);
	table_expire(r);
}

void reasm_ip(const struct ss_ip *ip, void *ctx)
{
	struct ss_reasm *r = ctx;
	r->frame = ip->frame->num;
	reasm_tick(r, ip->frame->ts);
	switch (ip->proto) {
	case 6:
		tcp_segment(r, ip);
		break;
	case 17:
		udp_datagram(r, ip);
		break;
	default:
		r->st.other++;
		return;
	}
	/* Over --max-mem: the flows idle longest give up their holes first
	 * (none has any while ooo_now is 0: no walk then). */
	for (struct flow *f = r->list[LIST_TCP].head; f && r->ooo_now && mem_over(r); f = f->next)
		if (f->h[0].ooo || f->h[1].ooo)
			tcp_relieve(r, f);
}

void reasm_finish(struct ss_reasm *r)
{
	for (int l = LIST_TCP; l <= LIST_UDP; l++)
		while (r->list[l].head)
			flow_end(r, r->list[l].head, SS_CLOSE_EOF);
}

const struct reasm_stats *reasm_stats(const struct ss_reasm *r)
{
	return &r->st;
}
