/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The RELP sink's sender thread: the only code that calls librelp. It
 * connects (with failover and backoff), sends the queued frames, infers
 * what is acknowledged (relp_window.h), closes the session at a pause to
 * confirm the newest frames, and reopens or drops broken sessions.
 * sink_relp.c's header comment gives the design and its limits.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "sink_relp_impl.h"

static uint64_t mono_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* librelp calls its debug printer unconditionally (NULL by default): keep it quiet. */
void sink_relp_dbgprint(char *fmt, ...)
{
}

/* librelp's texts may hold line breaks and bytes of uninitialized buffers: print only ASCII. */
static void scrub(char *p)
{
	for (; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			*p = ' ';
}

/* librelp's error callbacks (sender thread): keep the newest text, count them. */
void sink_relp_on_err(void *usr, char *objinfo, char *errmsg, relpRetVal code)
{
	struct sink_relp *s = usr;

	if (!s)
		return;
	s->n_err++;
	if (code == RELP_RET_RSP_STATE_ERR)
		s->error_answer = true;
	if (s->err[0]) /* the first of an operation's errors is the precise one */
		return;
	snprintf(s->err, sizeof(s->err), "%s: %s (librelp %d)", objinfo ? objinfo : "",
		 errmsg ? errmsg : "", (int)code);
	scrub(s->err);
}

void sink_relp_on_auth_err(void *usr, char *authinfo, char *errmsg, relpRetVal code)
{
	struct sink_relp *s = usr;

	if (!s)
		return;
	s->n_err++;
	s->n_auth_err++;
	if (s->err[0])
		return;
	snprintf(s->err, sizeof(s->err), "collector certificate refused: %s: %s (librelp %d)",
		 errmsg ? errmsg : "", authinfo ? authinfo : "", (int)code);
	scrub(s->err);
}

/* Wakes the loop to take acknowledgements and counters (called with mu held). */
static void notify(struct sink_relp *s)
{
	uint64_t one = 1;

	if (write(s->efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_warn("relp: eventfd");
}

/* Waits on cv up to ms, with mu held. */
void sink_relp_timed_wait(struct sink_relp *s, unsigned ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_cond_timedwait(&s->cv, &s->mu, &ts);
}

/* The same, but returns at once when stopping. */
static void wait_ms(struct sink_relp *s, unsigned ms)
{
	if (!s->stop)
		sink_relp_timed_wait(s, ms);
}

/* Builds a client for collector idx and connects it (unlocked; blocks). */
static int client_connect(struct sink_relp *s, size_t idx, relpClt_t **ret)
{
	const struct relp_coll *k = &s->coll[idx];
	relpClt_t *c = NULL;
	relpRetVal rr;

	if ((rr = relpEngineCltConstruct(s->engine, &c)) != RELP_RET_OK)
		goto out;
	if ((rr = relpCltSetUsrPtr(c, s)) != RELP_RET_OK ||
	    (rr = relpCltSetTimeout(c, s->timeout_s)) != RELP_RET_OK ||
	    (rr = relpCltSetConnTimeout(c, (int)s->connect_s)) != RELP_RET_OK ||
	    (rr = relpCltSetWindowSize(c, (int)s->window)) != RELP_RET_OK)
		goto out;
	if (s->tls) {
		/* Name mode: the chain must verify against ca_file and carry the name. */
		if ((rr = relpCltEnableTLS(c)) != RELP_RET_OK ||
		    (rr = relpCltSetCACert(c, s->ca_file)) != RELP_RET_OK ||
		    (rr = relpCltSetOwnCert(c, s->cert_file)) != RELP_RET_OK ||
		    (rr = relpCltSetPrivKey(c, s->key_file)) != RELP_RET_OK ||
		    (rr = relpCltSetAuthMode(c, (char *)"name")) != RELP_RET_OK ||
		    (rr = relpCltAddPermittedPeer(c, s->server_name ? s->server_name : k->host)) !=
			RELP_RET_OK ||
		    (rr = relpCltSetTlsConfigCmd(c, s->tls_cmd)) != RELP_RET_OK)
			goto out;
	}
	rr = relpCltConnect(c, 0, (unsigned char *)k->port, (unsigned char *)k->host);
out:
	if (rr != RELP_RET_OK) {
		if (c)
			relpEngineCltDestruct(s->engine, &c);
		return -ECONNREFUSED;
	}
	*ret = c;
	return 0;
}

/*
 * Connects to the current collector, or the next ones, with backoff after
 * each full round; called and returns with mu held. false when stopping.
 */
static bool connect_any(struct sink_relp *s)
{
	while (!s->stop) {
		size_t idx = s->cur;
		relpClt_t *c = NULL;
		unsigned before = s->n_err, before_auth = s->n_auth_err;
		int r;

		s->err[0] = '\0';
		pthread_mutex_unlock(&s->mu);
		r = client_connect(s, idx, &c);
		pthread_mutex_lock(&s->mu);
		s->d_refused += s->n_auth_err - before_auth;
		notify(s); /* counters moved */
		if (r == 0) {
			s->clt = c;
			if (s->ever_connected)
				s->d_reconnects++;
			s->ever_connected = true;
			s->backoff_ms = s->backoff_min_ms;
			if (idx != 0 && s->away_since_usec == 0)
				s->away_since_usec = mono_usec();
			if (idx == 0)
				s->away_since_usec = 0;
			log_info("collector %s:%s: RELP session open%s (window %u)",
				 s->coll[idx].host, s->coll[idx].port,
				 s->tls ? " over TLS" : ", PLAIN TEXT", s->window);
			return true;
		}
		log_warnx("collector %s:%s: RELP connect failed: %s", s->coll[idx].host,
			  s->coll[idx].port, s->n_err != before ? s->err : "(no reason given)");
		s->cur = (s->cur + 1) % s->n_coll;
		if (s->cur == 0) {
			unsigned b = s->backoff_ms;

			s->rnd ^= s->rnd << 13;
			s->rnd ^= s->rnd >> 7;
			s->rnd ^= s->rnd << 17;
			wait_ms(s, b / 2 + (unsigned)(s->rnd % (b / 2 + 1)));
			s->backoff_ms = b * 2 > s->backoff_max_ms ? s->backoff_max_ms : b * 2;
		}
	}
	return false;
}

/* Reports n frames acknowledged up to seq (mu held). */
static void acked(struct sink_relp *s, size_t n, uint64_t seq)
{
	if (!n)
		return;
	s->d_acked += n;
	s->acked_seq = seq;
	s->have_acked = true;
	notify(s);
}

/*
 * Closes the session politely (mu held, released while librelp waits for
 * the answer to "close"). Its unconfirmed frames are acknowledged if
 * librelp reported no error, else they go again on the next session.
 */
static void close_session(struct sink_relp *s)
{
	unsigned before = s->n_err;
	uint64_t seq = 0;
	size_t n;

	s->err[0] = '\0';
	pthread_mutex_unlock(&s->mu);
	relpEngineCltDestruct(s->engine, &s->clt);
	pthread_mutex_lock(&s->mu);
	s->clt = NULL;
	s->error_answer = false; /* an error answer during the close is an error: counted below */
	if (s->n_err == before && !s->stop) {
		n = relp_window_all_acked(&s->w, &seq);
		acked(s, n, seq);
	} else {
		n = relp_window_lost(&s->w);
		s->d_resent += n;
		notify(s);
		if (n)
			log_warnx(
			    "collector %s:%s: RELP close not confirmed: %s; %zu frame(s) will be "
			    "sent again",
			    s->coll[s->cur].host, s->coll[s->cur].port, s->err, n);
	}
}

/* Drops the current session (mu held): what it cannot prove acknowledged goes again. */
static void drop_session(struct sink_relp *s)
{
	size_t n;

	pthread_mutex_unlock(&s->mu);
	relpEngineCltDestruct(s->engine, &s->clt);
	pthread_mutex_lock(&s->mu);
	s->clt = NULL;
	s->broken = false;
	s->error_answer = false;
	n = relp_window_lost(&s->w);
	s->d_resent += n;
	notify(s);
}

/* A send failed (mu held): one reconnect by librelp, else a new session later. */
static void send_failed(struct sink_relp *s, relpRetVal why, unsigned n_err_before)
{
	const struct relp_coll *k = &s->coll[s->cur];

	log_warnx("collector %s:%s: RELP send failed (librelp %d): %s; %zu frame(s) not known to "
		  "be acknowledged",
		  k->host, k->port, (int)why, s->n_err != n_err_before ? s->err : "no detail",
		  relp_window_unconfirmed(&s->w));
	s->broken = true;
	if (s->error_answer) {
		/*
		 * librelp has dropped the refused frame from its list, so its
		 * reconnect would not send it again: we send every frame not
		 * proven acknowledged ourselves, after a backoff (a collector
		 * may refuse the same frame again).
		 */
		unsigned b = s->backoff_ms;

		s->error_answer = false;
		drop_session(s);
		wait_ms(s, b);
		s->backoff_ms = b * 2 > s->backoff_max_ms ? s->backoff_max_ms : b * 2;
	}
}

/*
 * The session broke (mu held). With one collector, librelp reopens it
 * (relpCltReconnect, retried with backoff) and sends again exactly the
 * frames it had no answer for. With several, one such attempt, then the
 * session is dropped and the next collector takes over.
 */
static void reopen(struct sink_relp *s)
{
	const struct relp_coll *k = &s->coll[s->cur];
	relpRetVal rr;
	unsigned b;

	s->err[0] = '\0';
	pthread_mutex_unlock(&s->mu);
	rr = relpCltReconnect(s->clt);
	pthread_mutex_lock(&s->mu);
	if (rr == RELP_RET_OK) {
		s->broken = false;
		s->d_reconnects++;
		s->backoff_ms = s->backoff_min_ms;
		notify(s);
		log_info("collector %s:%s: RELP session reopened; librelp sent again the frames it "
			 "had no answer for",
			 k->host, k->port);
		return;
	}
	log_warnx("collector %s:%s: RELP reconnect failed: %s", k->host, k->port,
		  s->err[0] ? s->err : "no detail");
	if (s->n_coll > 1 || s->stop) {
		drop_session(s);
		if (s->n_coll > 1)
			s->cur = (s->cur + 1) % s->n_coll;
		return;
	}
	b = s->backoff_ms;
	s->rnd ^= s->rnd << 13;
	s->rnd ^= s->rnd >> 7;
	s->rnd ^= s->rnd << 17;
	wait_ms(s, b / 2 + (unsigned)(s->rnd % (b / 2 + 1)));
	s->backoff_ms = b * 2 > s->backoff_max_ms ? s->backoff_max_ms : b * 2;
}

static bool failback_due(struct sink_relp *s)
{
	return s->cur != 0 && s->away_since_usec &&
	       mono_usec() - s->away_since_usec >= (uint64_t)s->failback_s * 1000000;
}

void *sink_relp_sender(void *arg)
{
	struct sink_relp *s = arg;

	pthread_mutex_lock(&s->mu);
	while (!s->stop) {
		const struct relp_frame *f = relp_window_next(&s->w);
		unsigned char *buf;
		size_t len, n;
		uint64_t seq = 0;
		unsigned n_err;
		relpRetVal rr;

		if (s->clt && s->broken) {
			reopen(s);
			continue;
		}
		if (!f) {
			if (s->clt && relp_window_unconfirmed(&s->w) > 0) {
				wait_ms(s, LINGER_MS);
				if (!s->stop && !relp_window_next(&s->w))
					close_session(s);
			} else if (s->clt && failback_due(s)) {
				close_session(s);
				s->cur = 0;
			} else {
				pthread_cond_wait(&s->cv, &s->mu);
			}
			continue;
		}
		if (!s->clt) {
			if (failback_due(s))
				s->cur = 0;
			connect_any(s);
			continue;
		}
		buf = (unsigned char *)f->buf; /* freed only by this thread, once acknowledged */
		len = f->len;
		n_err = s->n_err;
		s->err[0] = '\0';
		pthread_mutex_unlock(&s->mu);
		rr = relpCltSendSyslog(s->clt, buf, len);
		pthread_mutex_lock(&s->mu);
		if (rr != RELP_RET_OK) {
			send_failed(s, rr, n_err);
			continue;
		}
		s->d_sent++;
		n = relp_window_sent(&s->w, &seq);
		acked(s, n, seq);
		if (failback_due(s)) {
			close_session(s);
			s->cur = 0;
		}
	}
	pthread_mutex_unlock(&s->mu);
	/* Stopping: librelp's waits end early (shutdown flag); nothing more is confirmed. */
	if (s->clt)
		relpEngineCltDestruct(s->engine, &s->clt);
	pthread_mutex_lock(&s->mu);
	s->done = true;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	return NULL;
}
