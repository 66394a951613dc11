/* source.c - libpcap behind one small interface: files and live capture.
 *
 * Order matters, as in tcpdump: open the input (needs root for live), drop
 * privileges (-Z), and only then open the output file, so that -w never
 * writes as root when the user asked not to; then give up every capability
 * left (capture/privs.h), with -Z or without.
 *
 * source_run may run on a thread other than the one that takes the signals
 * (reassembly/handoff.h): the flags the handlers set are atomics, and the
 * loop looks at them between frames.
 *
 * A classic pcap file's records are read in place (capture/pcapread.h),
 * libpcap having opened it and read its header; other files (pcapng, the
 * other byte order, stdin) go through libpcap's stream.
 *
 * A live capture waits in poll() itself, at most LIVE_TIMEOUT_MS, on the
 * ring's descriptor and on a pipe the signal handlers write to: libpcap
 * 1.10's blocking read does not return on an idle link (TPACKET_V3 waits for
 * a block, and an empty block is never handed over), so SIGUSR1, the -w
 * flush and the idle tick would all wait for the next frame.
 */
#define _GNU_SOURCE /* pipe2 */
#include "source.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <net/if.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>
#ifdef __linux__
#include <linux/filter.h>
#endif

#include "event.h"
#include "log.h"
#include "pcapread.h"
#include "privs.h"
#include "sstime.h"

#define DEFAULT_SNAPLEN 262144         /* tcpdump's default: whole frames, TSO included */
#define DEFAULT_BUFFER_KIB (32 << 10)  /* -B: 128 kernel blocks of 256 KiB (see open_live) */
#define LIVE_TIMEOUT_MS 100            /* a live capture's latest wake-up, and a block's */
#define FLUSH_NS 100000000             /* a live -w file is at most this far behind (100 ms) */
#define SOURCE_READ_BUFFER (64u << 10) /* stdio buffer for reading a capture file */

struct ss_source {
	pcap_t *p;
	char *readbuf; /* the file stream's buffer (glibc ignores a size without one) */
	/* A classic pcap file's records, read in place rather than through
	 * libpcap's stream (capture/pcapread.h), with the filter's program
	 * run here on each; NULL for every other input. */
	struct pcapread *inplace;
	struct bpf_program prog;
	int filtered;
	struct pcap_pkthdr hdr; /* the record inplace handed out last */
	pcap_dumper_t *dump;
	int live, nano;
	int fd;           /* live: the descriptor poll() waits on */
	int delayed;      /* live: ns the kernel may hold a frame before handing it over */
	unsigned ifindex; /* live: the interface, 0 for "any" or when unknown */
	int64_t stop_at;  /* live: when SIGINT or SIGTERM came (draining) */
	int sealed;       /* live: since then the kernel takes no frame (seal) */
	void (*on_wait)(void *ctx); /* live: source_on_wait */
	void *wait_ctx;
	/* live: the kernel's counts when reading stopped (source_stats) */
	struct source_stats at_end;
	atomic_int ended;
	int sec32; /* a classic pcap file: ts_sec is 32 bits unsigned (sstime.h) */
	int ng;    /* a pcapng file */
	uint64_t count, frames;
	uint64_t skipped; /* pcapng blocks skipped (skip_block) */
	char err[PCAP_ERRBUF_SIZE + 128];
	char dltname[16];
};

/* Lock-free atomics: a handler may set them, and the reading thread looks. */
static atomic_int stop_asked, stats_asked;
/* A pipe the handlers write a byte to, so that a live capture's poll()
 * wakes whichever thread took the signal (the self-pipe trick). */
static int wake_pipe[2] = {-1, -1};

static void wake(void)
{
	int e = errno;
	if (wake_pipe[1] >= 0 && write(wake_pipe[1], "", 1) < 0) {
		/* full: a wake-up is pending already */
	}
	errno = e;
}

static void on_stop(int sig)
{
	(void)sig;
	atomic_store(&stop_asked, 1);
	wake();
}

static void on_usr1(int sig)
{
	(void)sig;
	atomic_store(&stats_asked, 1);
	wake();
}

void source_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_stop; /* no SA_RESTART: a blocked read returns */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = on_usr1;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR1, &sa, NULL);
	/* Without the pipe, a signal still breaks poll() with EINTR on the
	 * thread that takes it: the pipe only helps when that is another. */
	if (wake_pipe[0] < 0 && pipe2(wake_pipe, O_NONBLOCK | O_CLOEXEC) < 0)
		wake_pipe[0] = wake_pipe[1] = -1;
}

