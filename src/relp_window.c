/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A ring of frames that grows by doubling; see relp_window.h for what its
 * counts mean.
 */
#include <errno.h>
#include <stdlib.h>

#include "relp_window.h"

void relp_window_init(struct relp_window *w, unsigned window)
{
	*w = (struct relp_window){.window = window ? window : 1};
}

static struct relp_frame *at(const struct relp_window *w, size_t i)
{
	return &w->q[(w->head + i) % w->cap];
}

void relp_window_done(struct relp_window *w)
{
	for (size_t i = 0; i < w->len; i++)
		free(at(w, i)->buf);
	free(w->q);
	relp_window_init(w, w->window);
}

int relp_window_push(struct relp_window *w, uint64_t seq, char *buf, size_t len)
{
	if (w->len == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 256;
		struct relp_frame *nq = calloc(cap, sizeof(*nq));

		if (!nq)
			return -ENOMEM;
		for (size_t i = 0; i < w->len; i++)
			nq[i] = *at(w, i);
		free(w->q);
		w->q = nq;
		w->head = 0;
		w->cap = cap;
	}
	*at(w, w->len) = (struct relp_frame){.seq = seq, .buf = buf, .len = len};
	w->len++;
	return 0;
}

const struct relp_frame *relp_window_next(const struct relp_window *w)
{
	return w->n_sent < w->len ? at(w, w->n_sent) : NULL;
}

/* Frees the n oldest frames, all of them sent; returns n. */
static size_t pop(struct relp_window *w, size_t n, uint64_t *ret_seq)
{
	for (size_t i = 0; i < n; i++) {
		struct relp_frame *f = at(w, 0);

		*ret_seq = f->seq;
		w->freed += f->len;
		free(f->buf);
		*f = (struct relp_frame){0};
		w->head = (w->head + 1) % w->cap;
		w->len--;
		w->n_sent--;
	}
	return n;
}

size_t relp_window_sent(struct relp_window *w, uint64_t *ret_seq)
{
	if (w->n_sent >= w->len)
		return 0;
	w->n_sent++;
	return w->n_sent > w->window ? pop(w, w->n_sent - w->window, ret_seq) : 0;
}

size_t relp_window_all_acked(struct relp_window *w, uint64_t *ret_seq)
{
	return pop(w, w->n_sent, ret_seq);
}

size_t relp_window_lost(struct relp_window *w)
{
	size_t n = w->n_sent;

	w->n_sent = 0;
	return n;
}
