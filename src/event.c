/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The event: field table, arena setters with converters by type, and the
 * JSON writer that reuses one json-c tree across events.
 *
 * Short names (rule group names, `set:`/`expect:` keys, redaction keys) are
 * the schema names of DESIGN.md, except nested fields:
 *   encr integ prf dh_group esn                    -> transform.*
 *   child_protocol child_mode spi_in spi_out ts_local ts_remote dpd
 *                                                  -> child.{protocol,mode,spi_in,...}
 *   nat_local_behind nat_peer_behind encapsulation ->
 * nat.{local_behind_nat,peer_behind_nat,encapsulation} platform_host platform_process platform_pid
 * platform_implementation platform_version
 *                                                  ->
 * platform.{host,process,pid,implementation,version}
 */
#include <arpa/inet.h>
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <json-c/printbuf.h>

#include "event.h"

#define F(id, n, p, k, t) [id] = {.name = n, .parent = p, .key = k, .type = t}

const struct field_info field_table[F__MAX] = {
    F(F_SCHEMA_VERSION, "schema_version", NULL, "schema_version", FT_INT),
    F(F_EVENT_ID, "event_id", NULL, "event_id", FT_STRING),
    F(F_TIMESTAMP, "timestamp", NULL, "timestamp", FT_STRING),
    F(F_EVENT_TYPE, "event_type", NULL, "event_type", FT_STRING),
    F(F_RESULT, "result", NULL, "result", FT_STRING),
    F(F_ERROR_CODE, "error_code", NULL, "error_code", FT_STRING),
    F(F_REASON, "reason", NULL, "reason", FT_STRING),
    F(F_SEVERITY, "severity", NULL, "severity", FT_STRING),
    F(F_IKE_SA_ID, "ike_sa_id", NULL, "ike_sa_id", FT_STRING),
    F(F_PREVIOUS_IKE_SA_ID, "previous_ike_sa_id", NULL, "previous_ike_sa_id", FT_STRING),
    F(F_IKE_VERSION, "ike_version", NULL, "ike_version", FT_INT),
    F(F_EXCHANGE, "exchange", NULL, "exchange", FT_STRING),
    F(F_ROLE, "role", NULL, "role", FT_STRING),
    F(F_CONN_NAME, "conn_name", NULL, "conn_name", FT_STRING),
    F(F_CONN_INSTANCE, "conn_instance", NULL, "conn_instance", FT_INT),
    F(F_STATE_SERIAL, "state_serial", NULL, "state_serial", FT_INT),
    F(F_PARENT_SERIAL, "parent_serial", NULL, "parent_serial", FT_INT),
    F(F_REPLACED_SERIAL, "replaced_serial", NULL, "replaced_serial", FT_INT),
    F(F_STATE_NAME, "state_name", NULL, "state_name", FT_STRING),
    F(F_LOCAL_IP, "local_ip", NULL, "local_ip", FT_IP),
    F(F_LOCAL_PORT, "local_port", NULL, "local_port", FT_PORT),
    F(F_PEER_IP, "peer_ip", NULL, "peer_ip", FT_IP),
    F(F_PEER_PORT, "peer_port", NULL, "peer_port", FT_PORT),
    F(F_TRANSPORT, "transport", NULL, "transport", FT_STRING),
    F(F_INITIATOR_ID, "initiator_id", NULL, "initiator_id", FT_STRING),
    F(F_RESPONDER_ID, "responder_id", NULL, "responder_id", FT_STRING),
    F(F_ID_TYPE, "id_type", NULL, "id_type", FT_STRING),
    F(F_PEER_ID, "peer_id", NULL, "peer_id", FT_STRING),
    F(F_LOCAL_ID, "local_id", NULL, "local_id", FT_STRING),
    F(F_CERT_SUBJECT, "cert_subject", NULL, "cert_subject", FT_STRING),
    F(F_CERT_ISSUER, "cert_issuer", NULL, "cert_issuer", FT_STRING),
    F(F_AUTH_METHOD, "auth_method", NULL, "auth_method", FT_STRING),
    F(F_ENCR, "encr", "transform", "encr", FT_ALG),
    F(F_INTEG, "integ", "transform", "integ", FT_ALG),
    F(F_PRF, "prf", "transform", "prf", FT_ALG),
    F(F_DH_GROUP, "dh_group", "transform", "dh_group", FT_ALG),
    F(F_ESN, "esn", "transform", "esn", FT_BOOL),
    F(F_CHILD_PROTOCOL, "child_protocol", "child", "protocol", FT_STRING),
    F(F_CHILD_MODE, "child_mode", "child", "mode", FT_STRING),
    F(F_SPI_IN, "spi_in", "child", "spi_in", FT_SPI),
    F(F_SPI_OUT, "spi_out", "child", "spi_out", FT_SPI),
    F(F_TS_LOCAL, "ts_local", "child", "ts_local", FT_STRING),
    F(F_TS_REMOTE, "ts_remote", "child", "ts_remote", FT_STRING),
    F(F_DPD, "dpd", "child", "dpd", FT_STRING),
    F(F_NAT_LOCAL_BEHIND, "nat_local_behind", "nat", "local_behind_nat", FT_BOOL),
    F(F_NAT_PEER_BEHIND, "nat_peer_behind", "nat", "peer_behind_nat", FT_BOOL),
    F(F_ENCAPSULATION, "encapsulation", "nat", "encapsulation", FT_STRING),
    F(F_BYTES_IN, "bytes_in", NULL, "bytes_in", FT_INT),
    F(F_BYTES_OUT, "bytes_out", NULL, "bytes_out", FT_INT),
    F(F_LIFETIME_S, "lifetime_s", NULL, "lifetime_s", FT_INT),
    F(F_RETRANSMITS, "retransmits", NULL, "retransmits", FT_INT),
    F(F_TIMEOUT_S, "timeout_s", NULL, "timeout_s", FT_INT),
    F(F_USERNAME, "username", NULL, "username", FT_STRING),
    F(F_LEASE_IP, "lease_ip", NULL, "lease_ip", FT_STRING),
    F(F_PLATFORM_HOST, "platform_host", "platform", "host", FT_STRING),
    F(F_PLATFORM_PROCESS, "platform_process", "platform", "process", FT_STRING),
    F(F_PLATFORM_PID, "platform_pid", "platform", "pid", FT_INT),
    F(F_PLATFORM_IMPL, "platform_implementation", "platform", "implementation", FT_STRING),
    F(F_PLATFORM_VERSION, "platform_version", "platform", "version", FT_STRING),
    F(F_RULE, "rule", NULL, "rule", FT_STRING),
    F(F_MESSAGE, "message", NULL, "message", FT_STRING),
    F(F_WEAK_CRYPTO, "weak_crypto", NULL, "weak_crypto", FT_LIST),
};

