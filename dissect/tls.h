/* tls.h - TLS seen from the wire, without keys: the records of each
 * direction and what the handshake says - version, cipher suite, SNI, ALPN,
 * key-share group, resumption, alerts, certificate chains - for STARTTLS
 * (SMTP, POP3 STLS, IMAP) and implicit-TLS (465, 993, 995) sessions.
 * RFC 8446 (TLS 1.3), RFC 5246 (TLS 1.2) with E.2 (SSLv2-compatible
 * ClientHello), RFC 6066 (SNI), RFC 7301 (ALPN), RFC 7627 (extended master
 * secret), RFC 7366 (encrypt-then-MAC), RFC 5077 (tickets), RFC 8422 and
 * RFC 7919 (key exchange groups).
 *
 * Two layers, kept apart so that a decryption step can later stand between
 * them:
 *
 * - The record layer (tls_feed) takes each direction's bytes in whatever
 *   pieces they come - one byte at a time will do - and cuts them into
 *   records (RFC 8446 5.1, RFC 5246 6.2). A record in the clear goes to the
 *   handshake layer. Records a side sends after its ChangeCipherSpec (TLS
 *   1.2 and below), and every record after a ServerHello that chose TLS
 *   1.3, are encrypted: counted, and handed to on_record whole, its 5 header
 *   bytes with it (an AEAD record's additional data), when keep_ciphertext
 *   asks for that; otherwise skipped as they come, never held.
 * - The handshake layer (tls_hs_feed) takes (content type, plaintext)
 *   pieces: the fragments of records in the clear, or what a decryption
 *   step recovers (TLS 1.3 EncryptedExtensions, Certificate,
 *   CertificateVerify, Finished, NewSessionTicket, KeyUpdate; TLS 1.2
 *   Finished). It puts handshake messages together across records and takes
 *   several out of one, parses them, and keeps what they say in struct
 *   tls_flow. Certificates are parsed with OpenSSL (d2i_X509).
 *
 * Anomalies (bytes that are not TLS, a record over the limit, a message that
 * does not parse, an alert, a gap that lost bytes) go to on_event, each kind
 * at most TLS_SAY_MAX times per direction; the parser never stops on them.
 * Every byte off the wire is read through util/cur.h.
 *
 * Memory: while a record or a handshake message is incomplete it is held -
 * at most TLS_RECORD_MAX + 5 bytes and hs_max bytes per direction (plus the
 * scan window after a gap, 2 * (TLS_RECORD_MAX + 5)); the storage is
 * counted in the account given (--max-held-mem's, util/memacct.h) and let go
 * when idle. What is kept of a flow is the fixed struct below (about 4 KB)
 * and up to TLS_CERTS_MAX certificates per direction (about 2 KB each).
 */
#ifndef SS_TLS_H
#define SS_TLS_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "memacct.h"
#include "stream.h"
#include "tlsnames.h"

/* --- limits (each one documented; reaching one is said, never fatal) ---- */

#define TLS_PLAIN_MAX 16384             /* a record in the clear (RFC 8446 5.1) */
#define TLS_RECORD_MAX (16384 + 2048)   /* any record (RFC 5246 6.2.3): past it, record_overflow */
#define TLS_HS_MAX_DEFAULT (256 * 1024) /* one handshake message kept whole, unless hs_max says */
#define TLS_LIST_MAX 128                /* entries kept of each list a hello offers */
#define TLS_NAME_MAX 255                /* bytes kept of the SNI host name (DNS: 253) */
#define TLS_ALPN_MAX 8                  /* ALPN protocols kept of a ClientHello */
#define TLS_ALPN_LEN 32                 /* bytes kept of one ALPN protocol name */
#define TLS_SMALL_MAX 16                /* compression methods, PSK modes kept */
#define TLS_CERTS_MAX 8                 /* certificates kept of one chain */
#define TLS_DN_MAX 512                  /* bytes of a subject or issuer line (cut with "...") */
#define TLS_SANS_MAX 1024               /* bytes of a certificate's SAN list (cut with "...") */
#define TLS_TYPES_MAX 32                /* handshake message types remembered in order */
#define TLS_SAY_MAX 3                   /* events of one kind said per direction */

