/* lab/keylog.c - a preload library that makes a daemon linked with OpenSSL
 * write its TLS secrets to $SSLKEYLOGFILE, one NSS key log line each
 * (RFC 9850), as Firefox, curl and Python do.
 *
 * OpenSSL 3.0 (Debian 12) reads no SSLKEYLOGFILE of its own; it offers
 * SSL_CTX_set_keylog_callback(). lab/up builds this file into
 * $state/tls/keylog.so and puts it in the environment of Postfix (through
 * import_environment: Postfix passes nothing else to its daemons) and of
 * Dovecot (its own import_environment). Every SSL_new() is wrapped: the
 * context it is made from gets the callback first, so every connection of
 * every context logs, whatever the program set up.
 *
 * The file is opened when the library is loaded, before the daemon drops
 * its privileges or chroots (Dovecot's login processes do both), with
 * O_APPEND: each line is one write() of less than PIPE_BUF, so the lines of
 * many processes writing the same file never mix. Lab use only: the file
 * holds what decrypts every session.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <openssl/ssl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int keylog_fd = -1;

__attribute__((constructor)) static void keylog_open(void)
{
	const char *path = getenv("SSLKEYLOGFILE");
	if (path && *path)
		keylog_fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
}

static void keylog_line(const SSL *ssl, const char *line)
{
	(void)ssl;
	char buf[512];
	size_t n = strlen(line);
	if (keylog_fd < 0 || n + 1 > sizeof buf)
		return;
	memcpy(buf, line, n);
	buf[n++] = '\n';
	/* One write: O_APPEND keeps it whole against other processes. */
	if (write(keylog_fd, buf, n) != (ssize_t)n)
		return;
}

SSL *SSL_new(SSL_CTX *ctx)
{
	static SSL *(*real)(SSL_CTX *);
	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "SSL_new");
	if (!real)
		return NULL;
	if (ctx && keylog_fd >= 0 && !SSL_CTX_get_keylog_callback(ctx))
		SSL_CTX_set_keylog_callback(ctx, keylog_line);
	return real(ctx);
}
