/* probe.c - first-bytes probes for SMTP (RFC 5321 3.1, 4.1), POP3 (RFC 1939
 * 4), IMAP (RFC 9051 7.1) and DNS (RFC 1035 4.1.1, 4.2.2).
 *
 * Greetings decide alone where they are unambiguous ("+OK", "* OK"); a bare
 * "220" could be FTP, so SMTP waits for the word SMTP in it or for the
 * client's EHLO/HELO/LHLO.
 */
#include "probe.h"

#include <string.h>

#include "word.h"

/* Case-insensitive prefix test of wire bytes against an upper-case word
 * (no str*() on wire data: a NUL there is payload). */
static int has_prefix(const uint8_t *p, size_t n, const char *word)
{
	size_t i = 0;
	for (; word[i]; i++) {
		if (i >= n)
			return 0;
		uint8_t c = p[i];
		if (c >= 'a' && c <= 'z')
			c = (uint8_t)(c - 32);
		if (c != (uint8_t)word[i])
			return 0;
	}
	return 1;
}

/* Length of the first line (without its LF), or n when no LF came yet. */
static size_t first_line(const uint8_t *p, size_t n)
{
	const uint8_t *lf = memchr(p, '\n', n);
	return lf ? (size_t)(lf - p) : n;
}

static int contains_ci(const uint8_t *p, size_t n, const char *word)
{
	for (size_t i = 0; i < n; i++)
		if (has_prefix(p + i, n - i, word))
			return 1;
	return 0;
}

static int any_port(const struct ss_flow *f, const uint16_t *ports, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (f->ep[SS_S2C].port == ports[i])
			return 1;
	return 0;
}

/* A flow picked up mid-way on the protocol's own port whose first bytes
 * are a line of text: the middle of a message, a listing or a literal,
 * which no first-bytes test can know. Text is what mail is (RFC 5322 2.1:
 * US-ASCII; 8BITMIME and SMTPUTF8 add bytes over 127), so control bytes
 * other than TAB, CR and LF say it is something else. */
static enum ss_probe midstream_text(const struct ss_flow *f, const uint8_t *p, size_t n,
                                    int (*port)(const struct ss_flow *f))
{
	if (!f->midstream || !port(f))
		return SS_PROBE_NO;
	size_t line = first_line(p, n);
	for (size_t i = 0; i < line; i++)
		if (p[i] < 0x20 && p[i] != '\t' && !(p[i] == '\r' && i + 1 == line))
			return SS_PROBE_NO;
	return line < n ? SS_PROBE_YES : n >= 998 ? SS_PROBE_NO : SS_PROBE_MORE;
}

enum ss_probe probe_smtp(const struct ss_flow *f, enum ss_dir d, const uint8_t *p, size_t n)
{
	if (f->proto != 6 || n == 0)
		return n ? SS_PROBE_NO : SS_PROBE_MORE;
	size_t line = first_line(p, n);
	int whole = line < n;
	if (d == SS_S2C) {
		if (n < 4)
			return (p[0] == '2' || p[0] == '5' || p[0] == '4') ? SS_PROBE_MORE
			                                                   : SS_PROBE_NO;
		if (p[0] < '2' || p[0] > '5' || p[1] < '0' || p[1] > '9' || p[2] < '0' ||
		    p[2] > '9' || (p[3] != ' ' && p[3] != '-' && p[3] != '\r'))
			return SS_PROBE_NO;
		if (contains_ci(p, line, "SMTP") || (f->midstream && port_smtp(f)))
			return SS_PROBE_YES;
		return SS_PROBE_MORE; /* FTP greets with 220 too: wait for the client */
	}
	/* The first word, after any white space, up to SP, HTAB or the line
	 * end: servers split commands so (Postfix on any white space). */
	size_t i = 0;
	while (i < line && (p[i] == ' ' || p[i] == '\t'))
		i++;
	size_t v = i;
	while (v < line && p[v] != ' ' && p[v] != '\t' && p[v] != '\r')
		v++;
	if (v == line && !whole)
		return v - i < 9 ? SS_PROBE_MORE : SS_PROBE_NO; /* the word goes on */
	/* RFC 5321 4.1's verbs and the extensions': a session may open with
	 * any (NOOP, RSET, HELP are legal first), or be picked up at a later
	 * one. */
	static const struct {
		const char *w;
		size_t n;
	} verbs[] = {{LIT("EHLO")},    {LIT("HELO")},     {LIT("LHLO")}, {LIT("MAIL")},
	             {LIT("RCPT")},    {LIT("DATA")},     {LIT("BDAT")}, {LIT("RSET")},
	             {LIT("VRFY")},    {LIT("EXPN")},     {LIT("HELP")}, {LIT("NOOP")},
	             {LIT("QUIT")},    {LIT("STARTTLS")}, {LIT("AUTH")}, {LIT("ETRN")},
	             {LIT("XCLIENT")}, {LIT("XFORWARD")}};
	for (size_t k = 0; k < sizeof verbs / sizeof verbs[0]; k++)
		if (word_is(p + i, v - i, verbs[k].w, verbs[k].n))
			return SS_PROBE_YES;
	return midstream_text(f, p, n, port_smtp);
}