static struct ss_source *fail(struct ss_source *s, char *err, size_t errlen, int *code, int c,
                              const char *what, const char *why)
{
	snprintf(err, errlen, "%s: %s", what, why);
	*code = c;
	if (s) {
		if (s->dump)
			pcap_dump_close(s->dump);
		pcapread_free(s->inplace);
		if (s->filtered)
			pcap_freecode(&s->prog);
		if (s->p)
			pcap_close(s->p);
		free(s->readbuf);
		free(s);
	}
	return NULL;
}

/* The exit status for a capture file fopen() refused, as the man page
 * says: a name that leads to no file is a usage error; the system refusing
 * a file that is there (permissions, descriptors, memory, I/O) is 3. */
static int open_failure_code(int e)
{
	switch (e) {
	case ENOENT:
	case ENOTDIR:
	case ENAMETOOLONG:
	case ELOOP:
		return SS_EXIT_USAGE;
	default:
		return SS_EXIT_ENV;
	}
}

/* s begins with prefix (both NUL-terminated libpcap texts, not wire data). */
static int starts_with(const char *s, const char *prefix)
{
	while (*prefix && *s == *prefix)
		s++, prefix++;
	return !*prefix;
}

static pcap_t *open_live(const struct ss_source_opts *o, char *perr, int *nano, int *delayed,
                         char *warn, size_t wl)
{
	pcap_t *p = pcap_create(o->iface, perr);
	if (!p)
		return NULL;
	pcap_set_snaplen(p, o->snaplen ? o->snaplen : DEFAULT_SNAPLEN);
	pcap_set_promisc(p, 1);
	/* Not immediate mode: libpcap then uses TPACKET_V3, whose blocks of
	 * 256 KiB hold frames at their own length, where immediate mode's
	 * TPACKET_V2 gives every frame a slot of the largest frame the device
	 * can hand over (64 KiB with offloading, as on a veth: the 32 MiB
	 * buffer then held 511 frames). Replaying 272,080 frames of SMTP into
	 * a veth (bench/live.sh), V2 with 32 MiB lost 1,435 frames at 50,000
	 * frames/s and a third at 100,000; V3 with the same 32 MiB lost none
	 * at tcpreplay's top speed (230,000/s on 2 cores).
	 *
	 * The kernel hands a block over when it is full or LIVE_TIMEOUT_MS
	 * after it was opened: an event shows at most that late, and the
	 * idle tick makes up for it (delayed). */
	pcap_set_timeout(p, LIVE_TIMEOUT_MS);
	pcap_set_immediate_mode(p, 0);
	*delayed = LIVE_TIMEOUT_MS * 1000000;
	pcap_set_buffer_size(p, (o->buffer_kib > 0 ? o->buffer_kib : DEFAULT_BUFFER_KIB) * 1024);
	*nano = pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_NANO) == 0;
	int rc = pcap_activate(p);
	if (rc < 0) {
		const char *e = pcap_geterr(p);
		const char *status = pcap_statustostr(rc);
		/* libpcap fills an empty error with that status's text itself:
		 * name the status only when the text does not already */
		if ((rc == PCAP_ERROR_NO_SUCH_DEVICE || rc == PCAP_ERROR_PERM_DENIED || !*e) &&
		    !starts_with(e, status))
			snprintf(perr, PCAP_ERRBUF_SIZE, "%s%s%s", status, *e ? ": " : "", e);
		else
			snprintf(perr, PCAP_ERRBUF_SIZE, "%s", e);
		pcap_close(p);
		return NULL;
	}
	if (rc > 0)
		snprintf(warn, wl, "%s: %s", pcap_statustostr(rc), pcap_geterr(p));
	/* The loop waits in poll() itself, with its own timeout: libpcap's
	 * blocking read does not return on an idle link. */
	if (pcap_setnonblock(p, 1, perr) < 0 || pcap_get_selectable_fd(p) < 0) {
		if (!*perr)
			snprintf(perr, PCAP_ERRBUF_SIZE, "no descriptor to wait on");
		pcap_close(p);
		return NULL;
	}
	return p;
}

