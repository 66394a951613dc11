/* privs.c - -Z and the capabilities, with plain system calls.
 *
 * No libcap: capset(2) and prctl(2) say all that is needed, and smtpsniff
 * takes no new package for it. The order matters:
 *   1. the bounding set is emptied while CAP_SETPCAP is still there (as
 *      root, before -Z changes the uid: afterwards it is not allowed);
 *   2. -Z: groups, gid, then uid (setuid() from root clears the
 *      capabilities, KEEPCAPS being off);
 *   3. every set is emptied with capset(), the ambient set cleared, and
 *      no_new_privs set.
 * Capabilities belong to a thread: privs_drop_all() runs before smtpsniff
 * starts any thread of its own, and those threads inherit what is left.
 *
 * No seccomp filter: libpcap (a live ring, or a file), glibc, iconv and
 * the crypto library together call more system calls than a list kept
 * here could follow, and a missing one would kill an honest run. With no
 * capability and no_new_privs, what is left to a compromised parser is
 * what its user may do.
 */
#define _GNU_SOURCE
#include "privs.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The kernel's capability sets, version 3: two 32-bit words each. */
static int caps_get(struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	memset(d, 0, 2 * sizeof d[0]);
	return (int)syscall(SYS_capget, &h, d);
}

static int caps_set_none(void)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2];
	memset(d, 0, sizeof d);
	return (int)syscall(SYS_capset, &h, d);
}

/* Empties the bounding set where allowed (CAP_SETPCAP in effect). Without
 * that capability nothing can be dropped, and nothing is needed: a process
 * without CAP_SETPCAP and with no_new_privs gains nothing from the bounding
 * set. PR_CAPBSET_READ fails past the last capability the kernel knows. */
static void bounding_drop(void)
{
	for (unsigned long cap = 0; cap < 64; cap++) {
		int in = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
		if (in < 0)
			break;
		if (in && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno == EPERM)
			break;
	}
}

int privs_become(const char *user, char *why, size_t len)
{
	struct passwd *pw = getpwnam(user);
	if (!pw) {
		snprintf(why, len, "no user %s", user);
		return -1;
	}
	if (geteuid() != 0 && getuid() != 0) {
		/* Only root changes user: -Z naming someone else is an error,
		 * not a silent no-op (the run would not be who was asked). */
		if (pw->pw_uid == getuid() && pw->pw_uid == geteuid())
			return 0;
		snprintf(why, len, "cannot become %s: only root can, and smtpsniff runs as uid %u",
		         user, (unsigned)geteuid());
		return -1;
	}
	bounding_drop();
	if (initgroups(pw->pw_name, pw->pw_gid) || setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid)) {
		snprintf(why, len, "cannot become %s: %s", user, strerror(errno));
		return -1;
	}
	if (pw->pw_uid != 0 && setuid(0) == 0) { /* must not be able to come back */
		snprintf(why, len, "still able to regain root after becoming %s", user);
		return -1;
	}
	return 0;
}

int privs_drop_all(char *why, size_t len)
{
	/* A set-user-ID or set-group-ID install: give the saved ids up, as
	 * tcpdump does once the device is open. */
	uid_t uid = getuid();
	gid_t gid = getgid();
	if ((getegid() != gid && setresgid(gid, gid, gid)) ||
	    (geteuid() != uid && setresuid(uid, uid, uid))) {
		snprintf(why, len, "cannot give up the set-user-ID: %s", strerror(errno));
		return -1;
	}
	prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
	bounding_drop();
	/* EINVAL: a kernel before 4.3 has no ambient set to clear */
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if (caps_set_none()) {
		snprintf(why, len, "cannot give up the capabilities: %s", strerror(errno));
		return -1;
	}
	struct __user_cap_data_struct d[2];
	if (caps_get(d) || d[0].effective || d[1].effective || d[0].permitted || d[1].permitted ||
	    d[0].inheritable || d[1].inheritable) {
		snprintf(why, len, "capabilities are left after giving them up");
		return -1;
	}
	/* EINVAL: a kernel before 3.5, which knows no such promise */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) && errno != EINVAL) {
		snprintf(why, len, "cannot set no_new_privs: %s", strerror(errno));
		return -1;
	}
	return 0;
}