enum ss_probe probe_pop3(const struct ss_flow *f, enum ss_dir d, const uint8_t *p, size_t n)
{
	if (f->proto != 6)
		return SS_PROBE_NO;
	if (d == SS_S2C) {
		if (has_prefix(p, n, "+OK"))
			return SS_PROBE_YES;
		if (n < 3 && (!n || p[0] == '+'))
			return SS_PROBE_MORE;
		return midstream_text(f, p, n, port_pop3);
	}
	static const char *const cmds[] = {"USER ", "APOP ",  "CAPA\r", "CAPA\n",
	                                   "AUTH ", "STLS\r", "USER\t", "APOP\t"};
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
		if (has_prefix(p, n, cmds[i]))
			return SS_PROBE_YES;
	if (n >= 6 || first_line(p, n) < n)
		return midstream_text(f, p, n, port_pop3);
	return SS_PROBE_MORE;
}

enum ss_probe probe_imap(const struct ss_flow *f, enum ss_dir d, const uint8_t *p, size_t n)
{
	if (f->proto != 6)
		return SS_PROBE_NO;
	if (d == SS_S2C) {
		static const char *const greet[] = {"* OK", "* PREAUTH", "* BYE"};
		for (size_t i = 0; i < sizeof greet / sizeof greet[0]; i++)
			if (has_prefix(p, n, greet[i]))
				return SS_PROBE_YES;
		/* A greeting that has not fully arrived: "*", "* ", "* O"... */
		if (n < 9 && n && p[0] == '*' && (n < 2 || p[1] == ' '))
			return SS_PROBE_MORE;
		return midstream_text(f, p, n, port_imap);
	}
	/* tag SP command: the tag is any run of ASTRING-CHAR but '+'. */
	size_t line = first_line(p, n), i = 0;
	while (i < line && p[i] > ' ' && p[i] < 127 && p[i] != '(' && p[i] != ')' && p[i] != '{' &&
	       p[i] != '%' && p[i] != '*' && p[i] != '"' && p[i] != '\\' && p[i] != '+')
		i++;
	if (i == line && line == n)
		return n < 64 ? SS_PROBE_MORE : SS_PROBE_NO;
	if (i == 0 || p[i] != ' ')
		return midstream_text(f, p, n, port_imap);
	static const char *const cmds[] = {"CAPABILITY", "LOGIN ", "AUTHENTICATE ",
	                                   "STARTTLS",   "ID ",    "SELECT ",
	                                   "EXAMINE ",   "NOOP",   "LOGOUT"};
	for (size_t k = 0; k < sizeof cmds / sizeof cmds[0]; k++)
		if (has_prefix(p + i + 1, line - i - 1, cmds[k]))
			return SS_PROBE_YES;
	return line < n || n >= 64 ? midstream_text(f, p, n, port_imap) : SS_PROBE_MORE;
}

/* A DNS header that could be real: a known opcode, and section counts a
 * message of this size could hold (every record needs at least 11 bytes,
 * every question 5). */
static int dns_plausible(const uint8_t *p, size_t n, size_t msglen)
{
	if (n < 12 || msglen < 12)
		return 0;
	unsigned opcode = (p[2] >> 3) & 15;
	unsigned qd = (unsigned)(p[4] << 8 | p[5]), an = (unsigned)(p[6] << 8 | p[7]);
	unsigned ns = (unsigned)(p[8] << 8 | p[9]), ar = (unsigned)(p[10] << 8 | p[11]);
	if (opcode == 3 || opcode > 6)
		return 0;
	return 12 + (size_t)qd * 5 + ((size_t)an + ns + ar) * 11 <= msglen;
}

int port_dns(const struct ss_flow *f)
{
	static const uint16_t ports[] = {53, 5353, 5355};
	return any_port(f, ports, 3) || f->ep[SS_C2S].port == 53 || f->ep[SS_C2S].port == 5353;
}

enum ss_probe probe_dns(const struct ss_flow *f, enum ss_dir d, const uint8_t *p, size_t n)
{
	(void)d;
	if (!port_dns(f))
		return SS_PROBE_NO;
	if (f->proto == 17)
		return dns_plausible(p, n, n) ? SS_PROBE_YES : SS_PROBE_NO;
	if (n >= 2 && (size_t)(p[0] << 8 | p[1]) < 12)
		return SS_PROBE_NO; /* no DNS message is shorter than its header */
	if (n < 14)
		return SS_PROBE_MORE;
	size_t len = (size_t)(p[0] << 8 | p[1]);
	return dns_plausible(p + 2, n - 2, len) ? SS_PROBE_YES : SS_PROBE_NO;
}

int port_smtp(const struct ss_flow *f)
{
	/* 465 is SMTP inside TLS from the first byte: not hinted. */
	static const uint16_t ports[] = {25, 587, 2525, 10025, 24};
	return f->proto == 6 && any_port(f, ports, 5);
}

int port_pop3(const struct ss_flow *f)
{
	static const uint16_t ports[] = {110};
	return f->proto == 6 && any_port(f, ports, 1);
}

int port_imap(const struct ss_flow *f)
{
	static const uint16_t ports[] = {143};
	return f->proto == 6 && any_port(f, ports, 1);
}
