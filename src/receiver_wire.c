/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The receiver child's messages (receiver_wire.h): fixed-size words in
 * host order and length-prefixed byte strings, so that each side can
 * check every length before it reads a byte past it.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "receiver_wire.h"

void receiver_buf_free(struct receiver_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

size_t receiver_wire_max_payload(size_t max_line)
{
	size_t rec = RECEIVER_RECORD_FIXED + SYSLOG_HOST_MAX + SYSLOG_EVENT_ID_MAX + max_line;

	return rec > RECEIVER_TEXT_MAX ? rec : RECEIVER_TEXT_MAX;
}

/* Room for n more bytes, within b->max. */
static int reserve(struct receiver_buf *b, size_t n)
{
	size_t cap;
	char *p;

	if (n > b->max || b->len > b->max - n)
		return -ENOBUFS;
	if (b->len + n <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap < b->len + n)
		cap *= 2;
	if (cap > b->max)
		cap = b->max;
	p = realloc(b->p, cap);
	if (!p)
		return -ENOMEM;
	b->p = p;
	b->cap = cap;
	return 0;
}

static void put(struct receiver_buf *b, const void *v, size_t n)
{
	if (n)
		memcpy(b->p + b->len, v, n);
	b->len += n;
}

static void put_u32(struct receiver_buf *b, uint32_t v)
{
	put(b, &v, sizeof(v));
}

static void put_u64(struct receiver_buf *b, uint64_t v)
{
	put(b, &v, sizeof(v));
}

static void put_hdr(struct receiver_buf *b, enum receiver_msg_type type, size_t plen)
{
	put_u32(b, (uint32_t)plen);
	put_u32(b, type);
}

int receiver_wire_put_record(struct receiver_buf *b, const struct record *rec)
{
	size_t host = rec->host ? strlen(rec->host) : 0;
	size_t id = rec->event_id ? strlen(rec->event_id) : 0;
	size_t plen = RECEIVER_RECORD_FIXED + host + id + rec->len;
	int r;

	if (host > SYSLOG_HOST_MAX || id >= SYSLOG_EVENT_ID_MAX || rec->len > UINT32_MAX / 2)
		return -EINVAL;
	r = reserve(b, RECEIVER_HDR_SIZE + plen);
	if (r < 0)
		return r;
	put_hdr(b, RECEIVER_MSG_RECORD, plen);
	put(b, &rec->realtime_usec, 8);
	put_u32(b, (uint32_t)rec->pid);
	put_u32(b, (uint32_t)rec->priority);
	put_u32(b, rec->flags);
	put_u32(b, (uint32_t)host);
	put_u32(b, (uint32_t)id);
	put_u32(b, (uint32_t)rec->len);
	put_u32(b, 0); /* reserved: keeps the fixed part a multiple of 4 words */
	put(b, rec->host, host);
	put(b, rec->event_id, id);
	put(b, rec->msg, rec->len);
	return 0;
}

int receiver_wire_put_counts(struct receiver_buf *b, const struct receiver_counts *c)
{
	int r = reserve(b, RECEIVER_HDR_SIZE + 4 * 8);

	if (r < 0)
		return r;
	put_hdr(b, RECEIVER_MSG_COUNTS, 4 * 8);
	put_u64(b, c->input_dropped);
	put_u64(b, c->connections);
	put_u64(b, c->handshake_failures);
	put_u64(b, c->source_errors);
	return 0;
}

int receiver_wire_put_text(struct receiver_buf *b, enum receiver_msg_type type, const char *text)
{
	size_t n = strnlen(text, RECEIVER_TEXT_MAX);
	int r = reserve(b, RECEIVER_HDR_SIZE + n);

	if (r < 0)
		return r;
	put_hdr(b, type, n);
	put(b, text, n);
	return 0;
}

/* A string with its NUL; NULL as length 0. */
static void put_str(struct receiver_buf *b, const char *s)
{
	size_t n = s ? strlen(s) + 1 : 0;

	put_u32(b, (uint32_t)n);
	put(b, s, n);
}

static size_t str_size(const char *s)
{
	return 4 + (s ? strlen(s) + 1 : 0);
}

int receiver_wire_put_options(struct receiver_buf *b, const struct receiver_options *o)
{
	size_t plen = 12 * 4;
	int r;

	if (o->n_listen > RECEIVER_LIST_MAX || o->n_permitted_peers > RECEIVER_LIST_MAX)
		return -EINVAL;
	for (size_t i = 0; i < o->n_listen; i++)
		plen += str_size(o->listen[i]);
	for (size_t i = 0; i < o->n_permitted_peers; i++)
		plen += str_size(o->permitted_peers[i]);
	plen += str_size(o->path) + str_size(o->ca_file) + str_size(o->cert_file) +
		str_size(o->key_file) + str_size(o->app_name);
	if (plen > RECEIVER_OPTIONS_MAX)
		return -EINVAL;
	r = reserve(b, RECEIVER_HDR_SIZE + plen);
	if (r < 0)
		return r;
	put_hdr(b, RECEIVER_MSG_OPTIONS, plen);
	put_u32(b, (uint32_t)o->n_listen);
	put_u32(b, (uint32_t)o->n_permitted_peers);
	put_u32(b, o->require_client_cert);
	put_u32(b, o->host_from_cert);
	put_u32(b, o->max_connections);
	put_u32(b, o->max_frame_bytes);
	put_u32(b, o->idle_timeout_s);
	put_u32(b, o->max_line_bytes);
	put_u32(b, (uint32_t)o->log_level);
	put_u32(b, 0);
	put_u32(b, 0);
	put_u32(b, 0);
	for (size_t i = 0; i < o->n_listen; i++)
		put_str(b, o->listen[i]);
	for (size_t i = 0; i < o->n_permitted_peers; i++)
		put_str(b, o->permitted_peers[i]);
	put_str(b, o->path);
	put_str(b, o->ca_file);
	put_str(b, o->cert_file);
	put_str(b, o->key_file);
	put_str(b, o->app_name);
	return 0;
}

int receiver_wire_next(const char *buf, size_t len, size_t max_payload, uint32_t *ret_type,
		       const char **ret_payload, size_t *ret_plen)
{
	uint32_t plen, type;

	if (len < RECEIVER_HDR_SIZE)
		return 0;
	memcpy(&plen, buf, 4);
	memcpy(&type, buf + 4, 4);
	if (type == 0 || type >= RECEIVER_MSG__MAX || plen > max_payload)
		return -EBADMSG;
	if (len - RECEIVER_HDR_SIZE < plen)
		return 0;
	*ret_type = type;
	*ret_payload = buf + RECEIVER_HDR_SIZE;
	*ret_plen = plen;
	return (int)(RECEIVER_HDR_SIZE + plen);
}

/* A reader over p[0..len) that fails once and stays failed. */
struct rd {
	const char *p;
	size_t len;
	int err;
};

static uint32_t get_u32(struct rd *r)
{
	uint32_t v = 0;

	if (r->len < 4) {
		r->err = -EBADMSG;
		return 0;
	}
	memcpy(&v, r->p, 4);
	r->p += 4;
	r->len -= 4;
	return v;
}

static uint64_t get_u64(struct rd *r)
{
	uint64_t v = 0;

	if (r->len < 8) {
		r->err = -EBADMSG;
		return 0;
	}
	memcpy(&v, r->p, 8);
	r->p += 8;
	r->len -= 8;
	return v;
}

/* n bytes, or NULL (r failed) when fewer are left. */
static const char *get_bytes(struct rd *r, size_t n)
{
	const char *p = r->p;

	if (r->len < n) {
		r->err = -EBADMSG;
		return NULL;
	}
	r->p += n;
	r->len -= n;
	return p;
}

int receiver_wire_get_record(const char *p, size_t plen, size_t max_line, struct record *ret,
			     char host[SYSLOG_HOST_MAX + 1], char id[SYSLOG_EVENT_ID_MAX])
{
	struct rd r = {.p = p, .len = plen};
	uint32_t pid, prio, flags, host_len, id_len, msg_len;
	int64_t t = (int64_t)get_u64(&r);
	const char *h, *i, *m;

	pid = get_u32(&r);
	prio = get_u32(&r);
	flags = get_u32(&r);
	host_len = get_u32(&r);
	id_len = get_u32(&r);
	msg_len = get_u32(&r);
	get_u32(&r);
	if (r.err || host_len > SYSLOG_HOST_MAX || id_len >= SYSLOG_EVENT_ID_MAX ||
	    msg_len > max_line || (size_t)host_len + id_len + msg_len != r.len)
		return -EBADMSG;
	if ((flags & ~(uint32_t)RECORD_TRUNCATED) || (int32_t)pid < 0 || (int32_t)prio < -1 ||
	    (int32_t)prio > 7)
		return -EBADMSG;
	h = get_bytes(&r, host_len);
	i = get_bytes(&r, id_len);
	m = get_bytes(&r, msg_len);
	if (r.err || memchr(h, 0, host_len) || memchr(i, 0, id_len))
		return -EBADMSG;
	memcpy(host, h, host_len);
	host[host_len] = 0;
	memcpy(id, i, id_len);
	id[id_len] = 0;
	*ret = (struct record){
	    .msg = m,
	    .len = msg_len,
	    .realtime_usec = t,
	    .host = host_len ? host : NULL,
	    .pid = (int)pid,
	    .priority = (int)(int32_t)prio,
	    .event_id = id_len ? id : NULL,
	    .flags = flags,
	};
	return 0;
}

int receiver_wire_get_counts(const char *p, size_t plen, struct receiver_counts *ret)
{
	struct rd r = {.p = p, .len = plen};
	struct receiver_counts c;

	c.input_dropped = get_u64(&r);
	c.connections = get_u64(&r);
	c.handshake_failures = get_u64(&r);
	c.source_errors = get_u64(&r);
	if (r.err || r.len)
		return -EBADMSG;
	*ret = c;
	return 0;
}

/* A string sent with its NUL and no other, or NULL for length 0. */
static const char *get_str(struct rd *r)
{
	uint32_t n = get_u32(r);
	const char *s;

	if (r->err || n == 0)
		return NULL;
	s = get_bytes(r, n);
	if (!s || s[n - 1] != 0 || memchr(s, 0, n - 1)) {
		r->err = -EBADMSG;
		return NULL;
	}
	return s;
}

int receiver_wire_get_options(const char *p, size_t plen, struct receiver_options *ret)
{
	struct rd r = {.p = p, .len = plen};
	struct receiver_options o = {0};

	o.n_listen = get_u32(&r);
	o.n_permitted_peers = get_u32(&r);
	o.require_client_cert = get_u32(&r) != 0;
	o.host_from_cert = get_u32(&r) != 0;
	o.max_connections = get_u32(&r);
	o.max_frame_bytes = get_u32(&r);
	o.idle_timeout_s = get_u32(&r);
	o.max_line_bytes = get_u32(&r);
	o.log_level = (int)get_u32(&r);
	get_u32(&r);
	get_u32(&r);
	get_u32(&r);
	if (r.err || o.n_listen > RECEIVER_LIST_MAX || o.n_permitted_peers > RECEIVER_LIST_MAX)
		return -EBADMSG;
	for (size_t i = 0; i < o.n_listen; i++)
		o.listen[i] = get_str(&r);
	for (size_t i = 0; i < o.n_permitted_peers; i++)
		o.permitted_peers[i] = get_str(&r);
	o.path = get_str(&r);
	o.ca_file = get_str(&r);
	o.cert_file = get_str(&r);
	o.key_file = get_str(&r);
	o.app_name = get_str(&r);
	if (r.err || r.len)
		return -EBADMSG;
	for (size_t i = 0; i < o.n_listen; i++)
		if (!o.listen[i])
			return -EBADMSG;
	for (size_t i = 0; i < o.n_permitted_peers; i++)
		if (!o.permitted_peers[i])
			return -EBADMSG;
	*ret = o;
	return 0;
}
