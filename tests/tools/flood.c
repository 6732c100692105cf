/* flood.c - what a user who may only read can throw at a store server, in
 * raw frames on its socket (tests/cli/fair.sh runs it as another user):
 *
 *   flood SOCKET hold N         opens connections (each says hello) until N
 *                               or a refusal; prints "held K" and the
 *                               refusal's line, then holds them until killed
 *   flood SOCKET frames N BYTES N connections each announce a frame of BYTES
 *                               and send all of it but its last byte; prints
 *                               what the server took and how many it closed,
 *                               then holds them until killed
 *   flood SOCKET each N COUNT   N connections each send COUNT whole-store
 *                               reads (OP_EACH) and never read an answer;
 *                               prints how many requests were sent, then
 *                               holds them until killed
 *   flood SOCKET watch          one connection subscribed to pushes; prints
 *                               "closed" when the server closes it
 *
 * Exit 0, or 1 with a line on stderr when the socket cannot be used. */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "tag.h"
#include "wire.h"

#define CONNS_MAX 4096
#define SEND_S 60 /* the longest a flood keeps sending */

static const char *sock_path;

static int dial(void)
{
	struct sockaddr_un sa;
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", sock_path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		fprintf(stderr, "flood: cannot connect to %s: %s\n", sock_path, strerror(errno));
		exit(1);
	}
	return fd;
}

static void frame(record_buf *b, unsigned op)
{
	b->len = 0;
	int rc = wire_begin(b, op);
	if (op == OP_HELLO)
		rc |= wire_u(b, 0, 0) | wire_u(b, 2, wire_revision());
	if (op == OP_EACH)
		rc |= wire_u(b, 0, 0); /* no limit: the whole store, a page at a time */
	if (rc | wire_finish(b)) {
		fprintf(stderr, "flood: out of memory\n");
		exit(1);
	}
}

static bool send_all(int fd, const record_buf *b)
{
	for (size_t off = 0; off < b->len;) {
		ssize_t n = send(fd, b->data + off, b->len - off, MSG_NOSIGNAL);
		if (n <= 0)
			return false;
		off += (size_t)n;
	}
	return true;
}

/* Reads one answer: 0 with its code and line in why, -1 when closed. */
static int answer(int fd, unsigned *code, char *why, size_t cap)
{
	unsigned char hdr[4];
	if (recv(fd, hdr, 4, MSG_WAITALL) != 4)
		return -1;
	size_t len = (size_t)hdr[0] << 24 | (size_t)hdr[1] << 16 | (size_t)hdr[2] << 8 | hdr[3];
	unsigned char *p = malloc(len ? len : 1);
	if (!p || recv(fd, p, len, MSG_WAITALL) != (ssize_t)len) {
		free(p);
		return -1;
	}
	wire_msg m;
	char bad[128];
	int rc = wire_decode(p, len, &m, bad, sizeof bad);
	*code = rc == 0 ? m.code : 99;
	snprintf(why, cap, "%.*s", rc == 0 && m.has_s[0] ? (int)m.s[0].len : 0, rc == 0 ? (const char *)m.s[0].p : "");
	wire_msg_free(&m);
	free(p);
	return 0;
}

static void hold_forever(void)
{
	fflush(stdout);
	for (;;)
		pause();
}

static int hold(int n)
{
	record_buf b = { 0 };
	frame(&b, OP_HELLO);
	int held = 0;
	char why[1100] = "";
	for (int i = 0; i < n; i++) {
		int fd = dial();
		unsigned code;
		(void)send_all(fd, &b); /* a refusal is answered even when the send fails */
		if (answer(fd, &code, why, sizeof why) < 0) {
			snprintf(why, sizeof why, "closed without an answer");
			close(fd);
			break;
		}
		if (code != STORE_OK) {
			close(fd);
			break;
		}
		why[0] = '\0';
		held++;
	}
	printf("held %d\n%s\n", held, why);
	hold_forever();
	return 0;
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sends each connection's bytes (the same `len` bytes of `data` for all,
 * from `start`) as far as the server takes them within SEND_S seconds. */