enum tls_ct {
	TLS_CT_CCS = 20,
	TLS_CT_ALERT = 21,
	TLS_CT_HANDSHAKE = 22,
	TLS_CT_APPDATA = 23,
	TLS_CT_HEARTBEAT = 24,
};

enum tls_hs {
	TLS_HS_HELLO_REQUEST = 0,
	TLS_HS_CLIENT_HELLO = 1,
	TLS_HS_SERVER_HELLO = 2,
	TLS_HS_NEW_SESSION_TICKET = 4,
	TLS_HS_END_OF_EARLY_DATA = 5,
	TLS_HS_ENCRYPTED_EXTENSIONS = 8,
	TLS_HS_CERTIFICATE = 11,
	TLS_HS_SERVER_KEY_EXCHANGE = 12,
	TLS_HS_CERTIFICATE_REQUEST = 13,
	TLS_HS_SERVER_HELLO_DONE = 14,
	TLS_HS_CERTIFICATE_VERIFY = 15,
	TLS_HS_CLIENT_KEY_EXCHANGE = 16,
	TLS_HS_FINISHED = 20,
	TLS_HS_CERTIFICATE_STATUS = 22,
	TLS_HS_KEY_UPDATE = 24,
	TLS_HS_MESSAGE_HASH = 254,
};

#define TLS_V12 0x0303
#define TLS_V13 0x0304

/* How a session was resumed. */
enum tls_resume {
	TLS_RESUME_NO,         /* a full handshake (or not known yet) */
	TLS_RESUME_SESSION_ID, /* TLS <= 1.2: the server echoed the client's session ID */
	TLS_RESUME_TICKET,     /* TLS <= 1.2: a ticket (RFC 5077) was taken */
	TLS_RESUME_PSK,        /* TLS 1.3: the server chose a pre_shared_key */
};
const char *tls_resume_name(enum tls_resume r); /* "no", "session_id", "ticket", "psk" */

/* A list a hello offers, in its order; GREASE values are kept as sent. */
struct tls_list {
	uint16_t v[TLS_LIST_MAX];
	uint16_t n;     /* entries kept */
	uint32_t total; /* entries sent: more than n when the rest were not kept */
};

/* An ALPN protocol name (RFC 7301: opaque bytes); raw, escape to show. */
struct tls_alpn {
	uint8_t len; /* bytes kept, at most TLS_ALPN_LEN */
	uint8_t cut; /* the name was longer */
	uint8_t b[TLS_ALPN_LEN];
};

struct tls_client_hello {
	int seen;           /* ClientHellos seen (2 after a HelloRetryRequest) */
	int sslv2;          /* it came as an SSLv2-compatible CLIENT-HELLO (RFC 5246 E.2) */
	uint16_t version;   /* legacy_version (client_version) */
	uint8_t random[32]; /* what an NSS key log line is keyed on (its second field) */
	uint8_t sid_len;    /* legacy_session_id */
	uint8_t sid[32];
	struct tls_list suites;     /* cipher_suites */
	struct tls_list exts;       /* extension types, in order */
	struct tls_list versions;   /* supported_versions */
	struct tls_list groups;     /* supported_groups */
	struct tls_list key_shares; /* the groups of the key_share entries */
	struct tls_list sigalgs;    /* signature_algorithms */
	uint8_t comp[TLS_SMALL_MAX];
	uint8_t ncomp;
	uint8_t psk_modes[TLS_SMALL_MAX]; /* psk_key_exchange_modes */
	uint8_t npsk_modes;
	uint8_t sni[TLS_NAME_MAX]; /* the host_name of server_name (RFC 6066 3); raw bytes */
	uint16_t sni_len;          /* bytes kept */
	uint8_t sni_cut;           /* it was longer */
	struct tls_alpn alpn[TLS_ALPN_MAX];
	uint8_t nalpn;       /* kept */
	uint16_t alpn_total; /* offered */
	int psk;             /* pre_shared_key offered */
	uint16_t psk_ids;    /* its identities */
	int early_data;      /* early_data (0-RTT) */
	int ticket_ext;      /* session_ticket present (RFC 5077) */
	uint32_t ticket_len; /* its ticket's length (0: asks for one) */
	int ems, etm;        /* extended_master_secret, encrypt_then_mac */
	int reneg_info;      /* renegotiation_info, or the SCSV 0x00ff */
	int ech;             /* encrypted_client_hello */
	int cookie;          /* cookie (after a HelloRetryRequest) */
	int fallback_scsv;   /* TLS_FALLBACK_SCSV 0x5600 (RFC 7507) */
};

