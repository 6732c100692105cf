/* seetop.c - the operator dashboard: options, the terminal, the main loop. */
#include "config.h"

#include <curses.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "demo.h"
#include "exits.h"
#include "view.h"

/* last: its macros (lines, columns, ...) would rename the parameters of the headers above */
#include <term.h>

enum { EXIT_OK = EXIT_DONE, EXIT_FAIL = EXIT_REFUSED }; /* exits.h: the one map */

static demo *the_demo; /* seetop --demo: removed on the way out */

static volatile sig_atomic_t stop_requested;
static bool curses_on;

/* The terminal is restored on every way out. */
static void restore_terminal(void)
{
	if (curses_on) {
		curses_on = false;
		endwin();
	}
}

static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void on_crash(int sig)
{
	if (curses_on)
		endwin(); /* not async-signal-safe, but the process is dying anyway */
	signal(sig, SIG_DFL);
	raise(sig);
}

static void usage(FILE *f)
{
	fputs("usage: seetop [options]\n\n"
	      "The operator dashboard of workflows that wait for a human.\n\n"
	      "  --home DIR        the store (else $SEETOP_HOME, the config's home, $XDG_STATE_HOME/seetop,\n"
	      "                    ~/.local/state/seetop);\n"
	      "                    on another host: ssh://[USER@]HOST[:PORT]/PATH\n"
	      "  --config FILE     the config file (see seetop.yaml(5))\n"
	      "  -d, --delay MS    with --batch: MS milliseconds between frames (default 1000); the\n"
	      "                    dashboard itself redraws as soon as the store server pushes a change\n"
	      "  -r, --read-only   watch only: every change is refused\n"
	      "  --write           allow changes even when the config says read_only\n"
	      "  --actor NAME      the name recorded in the audit trail\n"
	      "  --no-mouse        ignore the mouse\n"
	      "  -b, --batch       print frames as plain text (read-only), like top -b\n"
	      "  -n, --frames N    with --batch: how many frames (default 1)\n"
	      "  --demo            open a scratch home with the demo data and seerun driving\n"
	      "                    a few workflows (removed when the demo quits)\n"
	      "  -h, --help        this help\n"
	      "  --version         the version\n\n"
	      "Keys: ? in the dashboard lists them.  Exit codes: 0 done, 1 failed, 2 usage or config error,\n"
	      "3 storage error.\n",
	      f);
}