static_assert(sizeof(field_table) / sizeof(field_table[0]) == F__MAX, "field table covers enum");

/* The nested objects, in output order after the top-level fields that precede them. */
static const char *const parents[] = {"transform", "child", "nat", "platform"};
#define N_PARENTS (sizeof(parents) / sizeof(parents[0]))

static int parent_index(const char *p)
{
	for (size_t i = 0; p && i < N_PARENTS; i++)
		if (strcmp(parents[i], p) == 0)
			return (int)i;
	return -1;
}

/* The fields in strcmp order of their short names, for field_lookup's binary search. */
static const uint8_t by_name[F__MAX] = {
    F_AUTH_METHOD,
    F_BYTES_IN,
    F_BYTES_OUT,
    F_CERT_ISSUER,
    F_CERT_SUBJECT,
    F_CHILD_MODE,
    F_CHILD_PROTOCOL,
    F_CONN_INSTANCE,
    F_CONN_NAME,
    F_DH_GROUP,
    F_DPD,
    F_ENCAPSULATION,
    F_ENCR,
    F_ERROR_CODE,
    F_ESN,
    F_EVENT_ID,
    F_EVENT_TYPE,
    F_EXCHANGE,
    F_ID_TYPE,
    F_IKE_SA_ID,
    F_IKE_VERSION,
    F_INITIATOR_ID,
    F_INTEG,
    F_LEASE_IP,
    F_LIFETIME_S,
    F_LOCAL_ID,
    F_LOCAL_IP,
    F_LOCAL_PORT,
    F_MESSAGE,
    F_NAT_LOCAL_BEHIND,
    F_NAT_PEER_BEHIND,
    F_PARENT_SERIAL,
    F_PEER_ID,
    F_PEER_IP,
    F_PEER_PORT,
    F_PLATFORM_HOST,
    F_PLATFORM_IMPL,
    F_PLATFORM_PID,
    F_PLATFORM_PROCESS,
    F_PLATFORM_VERSION,
    F_PREVIOUS_IKE_SA_ID,
    F_PRF,
    F_REASON,
    F_REPLACED_SERIAL,
    F_RESPONDER_ID,
    F_RESULT,
    F_RETRANSMITS,
    F_ROLE,
    F_RULE,
    F_SCHEMA_VERSION,
    F_SEVERITY,
    F_SPI_IN,
    F_SPI_OUT,
    F_STATE_NAME,
    F_STATE_SERIAL,
    F_TIMEOUT_S,
    F_TIMESTAMP,
    F_TRANSPORT,
    F_TS_LOCAL,
    F_TS_REMOTE,
    F_USERNAME,
    F_WEAK_CRYPTO,
};