struct ss_source *source_open(const struct ss_source_opts *o, char *err, size_t errlen, int *code)
{
	char perr[PCAP_ERRBUF_SIZE] = "";
	struct ss_source *s = calloc(1, sizeof *s);
	if (!s)
		return fail(NULL, err, errlen, code, SS_EXIT_ENV, "smtpsniff", "out of memory");
	s->count = o->count;
	const char *what = o->file ? o->file : o->iface;
	if (o->file) {
		/* Our own stream with a bigger buffer: libpcap reads a file
		 * with stdio, whose 4 KiB default costs a system call per page.
		 * 64 KiB stays in the core's own cache; 256 KiB and more made
		 * reading twice as slow on a machine with 512 KiB of L2. */
		int dash = o->file[0] == '-' && !o->file[1];
		FILE *fp = dash ? stdin : fopen(o->file, "rb");
		if (!fp)
			return fail(s, err, errlen, code, open_failure_code(errno), what,
			            strerror(errno));
		s->readbuf = malloc(SOURCE_READ_BUFFER);
		if (s->readbuf)
			setvbuf(fp, s->readbuf, _IOFBF, SOURCE_READ_BUFFER);
		/* One thread at a time reads it (libpcap's two freads a frame
		 * then take no lock each). */
		__fsetlocking(fp, FSETLOCKING_BYCALLER);
		s->p =
		    pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_NANO, perr);
		if (!s->p) {
			if (fp != stdin)
				fclose(fp);
			return fail(s, err, errlen, code, SS_EXIT_USAGE, what, perr);
		}
		s->nano = 1;
		if (fp != stdin)
			s->inplace = pcapread_new(s->p, fileno(fp));
		/* pcapng says 1.0 (its section header's version), pcap 2.x */
		s->sec32 = pcap_major_version(s->p) == PCAP_VERSION_MAJOR;
		s->ng = !s->sec32;
	} else {
		char warn[PCAP_ERRBUF_SIZE + 64] = "";
		s->p = open_live(o, perr, &s->nano, &s->delayed, warn, sizeof warn);
		if (!s->p)
			return fail(s, err, errlen, code, SS_EXIT_ENV, what, perr);
		if (*warn)
			ss_warn("%s: %s", what, warn);
		s->live = 1;
		s->fd = pcap_get_selectable_fd(s->p);
		s->ifindex = if_nametoindex(o->iface);
	}
	if (o->filter && *o->filter) {
		struct bpf_program prog;
		if (pcap_compile(s->p, &prog, o->filter, 1, PCAP_NETMASK_UNKNOWN) < 0)
			return fail(s, err, errlen, code, SS_EXIT_USAGE, "filter",
			            pcap_geterr(s->p));
		int rc = pcap_setfilter(s->p, &prog);
		if (s->inplace) {
			s->prog = prog; /* run by next_in_place */
			s->filtered = 1;
		} else {
			pcap_freecode(&prog);
		}
		if (rc < 0)
			return fail(s, err, errlen, code, SS_EXIT_ENV, "filter", pcap_geterr(s->p));
	}
	if (o->user && privs_become(o->user, perr, sizeof perr))
		return fail(s, err, errlen, code, SS_EXIT_ENV, "-Z", perr);
	if (o->write) {
		s->dump = pcap_dump_open(s->p, o->write);
		if (!s->dump)
			/* libpcap's text names the file already */
			return fail(s, err, errlen, code, SS_EXIT_OUTPUT, "-w", pcap_geterr(s->p));
	}
	/* The input and -w are open: from here on smtpsniff only parses, and
	 * keeps no capability, -Z or not (capture/privs.h). */
	if (privs_drop_all(perr, sizeof perr))
		return fail(s, err, errlen, code, SS_EXIT_ENV, "privileges", perr);
	return s;
}

int source_dlt(const struct ss_source *s)
{
	return pcap_datalink(s->p);
}

const char *source_dlt_name(struct ss_source *s)
{
	int dlt = pcap_datalink(s->p);
	const char *n = pcap_datalink_val_to_name(dlt);
	if (n)
		return n;
	snprintf(s->dltname, sizeof s->dltname, "%d", dlt); /* a number libpcap has no name for */
	return s->dltname;
}

int source_is_live(const struct ss_source *s)
{
	return s->live;
}

int source_snaplen(const struct ss_source *s)
{
	return pcap_snapshot(s->p);
}

static int64_t wall_now(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return ss_time_capture(tv.tv_sec, (int64_t)tv.tv_usec * 1000, 0);
}

