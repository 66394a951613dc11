/* reasm_int.h - the engine's own structures, shared by the files of
 * reassembly/ and by nobody else.
 */
#ifndef SS_REASM_INT_H
#define SS_REASM_INT_H

#include <stdint.h>

#include "buf.h"
#include "reasm.h"
#include "ring.h"

/* A segment waiting behind a hole, or for the peer's bytes it acknowledges.
 * Queues hold no overlapping bytes: the first copy of a byte is the one
 * kept. */
struct seg {
	struct seg *next;
	uint64_t off;
	uint32_t len;
	uint32_t cut;  /* bytes after these that the snap length cut */
	uint64_t need; /* the peer's offset this segment acknowledged: deliver after it */
	uint64_t frame;
	int64_t ts;
	uint8_t data[];
};

/* One direction of a TCP connection. Offsets count payload bytes from the
 * first byte after the SYN (or from the first byte seen, mid-stream). */
struct half {
	uint8_t base_set;  /* base_seq is known */
	uint8_t fin;       /* fin_off is known */
	uint8_t ack_set;   /* the peer acknowledged something */
	uint32_t base_seq; /* the sequence number of offset 0 */
	uint64_t next;     /* every offset below is delivered or declared a gap */
	uint64_t fin_off;
	uint64_t acked;    /* highest offset the peer acknowledged */
	uint64_t hole_end; /* a hole the peer acknowledged, to give up on at hole_ts + ack_wait */
	int64_t hole_ts;
	struct seg *ooo;   /* sorted by off; every off > next */
	int64_t ooo_since; /* while ooo: when it last began, so none of it came earlier */
	uint64_t ooo_bytes;
	struct ring hist;   /* the last delivered bytes, to compare retransmissions */
	struct buf pending; /* delivered, not consumed by the dissector: ends at next */
	struct buf detect;  /* first bytes, while the protocol is undecided */
};

/* While the protocol is undecided, the order in which bytes arrived, so they
 * can be replayed to the dissector exactly as they came. */
struct chunk {
	uint8_t dir;
	uint32_t len;
	uint64_t frame, off;
	int64_t ts;
};

struct flow_key {
	struct ss_addr a[2]; /* a[0] <= a[1] (with the ports as tie-break) */
	uint16_t port[2];
	uint8_t proto;
};

enum { LIST_TCP, LIST_UDP, NLISTS };

struct flow {
	struct ss_flow pub;         /* first: a struct ss_flow * is a struct flow * */
	struct flow *hnext;         /* hash chain */
	struct flow *prev, *next;   /* in list[where], oldest activity first */
	struct flow *wprev, *wnext; /* in the engine's list of flows waiting on a hole */
	uint8_t waiting;
	uint8_t where;
	uint8_t cli;      /* which key endpoint is the client */
	uint8_t deciding; /* the protocol is not chosen yet */
	struct flow_key key;
	struct half h[2]; /* by enum ss_dir */
	const struct ss_proto *app;
	void *app_st;
	uint32_t said_no; /* protocols whose probe said no, by index */
	struct chunk *log;
	uint32_t nlog, alog;
	uint32_t probes; /* UDP datagrams shown to the probes */
	void *tap_st[SS_MAX_TAPS];
	uint64_t mem; /* bytes held, part of the engine's total */
};

struct flow_list {
	struct flow *head, *tail;
};

/* A TCP flow that ended by FIN or RST, remembered for --tcp-linger so that
 * its late segments are known as late (closed.c): what those need of it,
 * not the whole flow. */
struct closed_flow {
	struct closed_flow *hnext;       /* hash chain */
	struct closed_flow *prev, *next; /* oldest first */
	struct flow_key key;
	uint64_t id;
	int64_t last_ts;
	uint8_t how; /* enum ss_close */
	uint8_t cli; /* which key endpoint is the client */
};

