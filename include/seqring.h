/* SPDX-License-Identifier: Apache-2.0 */
#ifndef IKELOGD_SEQRING_H
#define IKELOGD_SEQRING_H

#include <stddef.h>

/*
 * A FIFO of fixed-size entries that grows by doubling: the sources keep
 * the position of each record in flight in one, oldest first, until the
 * pipeline reports it delivered. Entries are copied in and out by value.
 */
struct seqring {
	unsigned char *v;
	size_t elem; /* bytes per entry */
	size_t head, len, cap;
};

/* An empty ring of entries of elem bytes; it allocates on the first push. */
void seqring_init(struct seqring *q, size_t elem);
/* Frees the entries' storage (not what they point to); the ring is empty again. */
void seqring_free(struct seqring *q);
/* Appends a copy of *entry. Returns 0 or -ENOMEM (the ring unchanged). */
int seqring_push(struct seqring *q, const void *entry);
/* The oldest entry, or NULL when empty; valid until the next push or pop. */
void *seqring_front(const struct seqring *q);
/* Drops the oldest entry; nothing when empty. */
void seqring_pop(struct seqring *q);

static inline size_t seqring_len(const struct seqring *q)
{
	return q->len;
}

#endif