/* libpcap's words for an Enhanced Packet Block naming an interface no
 * Interface Description Block described (sf-pcapng.c, 1.8 to 1.10). */
#define NG_NO_IDB "a packet arrived on interface "

/* Whether the error pcap_next_ex() just returned is one block to skip
 * rather than the end of the file: a pcapng packet on an interface no block
 * described. libpcap has read that whole block (its length checked) before
 * it looks at the interface, and its state is that of a reader between two
 * blocks, so the next call reads the next block: one bad block loses
 * itself, not the rest of the file. Every other error still ends the read. */
static int skip_block(struct ss_source *s)
{
	const char *e = pcap_geterr(s->p);
	if (!s->ng || !starts_with(e, NG_NO_IDB))
		return 0;
	/* Where the block was: it ends where the stream is, and its last 4
	 * bytes repeat its length (read aside with pread, where the input
	 * can seek, so the stream is not moved). */
	char where[96] = "";
	FILE *fp = pcap_file(s->p);
	off_t end = fp ? ftello(fp) : -1;
	uint32_t len;
	if (end >= 12 && pread(fileno(fp), &len, 4, end - 4) == 4) {
		if (pcap_is_swapped(s->p))
			len = __builtin_bswap32(len);
		if (len >= 12 && len <= (uint64_t)end)
			snprintf(where, sizeof where, " at offset %lld", (long long)(end - len));
	} else if (end >= 0) {
		snprintf(where, sizeof where, " ending at offset %lld", (long long)end);
	}
	s->skipped++;
	/* e is libpcap's text with a number from the file: no other bytes */
	ss_eventf("pcap", "pcapng_block_skipped", 0, 0, 0, -1,
	          "the block%s after frame %llu: %s; skipped, reading on", where,
	          (unsigned long long)s->frames, e);
	return 1;
}

/* Live: waits up to LIVE_TIMEOUT_MS for the ring to hand over a frame.
 * Returns 1 when it may have one, 0 after the timeout or a signal, -1 when
 * the socket has failed (the interface went away), said in s->err. */
static int live_wait(struct ss_source *s)
{
	struct pollfd pf[2] = {{.fd = s->fd, .events = POLLIN},
	                       {.fd = wake_pipe[0], .events = POLLIN}};
	int n = poll(pf, wake_pipe[0] >= 0 ? 2 : 1, LIVE_TIMEOUT_MS);
	if (n <= 0) /* the timeout, or EINTR: a signal the loop looks at */
		return 0;
	if (pf[1].revents & POLLIN) {
		char b[64];
		while (read(wake_pipe[0], b, sizeof b) > 0)
			;
	}
	if (pf[0].revents & POLLIN)
		return 1;
	if (pf[0].revents & (POLLERR | POLLHUP | POLLNVAL)) {
		int e = 0;
		socklen_t len = sizeof e;
		if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &e, &len) < 0)
			e = errno;
		/* As libpcap says it: an interface taken down may come back
		 * up, and the capture waits for it; one that is gone ends it. */
		char name[IF_NAMESIZE];
		if (e == ENETDOWN && s->ifindex && if_indextoname(s->ifindex, name))
			return 0;
		snprintf(s->err, sizeof s->err, "after frame %llu: %s",
		         (unsigned long long)s->frames,
		         e == ENETDOWN ? "The interface disappeared"
		         : e           ? strerror(e)
		                       : "the capture failed");
		return -1;
	}
	return 0;
}

/* After SIGINT or SIGTERM, whether a live capture still reads what the
 * kernel received before the signal. A TPACKET_V3 block that is not full is
 * handed over only when its timer runs out (s->delayed after it opened):
 * the last frames before the signal may still be in the kernel, counted as
 * received, and stopping at once would lose them. Reading goes on for twice
 * that long; then, the socket sealed (seal), until the ring is empty, or,
 * unsealed, it ends at the first frame from after the signal. */
static int draining(struct ss_source *s)
{
	if (!s->live || !s->delayed)
		return 0;
	int64_t now = wall_now();
	return now - s->stop_at < 2 * (int64_t)s->delayed;
}

/* At SIGINT or SIGTERM: the socket takes no more frames (a filter that
 * rejects all, which the kernel runs before it counts a frame as
 * received), so that what it counted is exactly what is left to read.
 * Frames the kernel took after the signal and before this are read too,
 * since they are counted. 1 when sealed; 0 (Linux refused, or elsewhere):
 * reading ends at the first frame from after the signal instead. */
