/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The journal reading thread (see source_journal_impl.h): a ring of
 * RING_BATCHES batches under one mutex. The thread fills the slot after the
 * published ones and publishes it; the taker reads the oldest published
 * batch without the lock (the thread does not touch a published batch)
 * and gives it back once its entries are all taken. The lock is taken
 * once a batch, not once an entry.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "source_journal_impl.h"
#include "util.h"

#define RING_BATCHES  16
#define BATCH_ENTRIES 256
#define BATCH_BYTES   (256 * 1024) /* at least two entries of max_line bytes */
#define POLL_IDLE_MS  25
#define POLL_BUSY_MS  2
#define BUSY_FOR_US   (1000 * 1000ull) /* polls stay fast this long after an entry */

struct jring {
	struct jreader *rd;
	bool follow, have_current;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv; /* a batch published or given back, stop, end */
	struct jbatch b[RING_BATCHES];
	unsigned head, count; /* the published batches: head, head + 1, ... */
	bool stop, end;
	int efd;  /* to the loop: a batch was published */
	int wake; /* to the thread: stop now, whatever it waits for */
	/* The taker's, without the lock: its place in the oldest published batch. */
	bool taking;
	size_t pos;
};

static uint64_t mono_usec(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000u + (uint64_t)t.tv_nsec / 1000u;
}

/* Fills b from the journal. Returns 1 when it filled up, 0 at the end, -errno. */
static int fill(struct jring *r, struct jbatch *b)
{
	size_t room = r->rd->max_line + JREADER_HOST_MAX;
	int k;

	b->n = b->used = 0;
	b->errors = 0;
	b->err = 0;
	while (b->n < b->cap && b->size - b->used >= room) {
		if (r->have_current) {
			r->have_current = false;
		} else {
			k = sd_journal_next(r->rd->j);
			if (k <= 0)
				return k;
		}
		if (jreader_entry(r->rd, b) < 0)
			b->errors++;
	}
	return 1;
}

/* At the end: waits for the journal to change, a poll period or a stop. */
static void wait_journal(struct jring *r, uint64_t last_entry)
{
	struct pollfd p[2] = {{.fd = sd_journal_get_fd(r->rd->j)},
			      {.fd = r->wake, .events = POLLIN}};
	int ev = sd_journal_get_events(r->rd->j);
	int ms = mono_usec() - last_entry < BUSY_FOR_US ? POLL_BUSY_MS : POLL_IDLE_MS;

	p[0].events = (short)(ev > 0 ? ev : POLLIN);
	if (p[0].fd < 0)
		p[0].fd = -1; /* then the poll period alone */
	(void)poll(p, 2, ms);
	/* Files added or removed (rotation, vacuum): sd-journal follows them here. */
	(void)sd_journal_process(r->rd->j);
}

static void *run(void *arg)
{
	struct jring *r = arg;
	uint64_t last_entry = 0;
	struct jbatch *b;
	int k;

	pthread_mutex_lock(&r->mu);
	for (;;) {
		while (r->count == RING_BATCHES && !r->stop)
			pthread_cond_wait(&r->cv, &r->mu);
		if (r->stop)
			break;
		/* Stays put while the taker gives batches back: head + 1, count - 1. */
		b = &r->b[(r->head + r->count) % RING_BATCHES];
		pthread_mutex_unlock(&r->mu);

		k = fill(r, b);
		if (k < 0) {
			b->errors++;
			b->err = k;
		}
		if (b->n > 0)
			last_entry = mono_usec();

		pthread_mutex_lock(&r->mu);
		if (b->n > 0 || b->errors > 0) {
			r->count++;
			pthread_cond_broadcast(&r->cv);
			(void)eventfd_write(r->efd, 1);
		}
		if (k == 1)
			continue;
		if (!r->follow) {
			r->end = true;
			pthread_cond_broadcast(&r->cv);
			(void)eventfd_write(r->efd, 1);
			break;
		}
		pthread_mutex_unlock(&r->mu);
		wait_journal(r, last_entry);
		pthread_mutex_lock(&r->mu);
	}
	pthread_mutex_unlock(&r->mu);
	return NULL;
}