static int fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(int code, const char *fmt, ...)
{
	va_list ap;
	restore_terminal();
	fputs("seetop: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

/* Frames are as wide as $COLUMNS says (as top -b does), else 100. */
static int batch_width(void)
{
	const char *c = getenv("COLUMNS");
	char *end;
	long w = c && *c ? strtol(c, &end, 10) : 0;
	return c && *c && !*end && w >= 40 && w <= 1000 ? (int)w : 100;
}

static int run_batch(app *a, long frames)
{
	a->batch = true;
	for (long i = 0; i < frames && !stop_requested; i++) {
		if (i) {
			struct timespec ts = { a->conf.refresh_ms / 1000, (long)(a->conf.refresh_ms % 1000) * 1000000L };
			nanosleep(&ts, NULL);
		}
		app_reload(a);
		if (a->msg_error)
			return fail(EXIT_STORAGE, "%s", a->msg);
		app_repl_refresh(a);
		draw_batch_frame(a, batch_width(), 50);
	}
	return EXIT_OK;
}

/* The terminal closed under us, as the last wait's poll said (its window,
 * ssh or tmux went away): getch() would fail at once forever. */
static bool terminal_gone;

/* After a wait whose poll failed: asks the terminal alone. */
static bool terminal_hung_up(void)
{
	struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
	if (poll(&p, 1, 0) < 0)
		return errno != EINTR;
	return (p.revents & (POLLHUP | POLLERR | POLLNVAL)) != 0;
}

/* SEETOP_TRACE_KEYS=FILE appends one line per key: the key code and the
 * microseconds from reading the key to the end of the redraw it caused (what
 * tests/bench/screen.sh reports). */
static FILE *trace_keys;
/* SEETOP_TRACE_PUSH=FILE appends the wall-clock time (microseconds since the
 * epoch) at which a redraw caused by a push from the server ended: what
 * tests/bench/screen.sh compares with the time a change was asked for. */
static FILE *trace_push;

static double mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* The connection to the server is gone: the status line says why, and
 * whether seetop waits (its owner stopped it) or connects again. */
static void lost_server(app *a, const char *why)
{
	a->server_stopped = !a->remote_host[0] && store_server_stopped(a->home);
	/* nothing drawn meanwhile may start one (a row's look reads the store) */
	store_set_autostart(a->st, a->server_stopped ? STORE_START_NEVER : STORE_START_UNLESS_STOPPED);
	if (a->server_stopped)
		app_set_msg(a, true, "server stopped: seetop starts it again at the next key, or when another program does");
	else if (a->remote_host[0])
		app_set_msg(a, true, "reconnecting to %s \u2026 (%s)", a->remote_host, why);
	else
		app_set_msg(a, true, "reconnecting to the store server: %s", why);
}

/* Subscribes to the server's pushes, or tries again after the server went
 * away: the last screen stays, the status line says so. */
static void watch_connect(app *a)
{
	store_err err;
	int fd;
	if (store_watch(a->st, &fd, &err) == STORE_OK) {
		a->watch_fd = fd;
		a->remote_not_site = false; /* perhaps another server: asked again */
		store_set_autostart(a->st, STORE_START_UNLESS_STOPPED); /* the next stop holds */
		if (a->reconnecting) {
			a->reconnecting = false;
			app_set_msg(a, false, "reconnected to the store server");
		}
		return;
	}
	a->watch_fd = -1;
	a->reconnecting = true;
	lost_server(a, err.msg);
}

/* SIGWINCH writes a byte here, so that the poll below wakes for a resize
 * at once, whatever mode the dashboard is in (curses would only say so with
 * the next key). */
static int winch_pipe[2] = { -1, -1 };

static void on_winch(int sig)
{
	(void)sig;
	int e = errno;
	if (winch_pipe[1] >= 0 && write(winch_pipe[1], "w", 1) < 0) {
		/* full: a resize is already pending */
	}
	errno = e;
}

/* Takes the terminal's new size; returns what to draw. */
static int resized(app *a)
{
	char buf[64];
	while (read(winch_pipe[0], buf, sizeof buf) > 0)
		;
	struct winsize ws;
	/* resizeterm queues a KEY_RESIZE of its own, which comes back here */
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0 &&
	    (ws.ws_row != LINES || ws.ws_col != COLS))
		resizeterm(ws.ws_row, ws.ws_col);
	a->list_h = draw_list_height();
	return DO_CLEAR | DO_DRAW;
}

/* What is left of the current frame, in ms: 0 when a push may redraw now. */
static int frame_left_ms(const app *a)
{
	int fps = a->conf.max_fps > 0 ? a->conf.max_fps : 10;
	double left = a->push_drawn_ms + 1000.0 / fps - mono_us() / 1000.0;
	return left <= 0 ? 0 : (int)left + 1;
}

/* Reads the pushes the server sent, and keeps what they say for the next
 * frame; a server gone is said, and connected to again. */
static void read_pushes(app *a, int *todo)
{
	store_push push;
	store_err err;
	if (store_watch_read(a->st, &push, &err) != STORE_OK) {
		a->watch_fd = -1;
		a->reconnecting = true;
		a->reconnect_at = 0;
		lost_server(a, err.msg);
		*todo |= DO_DRAW;
	} else if (push.pushed) {
		*todo |= app_reads_heard(a); /* it answers again: what was held is read */
		store_push_rows rows;
		store_watch_rows(a->st, &rows);
		/* a push at the generation shown is of a change read already (the
		 * dashboard's own), but one that spans no commit says what changed
		 * without one: an engine attached, or gone (with its rows, or, for
		 * many executions, as "all": then the list is read) */
		if (push.generation == a->gen && rows.from_generation != push.generation)
			return;
		a->push_pending = true; /* drawn at the next frame: see below */
		app_note_push(a, &push, &rows);
	}
}

/* Waits for a key, a push from the server, a resize or the next clock
 * second (the header's clock and the ages tick); what is not a key sets
 * *todo and returns ERR.  An idle dashboard, and one with a prompt open,
 * makes no store request and wakes once a second.  While a push waits for
 * its frame (max_fps), the pushes that follow wait in the socket: they are
 * read, merged, at the frame, so that a dashboard wakes once a frame, not
 * once a push. */
static int wait_input(app *a, int *todo)
{
	*todo = DO_NOTHING;
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	int to_second = (int)(1000 - now.tv_nsec / 1000000);
	struct pollfd p[3] = { { STDIN_FILENO, POLLIN, 0 }, { winch_pipe[0], POLLIN, 0 }, { a->watch_fd, POLLIN, 0 } };
	int wait_ms = to_second < 1 ? 1 : to_second;
	if (a->push_pending && frame_left_ms(a) < wait_ms)
		wait_ms = frame_left_ms(a);
	bool listen = a->watch_fd >= 0 && !a->push_pending;
	int r = poll(p, listen ? 3 : 2, app_busy(a) ? 0 : wait_ms);
	if (r < 0 && errno != EINTR) {
		terminal_gone = terminal_hung_up();
		return ERR;
	}
	if (r > 0 && (p[0].revents & (POLLHUP | POLLERR | POLLNVAL)))
		terminal_gone = true;
	if (r > 0 && (p[1].revents & POLLIN))
		*todo |= resized(a);
	if (listen && r > 0 && (p[2].revents & (POLLIN | POLLHUP | POLLERR)))
		read_pushes(a, todo);
	/* the frame of a push waiting: what came meanwhile joins it */
	if (a->push_pending && frame_left_ms(a) == 0 && a->watch_fd >= 0)
		read_pushes(a, todo);
	if (a->watch_fd < 0) {
		time_t t = time(NULL);
		if (t != a->reconnect_at) { /* once a second */
			a->reconnect_at = t;
			/* a stopped server is started again by a key, or by
			 * another program: not by a dashboard left open */
			/* (a stopping server may still take a connection: it is
			 * another server's, not yet in the lock file, that counts) */
			if (a->server_stopped && store_server_running(a->home) && !store_server_stopped(a->home)) {
				a->server_stopped = false;
				store_set_autostart(a->st, STORE_START_UNLESS_STOPPED);
			}
			else if (!a->server_stopped && !a->remote_host[0] && store_server_stopped(a->home)) {
				lost_server(a, "stopped");
				*todo |= DO_DRAW;
			}
			if (!a->server_stopped) {
				watch_connect(a);
				*todo |= a->watch_fd >= 0 ? DO_RELOAD : DO_DRAW;
			}
		}
	}
	/* pushes redraw at most max_fps times a second: those that come
	 * faster are merged into the next frame, and the last is drawn within
	 * one frame */
	if (a->push_pending && frame_left_ms(a) == 0) {
		a->push_pending = false;
		a->push_drawn_ms = mono_us() / 1000.0;
		a->pushed = true;
		/* the rows they brought go into the window; the store is asked
		 * only for what they do not say */
		if (*todo & DO_RELOAD)
			a->push_known = false;
		else
			*todo |= app_push_apply(a);
	}
	/* the clock: by the second shown, not by a quiet poll, which a
	 * steady stream of pushes would never let happen; read on the clock
	 * the wait was measured on (time() may lag it by a few milliseconds,
	 * and the tick was then missed: the next wait is a whole second) */
	clock_gettime(CLOCK_REALTIME, &now);
	time_t sec = now.tv_sec;
	if (sec != a->clock_sec) {
		a->clock_sec = sec;
		*todo |= DO_TICK | app_repl_refresh(a) | app_reads_resume(a); /* the header's role and lag tick with it */
	}
	if (r > 0 && (p[0].revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL))) {
		int key = getch();
		if (key != ERR && a->server_stopped) {
			a->server_stopped = false; /* the operator is back: start it again */
			store_set_autostart(a->st, STORE_START_ALWAYS);
			a->reconnect_at = 0;
		}
		return key;
	}
	return ERR;
}

