/* err.c - filling a store_err: one helper for the client, the server and
 * its database layer. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>

#include "err.h"

store_code err_set(store_err *err, store_code code, const char *fmt, ...)
{
	va_list ap;
	err->code = code;
	err->db_ret = 0;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	va_end(ap);
	return code;
}


store_code err_oom(store_err *err)
{
	return err_set(err, STORE_STORAGE, "out of memory");
}
