/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The syslog source under test (source_harness.h) with fake senders on
 * loopback: listeners on port 0 (the kernel picks), plain TCP, UDP and
 * TLS clients in the same process, the loop run by the test until a
 * condition holds. For test_source_syslog.c and test_source_syslog_conn.c.
 */
#ifndef IKELOGD_TEST_SYSLOG_HARNESS_H
#define IKELOGD_TEST_SYSLOG_HARNESS_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "event.h"
#include "source_syslog_impl.h"

#include "source_harness.h"

/* A message as rsyslog forwards it (RFC 5424), facility authpriv, severity info. */
#define MSG5424(host, app, pid, body)                                                              \
	"<86>1 2026-11-23T20:25:58.000007Z " host " " app " " pid " - - " body
/* Its timestamp in microseconds since the epoch (2026-11-23T20:25:58Z is 1795465558). */
#define MSG5424_USEC (INT64_C(1795465558) * 1000000 + 7)

struct sh {
	struct h h; /* first: the harness observer's ud */
	struct source_syslog *s;
	size_t total;	   /* records seen, past MAXREC too */
	uint64_t last_seq; /* of the newest record seen */
	char sa_id[MAXREC][48];
	/* The records' event_ids whole (struct seen's are cut at 32). */
	char id[MAXREC][SYSLOG_EVENT_ID_MAX];
	int probe[CONFIG_LIST_MAX]; /* sockets holding the listen ports until the source binds */
	size_t n_probe;
};

/* Records what observe() records, and each record's whole event_id and its event's ike_sa_id. */
static void sh_observe(const struct record *rec, const struct event *ev, void *ud)
{
	struct sh *sh = ud;
	const char *id;
	size_t len = 0;

	if (sh->h.n < MAXREC) {
		id = event_str(ev, F_IKE_SA_ID, &len);
		snprintf(sh->sa_id[sh->h.n], sizeof(sh->sa_id[0]), "%.*s", id ? (int)len : 0,
			 id ? id : "");
		snprintf(sh->id[sh->h.n], sizeof(sh->id[0]), "%s",
			 rec->event_id ? rec->event_id : "");
	}
	observe(rec, ev, &sh->h);
	sh->total++;
	sh->last_seq = rec->seq;
}

/*
 * A port the kernel picks for spec's transport and address (the source
 * refuses port 0), held by a bound socket until sh_start: SO_REUSEADDR on
 * both lets the source bind it too, and no one else is given it meanwhile.
 */
static inline char *sh_pick_port(struct sh *sh, const char *spec)
{
	struct syslog_listen la;
	struct sockaddr_storage a = {0};
	socklen_t len;
	char buf[300];
	int fd, one = 1;
	bool v6;

	/* The parser refuses port 0: parse the address with port 1. */
	snprintf(buf, sizeof(buf), "%s", spec);
	buf[strlen(buf) - 1] = '1';
	assert_int_equal(syslog_listen_parse(buf, &la), 0);
	v6 = strchr(la.host, ':') != NULL;
	if (v6) {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&a;

		a6->sin6_family = AF_INET6;
		assert_int_equal(inet_pton(AF_INET6, la.host, &a6->sin6_addr), 1);
		len = sizeof(*a6);
	} else {
		struct sockaddr_in *a4 = (struct sockaddr_in *)&a;

		a4->sin_family = AF_INET;
		assert_int_equal(inet_pton(AF_INET, la.host, &a4->sin_addr), 1);
		len = sizeof(*a4);
	}
	fd = socket(a.ss_family,
		    (la.transport == SYSLOG_UDP ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, len), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	snprintf(buf, sizeof(buf), v6 ? "%s://[%s]:%u" : "%s://%s:%u",
		 syslog_transport_name(la.transport), la.host,
		 ntohs(v6 ? ((struct sockaddr_in6 *)&a)->sin6_port
			  : ((struct sockaddr_in *)&a)->sin_port));
	sh->probe[sh->n_probe++] = fd;
	return strdup(buf);
}

/*
 * A temporary directory, the defaults with no rules, and the listen
 * addresses (numeric, up to CONFIG_LIST_MAX; port 0: one the kernel picks).
 */
static inline void sh_config(struct sh *sh, const char *name, const char *const *listen,
			     size_t n_listen)
{
	snprintf(sh->h.dir, sizeof(sh->h.dir), "/tmp/%s.XXXXXX", name);
	assert_non_null(mkdtemp(sh->h.dir));
	snprintf(sh->h.state, sizeof(sh->h.state), "%s/position", sh->h.dir);
	h_config(&sh->h, SOURCE_SYSLOG, 1000);
	sh->h.ops = &source_syslog_ops;
	set_list(&sh->h.cfg.source.syslog.listen, NULL);
	for (size_t i = 0; i < n_listen; i++) {
		size_t n = strlen(listen[i]);

		sh->h.cfg.source.syslog.listen.v[i] = n > 2 && strcmp(listen[i] + n - 2, ":0") == 0
							  ? sh_pick_port(sh, listen[i])
							  : strdup(listen[i]);
	}
	sh->h.cfg.source.syslog.listen.n = n_listen;
}

static inline void sh_start(struct sh *sh)
{
	h_start(&sh->h);
	while (sh->n_probe > 0)
		close(sh->probe[--sh->n_probe]);
	pipeline_set_observer(sh->h.pl, sh_observe, sh);
	sh->s = sh->h.src.state;
	sh->total = 0;
	sh->last_seq = 0;
}

static inline void sh_done(struct sh *sh)
{
	char cmd[160];

	while (sh->n_probe > 0)
		close(sh->probe[--sh->n_probe]);
	if (sh->h.src.state)
		h_stop(&sh->h);
	config_done(&sh->h.cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", sh->h.dir);
	assert_int_equal(system(cmd), 0);
}

/* The port listener i was given. */
static inline unsigned sh_port(struct sh *sh, size_t i)
{
	struct sockaddr_storage a;
	socklen_t len = sizeof(a);

	assert_true(i < sh->s->n_lst);
	assert_int_equal(getsockname(sh->s->lst[i].fd, (struct sockaddr *)&a, &len), 0);
	return a.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&a)->sin6_port)
				       : ntohs(((struct sockaddr_in *)&a)->sin_port);
}

