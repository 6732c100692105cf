/* conf.h - the config file: one table of keys with their defaults. */
#ifndef SEETOP_CONF_H
#define SEETOP_CONF_H

#include <stdbool.h>
#include <stddef.h>

/* The statuses a colour can be set for (executions' and tasks' together). */
typedef enum conf_color_key {
	COLOR_RUNNING,
	COLOR_WAITING,
	COLOR_COMPLETE,
	COLOR_FAILED,
	COLOR_PENDING,
	COLOR_IN_PROGRESS,
	COLOR_KEY_COUNT
} conf_color_key;

typedef struct conf_color {
	int fg;      /* 0-7: black red green yellow blue magenta cyan white; -1 default */
	bool bold;
} conf_color;

typedef struct seetop_conf {
	char *home;         /* NULL: $SEETOP_HOME, then the XDG state folder */
	char *remote_seectl; /* the seectl an ssh:// home runs on its host; NULL: "seectl" */
	bool read_only;
	int refresh_ms;
	int max_fps;        /* pushed changes redraw at most this often a second */
	bool confirm;       /* ask before changing anything */
	char *actor;        /* NULL: the login name */
	bool mouse;
	bool local_time;    /* times on screen in local time (default: UTC) */
	conf_color color[COLOR_KEY_COUNT];
	char *path;         /* the file the settings came from; NULL = built-in defaults */
	char *hook_path;    /* the PATH of notification commands; NULL: CONF_HOOK_PATH_DEFAULT */
	bool remember_view; /* seetop keeps its filter and sort in this file (view_filter, view_sort) */
	char *view_filter;  /* seetop's status filter, as f names it; NULL: all */
	char *view_sort;    /* seetop's sort, as s names it, "-" first when reversed; NULL: started */
} seetop_conf;

/* The PATH the store server gives notification commands, unless the
 * config's hook_path says otherwise: never the PATH of whoever started it. */
#define CONF_HOOK_PATH_DEFAULT "/usr/local/bin:/usr/bin:/bin"

/* Fills in the built-in defaults. */
void conf_defaults(seetop_conf *c);
/* Finds and reads the config: `explicit_path` (--config), $SEETOP_CONFIG,
 * $XDG_CONFIG_HOME/seetop/config.yaml, ~/.config/seetop/config.yaml,
 * SYSCONFDIR/seetop/config.yaml, else the defaults.  0, or -1 with a
 * "FILE:LINE:COL: reason" message in err. */
int conf_load(seetop_conf *c, const char *explicit_path, char *err, size_t errlen);
/* Reads one file over the current settings. */
int conf_load_file(seetop_conf *c, const char *path, char *err, size_t errlen);
void conf_free(seetop_conf *c);

/* The home to use: `cli_home` (--home), $SEETOP_HOME, the config's `home`,
 * $XDG_STATE_HOME/seetop, ~/.local/state/seetop.  Newly allocated.  Sets
 * $SEETOP_REMOTE_SEECTL from the config's remote_seectl unless it is set. */
char *conf_home(const seetop_conf *c, const char *cli_home);
/* The actor: `cli_actor`, the config's, the login name. Newly allocated. */
char *conf_actor(const seetop_conf *c, const char *cli_actor);

const char *conf_color_key_name(conf_color_key k);
/* The documented keys, for --help and the man page. */
typedef struct conf_key_doc {
	const char *key;
	const char *def;
	const char *doc;
} conf_key_doc;
extern const conf_key_doc conf_keys[];

#endif
