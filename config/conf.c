/* conf.c - the config file: one table of keys with their defaults. */
#include "config.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "ytree.h"

/* The one place that holds the defaults: conf_defaults() and the man page
 * seetop.yaml(5) follow this table. */
const conf_key_doc conf_keys[] = {
	{ "home", "~/.local/state/seetop", "the store's home directory" },
	{ "read_only", "false", "open the store read-only: watch without changing anything" },
	{ "refresh_ms", "1000", "how often the dashboard checks for changes (50-60000)" },
	{ "max_fps", "10", "the most times a second pushed changes redraw the dashboard (1-120); keys are answered at once" },
	{ "confirm", "true", "ask before every change" },
	{ "actor", "(login name)", "the name recorded in the audit trail" },
	{ "mouse", "true", "clicks select rows in the dashboard" },
	{ "local_time", "false", "show times in local time (default: every time in UTC)" },
	{ "colors", "(see below)", "a map from status to colour: NAME or \"bold NAME\"" },
	{ "hook_path", CONF_HOOK_PATH_DEFAULT, "the PATH the store server gives notification commands" },
	{ "remote_seectl", "seectl", "the seectl an ssh:// home runs on its host ($SEETOP_REMOTE_SEECTL wins)" },
	{ "remember_view", "false", "seetop writes its filter (f) and sort (s, S) here as view_filter and view_sort when it quits" },
	{ "view_filter", "all", "seetop's status filter: all, waiting, paused, running, failed or complete" },
	{ "view_sort", "started", "seetop's sort: started, age, deadline, status or workflow; a leading - reverses it" },
	{ NULL, NULL, NULL },
};

static const char *const color_keys[COLOR_KEY_COUNT] = {
	[COLOR_RUNNING] = "running",         [COLOR_WAITING] = "waiting-for-input",
	[COLOR_COMPLETE] = "complete",       [COLOR_FAILED] = "failed",
	[COLOR_PENDING] = "pending",         [COLOR_IN_PROGRESS] = "in-progress",
};

static const conf_color color_defaults[COLOR_KEY_COUNT] = {
	[COLOR_RUNNING] = { 6, false },      [COLOR_WAITING] = { 3, true },
	[COLOR_COMPLETE] = { 2, false },     [COLOR_FAILED] = { 1, true },
	[COLOR_PENDING] = { -1, false },     [COLOR_IN_PROGRESS] = { 6, false },
};

static const char *const color_names[] = { "black", "red", "green", "yellow", "blue", "magenta", "cyan", "white" };

const char *conf_color_key_name(conf_color_key k)
{
	return (unsigned)k < COLOR_KEY_COUNT ? color_keys[k] : "unknown";
}

void conf_defaults(seetop_conf *c)
{
	memset(c, 0, sizeof *c);
	c->refresh_ms = 1000;
	c->max_fps = 10;
	c->confirm = true;
	c->mouse = true;
	memcpy(c->color, color_defaults, sizeof c->color);
}

void conf_free(seetop_conf *c)
{
	free(c->home);
	free(c->remote_seectl);
	free(c->actor);
	free(c->path);
	free(c->hook_path);
	free(c->view_filter);
	free(c->view_sort);
	memset(c, 0, sizeof *c);
}

static int scalar_of(yreader *r, const ynode *v, const char *key)
{
	if (v->kind != YN_SCALAR || ynode_is_null(v))
		return yreader_fail(r, v, "'%s' must be a string", key);
	return 0;
}

static int set_bool(yreader *r, const ynode *v, const char *key, bool *out)
{
	if (!ynode_bool(v, out))
		return yreader_fail(r, v, "'%s' must be true or false", key);
	return 0;
}

static int parse_color(yreader *r, const ynode *v, conf_color *out)
{
	if (v->kind != YN_SCALAR)
		return yreader_fail(r, v, "a colour must be a name such as \"yellow\" or \"bold red\"");
	const char *s = v->val;
	conf_color c = { -1, false };
	if (strncmp(s, "bold ", 5) == 0) {
		c.bold = true;
		s += 5;
	}
	if (strcmp(s, "default") != 0) {
		int found = -1;
		for (int i = 0; i < 8; i++)
			if (strcmp(s, color_names[i]) == 0)
				found = i;
		if (found < 0)
			return yreader_fail(r, v, "unknown colour '%s' (black, red, green, yellow, blue, magenta, cyan, "
					    "white or default, optionally after \"bold\")", s);
		c.fg = found;
	}
	*out = c;
	return 0;
}