static_assert(F__MAX <= 256, "by_name holds fields as bytes");

static int cmp_name(const char *name, size_t len, const char *other)
{
	int c = strncmp(name, other, len);

	return c ? c : (other[len] ? -1 : 0);
}

/*
 * Binary search over by_name (test_event checks every name is found, which
 * also checks the order). A dotted JSON path ("transform.encr",
 * "nat.peer_behind_nat") is looked up by scanning: rare, and only at load.
 */
int field_lookup(const char *name, size_t len)
{
	const char *dot = memchr(name, '.', len);

	if (!dot) {
		size_t lo = 0, hi = F__MAX;

		if (memchr(name, '\0', len))
			return -ENOENT;
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;
			int c = cmp_name(name, len, field_table[by_name[mid]].name);

			if (c == 0)
				return by_name[mid];
			if (c < 0)
				hi = mid;
			else
				lo = mid + 1;
		}
		return -ENOENT;
	}
	size_t pl = (size_t)(dot - name);

	for (int f = 0; f < F__MAX; f++) {
		const struct field_info *fi = &field_table[f];

		if (fi->parent && strlen(fi->parent) == pl && memcmp(fi->parent, name, pl) == 0 &&
		    strlen(fi->key) == len - pl - 1 && memcmp(fi->key, dot + 1, len - pl - 1) == 0)
			return f;
	}
	return -ENOENT;
}

int event_init(struct event *ev, size_t text_cap)
{
	char *t = malloc(text_cap ? text_cap : 1);

	if (!t)
		return -ENOMEM;
	memset(ev, 0, sizeof(*ev));
	ev->text = t;
	ev->text_cap = text_cap ? text_cap : 1;
	return 0;
}

void event_done(struct event *ev)
{
	if (!ev)
		return;
	free(ev->text);
	ev->text = NULL;
	ev->text_cap = ev->text_len = 0;
}

void event_reset(struct event *ev)
{
	memset(ev->present, 0, sizeof(ev->present));
	ev->text_len = 0;
	ev->rec = NULL;
	ev->rule = NULL;
}

static void mark(struct event *ev, enum field f, bool on)
{
	if (on)
		ev->present[f / 64] |= UINT64_C(1) << (f % 64);
	else
		ev->present[f / 64] &= ~(UINT64_C(1) << (f % 64));
}

void event_unset(struct event *ev, enum field f)
{
	if (f >= 0 && f < F__MAX)
		mark(ev, f, false);
}

/* Copies s into the arena with a NUL; returns the offset or -ENOSPC. */
static int64_t arena_put(struct event *ev, const char *s, size_t len)
{
	if (len >= UINT32_MAX || ev->text_len + len + 1 > ev->text_cap)
		return -ENOSPC;
	size_t off = ev->text_len;

	if (len)
		memcpy(ev->text + off, s, len);
	ev->text[off + len] = '\0';
	ev->text_len += len + 1;
	return (int64_t)off;
}

int event_set_str(struct event *ev, enum field f, const char *s, size_t len)
{
	if (f < 0 || f >= F__MAX)
		return -EINVAL;
	int64_t off = arena_put(ev, s, len);

	if (off < 0)
		return (int)off;
	ev->v[f] = (struct event_value){.off = (uint32_t)off, .len = (uint32_t)len, .num = 0};
	mark(ev, f, true);
	return 0;
}

