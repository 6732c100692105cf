/* dbs_errmap.c - what a Berkeley DB or system error means to the user: the
 * message of a failed call (with what Berkeley DB said of it), and the
 * causes that are the system's and not damage (a permission, a full disk,
 * a read-only file system), named so that nobody restores a backup over a
 * home that was never damaged. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dbs_errmap.h"

store_code err_db(dbs *st, store_err *err, int ret, const char *fmt, ...)
{
	va_list ap;
	char what[512];
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	err->code = STORE_STORAGE;
	err->db_ret = ret;
	if (ret == DB_REP_HANDLE_DEAD) /* what dbs_txn.c could not mend by opening them again */
		snprintf(err->msg, sizeof err->msg, "%s: the replication group rolled back changes this site had "
			 "committed without a quorum, and its databases' handles died with them: send the request "
			 "again (its request id makes a change happen once)", what);
	else if (st && st->dbmsg[0] && ret != DB_LOCK_DEADLOCK && ret != DB_LOCK_NOTGRANTED)
		snprintf(err->msg, sizeof err->msg, "%s: %s (%s)", what, db_strerror(ret), st->dbmsg);
	else
		snprintf(err->msg, sizeof err->msg, "%s: %s", what, db_strerror(ret));
	return STORE_STORAGE;
}

/* A cause of the system's, not damage: a file the server may not open, a
 * full disk, a read-only file system, an I/O error.  Sets the message
 * (naming the file when one is named) and returns true. */
bool err_system(const char *home, int ret, const char *msgs, const char *file, store_err *err)
{
	static const int causes[] = { EACCES, EPERM, ENOSPC, EDQUOT, EROFS, EIO };
	int cause = 0;
	for (size_t i = 0; i < sizeof causes / sizeof *causes && !cause; i++)
		if (ret == causes[i] || (msgs && strstr(msgs, strerror(causes[i]))))
			cause = causes[i];
	if (!cause)
		return false;
	err->code = STORE_STORAGE;
	err->db_ret = cause;
	if (cause == EACCES || cause == EPERM)
		snprintf(err->msg, sizeof err->msg, "cannot open home '%s': permission denied on %s: give the home's files "
			 "back to its owner (chown, chmod 600), then run the command again", home, file ? file : "one of its files");
	else if (cause == ENOSPC || cause == EDQUOT)
		snprintf(err->msg, sizeof err->msg, "cannot open home '%s': no space left on its device%s%s: free some "
			 "space, then run the command again", home, file ? " writing " : "", file ? file : "");
	else
		snprintf(err->msg, sizeof err->msg, "cannot open home '%s': %s%s%s: fix the file system, then run the "
			 "command again", home, strerror(cause), file ? " on " : "", file ? file : "");
	return true;
}

store_code err_damaged(dbs *st, store_err *err, int ret, const char *file)
{
	err_db(st, err, ret, "cannot open %s/%s", st->home, file);
	err->code = STORE_FORMAT;
	snprintf(err->msg + strlen(err->msg), sizeof err->msg - strlen(err->msg),
		 "; the file is damaged: restore it from a backup or run db_recover -c -h '%s'", st->home);
	return STORE_FORMAT;
}
