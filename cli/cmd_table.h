/* cmd_table.h - seectl's commands, one row each: name, usage, summary, help
 * and the function that runs it.  The row is the command's one definition:
 * cmd.c makes the table (dispatch, help, usage, completion) from it and
 * cmd_int.h the functions' prototypes, so adding a command is adding its row
 * and its function.  Not installed. */
#ifndef SEETOP_CMD_TABLE_H
#define SEETOP_CMD_TABLE_H

/* The help of --all and its selectors, shared by resume, reject and cancel
 * (their --all runs bulk_run). */
#define BULK_HELP                                                                      \
	"  --all              every execution the selectors choose, each in its own\n"      \
	"                     transaction\n"                                                \
	"  --workflow TEXT    SELECTOR: only workflows whose name holds TEXT, in any case\n" \
	"  --older-than D     SELECTOR: started at least D ago (90s, 15m, 2h, 7d)\n"        \
	"  --dry-run          say what would be done, and change nothing\n"                 \
	"  --json             each result as a JSON line: execution, action, result,\n"     \
	"                     message\n"                                                    \
	"The count goes to stderr first, with the workflow names --workflow matched.\n"     \
	"Exit 0 when every execution was done, 1 when any was refused or skipped; a\n"     \
	"stopped run leaves each one done or not: run it again for the rest.\n"

/* X(name, args, summary, help, function): args is the usage after the name,
 * its alternatives separated by " | "; summary NULL hides the command from
 * the usage and from completion. */