int event_set_int(struct event *ev, enum field f, int64_t n)
{
	char buf[24], *p = buf + sizeof(buf);
	uint64_t u = n < 0 ? -(uint64_t)n : (uint64_t)n;
	int r;

	if (f < 0 || f >= F__MAX)
		return -EINVAL;
	if (field_table[f].type == FT_BOOL) {
		p = n ? "true" : "false";
		r = event_set_str(ev, f, p, strlen(p));
	} else {
		do
			*--p = (char)('0' + u % 10);
		while ((u /= 10) > 0);
		if (n < 0)
			*--p = '-';
		r = event_set_str(ev, f, p, (size_t)(buf + sizeof(buf) - p));
	}
	if (r < 0)
		return r;
	ev->v[f].num = n;
	return 0;
}

static bool eq_ci(const char *s, size_t len, const char *lit)
{
	return strlen(lit) == len && strncasecmp(s, lit, len) == 0;
}

/* Decimal with an optional byte unit (B, KB, KiB, MB, MiB, ...). */
static int parse_int(const char *s, size_t len, int64_t *ret)
{
	static const struct {
		const char *u;
		int64_t mul;
	} units[] = {
	    {"B", 1},
	    {"KB", 1000},
	    {"KiB", 1024},
	    {"MB", 1000000},
	    {"MiB", 1048576},
	    {"GB", 1000000000},
	    {"GiB", INT64_C(1073741824)},
	    {"TB", INT64_C(1000000000000)},
	    {"TiB", INT64_C(1099511627776)},
	};
	size_t i = 0;
	bool neg = false;
	int64_t n = 0;

	if (i < len && (s[i] == '-' || s[i] == '+'))
		neg = s[i++] == '-';
	if (i == len || !isdigit((unsigned char)s[i]))
		return -EINVAL;
	for (; i < len && isdigit((unsigned char)s[i]); i++) {
		if (n > (INT64_MAX - 9) / 10)
			return -ERANGE;
		n = n * 10 + (s[i] - '0');
	}
	if (i < len) {
		size_t k;

		for (k = 0; k < sizeof(units) / sizeof(units[0]); k++)
			if (eq_ci(s + i, len - i, units[k].u) && !(units[k].mul > 1 && s[i] == 'b'))
				break;
		if (k == sizeof(units) / sizeof(units[0]))
			return -EINVAL;
		if (n > INT64_MAX / units[k].mul)
			return -ERANGE;
		n *= units[k].mul;
	}
	*ret = neg ? -n : n;
	return 0;
}

static int set_ip(struct event *ev, enum field f, const char *s, size_t len)
{
	char buf[INET6_ADDRSTRLEN + 1];
	unsigned char bin[16];

	if (len >= 2 && s[0] == '[' && s[len - 1] == ']') {
		s++;
		len -= 2;
	}
	const char *pct = memchr(s, '%', len);

	if (pct)
		len = (size_t)(pct - s);
	if (len == 0 || len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (inet_pton(AF_INET, buf, bin) != 1 && inet_pton(AF_INET6, buf, bin) != 1)
		return -EINVAL;
	return event_set_str(ev, f, buf, len);
}

static int set_spi(struct event *ev, enum field f, const char *s, size_t len)
{
	char buf[2 + 16];

	if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		s += 2;
		len -= 2;
	}
	if (len == 0 || len > 16)
		return -EINVAL;
	buf[0] = '0';
	buf[1] = 'x';
	for (size_t i = 0; i < len; i++) {
		if (!isxdigit((unsigned char)s[i]))
			return -EINVAL;
		buf[2 + i] = (char)tolower((unsigned char)s[i]);
	}
	return event_set_str(ev, f, buf, len + 2);
}

static int set_alg(struct event *ev, enum field f, const char *s, size_t len)
{
	char buf[128];

	if (len == 0 || eq_ci(s, len, "n/a") || eq_ci(s, len, "none")) {
		mark(ev, f, false);
		return 0;
	}
	if (len >= sizeof(buf))
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)s[i] <= ' ')
			return -EINVAL;
		buf[i] = (char)toupper((unsigned char)s[i]);
	}
	return event_set_str(ev, f, buf, len);
}