static int seal(struct ss_source *s)
{
#ifdef __linux__
	struct sock_filter none = BPF_STMT(BPF_RET | BPF_K, 0);
	struct sock_fprog prog = {1, &none};
	return setsockopt(pcap_fileno(s->p), SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) == 0;
#else
	(void)s;
	return 0;
#endif
}

/* pcap_next_ex() for a file read in place: the next record the filter
 * lets through. */
static int next_in_place(struct ss_source *s, struct pcap_pkthdr **h, const u_char **data)
{
	for (;;) {
		int rc = pcapread_next(s->inplace, &s->hdr, data);
		if (rc < 0)
			return PCAP_ERROR;
		if (rc == 0)
			return PCAP_ERROR_BREAK; /* what libpcap says at a file's end */
		if (!s->filtered || pcap_offline_filter(&s->prog, &s->hdr, *data)) {
			*h = &s->hdr;
			return 1;
		}
	}
}

/* One frame from libpcap, also written to -w: 1, or 0 at the end with *why
 * set (-1: a live timeout). */
static int next_frame(struct ss_source *s, struct ss_frame *f, int *why)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	int last = 0; /* sealed and drained: one last look at the ring */
	if (atomic_load(&stop_asked)) {
		if (s->live && !s->stop_at) {
			s->stop_at = wall_now();
			s->sealed = seal(s);
		}
		if (!draining(s)) {
			if (!s->sealed) {
				*why = SOURCE_SIGNAL;
				return 0;
			}
			last = 1;
		}
	}
	if (s->count && s->frames >= s->count) {
		*why = SOURCE_COUNT;
		return 0;
	}
	int rc;
	if (s->inplace)
		rc = next_in_place(s, &h, &data);
	else
		while ((rc = pcap_next_ex(s->p, &h, &data)) == PCAP_ERROR && skip_block(s))
			;
	if (rc == 0 && last) { /* nothing was left: every frame counted was read */
		*why = SOURCE_SIGNAL;
		return 0;
	}
	if (rc == 0 && s->live) { /* the ring is empty: wait, but not past the timeout */
		if (s->on_wait)
			s->on_wait(s->wait_ctx);
		int w = live_wait(s);
		if (w < 0) {
			*why = SOURCE_FAILED;
			return 0;
		}
		if (w > 0)
			rc = pcap_next_ex(s->p, &h, &data);
	}
	if (rc == 1) {
		int64_t ts = ss_time_capture(
		    h->ts.tv_sec, (int64_t)h->ts.tv_usec * (s->nano ? 1 : 1000), s->sec32);
		if (s->stop_at && !s->sealed &&
		    ts > s->stop_at) { /* drained: it came after the signal */
			*why = SOURCE_SIGNAL;
			return 0;
		}
		f->num = ++s->frames;
		f->ts = ts;
		f->caplen = h->caplen;
		f->wirelen = h->len;
		f->data = data;
		if (s->dump)
			pcap_dump((u_char *)s->dump, h, data);
		return 1;
	}
	if (rc == 0) { /* a live timeout */
		*why = -1;
		return 0;
	}
	if (rc == PCAP_ERROR_BREAK) {
		*why = atomic_load(&stop_asked) ? SOURCE_SIGNAL : SOURCE_EOF;
		return 0;
	}
	if (atomic_load(&stop_asked)) { /* a pipe's read broken by the signal */
		*why = SOURCE_SIGNAL;
		return 0;
	}
	snprintf(s->err, sizeof s->err, "after frame %llu: %s", (unsigned long long)s->frames,
	         s->inplace ? pcapread_error(s->inplace) : pcap_geterr(s->p));
	*why = s->live ? SOURCE_FAILED : SOURCE_BROKEN;
	return 0;
}

/* Statistics asked for with SIGUSR1, from the loop rather than the handler. */
static void answer_usr1(void (*usr1)(void *ctx), void *ctx)
{
	if (atomic_load(&stats_asked)) {
		atomic_store(&stats_asked, 0);
		if (usr1)
			usr1(ctx);
	}
}

int source_is_file(const struct ss_source *s)
{
	struct stat st;
	FILE *fp = s->live ? NULL : pcap_file(s->p);
	return fp && !fstat(fileno(fp), &st) && S_ISREG(st.st_mode);
}