struct tls_server_hello {
	int seen;          /* ServerHellos seen (a HelloRetryRequest is not one) */
	uint16_t version;  /* legacy_version (server_version) */
	uint16_t selected; /* supported_versions; 0 when absent */
	uint8_t random[32];
	uint8_t sid_len;
	uint8_t sid[32];
	uint16_t suite;
	uint8_t comp;
	struct tls_list exts;
	int has_key_share;
	uint16_t key_share; /* the group of the server's share */
	int psk;            /* pre_shared_key: the server took one */
	uint16_t psk_id;    /* selected_identity */
	int ems, etm, reneg_info, ticket_ext, sni_ack;
	int has_alpn;
	struct tls_alpn alpn;
	int downgrade; /* the random ends in "DOWNGRD" 01 or 00 (RFC 8446 4.1.3) */
};

/* A HelloRetryRequest (RFC 8446 4.1.4): a ServerHello with the special
 * random of 4.1.3. */
struct tls_hrr {
	int seen;
	uint16_t version;  /* legacy_version */
	uint16_t selected; /* supported_versions */
	uint8_t sid_len;   /* legacy_session_id_echo */
	uint8_t sid[32];
	uint8_t comp;
	uint16_t suite;
	uint16_t group; /* key_share's selected_group; 0 when absent */
	int cookie;
	struct tls_list exts;
};

/* One certificate of a chain, as OpenSSL reads its DER. Text is escaped
 * (printable ASCII; RFC 2253's own escapes for names) and NUL-terminated. */
struct tls_cert {
	int ok; /* d2i_X509 took it (else only der_len and sha256 hold) */
	uint32_t der_len;
	uint8_t sha256[32];       /* of the DER */
	char subject[TLS_DN_MAX]; /* RFC 2253 one-line form */
	char issuer[TLS_DN_MAX];
	int64_t not_before; /* seconds since 1970, UTC; INT64_MIN when unreadable */
	int64_t not_after;
	char sans[TLS_SANS_MAX]; /* "DNS:mx.example.test, IP:127.0.0.1" (DNS and IP only) */
	uint16_t nsans;          /* DNS and IP names in it */
};

struct tls_chain {
	struct tls_cert *certs; /* owned: n of them, leaf first as sent */
	uint16_t n;             /* kept */
	uint16_t total;         /* sent */
	int seen;               /* Certificate messages seen */
};

/* What one direction did. */
struct tls_side {
	uint64_t bytes;               /* fed to the record layer */
	uint64_t records;             /* all of them */
	uint64_t enc_records;         /* encrypted */
	uint64_t enc_bytes;           /* their fragments' bytes */
	uint64_t appdata_records;     /* application_data (content type 23), in the clear or not */
	uint64_t hs_msgs;             /* handshake messages parsed */
	uint8_t types[TLS_TYPES_MAX]; /* their types, in order (the first TLS_TYPES_MAX) */
	uint8_t ntypes;
	uint32_t alerts;     /* alerts in the clear */
	uint8_t alert_level; /* the last of them */
	uint8_t alert_desc;
	uint32_t enc_alerts; /* alert records sent encrypted (TLS <= 1.2; 1.3 hides them) */
	uint32_t ccs;        /* ChangeCipherSpec records */
	int encrypted;       /* its records are encrypted from here on */
	int sslv2;           /* it spoke SSLv2 */
	int dead;            /* not TLS: its bytes are only counted */
	uint64_t gaps, gap_bytes;
	struct tls_chain chain; /* its Certificate */
	uint16_t cv_scheme;     /* its CertificateVerify's signature scheme (TLS >= 1.2) */
	int finished;           /* a Finished was read (in the clear or decrypted) */
};