int event_set_text(struct event *ev, enum field f, const char *s, size_t len)
{
	int64_t n = 0;
	int r;

	if (f < 0 || f >= F__MAX)
		return -EINVAL;
	switch (field_table[f].type) {
	case FT_INT:
		r = parse_int(s, len, &n);
		return r < 0 ? -EINVAL : event_set_int(ev, f, n);
	case FT_PORT:
		r = parse_int(s, len, &n);
		if (r < 0 || n < 0 || n > 65535 || memchr(s, 'B', len) || memchr(s, 'b', len))
			return -EINVAL;
		return event_set_int(ev, f, n);
	case FT_BOOL:
		if (eq_ci(s, len, "true") || eq_ci(s, len, "yes") || eq_ci(s, len, "1"))
			return event_set_int(ev, f, 1);
		if (eq_ci(s, len, "false") || eq_ci(s, len, "no") || eq_ci(s, len, "0"))
			return event_set_int(ev, f, 0);
		return -EINVAL;
	case FT_IP:
		return set_ip(ev, f, s, len);
	case FT_SPI:
		return set_spi(ev, f, s, len);
	case FT_ALG:
		return set_alg(ev, f, s, len);
	case FT_STRING:
	case FT_LIST:
	case FT__MAX:
		break;
	}
	if (len == 0) { /* an empty capture is no value */
		mark(ev, f, false);
		return 0;
	}
	return event_set_str(ev, f, s, len);
}

const char *event_str(const struct event *ev, enum field f, size_t *ret_len)
{
	if (f < 0 || f >= F__MAX || !event_has(ev, f))
		return NULL;
	if (ret_len)
		*ret_len = ev->v[f].len;
	return ev->text + ev->v[f].off;
}

int64_t event_int(const struct event *ev, enum field f, int64_t def)
{
	if (f < 0 || f >= F__MAX || !event_has(ev, f))
		return def;
	return ev->v[f].num;
}

/* ---- JSON ---- */

#define LIST_MAX 8 /* weak_crypto entries rendered */

/* String values up to this length come from per-length pools (see set_string). */
#define POOL_MAX_LEN 96

struct event_json {
	struct json_object *top;
	struct json_object *sub[N_PARENTS];
	struct json_object *val[F__MAX]; /* one retained value object per field */
	struct json_object *cur[F__MAX]; /* the object holding this render's value */
	int pidx[F__MAX];		 /* parent index, -1 = top level */
	/*
	 * The keys each object held after the last render, in order: items are
	 * fields (< F__MAX) or nested objects (F__MAX + parent index), with the
	 * value object each held. Only the tail after the first different key
	 * is deleted and re-added; a changed value object is swapped in place.
	 */
	int prev[N_PARENTS + 1][F__MAX];
	struct json_object *prev_obj[N_PARENTS + 1][F__MAX];
	size_t n_prev[N_PARENTS + 1];
	struct json_object *list_items[LIST_MAX];
	/* pool[slot][len]: string objects created at that exact length, slot = field or F__MAX +
	 * list item */
	struct json_object **pool[F__MAX + LIST_MAX];
	char *scratch; /* UTF-8 repair buffer */
	size_t scratch_cap;
};

static json_object_to_json_string_fn int_to_json;

void event_json_free(struct event_json *w)
{
	if (!w)
		return;
	json_object_put(w->top); /* drops the containers' refs */
	for (size_t i = 0; i < N_PARENTS; i++)
		json_object_put(w->sub[i]);
	for (int f = 0; f < F__MAX; f++)
		json_object_put(w->val[f]);
	for (size_t i = 0; i < LIST_MAX; i++)
		json_object_put(w->list_items[i]);
	for (size_t i = 0; i < F__MAX + LIST_MAX; i++) {
		for (size_t l = 0; w->pool[i] && l <= POOL_MAX_LEN; l++)
			json_object_put(w->pool[i][l]);
		free(w->pool[i]);
	}
	free(w->scratch);
	free(w);
}

