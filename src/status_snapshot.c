/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A status snapshot as events (the two whack outputs joined by serial and
 * connection), and the tracker that compares one snapshot with the next.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "status.h"

#define CONN_MAX 128
#define IP_MAX	 48
#define SPI_MAX	 19

/* ---- joining the two outputs ---- */

/* What --showstates says about one serial: its IKE SA and its SPIs. */
struct sa_info {
	char conn[CONN_MAX];
	int64_t inst, serial, parent;
	char spi_in[SPI_MAX], spi_out[SPI_MAX];
	char peer[IP_MAX]; /* an instance's, or the SAID's address of a Child SA */
	bool covered;	   /* a --trafficstatus line is about it */
};

struct line_ref {
	const char *s;
	size_t len;
};

static void copy_field(const struct event *ev, enum field f, char *out, size_t size)
{
	size_t l;
	const char *s = event_str(ev, f, &l);

	out[0] = '\0';
	if (s && l < size) {
		memcpy(out, s, l);
		out[l] = '\0';
	}
}

static struct sa_info *find_info(struct sa_info *v, size_t n, const struct event *ev)
{
	size_t cl;
	const char *conn = event_str(ev, F_CONN_NAME, &cl);
	int64_t serial = event_int(ev, F_STATE_SERIAL, -1),
		inst = event_int(ev, F_CONN_INSTANCE, 0);

	for (size_t i = 0; conn && i < n; i++)
		if (v[i].serial == serial && v[i].inst == inst && strlen(v[i].conn) == cl &&
		    memcmp(v[i].conn, conn, cl) == 0)
			return &v[i];
	return NULL;
}

