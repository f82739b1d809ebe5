/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The ike_sa_summary of each IKE SA (correlate.h): made from its entry's
 * story and counts, as it ends (correlate_summaries_due) or when the input
 * ends (correlate_summaries).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "correlate_int.h"
#include "util.h"

static int by_start(const void *a, const void *b, void *ud)
{
	const struct correlator *c = ud;
	const struct sa_sum *x = &c->sum[*(const uint32_t *)a];
	const struct sa_sum *y = &c->sum[*(const uint32_t *)b];

	if (x->start_us != y->start_us)
		return x->start_us < y->start_us ? -1 : 1;
	return *(const uint32_t *)a < *(const uint32_t *)b ? -1 : 1;
}

/*
 * The summary event of IKE SA entry i in ev: its facts and the fields the
 * table has. Its own words, ids and counts and the story's facts (which
 * each passed the setters' checks on a line's event) go straight into
 * their slots (event_put_trusted): through the setters they were a quarter of
 * the summary's making.
 */
int corr_summary_event(struct correlator *c, uint32_t i, struct event *ev)
{
	const struct sa_story *st = &c->story[i];
	const struct sa_sum *s = &c->sum[i];
	char id[ID_LEN + 1], ts[40];
	int r = 0;

	event_reset(ev);
	r |= event_put_int_trusted(ev, F_SCHEMA_VERSION, 1);
	r |= event_put_trusted(ev, F_EVENT_ID,
			       corr_hex_id(corr_mix(c->v[i].id ^ UINT64_C(0x5a5a5a5a5a5a5a5a)), id),
			       ID_LEN, 0);
	r |= event_put_trusted(ev, F_TIMESTAMP, ts, util_rfc3339_us(s->end_us, ts), 0);
	r |= event_put_trusted(ev, F_EVENT_TYPE, "ike_sa_summary", 14, 0);
	r |= event_put_trusted(ev, F_RESULT, "info", 4, 0);
	r |= event_put_trusted(ev, F_SEVERITY, "info", 4, 0);
	r |= event_put_trusted(ev, F_IKE_SA_ID, corr_hex_id(c->v[i].id, id), ID_LEN, 0);
	r |= event_put_int_trusted(ev, F_STATE_SERIAL, c->v[i].serial);
	/* The error, reason and delete notify as a line's event held them. */
	if (s->err_len)
		r |= event_put_trusted(ev, F_ERROR_CODE, s->error_code, s->err_len, 0);
	if (s->reason_len)
		r |= event_put_trusted(ev, F_REASON, s->reason, s->reason_len, 0);
	if (s->notify_len)
		r |= event_put_trusted(ev, F_DELETE_NOTIFY, s->delete_notify, s->notify_len, 0);
	r |= event_put_int_trusted(ev, F_BYTES_IN, (int64_t)s->bytes_in);
	r |= event_put_int_trusted(ev, F_BYTES_OUT, (int64_t)s->bytes_out);
	r |= event_put_int_trusted(ev, F_RETRANSMITS, s->retransmits);
	r |= sa_story_carry(st, ev, SA_FACTS_IKE_ALL); /* one walk over its facts, not three */
	r |= corr_derive_ids(c->v[i].role, ev);
	return r < 0 ? -ENOSPC : 0;
}

int correlate_summaries_due(struct correlator *c, struct event *ev, int64_t line_us,
			    uint64_t now_us, bool all, summary_fn emit, void *ud)
{
	int r = 0;

	for (unsigned k = 0; k < c->n_pending && r >= 0; k++)
		r = emit(ud, &c->pending[k].ev, &c->pending[k].s, c->pending[k].why);
	c->n_pending = 0;
	while (r >= 0 && c->ended_len) {
		struct ended *x = &c->ended[c->ended_head];
		struct sa_sum *s = &c->sum[x->i];
		bool live = c->v[x->i].used && c->v[x->i].id == x->id && !s->emitted;

		if (live && !all && !(line_us && line_us - s->ended_us > (int64_t)c->grace_us) &&
		    !(now_us && s->ended_clock && now_us >= s->ended_clock + c->grace_us))
			break;
		c->ended_head = (c->ended_head + 1) % c->cap;
		c->ended_len--;
		if (!live)
			continue;
		if (corr_summary_event(c, x->i, ev) < 0 && c->cnt)
			c->cnt->arena_full++;
		s->emitted = true;
		r = emit(ud, ev, s, sa_sum_end_reason(s, "deleted"));
	}
	return r;
}

uint64_t correlate_summary_deadline(const struct correlator *c)
{
	for (uint32_t k = 0; c->ended && k < c->ended_len; k++) {
		const struct ended *x = &c->ended[(c->ended_head + k) % c->cap];
		const struct sa_sum *s = &c->sum[x->i];

		if (c->v[x->i].used && c->v[x->i].id == x->id && !s->emitted)
			return s->ended_clock ? s->ended_clock + c->grace_us : 0;
	}
	return 0;
}

int correlate_summaries(struct correlator *c, struct event *ev, summary_fn emit, void *ud)
{
	uint32_t *order = malloc((c->n_used ? c->n_used : 1) * sizeof(*order));
	size_t n = 0;
	int r = 0;

	if (!order)
		return -ENOMEM;
	for (uint32_t i = 0; c->sum && i < c->n_used; i++)
		if (c->v[i].used && !c->v[i].child && c->v[i].id && c->sum[i].active &&
		    !c->sum[i].emitted)
			order[n++] = i;
	qsort_r(order, n, sizeof(*order), by_start, c);
	for (size_t k = 0; k < n && r >= 0; k++) {
		struct sa_sum *s = &c->sum[order[k]];

		if (corr_summary_event(c, order[k], ev) < 0 && c->cnt)
			c->cnt->arena_full++;
		s->emitted = true;
		r = emit(ud, ev, s, sa_sum_end_reason(s, "shutdown"));
	}
	free(order);
	return r;
}