/* One turn of the loop (10 ms at most), then what was seen is acknowledged up to ack_limit. */
static inline void sh_turn(struct sh *sh)
{
	assert_true(sd_event_run(sh->h.e, 10 * 1000) >= 0);
	if (sh->last_seq)
		pipeline_delivered(sh->h.pl,
				   sh->last_seq < sh->h.ack_limit ? sh->last_seq : sh->h.ack_limit);
}

static inline long sh_ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* Runs the loop until cond holds; fails the test after ms milliseconds. */
#define SH_RUN_UNTIL(sh, cond, ms)                                                                 \
	do {                                                                                       \
		struct timespec t0_;                                                               \
		clock_gettime(CLOCK_MONOTONIC, &t0_);                                              \
		while (!(cond)) {                                                                  \
			if (sh_ms_since(&t0_) > (ms))                                              \
				fail_msg("not within %d ms: %s", (int)(ms), #cond);                \
			sh_turn(sh);                                                               \
		}                                                                                  \
	} while (0)

/* Runs the loop for n turns whatever happens: for checks that something does NOT happen. */
static inline void sh_turns(struct sh *sh, int n)
{
	for (int i = 0; i < n; i++)
		sh_turn(sh);
}

/* A client socket connected to 127.0.0.1:port (the kernel completes it before any accept). */
static inline int sh_connect(int type, unsigned port)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons((uint16_t)port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

static inline void sh_send(int fd, const void *buf, size_t len)
{
	assert_int_equal(send(fd, buf, len, MSG_NOSIGNAL), (ssize_t)len);
}

static inline void sh_send_str(int fd, const char *s)
{
	sh_send(fd, s, strlen(s));
}

/* Sends an octet-counted frame (RFC 6587 3.4.1): "LEN " then the message. */
static inline void sh_send_octet(int fd, const void *msg, size_t len)
{
	char pfx[24];
	int n = snprintf(pfx, sizeof(pfx), "%zu ", len);

	sh_send(fd, pfx, (size_t)n);
	sh_send(fd, msg, len);
}

/* Has the server closed fd's connection (EOF or reset)? Never blocks. */
static inline bool sh_closed(int fd)
{
	char b[256];
	ssize_t n;

	do
		n = recv(fd, b, sizeof(b), MSG_DONTWAIT);
	while (n > 0);
	return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

/* The connection the source accepted most recently (it is put first). */
static inline struct conn *sh_newest(struct sh *sh)
{
	assert_non_null(sh->s->conns);
	return sh->s->conns;
}

/* The first n records must carry these messages, in this order. */
static inline void sh_expect_msgs(struct sh *sh, const char *const *msgs, size_t n)
{
	if (sh->h.n != n) {
		for (size_t i = 0; i < sh->h.n; i++)
			print_message("seen[%zu] = %s\n", i, sh->h.v[i].msg);
		fail_msg("expected %zu records, saw %zu", n, sh->h.n);
	}
	for (size_t i = 0; i < n; i++)
		assert_string_equal(sh->h.v[i].msg, msgs[i]);
}

#endif
