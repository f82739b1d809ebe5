/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "seqring.h"

#define SEQRING_FIRST_CAP 1024

void seqring_init(struct seqring *q, size_t elem)
{
	*q = (struct seqring){.elem = elem};
}

void seqring_free(struct seqring *q)
{
	free(q->v);
	seqring_init(q, q->elem);
}

static int grow(struct seqring *q)
{
	size_t cap = q->cap ? q->cap * 2 : SEQRING_FIRST_CAP;
	unsigned char *v = malloc(cap * q->elem);

	if (!v)
		return -ENOMEM;
	/* Unwrap: the oldest entry goes to slot 0. */
	for (size_t i = 0; i < q->len; i++)
		memcpy(v + i * q->elem, q->v + ((q->head + i) % q->cap) * q->elem, q->elem);
	free(q->v);
	q->v = v;
	q->cap = cap;
	q->head = 0;
	return 0;
}

int seqring_push(struct seqring *q, const void *entry)
{
	if (q->len == q->cap && grow(q) < 0)
		return -ENOMEM;
	memcpy(q->v + ((q->head + q->len) % q->cap) * q->elem, entry, q->elem);
	q->len++;
	return 0;
}

void *seqring_front(const struct seqring *q)
{
	return q->len ? q->v + q->head * q->elem : NULL;
}

void seqring_pop(struct seqring *q)
{
	if (!q->len)
		return;
	q->head = (q->head + 1) % q->cap;
	q->len--;
}