/* Splits both texts into lines (borrowed spans). */
static int split(const char *a, size_t al, const char *b, size_t bl, struct line_ref **ret,
		 size_t *ret_n)
{
	size_t cap = 1, n = 0;
	struct line_ref *v;

	for (size_t i = 0; i < al; i++)
		cap += a[i] == '\n';
	for (size_t i = 0; i < bl; i++)
		cap += b[i] == '\n';
	v = calloc(cap + 2, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (int k = 0; k < 2; k++) {
		const char *t = k ? b : a;
		size_t tl = k ? bl : al;

		for (size_t i = 0; t && i < tl;) {
			const char *nl = memchr(t + i, '\n', tl - i);
			size_t l = nl ? (size_t)(nl - (t + i)) : tl - i;

			v[n++] = (struct line_ref){t + i, l};
			i += l + 1;
		}
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

static void set_from_info(const struct sa_info *in, struct event *ev)
{
	if (!in)
		return;
	if (in->parent > 0 && !event_has(ev, F_PARENT_SERIAL))
		event_set_int(ev, F_PARENT_SERIAL, in->parent);
	if (in->spi_in[0] && !event_has(ev, F_SPI_IN))
		event_set_text(ev, F_SPI_IN, in->spi_in, strlen(in->spi_in));
	if (in->spi_out[0] && !event_has(ev, F_SPI_OUT))
		event_set_text(ev, F_SPI_OUT, in->spi_out, strlen(in->spi_out));
	if (in->peer[0] && !event_has(ev, F_PEER_IP))
		event_set_text(ev, F_PEER_IP, in->peer, strlen(in->peer));
}

static int send(struct event *ev, int64_t now_us, uint64_t *seq,
		int (*emit)(void *ud, struct event *ev), void *ud)
{
	status_stamp(ev, now_us, (*seq)++);
	return emit(ud, ev);
}

int status_snapshot(struct status_parser *p, const char *states, size_t states_len,
		    const char *traffic, size_t traffic_len, int64_t now_us, struct event *ev,
		    int (*emit)(void *ud, struct event *ev), void *ud, struct status_tracker *t,
		    struct status_counts *ret_counts)
{
	struct status_counts cnt = {0};
	struct line_ref *lines = NULL;
	struct sa_info *info = NULL;
	size_t n = 0, ni = 0;
	uint64_t seq = 0;
	int64_t now_s = now_us / 1000000;
	int r;

	r = split(states, states_len, traffic, traffic_len, &lines, &n);
	if (r < 0)
		goto out;
	info = calloc(n + 1, sizeof(*info));
	if (!info) {
		r = -ENOMEM;
		goto out;
	}
	/* Pass 1: what --showstates knows per serial. */
	for (size_t i = 0; i < n; i++) {
		event_reset(ev);
		enum status_kind k = status_parse_line(p, lines[i].s, lines[i].len, now_s, ev);
		struct sa_info *in;

		if (k != STATUS_STATE && k != STATUS_CHILD_TRAFFIC)
			continue;
		in = find_info(info, ni, ev);
		if (!in) {
			in = &info[ni++];
			copy_field(ev, F_CONN_NAME, in->conn, sizeof(in->conn));
			in->inst = event_int(ev, F_CONN_INSTANCE, 0);
			in->serial = event_int(ev, F_STATE_SERIAL, -1);
		}
		if (event_has(ev, F_PARENT_SERIAL) && !in->parent)
			in->parent = event_int(ev, F_PARENT_SERIAL, 0);
		if (event_has(ev, F_SPI_IN) && !in->spi_in[0])
			copy_field(ev, F_SPI_IN, in->spi_in, sizeof(in->spi_in));
		if (event_has(ev, F_SPI_OUT) && !in->spi_out[0])
			copy_field(ev, F_SPI_OUT, in->spi_out, sizeof(in->spi_out));
		if (event_has(ev, F_PEER_IP) && !in->peer[0])
			copy_field(ev, F_PEER_IP, in->peer, sizeof(in->peer));
	}
	/* Pass 2: the events, --showstates' Child SA traffic lines held back. */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < n; i++) {
			event_reset(ev);
			enum status_kind k =
			    status_parse_line(p, lines[i].s, lines[i].len, now_s, ev);
			struct sa_info *in;

			if (k == STATUS_SKIP || (pass == 0) == (k == STATUS_CHILD_TRAFFIC))
				continue;
			in = find_info(info, ni, ev);
			/*
			 * Both outputs of one snapshot: --trafficstatus says it (with
			 * exact byte counts). A saved file (one text) keeps every line.
			 */
			if (k == STATUS_CHILD_TRAFFIC && in && in->covered && traffic_len)
				continue;
			if (k == STATUS_TRAFFIC && in)
				in->covered = true;
			if (k == STATUS_TRAFFIC || k == STATUS_CHILD_TRAFFIC) {
				set_from_info(in, ev);
				cnt.tunnels++;
				if (t && status_tracker_add(t, ev) < 0)
					r = -ENOMEM;
			} else if (k == STATUS_STATE) {
				cnt.states++;
			} else {
				cnt.unparsed++;
			}
			if ((r = send(ev, now_us, &seq, emit, ud)) < 0)
				goto out;
		}
	}
out:
	if (ret_counts)
		*ret_counts = cnt;
	free(info);
	free(lines);
	return r < 0 ? r : 0;
}

/* ---- the tracker ---- */

struct tunnel {
	char conn[CONN_MAX];
	char peer[IP_MAX];
	int64_t inst, serial, parent;
};

enum note_kind { NOTE_UP, NOTE_DOWN, NOTE_IKE_DOWN };

struct note {
	char conn[CONN_MAX];
	int64_t inst, serial;
	enum note_kind kind;
};

struct status_tracker {
	size_t max;
	struct tunnel *cur, *next;
	size_t n_cur, n_next;
	struct note *notes;
	size_t n_notes;
	bool baseline; /* a snapshot was taken: the next one is compared with it */
	bool all_down; /* pluto said it is stopping since the last snapshot */
	uint64_t dropped;
};

int status_tracker_new(size_t max, struct status_tracker **ret)
{
	struct status_tracker *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	t->max = max ? max : 1;
	t->cur = calloc(t->max, sizeof(*t->cur));
	t->next = calloc(t->max, sizeof(*t->next));
	t->notes = calloc(t->max, sizeof(*t->notes));
	if (!t->cur || !t->next || !t->notes) {
		status_tracker_free(t);
		return -ENOMEM;
	}
	*ret = t;
	return 0;
}

void status_tracker_free(struct status_tracker *t)
{
	if (!t)
		return;
	free(t->cur);
	free(t->next);
	free(t->notes);
	free(t);
}

uint64_t status_tracker_dropped(const struct status_tracker *t)
{
	return t->dropped;
}

static bool same_conn(const char *a, int64_t ai, const char *b, int64_t bi)
{
	return ai == bi && strcmp(a, b) == 0;
}

void status_tracker_note_log(struct status_tracker *t, const struct event *ev)
{
	const char *type = event_str(ev, F_EVENT_TYPE, NULL);
	const char *result = event_str(ev, F_RESULT, NULL);
	struct note *nt;
	enum note_kind kind;

	if (!type || !event_has(ev, F_STATE_SERIAL) || !event_has(ev, F_CONN_NAME)) {
		if (type && strcmp(type, "daemon_stop") == 0)
			t->all_down = true;
		return;
	}
	if ((strcmp(type, "child_sa_create") == 0 || strcmp(type, "child_sa_rekey") == 0) &&
	    result && strcmp(result, "failure") != 0)
		kind = NOTE_UP;
	else if (strcmp(type, "child_sa_delete") == 0)
		kind = NOTE_DOWN;
	else if (strcmp(type, "ike_sa_delete") == 0)
		kind = NOTE_IKE_DOWN;
	else
		return;
	if (t->n_notes == t->max) {
		t->dropped++;
		return;
	}
	nt = &t->notes[t->n_notes++];
	copy_field(ev, F_CONN_NAME, nt->conn, sizeof(nt->conn));
	nt->inst = event_int(ev, F_CONN_INSTANCE, 0);
	nt->serial = event_int(ev, F_STATE_SERIAL, 0);
	nt->kind = kind;
}

void status_tracker_begin(struct status_tracker *t)
{
	t->n_next = 0;
}

static struct tunnel *find_tunnel(struct tunnel *v, size_t n, const struct tunnel *k)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].serial == k->serial && same_conn(v[i].conn, v[i].inst, k->conn, k->inst))
			return &v[i];
	return NULL;
}

