/* exits.c - one map from store errors to exit statuses. */
#include "config.h"

#include "exits.h"

int exit_for_store(store_code c)
{
	switch (c) {
	case STORE_OK:
		return EXIT_DONE;
	case STORE_NOT_FOUND:
	case STORE_INVALID_STATE:
	case STORE_INVALID_INPUT:
	case STORE_READ_ONLY:
	case STORE_EXISTS:
		return EXIT_REFUSED;
	case STORE_FORMAT:
	case STORE_STORAGE:
		break;
	}
	return EXIT_STORAGE;
}