static void pump(int *fds, int n, const unsigned char *data, size_t len, size_t *sent, int *closed)
{
	struct pollfd *p = calloc((size_t)n, sizeof *p);
	long long end = now_ms() + SEND_S * 1000;
	for (;;) {
		int k = 0;
		for (int i = 0; i < n; i++)
			if (fds[i] >= 0 && sent[i] < len) {
				p[k].fd = fds[i];
				p[k].events = POLLOUT;
				k++;
			}
		long long left = end - now_ms();
		if (k == 0 || left <= 0 || poll(p, (nfds_t)k, (int)left) <= 0)
			break;
		for (int i = 0; i < n; i++) {
			if (fds[i] < 0 || sent[i] >= len)
				continue;
			ssize_t w = send(fds[i], data + sent[i], len - sent[i], MSG_NOSIGNAL | MSG_DONTWAIT);
			if (w > 0)
				sent[i] += (size_t)w;
			else if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
				(*closed)++;
				close(fds[i]);
				fds[i] = -1;
			}
		}
	}
	free(p);
}

static int frames(int n, size_t bytes)
{
	static int fds[CONNS_MAX];
	static size_t sent[CONNS_MAX];
	/* a header that announces `bytes`, then the frame's start, then filler */
	unsigned char *data = calloc(bytes + 3, 1);
	if (!data) {
		fprintf(stderr, "flood: out of memory\n");
		return 1;
	}
	data[0] = (unsigned char)(bytes >> 24);
	data[1] = (unsigned char)(bytes >> 16);
	data[2] = (unsigned char)(bytes >> 8);
	data[3] = (unsigned char)bytes;
	memcpy(data + 4, "SW\1", 3);
	for (int i = 0; i < n; i++)
		fds[i] = dial();
	int closed = 0;
	pump(fds, n, data, bytes + 3, sent, &closed); /* all but the frame's last byte */
	size_t total = 0;
	for (int i = 0; i < n; i++)
		total += sent[i];
	printf("frames: %d connections sent %zu MB of unfinished frames; the server closed %d\n", n, total >> 20, closed);
	free(data);
	hold_forever();
	return 0;
}

static int each(int n, int count)
{
	static int fds[CONNS_MAX];
	static size_t sent[CONNS_MAX];
	record_buf hello = { 0 }, one = { 0 }, all = { 0 };
	frame(&hello, OP_HELLO);
	frame(&one, OP_EACH);
	if (tag_put_raw(&all, hello.data, hello.len))
		return 1;
	for (int i = 0; i < count; i++)
		if (tag_put_raw(&all, one.data, one.len))
			return 1;
	for (int i = 0; i < n; i++)
		fds[i] = dial();
	int closed = 0;
	pump(fds, n, all.data, all.len, sent, &closed);
	size_t reqs = 0;
	for (int i = 0; i < n; i++)
		reqs += sent[i] > hello.len ? (sent[i] - hello.len) / one.len : 0;
	printf("each: %d connections sent %zu whole-store reads and read no answer; the server closed %d\n", n, reqs,
	       closed);
	hold_forever();
	return 0;
}

static int watch(void)
{
	record_buf b = { 0 };
	int fd = dial();
	frame(&b, OP_HELLO);
	send_all(fd, &b);
	frame(&b, OP_SUBSCRIBE);
	send_all(fd, &b);
	unsigned code;
	char why[1100];
	record_buf_free(&b);
	for (int i = 0; i < 2; i++)
		if (answer(fd, &code, why, sizeof why) < 0 || code != STORE_OK) {
			printf("refused: %s\n", why);
			return 0;
		}
	printf("watching\n");
	fflush(stdout);
	char buf[4096];
	while (recv(fd, buf, sizeof buf, 0) > 0)
		;
	printf("closed\n");
	fflush(stdout); /* before the exit's leak check of a sanitizer build */
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: flood SOCKET hold N | frames N BYTES | each N COUNT | watch\n");
		return 2;
	}
	sock_path = argv[1];
	const char *what = argv[2];
	int n = argc > 3 ? atoi(argv[3]) : 0;
	if (n < 0 || n > CONNS_MAX)
		n = CONNS_MAX;
	if (!strcmp(what, "hold") && argc == 4)
		return hold(n);
	if (!strcmp(what, "frames") && argc == 5)
		return frames(n, (size_t)atol(argv[4]));
	if (!strcmp(what, "each") && argc == 5)
		return each(n, atoi(argv[4]));
	if (!strcmp(what, "watch") && argc == 3)
		return watch();
	fprintf(stderr, "usage: flood SOCKET hold N | frames N BYTES | each N COUNT | watch\n");
	return 2;
}