int event_json_new(struct event_json **ret)
{
	struct event_json *w = calloc(1, sizeof(*w));
	int r = -ENOMEM;

	if (!w)
		goto out;
	if (!(w->top = json_object_new_object()))
		goto out;
	for (size_t i = 0; i < N_PARENTS; i++)
		if (!(w->sub[i] = json_object_new_object()))
			goto out;
	for (int f = 0; f < F__MAX; f++) {
		w->pidx[f] = parent_index(field_table[f].parent);
		switch (field_table[f].type) {
		case FT_INT:
		case FT_PORT:
			w->val[f] = json_object_new_int64(0);
			if (w->val[f])
				json_object_set_serializer(w->val[f], int_to_json, NULL, NULL);
			break;
		case FT_BOOL:
			w->val[f] = json_object_new_boolean(0);
			break;
		case FT_LIST:
			w->val[f] = json_object_new_array_ext(LIST_MAX);
			break;
		default:
			/* Starts with a long buffer so short values fit without growing. */
			w->val[f] = json_object_new_string("");
			break;
		}
		if (!w->val[f])
			goto out;
	}
	for (size_t i = 0; i < LIST_MAX; i++)
		if (!(w->list_items[i] = json_object_new_string("")))
			goto out;
	*ret = w;
	w = NULL;
	r = 0;
out:
	event_json_free(w);
	return r;
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if invalid. */
static size_t utf8_seq(const unsigned char *s, size_t len)
{
	unsigned char c = s[0];
	size_t n;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, cp = c & 0x07;
	else
		return 0;
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return n;
}

/* Returns s itself when valid UTF-8, else a repaired copy in w->scratch (or NULL). */
static const char *utf8_clean(struct event_json *w, const char *s, size_t len, size_t *ret_len)
{
	size_t i = 0, k = 1;

	/* ASCII eight bytes at a time: almost every value is plain ASCII. */
	for (uint64_t x; i + 8 <= len; i += 8) {
		memcpy(&x, s + i, 8);
		if (x & UINT64_C(0x8080808080808080))
			break;
	}
	while (i < len && (unsigned char)s[i] < 0x80)
		i++;
	while (i < len && (k = utf8_seq((const unsigned char *)s + i, len - i)) > 0)
		i += k;
	*ret_len = len;
	if (i == len)
		return s;
	if (w->scratch_cap < len * 3 + 1) {
		char *n = realloc(w->scratch, len * 3 + 1);

		if (!n)
			return NULL;
		w->scratch = n;
		w->scratch_cap = len * 3 + 1;
	}
	size_t o = 0;

	for (i = 0; i < len;) {
		k = utf8_seq((const unsigned char *)s + i, len - i);
		if (k == 0) {
			memcpy(w->scratch + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
			continue;
		}
		memcpy(w->scratch + o, s + i, k);
		o += k;
		i += k;
	}
	*ret_len = o;
	return w->scratch;
}

/*
 * json-c 0.16 reuses a string's buffer only when the new value is no longer
 * than the current one and mallocs otherwise (it keeps no capacity), and it
 * leaks the buffer when a string is set to "" (fixed in later releases; we
 * never set ""). So values up to POOL_MAX_LEN bytes go into a string object
 * made once for exactly that length: setting it never allocates, and steady
 * state does not allocate. Longer values (free text) use the field's own
 * object. Returns the object that holds the value, or NULL.
 */
static struct json_object *set_string(struct event_json *w, size_t slot, struct json_object *own,
				      const char *s, size_t len)
{
	struct json_object *o = own;

	if (len > INT32_MAX / 2)
		return NULL;
	if (len <= POOL_MAX_LEN) {
		if (!w->pool[slot] &&
		    !(w->pool[slot] = calloc(POOL_MAX_LEN + 1, sizeof(*w->pool[slot]))))
			return NULL;
		o = w->pool[slot][len];
		if (!o)
			return (w->pool[slot][len] = json_object_new_string_len(s, (int)len));
	}
	if ((size_t)json_object_get_string_len(o) == len &&
	    memcmp(json_object_get_string(o), s, len) == 0)
		return o;
	return json_object_set_string_len(o, s, (int)len) ? o : NULL;
}

static int set_value(struct event_json *w, const struct event *ev, int f)
{
	struct json_object *o = w->val[f];
	const char *s = ev->text + ev->v[f].off;

	w->cur[f] = o;
	size_t len = ev->v[f].len;

	switch (field_table[f].type) {
	case FT_INT:
	case FT_PORT:
		return json_object_set_int64(o, ev->v[f].num) ? 0 : -EINVAL;
	case FT_BOOL:
		return json_object_set_boolean(o, ev->v[f].num != 0) ? 0 : -EINVAL;
	case FT_LIST: {
		size_t n = json_object_array_length(o), i = 0;

		/* list_items hold their own refs, so deleting does not free them. */
		if (n)
			json_object_array_del_idx(o, 0, n);
		while (len > 0 && i < LIST_MAX) {
			const char *c = memchr(s, ',', len);
			size_t l = c ? (size_t)(c - s) : len, cl;
			const char *t = utf8_clean(w, s, l, &cl);

			if (l && t) {
				struct json_object *it =
				    set_string(w, F__MAX + i, w->list_items[i], t, cl);

				if (!it)
					return -ENOMEM;
				json_object_array_add(o, json_object_get(it));
				i++;
			}
			s += c ? l + 1 : l;
			len -= c ? l + 1 : l;
		}
		return i > 0 ? 0 : -ENOENT;
	}
	default: {
		size_t cl;
		const char *t = utf8_clean(w, s, len, &cl);

		if (!t)
			return -ENOMEM;
		/* Absent, never "" (and see set_string on json-c and ""). */
		if (cl == 0)
			return -ENOENT;
		w->cur[f] = set_string(w, (size_t)f, o, t, cl);
		return w->cur[f] ? 0 : -ENOMEM;
	}
	}
}

static void obj_add(struct json_object *obj, const char *key, struct json_object *v)
{
	json_object_object_add_ex(obj, key, json_object_get(v),
				  JSON_C_OBJECT_ADD_KEY_IS_NEW | JSON_C_OBJECT_KEY_IS_CONSTANT);
}

/*
 * json-c formats every integer with snprintf, which is a third of the cost
 * of a whole event. This serializer writes the same decimal digits (a JSON
 * number is nothing else); objects, strings and escaping stay json-c's.
 */
static int int_to_json(struct json_object *o, struct printbuf *pb, int level, int flags)
{
	char buf[24], *p = buf + sizeof(buf);
	int64_t n = json_object_get_int64(o);
	uint64_t u = n < 0 ? -(uint64_t)n : (uint64_t)n;

	do
		*--p = (char)('0' + u % 10);
	while ((u /= 10) > 0);
	if (n < 0)
		*--p = '-';
	return printbuf_memappend(pb, p, (int)(buf + sizeof(buf) - p));
}

static const char *item_key(int item)
{
	return item < F__MAX ? field_table[item].key : parents[item - F__MAX];
}

/* Brings object o (index oi: 0 = top, 1 + parent) from its previous key list to cur[0..n). */
static struct json_object *item_obj(struct event_json *w, int item)
{
	return item < F__MAX ? w->cur[item] : w->sub[item - F__MAX];
}

/* Brings object o (index oi: 0 = top, 1 + parent) from its previous keys to cur[0..n). */
static void sync_keys(struct event_json *w, size_t oi, struct json_object *o, const int *cur,
		      size_t n)
{
	size_t d = 0;

	while (d < n && d < w->n_prev[oi] && w->prev[oi][d] == cur[d]) {
		struct json_object *v = item_obj(w, cur[d]);

		if (v != w->prev_obj[oi][d]) { /* same key, another object: swap in place */
			json_object_object_add_ex(o, item_key(cur[d]), json_object_get(v),
						  JSON_C_OBJECT_KEY_IS_CONSTANT);
			w->prev_obj[oi][d] = v;
		}
		d++;
	}
	for (size_t i = d; i < w->n_prev[oi]; i++)
		json_object_object_del(o, item_key(w->prev[oi][i]));
	for (size_t i = d; i < n; i++) {
		w->prev_obj[oi][i] = item_obj(w, cur[i]);
		obj_add(o, item_key(cur[i]), w->prev_obj[oi][i]);
	}
	memcpy(w->prev[oi], cur, n * sizeof(*cur));
	w->n_prev[oi] = n;
}

int event_json_render(struct event_json *w, const struct event *ev, const char **ret,
		      size_t *ret_len)
{
	int cur[N_PARENTS + 1][F__MAX];
	size_t n[N_PARENTS + 1] = {0};
	size_t len = 0;
	const char *s;

	/* Values first; the lists of keys in table order, a nested object at its first field. */
	for (int f = 0; f < F__MAX; f++) {
		if (!event_has(ev, f) || set_value(w, ev, f) < 0)
			continue;
		int pi = w->pidx[f];

		if (pi < 0) {
			cur[0][n[0]++] = f;
			continue;
		}
		if (n[1 + pi] == 0)
			cur[0][n[0]++] = F__MAX + pi;
		cur[1 + pi][n[1 + pi]++] = f;
	}
	for (size_t pi = 0; pi < N_PARENTS; pi++)
		if (n[1 + pi])
			sync_keys(w, 1 + pi, w->sub[pi], cur[1 + pi], n[1 + pi]);
	sync_keys(w, 0, w->top, cur[0], n[0]);
	s = json_object_to_json_string_length(
	    w->top, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	if (!s)
		return -ENOMEM;
	*ret = s;
	*ret_len = len;
	return 0;
}