/* An anomaly, for on_event. */
struct tls_event {
	const char *what; /* "tls_not_tls", "tls_record_overflow", ... (tls.c lists them) */
	enum ss_dir dir;
	uint64_t off; /* stream offset where it was */
	uint64_t frame;
	int64_t ts;
	const char *detail; /* words; untrusted parts escaped */
};

/* A record, for on_record: every one, in the clear or encrypted. */
struct tls_record {
	enum ss_dir dir;
	uint8_t type;
	uint16_t version;
	uint16_t len;
	const uint8_t *hdr;  /* its 5 header bytes (the AAD of TLS 1.2 and 1.3 AEAD records) */
	const uint8_t *frag; /* its len bytes; NULL when not held (below) */
	int encrypted;
	int damaged;      /* a gap took some of its bytes: frag is NULL */
	uint64_t enc_seq; /* encrypted: its number among this side's encrypted records, from 0 */
	uint64_t off;     /* stream offset of its first header byte */
	uint64_t frame;   /* the frame that completed it */
	int64_t ts;
};

/* A handshake message, for on_msg, after it was parsed into the flow. */
struct tls_msg {
	enum ss_dir dir;
	uint8_t type;
	uint32_t len;
	const uint8_t *body; /* len bytes; NULL when it was over hs_max */
	uint64_t frame;
	int64_t ts;
};

struct tls_flow;
typedef void tls_event_fn(void *ctx, struct tls_flow *t, const struct tls_event *e);
typedef void tls_record_fn(void *ctx, struct tls_flow *t, const struct tls_record *r);
typedef void tls_msg_fn(void *ctx, struct tls_flow *t, const struct tls_msg *m);

struct tls_opts {
	size_t hs_max;          /* longest handshake message kept whole; 0: TLS_HS_MAX_DEFAULT */
	int keep_ciphertext;    /* hold encrypted records whole for on_record (decryption) */
	struct memacct *acct;   /* held storage counted here (&ss_held), or NULL */
	tls_event_fn *on_event; /* anomalies; may be NULL */
	tls_record_fn *on_record;
	tls_msg_fn *on_msg;
	void *ctx;
};

/* --- inside: the record and handshake layers' state per direction -------- */

struct tls_rl {
	int state; /* tlsrec.c's */
	uint8_t hdr[5];
	uint8_t hlen;
	uint8_t sslv2;    /* this record has SSLv2's 2-byte header */
	uint8_t enc;      /* this record is encrypted */
	uint8_t over;     /* this record is over TLS_RECORD_MAX: skipped */
	uint8_t hold;     /* its bytes are held for on_record and the handshake layer */
	uint8_t damaged;  /* a gap took some of its bytes */
	uint8_t started;  /* a first record was seen */
	uint16_t len;     /* the record's length */
	uint16_t version; /* the last record's version */
	uint32_t got;     /* its bytes so far */
	struct buf body;  /* a record that crosses pieces */
	struct buf scan;  /* after a gap: bytes searched for the next header */
	uint64_t off;     /* stream offset of the record (when lost: of scan[0]) */
	uint64_t enc_seq;
};

struct tls_hsr {
	uint8_t hdr[4];
	uint8_t hlen;
	uint32_t mlen; /* the message's length */
	uint32_t got;
	int over; /* over hs_max: skipped, not held */
	int lost; /* after a gap: wait for a record that starts a message */
	struct buf msg;
	uint8_t alert[2];
	uint8_t alen;
};

/* --- the flow ------------------------------------------------------------ */