static int apply(seetop_conf *c, yreader *r, const ynode *root)
{
	if (!root)
		return 0; /* an empty file: the defaults */
	if (root->kind != YN_MAP)
		return yreader_fail(r, root, "the config must be a mapping of keys to values");
	for (size_t i = 0; i + 1 < root->n; i += 2) {
		const ynode *k = root->items[i], *v = root->items[i + 1];
		if (k->kind != YN_SCALAR)
			return yreader_fail(r, k, "keys must be plain names");
		for (size_t j = 0; j < i; j += 2)
			if (strcmp(root->items[j]->val, k->val) == 0)
				return yreader_fail(r, k, "duplicate key '%s'", k->val);
		const char *key = k->val;
		if (strcmp(key, "home") == 0) {
			if (scalar_of(r, v, key) < 0)
				return -1;
			free(c->home);
			c->home = strdup(v->val);
		} else if (strcmp(key, "remote_seectl") == 0) {
			if (scalar_of(r, v, key) < 0)
				return -1;
			free(c->remote_seectl);
			c->remote_seectl = strdup(v->val);
		} else if (strcmp(key, "read_only") == 0) {
			if (set_bool(r, v, key, &c->read_only) < 0)
				return -1;
		} else if (strcmp(key, "confirm") == 0) {
			if (set_bool(r, v, key, &c->confirm) < 0)
				return -1;
		} else if (strcmp(key, "mouse") == 0) {
			if (set_bool(r, v, key, &c->mouse) < 0)
				return -1;
		} else if (strcmp(key, "remember_view") == 0) {
			if (set_bool(r, v, key, &c->remember_view) < 0)
				return -1;
		} else if (strcmp(key, "view_filter") == 0 || strcmp(key, "view_sort") == 0) {
			if (scalar_of(r, v, key) < 0)
				return -1;
			if (v->len == 0 || v->len > 20 || strlen(v->val) != v->len)
				return yreader_fail(r, v, "'%s' must be a word such as %s", key,
						    key[5] == 'f' ? "waiting" : "deadline");
			char **to = key[5] == 'f' ? &c->view_filter : &c->view_sort;
			free(*to);
			*to = strdup(v->val);
		} else if (strcmp(key, "local_time") == 0) {
			if (set_bool(r, v, key, &c->local_time) < 0)
				return -1;
		} else if (strcmp(key, "max_fps") == 0) {
			char *end;
			errno = 0;
			long fps = v->kind == YN_SCALAR ? strtol(v->val, &end, 10) : 0;
			if (v->kind != YN_SCALAR || errno || *end || end == v->val || fps < 1 || fps > 120)
				return yreader_fail(r, v, "'max_fps' must be a whole number from 1 to 120");
			c->max_fps = (int)fps;
		} else if (strcmp(key, "refresh_ms") == 0) {
			char *end;
			errno = 0;
			long ms = v->kind == YN_SCALAR ? strtol(v->val, &end, 10) : 0;
			if (v->kind != YN_SCALAR || errno || *end || end == v->val || ms < 50 || ms > 60000)
				return yreader_fail(r, v, "'refresh_ms' must be a whole number from 50 to 60000");
			c->refresh_ms = (int)ms;
		} else if (strcmp(key, "actor") == 0) {
			if (scalar_of(r, v, key) < 0)
				return -1;
			if (v->len == 0 || v->len > 100 || strlen(v->val) != v->len)
				return yreader_fail(r, v, "'actor' must be 1-100 characters");
			free(c->actor);
			c->actor = strdup(v->val);
		} else if (strcmp(key, "hook_path") == 0) {
			if (scalar_of(r, v, key) < 0)
				return -1;
			if (v->len == 0 || v->len > 4000 || strlen(v->val) != v->len)
				return yreader_fail(r, v, "'hook_path' must be 1-4000 characters: directories joined by ':'");
			free(c->hook_path);
			c->hook_path = strdup(v->val);
		} else if (strcmp(key, "colors") == 0 || strcmp(key, "colours") == 0) {
			if (v->kind != YN_MAP)
				return yreader_fail(r, v, "'colors' must map statuses to colours");
			for (size_t m = 0; m + 1 < v->n; m += 2) {
				const ynode *sk = v->items[m];
				int idx = -1;
				for (int s = 0; sk->kind == YN_SCALAR && s < COLOR_KEY_COUNT; s++)
					if (strcmp(sk->val, color_keys[s]) == 0)
						idx = s;
				if (idx < 0)
					return yreader_fail(r, sk, "unknown status '%s' in colors", sk->kind == YN_SCALAR ? sk->val : "?");
				if (parse_color(r, v->items[m + 1], &c->color[idx]) < 0)
					return -1;
			}
		} else {
			return yreader_fail(r, k, "unknown key '%s'", key);
		}
	}
	return 0;
}