int status_tracker_add(struct status_tracker *t, const struct event *ev)
{
	struct tunnel k = {0};

	copy_field(ev, F_CONN_NAME, k.conn, sizeof(k.conn));
	copy_field(ev, F_PEER_IP, k.peer, sizeof(k.peer));
	k.inst = event_int(ev, F_CONN_INSTANCE, 0);
	k.serial = event_int(ev, F_STATE_SERIAL, 0);
	k.parent = event_int(ev, F_PARENT_SERIAL, 0);
	if (find_tunnel(t->next, t->n_next, &k))
		return 0;
	if (t->n_next == t->max) {
		t->dropped++;
		return 0;
	}
	t->next[t->n_next++] = k;
	return 0;
}

/* Whether the log said, since the last snapshot, that tunnel x went up (or down). */
static bool reported(const struct status_tracker *t, const struct tunnel *x, bool up)
{
	if (!up && t->all_down)
		return true;
	for (size_t i = 0; i < t->n_notes; i++) {
		const struct note *nt = &t->notes[i];

		if (!same_conn(nt->conn, nt->inst, x->conn, x->inst))
			continue;
		if (up ? nt->kind == NOTE_UP && nt->serial == x->serial
		       : (nt->kind == NOTE_DOWN && nt->serial == x->serial) ||
			     (nt->kind == NOTE_IKE_DOWN && x->parent && nt->serial == x->parent))
			return true;
	}
	return false;
}

static int infer(const struct tunnel *x, bool up, int64_t now_us, uint64_t seq, struct event *ev,
		 int (*emit)(void *ud, struct event *ev), void *ud)
{
	const char *type = up ? "tunnel_up" : "tunnel_down";

	event_reset(ev);
	event_set_str(ev, F_EVENT_TYPE, type, strlen(type));
	event_set_str(ev, F_RESULT, "info", 4);
	event_set_int(ev, F_INFERRED, 1);
	event_set_str(ev, F_CONN_NAME, x->conn, strlen(x->conn));
	if (x->inst)
		event_set_int(ev, F_CONN_INSTANCE, x->inst);
	event_set_int(ev, F_STATE_SERIAL, x->serial);
	if (x->parent)
		event_set_int(ev, F_PARENT_SERIAL, x->parent);
	if (x->peer[0])
		event_set_text(ev, F_PEER_IP, x->peer, strlen(x->peer));
	status_stamp(ev, now_us, seq);
	return emit(ud, ev);
}

int status_tracker_end(struct status_tracker *t, int64_t now_us, struct event *ev,
		       int (*emit)(void *ud, struct event *ev), void *ud)
{
	int n = 0, r = 0;
	struct tunnel *swap;

	for (size_t i = 0; t->baseline && i < t->n_cur && r >= 0; i++)
		if (!find_tunnel(t->next, t->n_next, &t->cur[i]) && !reported(t, &t->cur[i], false))
			r = infer(&t->cur[i], false, now_us, (uint64_t)n, ev, emit, ud), n++;
	for (size_t i = 0; t->baseline && i < t->n_next && r >= 0; i++)
		if (!find_tunnel(t->cur, t->n_cur, &t->next[i]) && !reported(t, &t->next[i], true))
			r = infer(&t->next[i], true, now_us, (uint64_t)n, ev, emit, ud), n++;
	swap = t->cur;
	t->cur = t->next;
	t->n_cur = t->n_next;
	t->next = swap;
	t->n_next = 0;
	t->n_notes = 0;
	t->all_down = false;
	t->baseline = true;
	return r < 0 ? r : n;
}
