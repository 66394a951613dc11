/* check.h - the tests' one assertion: CHECK(cond) counts the check and,
 * when cond is false, the failure, with its line and text. main() reports
 * checks and failures and fails when there were any. */
#ifndef SS_CHECK_H
#define SS_CHECK_H

#include <stdio.h>

static int failures, checks;

#define CHECK(cond) check((cond), #cond, __LINE__)
static inline int check(int ok, const char *what, int line)
{
	checks++;
	if (!ok) {
		failures++;
		printf("FAIL line %d: %s\n", line, what);
	}
	return ok;
}

#endif
