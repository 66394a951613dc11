/* privs.h - giving up privileges once the capture is open (-Z, capabilities).
 *
 * smtpsniff needs privileges for one thing only: opening a live interface
 * (root, or CAP_NET_RAW and CAP_NET_ADMIN). Everything after that parses
 * hostile bytes, so it runs with none: another user when -Z asks (as
 * tcpdump), and in every case with no capability left in any set (effective,
 * permitted, inheritable, ambient, and the bounding set when it may be
 * changed) and with no_new_privs set, so that not even an execve can give
 * any back.
 */
#ifndef SS_PRIVS_H
#define SS_PRIVS_H

#include <stddef.h>

/* -Z user: as root, becomes user (its groups, its gid, its uid) for good,
 * after emptying the capability bounding set while that is still allowed.
 * Not as root, user must be the one smtpsniff already runs as: another is
 * refused rather than ignored. Returns 0, or -1 with the reason in why. */
int privs_become(const char *user, char *why, size_t len);

/* Gives up every capability of the calling thread (and of the threads it
 * starts afterwards), a set-user-ID's saved ids, and sets no_new_privs.
 * Returns 0, or -1 with the reason in why when a capability is left. */
int privs_drop_all(char *why, size_t len);

#endif