/* Sends text to the terminal's clipboard: OSC 52 with the text in base64. */
static void osc52(const char *text)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *s = (const unsigned char *)text;
	size_t n = strlen(text);
	char out[400];
	size_t o = 0;
	for (size_t i = 0; i < n && o + 4 < sizeof out; i += 3) {
		unsigned v = (unsigned)s[i] << 16 | (i + 1 < n ? (unsigned)s[i + 1] << 8 : 0) | (i + 2 < n ? s[i + 2] : 0);
		out[o++] = b64[v >> 18 & 63];
		out[o++] = b64[v >> 12 & 63];
		out[o++] = i + 1 < n ? b64[v >> 6 & 63] : '=';
		out[o++] = i + 2 < n ? b64[v & 63] : '=';
	}
	out[o] = '\0';
	printf("\033]52;c;%s\a", out);
	fflush(stdout);
}

/* One key, in whatever mode: returns what to do. */
static int on_key(app *a, int ch)
{
	if (ch == '\r')
		ch = '\n';
	if (ch == KEY_RESIZE)
		return resized(a);
	if (ch == KEY_MOUSE) {
		MEVENT me;
		if (prompt_is_open(&a->prompt))
			return DO_NOTHING;
		return getmouse(&me) == OK ? app_click(a, me.y, me.x) : DO_NOTHING;
	}
	int todo = app_key(a, ch);
	/* a key in the prompt redraws its line; any other the screen */
	return todo == DO_PROMPT ? todo : todo | DO_DRAW;
}