enum source_end source_run(struct ss_source *s, ss_frame_fn *fn, ss_tick_fn *tick,
                           void (*usr1)(void *ctx), void *ctx)
{
	int64_t flushed = 0;
	/* A signal wakes a live capture's poll() (live_wait). A pipe's read
	 * ends with EINTR; a regular file's reads do not block, and it may be
	 * read on another thread than the one the signal comes to. */
	enum source_end end;
	for (;;) {
		answer_usr1(usr1, ctx);
		struct ss_frame f;
		int why;
		if (next_frame(s, &f, &why)) {
			/* Live, keep the -w file current for whoever reads it,
			 * without a write per frame. */
			if (s->dump && s->live && f.ts - flushed > FLUSH_NS) {
				pcap_dump_flush(s->dump);
				flushed = f.ts;
			}
			fn(&f, ctx);
		} else if (why < 0) {
			/* A live timeout: let idle flows end, and keep -w current.
			 * The kernel may still hold frames up to s->delayed old:
			 * the clock goes no further than they may be. */
			if (s->dump)
				pcap_dump_flush(s->dump);
			if (tick)
				tick(wall_now() - s->delayed, ctx);
		} else if (why == SOURCE_EOF && s->live) {
			continue; /* a live capture's break without a signal */
		} else {
			end = (enum source_end)why;
			break;
		}
	}
	/* The counts as reading stops: frames the kernel takes while the rest
	 * of the run finishes (seconds, for a large capture or a sanitizer's
	 * build) were never for this run to read. */
	if (s->live) {
		source_stats(s, &s->at_end);
		atomic_store_explicit(&s->ended, 1, memory_order_release);
	}
	return end;
}

void source_on_wait(struct ss_source *s, void (*fn)(void *ctx), void *ctx)
{
	s->on_wait = fn;
	s->wait_ctx = ctx;
}

const char *source_error(const struct ss_source *s)
{
	return s->err;
}

uint64_t source_frames(const struct ss_source *s)
{
	return s->frames;
}

int source_progress(struct ss_source *s, uint64_t *done, uint64_t *total)
{
	struct stat st;
	FILE *fp = s->live ? NULL : pcap_file(s->p);
	if (!fp || fstat(fileno(fp), &st) || !S_ISREG(st.st_mode))
		return -1;
	off_t pos = s->inplace ? (off_t)pcapread_offset(s->inplace) : ftello(fp);
	if (pos < 0)
		return -1;
	*done = (uint64_t)pos;
	*total = (uint64_t)st.st_size;
	return 0;
}

void source_stats(struct ss_source *s, struct source_stats *st)
{
	struct pcap_stat ps;
	if (atomic_load_explicit(&s->ended, memory_order_acquire)) {
		*st = s->at_end;
		return;
	}
	memset(st, 0, sizeof *st);
	if (!s->live || pcap_stats(s->p, &ps) < 0)
		return;
	st->valid = 1;
	st->received = ps.ps_recv;
	st->dropped = ps.ps_drop;
	st->ifdropped = ps.ps_ifdrop;
}

int source_close(struct ss_source *s)
{
	int rc = 0;
	if (!s)
		return 0;
	if (s->dump) {
		if (pcap_dump_flush(s->dump) < 0 || ferror(pcap_dump_file(s->dump)))
			rc = -1;
		pcap_dump_close(s->dump);
	}
	pcapread_free(s->inplace);
	if (s->filtered)
		pcap_freecode(&s->prog);
	pcap_close(s->p);
	free(s->readbuf);
	free(s);
	return rc;
}

int source_list_devices(FILE *out, char *err, size_t errlen)
{
	pcap_if_t *all;
	char perr[PCAP_ERRBUF_SIZE];
	if (pcap_findalldevs(&all, perr) < 0) {
		snprintf(err, errlen, "%s", perr);
		return -1;
	}
	int i = 0;
	for (pcap_if_t *d = all; d; d = d->next) {
		fprintf(out, "%d.%s", ++i, d->name);
		if (d->description)
			fprintf(out, " (%s)", d->description);
		fprintf(out, " [%s%s%s]\n", d->flags & PCAP_IF_UP ? "Up" : "Down",
		        d->flags & PCAP_IF_RUNNING ? ", Running" : "",
		        d->flags & PCAP_IF_LOOPBACK ? ", Loopback" : "");
	}
	pcap_freealldevs(all);
	return 0;
}
