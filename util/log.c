/* log.c - diagnostics on stderr and exits. */
#include "log.h"

#include <stdio.h>
#include <stdlib.h>

int ss_log_level = 1;
static const char *progname = "smtpsniff";
static void (*atfatal)(void);

void ss_log_progname(const char *name)
{
	progname = name;
}

void ss_log_atfatal(void (*fn)(void))
{
	atfatal = fn;
}

SS_PRINTF(2, 0) static void vsay(const char *kind, const char *fmt, va_list ap)
{
	fflush(stdout);
	fprintf(stderr, "%s: %s", progname, kind);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void ss_warn(const char *fmt, ...)
{
	if (ss_log_level < 1)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsay("warning: ", fmt, ap);
	va_end(ap);
}

void ss_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsay("", fmt, ap);
	va_end(ap);
}

void ss_info(const char *fmt, ...)
{
	if (ss_log_level < 2)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsay("", fmt, ap);
	va_end(ap);
}

void ss_fatal(enum ss_exit code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsay("", fmt, ap);
	va_end(ap);
	void (*fn)(void) = atfatal;
	atfatal = NULL; /* a fatal error inside the hook must not recurse */
	if (fn)
		fn();
	exit(code);
}

void ss_panic(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsay("panic: ", fmt, ap);
	va_end(ap);
	abort();
}