/* Keys that arrive together (a paste, a fast typist) are all taken before
 * the next draw; at most this many. */
#define KEYS_PER_DRAW 4096

static int run_screen(app *a)
{
	const char *trace = getenv("SEETOP_TRACE_KEYS");
	trace_keys = trace && *trace ? fopen(trace, "a") : NULL;
	const char *ptrace = getenv("SEETOP_TRACE_PUSH");
	trace_push = ptrace && *ptrace ? fopen(ptrace, "a") : NULL;
	double key_at = 0;
	int key_code = 0;
	if (pipe(winch_pipe) == 0) {
		fcntl(winch_pipe[0], F_SETFL, O_NONBLOCK);
		fcntl(winch_pipe[1], F_SETFL, O_NONBLOCK);
		fcntl(winch_pipe[0], F_SETFD, FD_CLOEXEC);
		fcntl(winch_pipe[1], F_SETFD, FD_CLOEXEC);
	}
	initscr();
	/* a refresh is written in one write: ncurses (6.4) writes what it has
	 * at each cursor move until its screen has been left and taken up
	 * again once, a write (and a wake-up of the terminal, tmux) for each
	 * changed line otherwise.  Done on the empty screen, before anything
	 * is drawn. */
	refresh();
	endwin();
	refresh();
	curses_on = true;
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	curs_set(0);
	set_escdelay(25);
	/* getch is called only when poll says a key is there: it never waits */
	timeout(0);
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_winch;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGWINCH, &sa, NULL);
	if (a->conf.mouse)
		mousemask(BUTTON1_CLICKED | BUTTON1_PRESSED, NULL);
	draw_init_colors(a);
	a->list_h = draw_list_height();
	a->watch_fd = -1;
	watch_connect(a);
	int todo = app_repl_refresh(a);
	todo |= app_reload(a);
	while (!(todo & DO_QUIT) && !stop_requested) {
		if (app_busy(a))
			todo |= app_work(a);
		if (todo & DO_RELOAD)
			todo |= app_reload(a);
		if (todo & DO_CLEAR)
			clearok(curscr, TRUE);
		if (todo & (DO_DRAW | DO_RELOAD | DO_CLEAR)) {
			draw_screen(a);
		} else if (todo & DO_TICK) {
			draw_tick(a);
		} else if (todo & DO_PROMPT) {
			draw_prompt_line(a);
			refresh();
		}
		if (trace_push && a->pushed) {
			struct timespec rt;
			clock_gettime(CLOCK_REALTIME, &rt);
			fprintf(trace_push, "%lld\n", (long long)rt.tv_sec * 1000000 + rt.tv_nsec / 1000);
			fflush(trace_push);
		}
		a->pushed = false;
		if (a->clipboard[0]) {
			osc52(a->clipboard);
			a->clipboard[0] = '\0';
		}
		if (trace_keys && key_at > 0) {
			fprintf(trace_keys, "%d %.0f\n", key_code, mono_us() - key_at);
			fflush(trace_keys);
		}
		key_at = 0;
		int ch = wait_input(a, &todo);
		demo_reap(the_demo);
		if (trace_keys && ch != ERR) {
			key_at = mono_us();
			key_code = ch;
		}
		if (stop_requested)
			break;
		if (ch == ERR && terminal_gone) {
			stop_requested = 1;
			break;
		}
		if (ch == ERR)
			continue;
		todo |= on_key(a, ch);
		for (int n = 0; n < KEYS_PER_DRAW && !(todo & DO_QUIT) && !stop_requested; n++) {
			if ((ch = getch()) == ERR)
				break;
			todo |= on_key(a, ch);
		}
	}
	restore_terminal();
	if (trace_keys)
		fclose(trace_keys);
	if (trace_push)
		fclose(trace_push);
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 'H' },  { "config", required_argument, NULL, 'c' },
		{ "delay", required_argument, NULL, 'd' }, { "read-only", no_argument, NULL, 'r' },
		{ "write", no_argument, NULL, 'w' },       { "actor", required_argument, NULL, 'a' },
		{ "no-mouse", no_argument, NULL, 'M' },    { "batch", no_argument, NULL, 'b' },
		{ "frames", required_argument, NULL, 'n' }, { "demo", no_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },        { "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *home = NULL, *config = NULL, *actor = NULL;
	long delay = -1, frames = 1;
	int read_only = -1, o;
	bool batch = false, want_demo = false, no_mouse = false;
	setlocale(LC_ALL, "");
	opterr = 0;
	while ((o = getopt_long(argc, argv, ":d:rbn:hV", opts, NULL)) != -1) {
		char *end;
		switch (o) {
		case 'H': home = optarg; break;
		case 'c': config = optarg; break;
		case 'a': actor = optarg; break;
		case 'r': read_only = 1; break;
		case 'w': read_only = 0; break;
		case 'M': no_mouse = true; break;
		case 'b': batch = true; break;
		case 'D': want_demo = true; break;
		case 'd':
			delay = strtol(optarg, &end, 10);
			if (*end || delay < 50 || delay > 60000)
				return fail(EXIT_USAGE, "-d takes milliseconds from 50 to 60000, not '%s'", optarg);
			break;
		case 'n':
			frames = strtol(optarg, &end, 10);
			if (*end || frames < 1)
				return fail(EXIT_USAGE, "-n takes a number of frames (1 or more), not '%s'", optarg);
			break;
		case 'h': usage(stdout); return EXIT_OK;
		case 'V': printf("seetop %s\n", PACKAGE_VERSION); return EXIT_OK;
		case ':':
			return fail(EXIT_USAGE, "option %s needs a value (seetop --help)", argv[optind - 1]);
		default:
			return fail(EXIT_USAGE, "unknown option '%s' (seetop --help lists them)", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return fail(EXIT_USAGE, "unexpected argument '%s' (seetop --help lists the options)", argv[optind]);

	/* under cron or systemd there is no terminal: the screen would wait on
	 * a descriptor that is always readable and never a key */
	if (!batch && !isatty(STDIN_FILENO))
		return fail(EXIT_USAGE, "standard input is not a terminal: run seetop in one, or use -b for text frames");
	/* ncurses' own failure prints its message and exits 1: ask first */
	if (!batch) {
		const char *term = getenv("TERM");
		int terr = 0;
		if (!term || !*term)
			return fail(EXIT_USAGE, "TERM is not set: set it to your terminal's type (such as xterm-256color), "
					    "or use -b for text frames");
		if (strcmp(term, "dumb") == 0)
			return fail(EXIT_USAGE, "TERM=dumb cannot show the dashboard: use -b for text frames");
		if (setupterm(NULL, STDOUT_FILENO, &terr) != OK)
			return fail(EXIT_USAGE, "unknown terminal type '%s' (TERM): install its terminfo entry, set TERM to "
					    "one this system knows, or use -b for text frames", term);
		del_curterm(cur_term);
	}
	app a;
	memset(&a, 0, sizeof a);
	char err[1100];
	conf_defaults(&a.conf);
	if (conf_load(&a.conf, config, err, sizeof err) < 0)
		return fail(EXIT_USAGE, "%s", err);
	if (delay > 0)
		a.conf.refresh_ms = (int)delay;
	if (no_mouse)
		a.conf.mouse = false;
	if (want_demo) {
		int rc = demo_start(&the_demo, err, sizeof err);
		if (rc)
			return fail(rc, "%s", err);
		a.home = strdup(demo_home(the_demo));
	} else {
		a.home = conf_home(&a.conf, home);
	}
	app_remote_host(a.home, a.remote_host, sizeof a.remote_host);
	a.read_only = batch || read_only == 1 || (read_only == -1 && a.conf.read_only);
	if (view_load(&a, err, sizeof err) < 0) {
		free(a.home);
		conf_free(&a.conf);
		demo_stop(the_demo);
		return fail(EXIT_USAGE, "%s", err);
	}
	const char *nc = getenv("NO_COLOR");
	a.color = !(nc && *nc);

	store_err serr;
	if (store_open(a.home, a.read_only ? STORE_OPEN_READ_ONLY : 0, &a.st, &serr)) {
		free(a.home);
		conf_free(&a.conf);
		demo_stop(the_demo);
		if (serr.code == STORE_NOT_FOUND)
			return fail(EXIT_FAIL, "%s: create one with seectl import FILE or seectl --create list, or try "
					       "seetop --demo", serr.msg);
		return fail(exit_for_store(serr.code), "%s", serr.msg);
	}
	char *who = conf_actor(&a.conf, actor);
	store_set_actor(a.st, who);
	free(who);
	/* a server that went away must not freeze the screen: calls give up
	 * soon, and the loop reconnects */
	store_set_timeout(a.st, APP_CALL_TIMEOUT_MS);
	/* started by the operator, it started the server; once open, none of
	 * its reads may start one its owner stopped since (a read may find the
	 * server gone before the subscription says so) */
	store_set_autostart(a.st, STORE_START_UNLESS_STOPPED);

	atexit(restore_terminal);
	signal(SIGINT, on_stop);
	signal(SIGTERM, on_stop);
	signal(SIGHUP, on_stop);
	signal(SIGSEGV, on_crash);
	signal(SIGABRT, on_crash);
	signal(SIGBUS, on_crash);
	signal(SIGFPE, on_crash);

	int rc = batch ? run_batch(&a, frames) : run_screen(&a);
	if (!batch && view_save(&a, err, sizeof err) < 0)
		fprintf(stderr, "seetop: the view was not kept: %s\n", err);
	if (stop_requested && !batch) {
		/* a signal or a hang-up ended the dashboard: the terminal is
		 * restored; leave without exit handlers, which under
		 * LeakSanitizer spun for minutes once the terminal was gone */
		restore_terminal();
		store_close(a.st);
		demo_stop(the_demo);
		_exit(EXIT_OK);
	}
	store_close(a.st);
	demo_stop(the_demo);
	app_free(&a);
	free(a.home);
	conf_free(&a.conf);
	return rc;
}
