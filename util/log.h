/* log.h - diagnostics on stderr and the documented exit codes (Postfix msg_*).
 *
 * Three kinds of trouble are kept apart: bad input is an event on a flow (see
 * event.h) and never exits; a failing environment is ss_fatal() with one of
 * the exit codes below; a broken invariant is ss_panic(), which aborts.
 */
#ifndef SS_LOG_H
#define SS_LOG_H

#include <stdarg.h>

/* Exit codes, documented in docs/smtpsniff.1 and --help. */
enum ss_exit {
	SS_EXIT_OK = 0,
	SS_EXIT_DISAGREE = 1, /* a verification disagreed (--verify/--expect) */
	SS_EXIT_USAGE = 2,    /* bad command line, or input that is not a usable capture */
	SS_EXIT_ENV = 3,      /* the system refused: device, permissions, privileges */
	SS_EXIT_OUTPUT = 4,   /* an output could not be written (-w, --streams, stdout) */
};

#if defined(__GNUC__)
#define SS_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define SS_NORETURN __attribute__((noreturn))
#else
#define SS_PRINTF(f, a)
#define SS_NORETURN
#endif

/* The name diagnostics start with; set once by main. */
void ss_log_progname(const char *name);
/* 0 quiet, 1 warnings (default), 2 and up: -v. */
extern int ss_log_level;

void ss_warn(const char *fmt, ...) SS_PRINTF(1, 2);
/* An error that does not end the run by itself (the caller decides the exit). */
void ss_error(const char *fmt, ...) SS_PRINTF(1, 2);
void ss_info(const char *fmt, ...) SS_PRINTF(1, 2);
void ss_fatal(enum ss_exit code, const char *fmt, ...) SS_PRINTF(2, 3) SS_NORETURN;
void ss_panic(const char *fmt, ...) SS_PRINTF(1, 2) SS_NORETURN;

/* Registers a function ss_fatal() calls before exiting, so that what was
 * already captured is flushed (one hook; main sets it). */
void ss_log_atfatal(void (*fn)(void));

#endif
