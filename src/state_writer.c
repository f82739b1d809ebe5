/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The state file written behind the loop (see state_writer.h): one thread,
 * a one-slot queue under a mutex, an eventfd back to the loop.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "state_writer.h"
#include "util.h"

struct state_writer {
	const char *path;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv; /* queued, stop, or a write finished */
	struct state_pos next;
	bool queued, busy, stop;
	unsigned ok, failed; /* finished writes not yet taken */
	bool last_failed;
	struct diags errs; /* of the newest failed write */
	int efd;
	sd_event_source *src;
	void (*done)(void *userdata);
	void *userdata;
};

static void *run(void *arg)
{
	struct state_writer *w = arg;
	struct state_pos pos;
	struct diags errs;
	int r;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (!w->queued && !w->stop)
			pthread_cond_wait(&w->cv, &w->mu);
		/* What is queued is written before stopping. */
		if (!w->queued)
			break;
		pos = w->next;
		w->queued = false;
		w->busy = true;
		pthread_mutex_unlock(&w->mu);

		memset(&errs, 0, sizeof(errs));
		r = state_write(w->path, &pos, &errs);

		pthread_mutex_lock(&w->mu);
		w->busy = false;
		w->last_failed = r < 0;
		if (r < 0) {
			w->failed++;
			w->errs = errs;
		} else {
			w->ok++;
		}
		pthread_cond_broadcast(&w->cv);
		if (w->efd >= 0)
			(void)eventfd_write(w->efd, 1);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

static int on_event(sd_event_source *es, int fd, uint32_t revents, void *userdata)
{
	struct state_writer *w = userdata;
	eventfd_t v;

	(void)eventfd_read(fd, &v);
	w->done(w->userdata);
	return 0;
}

int state_writer_new(const char *path, sd_event *e, void (*done)(void *userdata), void *userdata,
		     struct state_writer **ret)
{
	struct state_writer *w;
	int r;

	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->path = path;
	w->done = done;
	w->userdata = userdata;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	w->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (w->efd < 0) {
		r = -errno;
		goto out;
	}
	r = sd_event_add_io(e, &w->src, w->efd, EPOLLIN, on_event, w);
	if (r < 0)
		goto out;
	r = util_thread_start(&w->thread, run, w);
	if (r < 0)
		goto out;
	*ret = w;
	w = NULL;
out:
	if (w) {
		sd_event_source_disable_unref(w->src);
		if (w->efd >= 0)
			close(w->efd);
		pthread_cond_destroy(&w->cv);
		pthread_mutex_destroy(&w->mu);
		free(w);
	}
	return r;
}

void state_writer_post(struct state_writer *w, const struct state_pos *pos)
{
	pthread_mutex_lock(&w->mu);
	w->next = *pos;
	w->queued = true;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

void state_writer_wait_idle(struct state_writer *w)
{
	pthread_mutex_lock(&w->mu);
	while (w->queued || w->busy)
		pthread_cond_wait(&w->cv, &w->mu);
	pthread_mutex_unlock(&w->mu);
}

void state_writer_take(struct state_writer *w, unsigned *ok, unsigned *failed, bool *last_failed,
		       struct diags *errs)
{
	pthread_mutex_lock(&w->mu);
	*ok = w->ok;
	*failed = w->failed;
	*last_failed = w->last_failed && (w->ok || w->failed);
	if (*last_failed)
		*errs = w->errs;
	w->ok = w->failed = 0;
	pthread_mutex_unlock(&w->mu);
}

void state_writer_free(struct state_writer *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = true;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	sd_event_source_disable_unref(w->src);
	close(w->efd);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	free(w);
}