struct tls_flow {
	/* What the handshake said (both directions). */
	struct tls_client_hello ch;
	struct tls_server_hello sh;
	struct tls_hrr hrr;
	uint16_t version;           /* negotiated: 0 until a ServerHello says it */
	uint16_t suite;             /* negotiated */
	uint16_t group;             /* key exchange: the ServerHello's key_share (1.3), the
	                             * ServerKeyExchange's named curve (ECDHE); 0 unknown */
	uint16_t dh_bits;           /* finite-field DHE (TLS <= 1.2): the prime's bits */
	uint16_t ske_scheme;        /* TLS 1.2: the ServerKeyExchange's signature scheme */
	struct tls_list cr_sigalgs; /* a CertificateRequest's signature algorithms (TLS >= 1.2) */
	int has_alpn;               /* the protocol chosen (ServerHello, or EncryptedExtensions) */
	struct tls_alpn alpn;
	enum tls_resume resumed;
	int ems, etm;             /* extended master secret, encrypt-then-MAC in use */
	int early_data;           /* TLS 1.3: the server accepted 0-RTT (EncryptedExtensions) */
	uint32_t tickets;         /* NewSessionTicket messages read */
	uint32_t ticket_lifetime; /* the last one's (hint), seconds */
	uint32_t key_updates;     /* KeyUpdate messages read (decrypted) */
	struct tls_side side[2];

	/* Inside. */
	struct tls_opts o;
	struct tls_rl rl[2];
	struct tls_hsr hs[2];
	uint8_t said[2][16]; /* events said, by kind */
	int sent_cke;        /* the client sent a ClientKeyExchange: its CCS is TLS 1.2's */
	int abbrev_check;    /* TLS <= 1.2: the message after the ServerHello tells resumption */
};

/* A flow's parser with o's options (copied), or NULL without memory. */
struct tls_flow *tls_new(const struct tls_opts *o);
/* Frees t and what it holds; returns NULL. tls_free(NULL) does nothing. */
struct tls_flow *tls_free(struct tls_flow *t);

/* The record layer: n bytes of direction d at stream position at (at->off
 * is the offset of p[0]; frame and ts name where they came from). Every
 * byte is taken: the return value is n. Callbacks run from inside. */
size_t tls_feed(struct tls_flow *t, enum ss_dir d, const uint8_t *p, size_t n,
                const struct ss_pos *at);
/* len bytes of d never arrived (a TCP hole). Inside a record whose length
 * covers them, the record is damaged and the next one is where it should
 * be; else record boundaries are found again by looking for two
 * consecutive plausible headers. A handshake message in progress is lost. */
void tls_gap(struct tls_flow *t, enum ss_dir d, uint64_t len, const struct ss_pos *at);
/* The flow ended: a record or message left incomplete is said. */
void tls_end(struct tls_flow *t, const struct ss_pos *at);

/* The handshake layer: n bytes of plaintext of content type `type` from d -
 * a record's fragment, or a part of one (messages are put together
 * whatever the cuts). For a decryption step: TLS 1.3's inner content type
 * and content (padding taken off); TLS 1.2's decrypted fragment. Handshake
 * messages, alerts, ChangeCipherSpec and heartbeats are read; application
 * data is only counted. */
void tls_hs_feed(struct tls_flow *t, enum ss_dir d, uint8_t type, const uint8_t *p, size_t n,
                 const struct ss_pos *at);
/* Plaintext of d was lost (a record that could not be decrypted): the
 * message in progress is dropped, and the next piece that starts a message
 * is looked for. */
void tls_hs_gap(struct tls_flow *t, enum ss_dir d, const struct ss_pos *at);

/* Do the first bytes of a flow's client side look like TLS - a ClientHello
 * record, or an SSLv2-compatible CLIENT-HELLO? 1 yes, 0 too few bytes to
 * tell, -1 no. For TLS found on ports that are not its own. */
int tls_probe(const uint8_t *p, size_t n);

/* One line for people: "TLS 1.3 TLS_AES_256_GCM_SHA384 x25519
 * sni=mx.b.test alpn=smtp resumed=psk cert=\"CN=mx.b.test\"" (untrusted
 * text escaped); what is not known is left out. Returns what snprintf
 * would. */
int tls_describe(const struct tls_flow *t, char *buf, size_t len);
/* "2026-07-30 01:23:59" for seconds since 1970 (UTC); "?" when out of range. */
char *tls_time_str(int64_t t, char out[32]);

#endif