#define SEECTL_COMMANDS(X) \
	X("import", "FILE...", "load executions and tasks from YAML data files (- for stdin)", \
	  "  --replace   overwrite executions whose ids exist (else that is an error)\n" \
	  "All files are imported in one transaction: all of them, or nothing.\n", \
	  run_import) \
	X("export", "[--format yaml|json] [--events]", "write the whole store (YAML data file, or JSON lines)", \
	  "  --format yaml|json   yaml (default) can be imported again; json is one\n" \
	  "                       execution per line\n" \
	  "  --events             with each execution's audit trail, oldest first:\n" \
	  "                       importing the file into a store without those\n" \
	  "                       executions restores their history\n", run_export) \
	X("list", "[--status S] [--limit N] [--json]", "executions, newest first", \
	  "  --status S   only executions in status S (running, waiting-for-input,\n" \
	  "               complete, failed)\n" \
	  "  --limit N    at most N executions (0, the default, lists all)\n" \
	  "  --json       one JSON object per line\n", \
	  run_list) \
	X("show", "EXEC [--tail N | --all] [--json]", "one execution, its tasks and its events", \
	  "  --tail N   the last N log lines of each task (default 20), after how many\n" \
	  "             earlier lines there are and the seectl logs command that prints\n" \
	  "             them\n" \
	  "  --all      every log line of each task\n" \
	  "  --json     one object {\"execution\": ..., \"tasks\": [...], \"events\": [...]}\n", run_show) \
	X("paused", "[--limit N] [--json]", "executions that wait: for an answer, or paused; soonest deadline first", \
	  "  --limit N    at most N executions\n" \
	  "  --json       one JSON object per line: the execution, its earliest\n" \
	  "               \"deadline\" and its \"waiting\" tasks\n" \
	  "Executions with a deadline come first, soonest first; then the rest, newest\n" \
	  "first.\n" \
	  "Under each, a task that \"waits for an answer\" shows its prompt; one an operator\n" \
	  "\"paused\" asks nothing and shows who paused it and when (from the audit trail).\n", \
	  run_paused) \
	X("respondents", "EXEC TASK USER|@GROUP...|anyone [--no-self-approval]", \
	  "say who may answer, reject or cancel a task", \
	  "  USER, @GROUP         Unix user and group names; anyone lifts the restriction\n" \
	  "  --no-self-approval   not the user who started the execution either\n" \
	  "The store server knows each client's Unix user from its socket and refuses\n" \
	  "anyone else, whatever --actor says.  A user who may only read the home may\n" \
	  "answer or reject a task that names them.  Once a task names respondents, only\n" \
	  "they may change them.\n", \
	  act_respondents) \
	X("deadline", "EXEC TASK DURATION|none [--on-timeout P]", "set when a waiting task's answer is due", \
	  "  DURATION         from now: 90s, 15m, 2h, 7d or 1h30m (at most 3650d); none\n" \
	  "                   removes it; a negative one (-5m) is refused\n" \
	  "  --on-timeout P   what the store server does when it passes unanswered:\n" \
	  "                   fail (the default), default (resume with its default value),\n" \
	  "                   skip (resume with no value; not for a required answer)\n" \
	  "The server applies it even with no engine or client running, as the actor\n" \
	  "\"timer\".\n", \
	  act_deadline) \
	X("pause", "EXEC TASK", "pause a task: it asks nothing and waits until resumed", "", act_pause) \
	X("reject", "EXEC TASK --reason TEXT | --all [SELECTORS] --reason TEXT", \
	  "reject a waiting task: it fails, with the reason", \
	  "  --reason TEXT   why (required): kept in the task and the audit trail\n" \
	  "The execution waits on its next waiting task, or runs again and its engine\n" \
	  "fails it.\n" \
	  "With --all, every waiting task of every waiting execution the selectors choose.\n" BULK_HELP, \
	  act_reject) \
	X("cancel", "EXEC --reason TEXT | --all [SELECTORS] --reason TEXT", \
	  "cancel an execution: it and every task not ended fail", \
	  "  --reason TEXT   why (required): kept in the tasks and the audit trail\n" \
	  "An attached seerun stops its running commands.\n" \
	  "With --all, every running or waiting execution the selectors choose.\n" BULK_HELP, \
	  act_cancel) \
	X("resume", "EXEC [TASK] [--input VALUE] | --all [SELECTORS]", \
	  "resume the workflow, or one task with the input it asked for", \
	  "  --input VALUE   the value for the task's input request (checked against its\n" \
	  "                  type)\n" \
	  "Without TASK every waiting task of EXEC is resumed.\n" \
	  "With --all, every waiting execution the selectors choose; those with a required\n" \
	  "answer that has no value or default are skipped.\n" BULK_HELP, \
	  act_resume) \
	X("history", "[EXEC] [--limit N] [--json] [--follow]", "audit events, newest first", \
	  "  --limit N   at most N events (default 50, 0 for all)\n  --json      one JSON object per line\n" \
	  "  --follow    the newest N (default 10, 0: none) oldest first, then each new\n" \
	  "              event as it is committed, until Ctrl-C (as journalctl -f)\n", \
	  run_history) \
	X("logs", "EXEC TASK [--tail N] [--follow]", "a task's log; --follow prints its lines as they come", \
	  "  --tail N, -n N   only the last N lines\n" \
	  "  --follow, -f     then print each new line as the engine stores it, until\n" \
	  "                   the task ends (exit 0) or Ctrl-C (as journalctl -f and\n" \
	  "                   kubectl logs -f)\n" \
	  "Control characters in the lines are shown escaped, as everywhere in seectl.\n", \
	  follow_logs) \
	X("delete", "EXEC", "remove an execution and its tasks (its history stays)", "", act_delete) \
	X("verify", "", "check every invariant of the store; list each problem", "", run_verify) \
	X("metrics", "", "the home's state in the Prometheus text format", \
	  "Executions by status, waiting tasks (for an answer or paused), the oldest wait,\n" \
	  "overdue deadlines, hooks run, failed and pending, the server's uptime and the\n" \
	  "store's generation; every name starts with seetop_.  For node_exporter's\n" \
	  "textfile collector, write a file and rename it, so that no scrape reads half\n" \
	  "of one:\n" \
	  "  seectl metrics > DIR/seetop.prom.tmp && mv DIR/seetop.prom.tmp DIR/seetop.prom\n" \
	  "Nothing is printed when the store fails (one line on stderr, exit 3).\n", \
	  metrics_run) \
	X("gen", "--executions N [--tasks-per K] [--waiting-ratio R] [--seed S]", \
	  "fill the store with synthetic executions (for demos and benchmarks)", \
	  "  --executions N     how many (ids gen-00000000 ...; later ids start later)\n" \
	  "  --tasks-per K      tasks per execution (default 4)\n" \
	  "  --waiting-ratio R  the fraction waiting for input (default 0.01)\n" \
	  "  --seed S           the same seed makes the same data (default 1)\n" \
	  "A home that gen creates gets a cache that holds what it generates (256 MB to\n" \
	  "4 GB) unless SEESTORE_CACHE_MB is set.\n", \
	  run_gen) \
	X("server", "status|start|stop|enable|disable|proxy [--json] [--system]", "the store server of the home", \
	  "  status   its pid, uptime, clients, generation, cache use and log position,\n" \
	  "           and for a site of a replication group its role, master, lag and\n" \
	  "           the other sites; \"not running\" and exit 3 when none runs (it\n" \
	  "           starts none)\n" \
	  "  start    start it if none runs (any command does), then print its status\n" \
	  "  stop     checkpoint and stop it; clients start a new one when they need it\n" \
	  "  enable   print the systemd commands that run it from boot\n" \
	  "           (seestore-server@.service; --system: the system unit, which runs\n" \
	  "           it as the home's owner)\n" \
	  "  disable  print the systemd command that stops running it from boot\n" \
	  "  proxy    join standard input and output to its socket: what an ssh:// home\n" \
	  "           runs on its host (and what a key's forced command in\n" \
	  "           authorized_keys names)\n" \
	  "  --json   status as one JSON object\n", \
	  admin_server) \
	X("notify", "add --on EVENTS -- CMD [ARGS...] | list [--json] | remove N", \
	  "hooks: commands run on waiting, paused, timeout, rejected, cancelled", \
	  "  --on EVENTS   comma-separated: waiting (input asked), paused (by an operator),\n" \
	  "                timeout, rejected, cancelled\n" \
	  "CMD is resolved to an absolute path now (a name through PATH); a missing or\n" \
	  "not executable one is refused.  The server runs it without a shell after the\n" \
	  "change is committed, with SEETOP_EVENT, SEETOP_EXECUTION, SEETOP_TASK,\n" \
	  "SEETOP_PROMPT, SEETOP_DEADLINE, SEETOP_ACTOR, SEETOP_USER, SEETOP_TIME,\n" \
	  "SEETOP_REASON, SEETOP_HOME and SEETOP_NOTIFICATION set, its output in\n" \
	  "server.log (first and last lines): 4 at once, new ones first, 30 s each at\n" \
	  "most (SEESTORE_HOOK_TIMEOUT_MS), then its whole process tree is stopped.\n" \
	  "Delivery is at least once:\n" \
	  "a notification not yet run when the server stopped runs when it starts again.\n" \
	  "seectl server status counts the commands run and failed (kept in the home).\n", \
	  admin_notify) \
	X("backup", "DIR", "write a consistent copy of the whole home into DIR (new or empty)", \
	  "The copy is taken while other clients write: data files, log and audit trail.\n" \
	  "It is written beside DIR in a private directory and renamed to DIR when whole;\n" \
	  "DIR, if it exists, must be an empty directory of yours that nobody else can\n" \
	  "write.\n" \
	  "It is marked as a backup (its file BACKUP): seectl --home DIR verify reads it,\n" \
	  "and its server starts no timer, runs no hook and refuses changes.\n", \
	  admin_backup) \
	X("restore", "BACKUP HOME", "make a live home HOME (new or empty) from a backup", \
	  "Copies the backup without its mark and starts the new home's server, which\n" \
	  "applies the deadlines that passed since the backup was taken, once.\n", \
	  admin_restore) \
	X("repl", "init|join|status|leave [--listen HOST:PORT] [--helper HOST:PORT] [--json]", \
	  "make the home a site of a replication group, or see its state", \
	  "  init     make the home the first site, and the master, of a new group\n" \
	  "  join     add the home (new or empty) to the group of the site --helper names;\n" \
	  "           its copy of the store comes from the group\n" \
	  "  status   this site's role, its master, the other sites, where its log is and\n" \
	  "           how far behind the master's, its lag in seconds, and whether a\n" \
	  "           group of two is strict (--json: one object, the other sites in\n" \
	  "           \"sites\", the lag in \"lag_ms\")\n" \
	  "  leave    take the site out of its group (not the master); its home stays, as\n" \
	  "           a home of its own\n" \
	  "  --listen HOST:PORT   where this site takes the group's connections: a loopback\n" \
	  "                       address unless --any-address (the traffic has no\n" \
	  "                       authentication: a private network, or a tunnel)\n" \
	  "  --priority N         0 never master; default 100\n" \
	  "  --ack-timeout MS     a commit waits this long for a quorum's acks (default\n" \
	  "                       1000)\n" \
	  "  --heartbeat MS       the master's heartbeat (default 1000); a replica calls an\n" \
	  "                       election after 3 missed ones\n" \
	  "The settings are kept in the home (repl.conf), so a site restarted rejoins by\n" \
	  "itself.  A replica serves reads from its copy and forwards changes to the\n" \
	  "master, answering once its copy holds them.  A change is done when a quorum\n" \
	  "holds it: else it fails with \"not durable on a quorum\" (exit 3), and without\n" \
	  "a master with \"no master (election in progress)\" (exit 3).  Exit 1: a home\n" \
	  "that is a site already, a joining home that holds a store, a port in use.\n" \
	  "See seestore-repl(7).\n", \
	  repl_run) \
	X("help", "[COMMAND]", "describe seectl, or one command", "", run_help) \
	/* hidden (no summary): what the shell completion scripts are and call */ \
	X("completion", "bash|zsh | ids [EXEC]", NULL, \
	  "  bash, zsh   print the completion script for that shell (generated from this\n" \
	  "              table)\n" \
	  "  ids [EXEC]  the execution ids of the home, or the task ids of EXEC, one a line\n", \
	  completion_run)

#endif