struct ss_reasm {
	const struct ss_caps *caps;
	struct flow **bucket;
	size_t nbuckets;
	uint64_t seed;
	struct flow_list list[NLISTS];
	int64_t now;
	uint64_t next_id;
	const struct ss_proto *proto[SS_MAX_PROTOS];
	int nproto;
	const struct ss_tap *tap[SS_MAX_TAPS];
	int ntap;
	struct reasm_stats st;
	/* Out-of-order bytes queued in all flows (each segment's SEG_COST):
	 * while it is 0, being over --max-mem has no holes to give up, and no
	 * packet walks the flows looking for them. */
	uint64_t ooo_now;
	uint64_t frame;       /* the frame being handled, for positions */
	struct flow *waiting; /* flows with a hole whose --ack-wait runs */
	struct flow *last;    /* the flow table_find() found last */
	int64_t expire_at;    /* no flow's silence outlasts its timeout before this */
	struct bufpool rings; /* full-window rings of closed flows, for new ones */
	/* closed.c: closed flows by key, and oldest first */
	struct closed_flow **cbucket;
	size_t ncbuckets, nclosed;
	struct closed_flow *chead, *ctail;
};

/* table.c */
struct flow *table_find(struct ss_reasm *r, const struct flow_key *k);
struct flow *table_add(struct ss_reasm *r, const struct flow_key *k);
void table_remove(struct ss_reasm *r, struct flow *f);
void list_move(struct ss_reasm *r, struct flow *f, int where);
void flow_key_make(struct flow_key *k, const struct ss_ip *ip, uint16_t sport, uint16_t dport,
                   int *src_is_a0);
void table_expire(struct ss_reasm *r);
int table_init(struct ss_reasm *r);
void table_fini(struct ss_reasm *r);

/* The seeded hash of a flow key, before it is cut to a table's size. */
uint64_t flow_key_hash(const struct ss_reasm *r, const struct flow_key *k);
/* The silence after which an open flow ends (TCP or UDP), or a closed one
 * is forgotten (where NLISTS), in nanoseconds. */
int64_t table_timeout(const struct ss_reasm *r, int where);

/* closed.c: f ends by FIN or RST (it is still in the table, which it
 * leaves next); a flow that finds no memory is forgotten at once. */
void closed_add(struct ss_reasm *r, const struct flow *f);
struct closed_flow *closed_find(struct ss_reasm *r, const struct flow_key *k);
void closed_remove(struct ss_reasm *r, struct closed_flow *c);
/* Forgets the closed flows whose linger is over; returns when the next is
 * due (INT64_MAX: none). */
int64_t closed_expire(struct ss_reasm *r);
void closed_fini(struct ss_reasm *r);

/* deliver.c: sets at's held and held_ts by f's queues (stream.h). */
void pos_held(const struct flow *f, struct ss_pos *at);

/* reasm.c */
void flow_end(struct ss_reasm *r, struct flow *f, enum ss_close why);
void flow_setup(struct ss_reasm *r, struct flow *f, int client_is_a0, int guessed);
void mem_add(struct ss_reasm *r, struct flow *f, int64_t n);
int mem_over(const struct ss_reasm *r);

/* deliver.c */
void deliver_data(struct ss_reasm *r, struct flow *f, enum ss_dir d, const uint8_t *p, size_t n,
                  uint64_t off, uint64_t frame, int64_t ts);
void deliver_gap(struct ss_reasm *r, struct flow *f, enum ss_dir d, uint64_t off, uint64_t len,
                 const char *why);
void deliver_datagram(struct ss_reasm *r, struct flow *f, enum ss_dir d, const uint8_t *p, size_t n,
                      int64_t ts);
void deliver_close(struct ss_reasm *r, struct flow *f);
void deliver_free(struct ss_reasm *r, struct flow *f);

/* tcp.c */
void tcp_segment(struct ss_reasm *r, const struct ss_ip *ip);
void tcp_due(struct ss_reasm *r);
void tcp_flush(struct ss_reasm *r, struct flow *f);
void tcp_release(struct ss_reasm *r, struct flow *f);
void tcp_relieve(struct ss_reasm *r, struct flow *f);

/* udp.c */
void udp_datagram(struct ss_reasm *r, const struct ss_ip *ip);

#endif