int jring_fd(const struct jring *r)
{
	return r->efd;
}

/* Gives the oldest published batch back to the thread, its entries all taken. */
static void give_back(struct jring *r)
{
	struct jbatch *b = &r->b[r->head];

	for (size_t i = 0; i < b->n; i++)
		free(b->e[i].cursor); /* those not taken */
	b->n = 0;
	pthread_mutex_lock(&r->mu);
	r->head = (r->head + 1) % RING_BATCHES;
	r->count--;
	/*
	 * The thread, waiting on a full ring, is woken when half of it is
	 * free, not at each batch: it then reads several batches in one run.
	 */
	if (r->count == RING_BATCHES / 2)
		pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
	r->taking = false;
}

int jring_take(struct jring *r, bool wait, struct record *rec, char **cursor, unsigned *errors,
	       int *err)
{
	struct jbatch *b;

	for (;;) {
		if (r->taking && r->pos < r->b[r->head].n)
			break;
		if (r->taking)
			give_back(r);
		pthread_mutex_lock(&r->mu);
		while (wait && r->count == 0 && !r->end && !r->stop)
			pthread_cond_wait(&r->cv, &r->mu);
		if (r->count == 0) {
			pthread_mutex_unlock(&r->mu);
			return 0;
		}
		pthread_mutex_unlock(&r->mu);
		b = &r->b[r->head];
		r->taking = true;
		r->pos = 0;
		*errors += b->errors;
		if (b->err < 0)
			*err = b->err;
	}
	b = &r->b[r->head];
	jbatch_record(b, &b->e[r->pos], rec);
	*cursor = b->e[r->pos].cursor;
	b->e[r->pos].cursor = NULL;
	r->pos++;
	return 1;
}

static void ring_free(struct jring *r)
{
	for (unsigned i = 0; i < RING_BATCHES; i++) {
		for (size_t k = 0; k < r->b[i].n; k++)
			free(r->b[i].e[k].cursor);
		free(r->b[i].e);
		free(r->b[i].buf);
	}
	if (r->efd >= 0)
		close(r->efd);
	if (r->wake >= 0)
		close(r->wake);
	pthread_cond_destroy(&r->cv);
	pthread_mutex_destroy(&r->mu);
	free(r);
}

int jring_start(struct jreader *rd, bool follow, bool have_current, struct jring **ret)
{
	size_t size = 2 * (rd->max_line + JREADER_HOST_MAX);
	struct jring *r;
	int k;

	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->rd = rd;
	r->follow = follow;
	r->have_current = have_current;
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cv, NULL);
	r->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	r->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (r->efd < 0 || r->wake < 0) {
		k = -errno;
		goto out;
	}
	if (size < BATCH_BYTES)
		size = BATCH_BYTES;
	for (unsigned i = 0; i < RING_BATCHES; i++) {
		r->b[i].e = calloc(BATCH_ENTRIES, sizeof(*r->b[i].e));
		r->b[i].buf = malloc(size);
		if (!r->b[i].e || !r->b[i].buf) {
			k = -ENOMEM;
			goto out;
		}
		r->b[i].cap = BATCH_ENTRIES;
		r->b[i].size = size;
	}
	/* No signal for the thread: util_thread_start says why. */
	k = util_thread_start(&r->thread, run, r);
	if (k < 0)
		goto out;
	/* For top -H and the tests; a name is no reason to fail. */
	(void)pthread_setname_np(r->thread, JRING_THREAD_NAME);
	*ret = r;
	r = NULL;
out:
	if (r)
		ring_free(r);
	return k;
}

void jring_stop(struct jring *r)
{
	if (!r)
		return;
	pthread_mutex_lock(&r->mu);
	r->stop = true;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
	(void)eventfd_write(r->wake, 1);
	pthread_join(r->thread, NULL);
	ring_free(r);
}