int conf_load_file(seetop_conf *c, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	yreader r;
	ynode *root = NULL;
	int rc = yreader_open(&r, f, path);
	if (rc == 0)
		rc = yreader_document(&r, &root);
	if (rc == 0)
		rc = apply(c, &r, root);
	if (rc < 0)
		snprintf(err, errlen, "%s", r.err);
	ynode_unref(root);
	yreader_close(&r);
	fclose(f);
	if (rc == 0) {
		free(c->path);
		c->path = strdup(path);
	}
	return rc;
}

static const char *home_dir(void)
{
	const char *h = getenv("HOME");
	if (h && *h)
		return h;
	struct passwd *pw = getpwuid(getuid());
	return pw ? pw->pw_dir : "/";
}

int conf_load(seetop_conf *c, const char *explicit_path, char *err, size_t errlen)
{
	char path[4096];
	if (explicit_path)
		return conf_load_file(c, explicit_path, err, errlen);
	const char *env = getenv("SEETOP_CONFIG");
	if (env && *env)
		return conf_load_file(c, env, err, errlen);
	const char *xdg = getenv("XDG_CONFIG_HOME");
	if (xdg && *xdg)
		snprintf(path, sizeof path, "%s/seetop/config.yaml", xdg);
	else
		snprintf(path, sizeof path, "%s/.config/seetop/config.yaml", home_dir());
	if (access(path, F_OK) == 0)
		return conf_load_file(c, path, err, errlen);
	if (xdg && *xdg) {
		snprintf(path, sizeof path, "%s/.config/seetop/config.yaml", home_dir());
		if (access(path, F_OK) == 0)
			return conf_load_file(c, path, err, errlen);
	}
	snprintf(path, sizeof path, "%s/seetop/config.yaml", SYSCONFDIR);
	if (access(path, F_OK) == 0)
		return conf_load_file(c, path, err, errlen);
	return 0;
}

static char *expand_tilde(const char *p)
{
	char buf[4096];
	if (p[0] == '~' && (p[1] == '/' || p[1] == '\0')) {
		snprintf(buf, sizeof buf, "%s%s", home_dir(), p + 1);
		return strdup(buf);
	}
	return strdup(p);
}

char *conf_home(const seetop_conf *c, const char *cli_home)
{
	char buf[4096];
	/* the library reads the remote seectl of an ssh:// home from the
	 * environment: the config's, unless the environment names one */
	const char *rs = getenv("SEETOP_REMOTE_SEECTL");
	if (c && c->remote_seectl && !(rs && *rs))
		setenv("SEETOP_REMOTE_SEECTL", c->remote_seectl, 1);
	if (cli_home && *cli_home)
		return expand_tilde(cli_home);
	const char *env = getenv("SEETOP_HOME");
	if (env && *env)
		return expand_tilde(env);
	if (c && c->home)
		return expand_tilde(c->home);
	const char *xdg = getenv("XDG_STATE_HOME");
	if (xdg && xdg[0] == '/') /* a relative one is ignored, as the XDG spec says */
		snprintf(buf, sizeof buf, "%s/seetop", xdg);
	else
		snprintf(buf, sizeof buf, "%s/.local/state/seetop", home_dir());
	return strdup(buf);
}

char *conf_actor(const seetop_conf *c, const char *cli_actor)
{
	if (cli_actor && *cli_actor)
		return strdup(cli_actor);
	if (c && c->actor)
		return strdup(c->actor);
	struct passwd *pw = getpwuid(getuid());
	if (pw && pw->pw_name)
		return strdup(pw->pw_name);
	const char *u = getenv("USER");
	return strdup(u && *u ? u : "unknown");
}
