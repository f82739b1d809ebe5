/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "correlate.h"
#include "correlate_int.h"
#include "event.h"
#include "redact.h"
#include "sa_story.h"
#include "stats.h"
#include "stage_opts.h"
#include "state.h"

/*
 * The IKE SA table on a capture written by hand from pluto's shapes: two
 * IKE SAs on two connections, their Child SAs, a Child SA rekey, an IKE SA
 * rekey that takes the Child SAs along, and deletes. Each step is the
 * fields the rule table gives that line.
 */

struct step {
	const char *line; /* what pluto printed, for the reader */
	const char *type;
	const char *conn;
	int serial, parent, replaced; /* 0 = not captured */
	const char *host;
	int pid;
};

#define S(l, t, c, s, p, r)                                                                        \
	{                                                                                          \
		l, t, c, s, p, r, "gw", 100                                                        \
	}

static const struct step capture[] = {
    /* 0 */ S("\"west\" #1: initiating IKEv2 connection", "ike_init", "west", 1, 0, 0),
    /* 1 */ S("\"east\" #5: initiating IKEv2 connection", "ike_init", "east", 5, 0, 0),
    /* 2 */ S("\"west\" #1: sent IKE_AUTH request {cipher=...}", "ike_auth", "west", 1, 0, 0),
    /* 3 */
    S("\"west\" #2: initiator established Child SA using #1; ...", "child_sa_create", "west", 2, 1,
      0),
    /* 4 */ S("\"west\" #1: initiator established IKE SA; ...", "ike_auth", "west", 1, 0, 0),
    /* 5 */
    S("\"east\" #6: initiator established Child SA using #5; ...", "child_sa_create", "east", 6, 5,
      0),
    /* 6 */ S("\"east\" #5: initiator established IKE SA; ...", "ike_auth", "east", 5, 0, 0),
    /* 7 */
    S("\"west\" #3: initiating rekey to replace Child SA #2", "child_sa_rekey", "west", 3, 0, 2),
    /* 8 */
    S("\"west\" #3: initiator rekeyed Child SA #2 using #1; ...", "child_sa_rekey", "west", 3, 1,
      2),
    /* 9 */
    S("\"west\" #2: ESP traffic information: in=84B out=84B", "child_sa_delete", "west", 2, 0, 0),
    /* 10 */
    S("\"west\" #4: initiator rekeyed IKE SA #1 {cipher=...}", "ike_sa_rekey", "west", 4, 0, 1),
    /* 11 */
    S("\"west\" #1: deleting IKE SA (ESTABLISHED_IKE_SA)", "ike_sa_delete", "west", 1, 0, 0),
    /* 12 */
    S("\"west\" #3: ESP traffic information: in=1KiB out=2KiB", "child_sa_delete", "west", 3, 0, 0),
    /* 13 */
    S("\"east\" #7: initiating Child SA using IKE SA #5", "child_sa_create", "east", 7, 5, 0),
    /* 14 */
    S("\"east\" #5: deleting IKE SA (ESTABLISHED_IKE_SA)", "ike_sa_delete", "east", 5, 0, 0),
    /* 15 */
    S("\"east\" #6: ESP traffic information: in=0B out=0B", "child_sa_delete", "east", 6, 0, 0),
    /* 16 */
    S("\"west\" #4: deleting IKE SA (ESTABLISHED_IKE_SA)", "ike_sa_delete", "west", 4, 0, 0),
};
#define N (sizeof(capture) / sizeof(capture[0]))

struct out {
	char id[17], prev[17];
	int64_t parent;
};

static void feed(struct correlator *c, struct event *ev, const struct step *s, struct out *o)
{
	event_reset(ev);
	event_set_str(ev, F_EVENT_TYPE, s->type, strlen(s->type));
	event_set_str(ev, F_CONN_NAME, s->conn, strlen(s->conn));
	event_set_int(ev, F_STATE_SERIAL, s->serial);
	if (s->parent)
		event_set_int(ev, F_PARENT_SERIAL, s->parent);
	if (s->replaced)
		event_set_int(ev, F_REPLACED_SERIAL, s->replaced);
	event_set_str(ev, F_PLATFORM_HOST, s->host, strlen(s->host));
	event_set_int(ev, F_PLATFORM_PID, s->pid);
	assert_int_equal(correlate_event(c, ev), 0);
	memset(o, 0, sizeof(*o));
	if (event_has(ev, F_IKE_SA_ID))
		snprintf(o->id, sizeof(o->id), "%s", event_str(ev, F_IKE_SA_ID, NULL));
	if (event_has(ev, F_PREVIOUS_IKE_SA_ID))
		snprintf(o->prev, sizeof(o->prev), "%s", event_str(ev, F_PREVIOUS_IKE_SA_ID, NULL));
	o->parent = event_int(ev, F_PARENT_SERIAL, 0);
}

static void test_capture(void **state)
{
	struct counters cnt = {0};
	struct correlator *c = NULL;
	struct event ev;
	struct out o[N];

	assert_int_equal(correlator_new(64, "test", &cnt, &c), 0);
	assert_int_equal(event_init(&ev, 4096), 0);
	for (size_t i = 0; i < N; i++) {
		feed(c, &ev, &capture[i], &o[i]);
		assert_int_equal(strlen(o[i].id), 16);
	}
	/* IKE SA west #1 and everything under it */
	const char *w1 = o[0].id, *e5 = o[1].id, *w4 = o[10].id;

	assert_string_equal(o[2].id, w1);
	assert_string_equal(o[3].id, w1);
	assert_string_equal(o[4].id, w1);
	assert_string_equal(o[7].id,
			    w1); /* the Child SA rekey names no parent: the rekeyed one's */
	assert_int_equal(o[7].parent, 1);
	assert_string_equal(o[8].id, w1);
	assert_string_equal(o[9].id, w1);
	assert_int_equal(o[9].parent, 1);
	/* IKE SA east #5 */
	assert_string_equal(o[5].id, e5);
	assert_string_equal(o[6].id, e5);
	assert_string_equal(o[13].id, e5);
	assert_string_equal(o[14].id, e5);
	/* two IKE SAs, two ids; the rekey makes a third, linked to the first */
	assert_string_not_equal(w1, e5);
	assert_string_not_equal(w4, w1);
	assert_string_not_equal(w4, e5);
	assert_string_equal(o[10].prev, w1);
	assert_string_equal(o[11].id, w1); /* the old IKE SA is deleted under its own id */
	assert_string_equal(o[11].prev, "");
	/* Child SA #3 moved to the new IKE SA #4 */
	assert_string_equal(o[12].id, w4);
	assert_int_equal(o[12].parent, 4);
	/* pluto logs a Child SA's traffic after its IKE SA's delete: still the family's id */
	assert_string_equal(o[15].id, e5);
	assert_int_equal(o[15].parent, 5);
	assert_string_equal(o[16].id, w4);
	assert_int_equal(cnt.correlate_evictions, 0);
	/* a later rekey line of #4 without the old serial (4.x prints some) still names #1's id */
	struct step again = S("\"west\" #4: sent CREATE_CHILD_SA request to rekey IKE SA",
			      "ike_sa_rekey", "west", 4, 0, 0);
	struct out x;

	feed(c, &ev, &again, &x);
	assert_string_equal(x.id, w4);
	assert_string_equal(x.prev, w1);
	event_done(&ev);
	correlator_free(c);
	correlator_free(NULL);
}

/*
 * A line no rule knows still carries its envelope's conn and serial: it joins
 * a known SA, and an unknown serial neither gets an id nor becomes the
 * connection's current IKE SA.
 */
static void test_unparsed(void **state)
{
	struct counters cnt = {0};
	struct correlator *c = NULL;
	struct event ev;
	struct out a, b, u;
	const struct step init =
	    S("\"west\" #1: initiating IKEv2 connection", "ike_init", "west", 1, 0, 0);
	const struct step child = S("\"west\" #2: initiator established Child SA using #1; ...",
				    "child_sa_create", "west", 2, 1, 0);
	const struct step odd =
	    S("\"west\" #2: a wording no rule knows", "unparsed", "west", 2, 0, 0);
	const struct step stray =
	    S("\"west\" #9: a wording no rule knows", "unparsed", "west", 9, 0, 0);
	const struct step late = S("\"west\" #10: initiating Child SA using IKE SA",
				   "child_sa_create", "west", 10, 0, 0);

	assert_int_equal(correlator_new(64, "test", &cnt, &c), 0);
	assert_int_equal(event_init(&ev, 4096), 0);
	feed(c, &ev, &init, &a);
	feed(c, &ev, &child, &b);
	feed(c, &ev, &odd, &u);
	assert_string_equal(u.id, a.id);
	assert_int_equal(u.parent, 1);
	feed(c, &ev, &stray, &u);
	assert_string_equal(u.id, "");
	/* #9 took nothing over: a new Child SA of "west" still joins IKE SA #1 */
	feed(c, &ev, &late, &u);
	assert_string_equal(u.id, a.id);
	assert_int_equal(u.parent, 1);
	event_done(&ev);
	correlator_free(c);
}

static void test_restart_and_hosts(void **state)
{
	struct counters cnt = {0};
	struct correlator *c = NULL;
	struct event ev;
	struct out a, b, d, e;
	struct step s = S("\"west\" #1: initiating IKEv2 connection", "ike_init", "west", 1, 0, 0);

	assert_int_equal(correlator_new(64, "test", &cnt, &c), 0);
	assert_int_equal(event_init(&ev, 4096), 0);
	feed(c, &ev, &s, &a);
	feed(c, &ev, &s, &b);
	assert_string_equal(a.id, b.id);
	/* same serial on another host: another IKE SA */
	s.host = "gw2";
	feed(c, &ev, &s, &d);
	assert_string_not_equal(a.id, d.id);
	/* pluto restarted (new pid) and reused #1: another IKE SA */
	s.host = "gw";
	s.pid = 200;
	feed(c, &ev, &s, &e);
	assert_string_not_equal(a.id, e.id);
	/* a line without a state serial is left alone */
	event_reset(&ev);
	event_set_str(&ev, F_EVENT_TYPE, "conn_add", 8);
	assert_int_equal(correlate_event(c, &ev), 0);
	assert_false(event_has(&ev, F_IKE_SA_ID));
	/* ids differ with the salt */
	struct correlator *c2 = NULL;
	struct out f;

	assert_int_equal(correlator_new(64, "other salt", &cnt, &c2), 0);
	s.pid = 100;
	feed(c2, &ev, &s, &f);
	assert_string_not_equal(a.id, f.id);
	correlator_free(c2);
	event_done(&ev);
	correlator_free(c);
}

static void test_orphan_child(void **state)
{
	struct counters cnt = {0};
	struct correlator *c = NULL;
	struct event ev;
	struct out a, b, d, e;
	struct step rej =
	    S("\"mismatch\" #2: IKE_AUTH response rejected Child SA with TS_UNACCEPTABLE",
	      "ts_unacceptable", "mismatch", 2, 0, 0);
	struct step again =
	    S("\"mismatch\" #2: connection is supposed to remain up", "dpd", "mismatch", 2, 0, 0);
	struct step named =
	    S("\"mismatch\" #2: ... using #1", "child_sa_create", "mismatch", 2, 1, 0);
	struct step ike =
	    S("\"mismatch\" #1: sent IKE_AUTH request", "ike_auth", "mismatch", 1, 0, 0);

	assert_int_equal(correlator_new(64, "test", &cnt, &c), 0);
	assert_int_equal(event_init(&ev, 4096), 0);
	/* no IKE SA known for the connection: the Child SA carries an id of its own ... */
	feed(c, &ev, &rej, &a);
	assert_int_equal(strlen(a.id), 16);
	assert_int_equal(a.parent, 0);
	feed(c, &ev, &again, &b);
	assert_string_equal(a.id, b.id);
	/* a Child SA line of an unknown IKE SA gets no id */
	struct out x;
	struct step lone = S("\"lone\" #9: IPsec SA established tunnel mode {...}",
			     "child_sa_create", "lone", 9, 0, 0);

	feed(c, &ev, &lone, &x);
	assert_string_equal(x.id, "");
	/* ... until a line names its IKE SA */
	feed(c, &ev, &ike, &d);
	feed(c, &ev, &named, &e);
	assert_string_equal(e.id, d.id);
	assert_string_not_equal(e.id, a.id);
	event_done(&ev);
	correlator_free(c);
}

/* A Child SA that names no parent is not given the id of its connection's deleted IKE SA. */
static void test_child_after_delete(void **state)
{
	struct counters cnt = {0};
	struct correlator *c = NULL;
	struct event ev;
	struct out a, b, x, y;
	struct step init =
	    S("\"gone\" #1: initiating IKEv2 connection", "ike_init", "gone", 1, 0, 0);
	struct step del = S("\"gone\" #1: deleting IKE SA (ESTABLISHED_IKE_SA)", "ike_sa_delete",
			    "gone", 1, 0, 0);
	struct step lone = S("\"gone\" #2: IPsec SA established tunnel mode {...}",
			     "child_sa_create", "gone", 2, 0, 0);
	struct step init2 =
	    S("\"gone\" #3: initiating IKEv2 connection", "ike_init", "gone", 3, 0, 0);
	struct step lone2 = S("\"gone\" #4: IPsec SA established tunnel mode {...}",
			      "child_sa_create", "gone", 4, 0, 0);

	assert_int_equal(correlator_new(64, "test", &cnt, &c), 0);
	assert_int_equal(event_init(&ev, 4096), 0);
	feed(c, &ev, &init, &a);
	assert_int_equal(strlen(a.id), 16);
	feed(c, &ev, &del, &b);
	assert_string_equal(b.id, a.id);
	/* the connection's IKE SA is gone: no id rather than the deleted one's */
	feed(c, &ev, &lone, &x);
	assert_string_equal(x.id, "");
	/* a new IKE SA on the connection is its current one again */
	feed(c, &ev, &init2, &b);
	feed(c, &ev, &lone2, &y);
	assert_int_equal(strlen(b.id), 16);
	assert_string_not_equal(b.id, a.id);
	assert_string_equal(y.id, b.id);
	event_done(&ev);
	correlator_free(c);
}

static void test_eviction(void **state)
{
	struct counters cnt = {0};
	struct correlator *c = NULL;
	struct event ev;
	struct out first, o;
	struct step s = S("", "ike_init", "road", 1, 0, 0);

	assert_int_equal(correlator_new(16, "test", &cnt, &c), 0);
	assert_int_equal(event_init(&ev, 4096), 0);
	feed(c, &ev, &s, &first);
	for (int i = 2; i <= 40; i++) {
		s.serial = i;
		feed(c, &ev, &s, &o);
	}
	assert_int_equal(cnt.correlate_evictions, 40 - 16);
	/* #1 was the least recently used: evicted, so it comes back as a new IKE SA */
	s.serial = 1;
	feed(c, &ev, &s, &o);
	assert_string_not_equal(o.id, first.id);
	/* #40 is recent: still known */
	struct out a, b;

	s.serial = 40;
	feed(c, &ev, &s, &a);
	feed(c, &ev, &s, &b);
	assert_string_equal(a.id, b.id);
	event_done(&ev);
	correlator_free(c);
}

static int64_t line_us; /* the line's time, 0 = none */
static struct record line_rec;

/*
 * One line of one SA as the rule table gives it: host "gw", pid 100, conn,
 * serial, then (field, text) pairs ending with F__MAX. The event_id is
 * "e<line number>", so an outcome_event_id names the line it points at.
 */
static void line(struct correlator *c, struct event *ev, int n, const char *conn, int serial, ...)
{
	char id[16];
	va_list ap;
	int f;

	event_reset(ev);
	snprintf(id, sizeof(id), "e%d", n);
	event_set_str(ev, F_EVENT_ID, id, strlen(id));
	event_set_str(ev, F_CONN_NAME, conn, strlen(conn));
	event_set_int(ev, F_STATE_SERIAL, serial);
	event_set_str(ev, F_PLATFORM_HOST, "gw", 2);
	event_set_int(ev, F_PLATFORM_PID, 100);
	if (line_us) {
		line_rec.realtime_usec = line_us;
		ev->rec = &line_rec;
	}
	va_start(ap, serial);
	while ((f = va_arg(ap, int)) != F__MAX) {
		const char *v = va_arg(ap, const char *);

		assert_int_equal(event_set_text(ev, f, v, strlen(v)), 0);
	}
	va_end(ap);
	assert_int_equal(correlate_event(c, ev), 0);
}

static const char *str(const struct event *ev, enum field f)
{
	const char *v = event_str(ev, f, NULL);

	return v ? v : "(unset)";
}

#define END F__MAX

/*
 * An IKE SA's endpoints, IDs, version and auth method reach every later
 * line of it and of its Child SA; its transform only its own lines; the
 * Child SA's own facts only the Child SA's lines; nothing reaches another
 * IKE SA; a newer value replaces an older one.
 */
static void test_carry(void **state)
{
	struct counters cnt = {0};
	struct correlator *c = NULL;
	struct event ev;

	assert_int_equal(correlator_new(64, "test", &cnt, &c), 0);
	assert_int_equal(event_init(&ev, 4096), 0);
	/* "west" #1: sent IKE_SA_INIT request to 192.0.2.2:UDP/500 */
	line(c, &ev, 1, "west", 1, F_EVENT_TYPE, "ike_init", F_RESULT, "info", F_ROLE, "initiator",
	     F_PEER_IP, "192.0.2.2", F_PEER_PORT, "500", F_TRANSPORT, "UDP", F_IKE_VERSION, "2",
	     END);
	/* "west" #1: processed IKE_SA_INIT response ... {cipher=AES_GCM_16_256 prf=... ke=DH19} */
	line(c, &ev, 2, "west", 1, F_EVENT_TYPE, "ike_init", F_RESULT, "success", F_ENCR,
	     "AES_GCM_16_256", F_PRF, "HMAC_SHA2_512", F_DH_GROUP, "DH19", END);
	assert_string_equal(str(&ev, F_PEER_IP), "192.0.2.2");
	assert_int_equal(event_int(&ev, F_PEER_PORT, 0), 500);
	assert_int_equal(event_int(&ev, F_IKE_VERSION, 0), 2);
	/* "west" #1: initiator established IKE SA; authenticated peer using authby=secret and
	 * FQDN '@east' (NAT-T moved the peer to 4500) */
	line(c, &ev, 3, "west", 1, F_EVENT_TYPE, "ike_auth", F_RESULT, "success", F_PEER_ID,
	     "@east", F_ID_TYPE, "FQDN", F_LOCAL_ID, "@west", F_AUTH_METHOD, "psk", F_PEER_PORT,
	     "4500", F_NAT_LOCAL_BEHIND, "yes", END);
	assert_string_equal(str(&ev, F_ENCR), "AES_GCM_16_256");
	assert_string_equal(str(&ev, F_TRANSPORT), "UDP");
	/* "west" #2: initiator established Child SA using #1; ... {ESP=>0x1 <0x2 xfrm=AES_CBC..} */
	line(c, &ev, 4, "west", 2, F_EVENT_TYPE, "child_sa_create", F_RESULT, "success",
	     F_PARENT_SERIAL, "1", F_CHILD_PROTOCOL, "ESP", F_SPI_OUT, "0x11111111", F_SPI_IN,
	     "0x22222222", F_ENCR, "AES_CBC_256", F_INTEG, "HMAC_SHA2_256_128", END);
	assert_string_equal(str(&ev, F_PEER_ID), "@east");
	assert_string_equal(str(&ev, F_ENCR), "AES_CBC_256");
	assert_false(event_has(&ev, F_PRF)); /* the IKE SA's transform stays on its own lines */
	/* "west" #2: ESP traffic information: in=84B out=84B */
	line(c, &ev, 5, "west", 2, F_EVENT_TYPE, "child_sa_delete", F_RESULT, "info", F_BYTES_IN,
	     "84", END);
	assert_string_equal(str(&ev, F_PEER_IP), "192.0.2.2");
	assert_int_equal(event_int(&ev, F_PEER_PORT, 0), 4500);
	assert_string_equal(str(&ev, F_PEER_ID), "@east");
	assert_string_equal(str(&ev, F_LOCAL_ID), "@west");
	/* IDi and IDr are the IKE SA's (it initiated), on a Child SA line that names no role */
	assert_false(event_has(&ev, F_ROLE));
	assert_string_equal(str(&ev, F_INITIATOR_ID), "@west");
	assert_string_equal(str(&ev, F_RESPONDER_ID), "@east");
	assert_string_equal(str(&ev, F_ID_TYPE), "FQDN");
	assert_string_equal(str(&ev, F_AUTH_METHOD), "psk");
	assert_int_equal(event_int(&ev, F_NAT_LOCAL_BEHIND, 0), 1);
	assert_string_equal(str(&ev, F_SPI_IN), "0x22222222");
	assert_string_equal(str(&ev, F_CHILD_PROTOCOL), "ESP");
	assert_string_equal(str(&ev, F_ENCR), "AES_CBC_256");
	assert_string_equal(str(&ev, F_INTEG), "HMAC_SHA2_256_128");
	assert_false(event_has(&ev, F_PRF));
	assert_false(event_has(&ev, F_DH_GROUP));
	/* "west" #1: deleting IKE SA: the IKE SA's own transform, no Child SA fact */
	line(c, &ev, 6, "west", 1, F_EVENT_TYPE, "ike_sa_delete", F_RESULT, "info", END);
	assert_string_equal(str(&ev, F_ENCR), "AES_GCM_16_256");
	assert_string_equal(str(&ev, F_PRF), "HMAC_SHA2_512");
	assert_false(event_has(&ev, F_INTEG));
	assert_false(event_has(&ev, F_SPI_IN));
	assert_string_equal(str(&ev, F_PEER_ID), "@east");
	/* another connection's IKE SA knows none of it */
	line(c, &ev, 7, "road", 9, F_EVENT_TYPE, "ike_init", F_RESULT, "info", END);
	assert_false(event_has(&ev, F_PEER_IP));
	assert_false(event_has(&ev, F_PEER_ID));
	assert_false(event_has(&ev, F_ENCR));
	/* an unparsed line of #1 joins it and carries its facts too */
	line(c, &ev, 8, "west", 1, F_EVENT_TYPE, "unparsed", F_RESULT, "info", END);
	assert_string_equal(str(&ev, F_PEER_IP), "192.0.2.2");
	/* a value longer than the room kept is not carried; the others still are */
	char big[300];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	line(c, &ev, 9, "west", 1, F_EVENT_TYPE, "ike_auth", F_RESULT, "info", F_PEER_ID, big, END);
	line(c, &ev, 10, "west", 1, F_EVENT_TYPE, "ike_auth", F_RESULT, "info", END);
	assert_string_not_equal(str(&ev, F_PEER_ID), big);
	assert_string_equal(str(&ev, F_PEER_IP), "192.0.2.2");
	/* an IKE SA rekey's new IKE SA keeps the old one's peer and auth, not its transform */
	line(c, &ev, 16, "west", 40, F_EVENT_TYPE, "ike_sa_rekey", F_RESULT, "success",
	     F_REPLACED_SERIAL, "1", F_PRF, "HMAC_SHA2_256", END);
	assert_string_equal(str(&ev, F_PEER_IP), "192.0.2.2");
	assert_string_equal(str(&ev, F_AUTH_METHOD), "psk");
	assert_string_equal(str(&ev, F_PRF), "HMAC_SHA2_256");
	assert_false(event_has(&ev, F_ENCR));
	line(c, &ev, 17, "west", 40, F_EVENT_TYPE, "ike_sa_delete", F_RESULT, "info", END);
	assert_string_equal(str(&ev, F_LOCAL_ID), "@west");
	assert_string_equal(str(&ev, F_PRF), "HMAC_SHA2_256");

	/*
	 * The peer starts an INFORMATIONAL exchange: that line's role is the
	 * exchange's, not the IKE SA's, so the peer ID stays IDr (west initiated).
	 */
	line(c, &ev, 12, "north", 30, F_EVENT_TYPE, "ike_init", F_RESULT, "info", F_ROLE,
	     "initiator", END);
	line(c, &ev, 13, "north", 30, F_EVENT_TYPE, "ike_auth", F_RESULT, "success", F_PEER_ID,
	     "@north", END);
	assert_string_equal(str(&ev, F_RESPONDER_ID), "@north");
	line(c, &ev, 14, "north", 30, F_EVENT_TYPE, "ike_retransmit", F_RESULT, "info", F_ROLE,
	     "responder", F_EXCHANGE, "INFORMATIONAL", END);
	assert_string_equal(str(&ev, F_RESPONDER_ID), "@north");
	assert_false(event_has(&ev, F_INITIATOR_ID));
	line(c, &ev, 15, "north", 30, F_EVENT_TYPE, "ike_sa_delete", F_RESULT, "info", END);
	assert_string_equal(str(&ev, F_ROLE), "initiator");
	assert_false(event_has(&ev, F_INITIATOR_ID));

	/* switched off: nothing carried */
	correlator_set_story(c, false, true);
	line(c, &ev, 11, "west", 1, F_EVENT_TYPE, "ike_auth", F_RESULT, "info", END);
	assert_false(event_has(&ev, F_PEER_IP));
	assert_false(event_has(&ev, F_ENCR));
	event_done(&ev);
	correlator_free(c);
}

/* A carried identity or address is redacted exactly like the line's own. */
static void test_carry_redacted(void **state)
{
	static const unsigned char key[32] = "0123456789abcdef0123456789abcde";
	char dir[] = "/tmp/test_correlate.XXXXXX", path[64], own_id[64], own_ip[64];
	struct counters cnt = {0};
	struct correlator *c = NULL;
	struct redactor *red = NULL;
	struct diags errs = {0};
	struct config cfg = {0};
	struct event ev;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/key", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(key, 1, sizeof(key), f), sizeof(key));
	fclose(f);
	assert_int_equal(chmod(path, 0600), 0);
	cfg.path = "test.yaml";
	cfg.redact.key_file = path;
	cfg.redact.key_generation = 1;
	cfg.redact.mask_ipv4_prefix = 24;
	cfg.redact.mask_ipv6_prefix = 48;
	cfg.redact.fields[0] =
	    (struct config_redact_field){.field = "peer_id", .action = REDACT_HASH};
	cfg.redact.fields[1] =
	    (struct config_redact_field){.field = "peer_ip", .action = REDACT_MASK};
	cfg.redact.n_fields = 2;
	assert_int_equal(redactor_new(&t_pipeline_opts(&cfg)->redact, &cnt, &red, &errs), 0);
	assert_int_equal(correlator_new(64, "test", &cnt, &c), 0);
	assert_int_equal(event_init(&ev, 4096), 0);

	line(c, &ev, 1, "east", 5, F_EVENT_TYPE, "auth_failed", F_RESULT, "failure", F_PEER_ID,
	     "@west", F_PEER_IP, "192.0.2.77", END);
	assert_int_equal(redact_event(red, &ev), 0);
	snprintf(own_id, sizeof(own_id), "%s", str(&ev, F_PEER_ID));
	snprintf(own_ip, sizeof(own_ip), "%s", str(&ev, F_PEER_IP));
	assert_string_equal(own_ip, "192.0.2.0");
	assert_true(strncmp(own_id, "h1:", 3) == 0);

	line(c, &ev, 2, "east", 5, F_EVENT_TYPE, "ike_sa_delete", F_RESULT, "info", END);
	assert_string_equal(str(&ev, F_PEER_ID), "@west"); /* carried before redaction ... */
	assert_int_equal(redact_event(red, &ev), 0);
	assert_string_equal(str(&ev, F_PEER_ID), own_id); /* ... and redacted the same way */
	assert_string_equal(str(&ev, F_PEER_IP), own_ip);

	event_done(&ev);
	correlator_free(c);
	redactor_free(red);
	unlink(path);
	rmdir(dir);
}

/*
 * One failed exchange, one failure: pluto's wrong-PSK burst on a responder
 * (auth_failed with the ID, auth_failed with the address, the fatal error)
 * gives one failure event; the others say info and name it. Two failed
 * CREATE_CHILD_SA exchanges of two Child SAs are two outcomes.
 */
static void test_one_outcome(void **state)
{
	struct counters cnt = {0};
	struct correlator *c = NULL;
	struct event ev;

	assert_int_equal(correlator_new(64, "test", &cnt, &c), 0);
	assert_int_equal(event_init(&ev, 4096), 0);
	line(c, &ev, 1, "psk", 5, F_EVENT_TYPE, "ike_init", F_RESULT, "success", F_EXCHANGE,
	     "IKE_SA_INIT", END);
	assert_string_equal(str(&ev, F_RESULT), "success");
	line(c, &ev, 2, "psk", 5, F_EVENT_TYPE, "ike_auth", F_RESULT, "info", F_EXCHANGE,
	     "IKE_AUTH", END);
	/* authentication failed: computed hash does not match ... ID_FQDN '@west' */
	line(c, &ev, 3, "psk", 5, F_EVENT_TYPE, "auth_failed", F_RESULT, "failure", F_ERROR_CODE,
	     "AUTHENTICATION_FAILED", F_PEER_ID, "@west", END);
	assert_string_equal(str(&ev, F_RESULT), "failure");
	assert_false(event_has(&ev, F_OUTCOME_EVENT_ID));
	/* responding to IKE_AUTH message from 192.0.2.1:500 with ... AUTHENTICATION_FAILED */
	line(c, &ev, 4, "psk", 5, F_EVENT_TYPE, "auth_failed", F_RESULT, "failure", F_EXCHANGE,
	     "IKE_AUTH", F_PEER_IP, "192.0.2.1", END);
	assert_string_equal(str(&ev, F_EVENT_TYPE), "auth_failed");
	assert_string_equal(str(&ev, F_RESULT), "info");
	assert_string_equal(str(&ev, F_OUTCOME_EVENT_ID), "e3");
	assert_string_equal(str(&ev, F_PEER_ID), "@west");
	/* encountered fatal error in state STATE_V2_PARENT_R1 */
	line(c, &ev, 5, "psk", 5, F_EVENT_TYPE, "ike_error", F_RESULT, "failure", END);
	assert_string_equal(str(&ev, F_RESULT), "info");
	assert_string_equal(str(&ev, F_OUTCOME_EVENT_ID), "e3");
	assert_string_equal(str(&ev, F_PEER_IP), "192.0.2.1");
	/* deleting state: info, claims nothing */
	line(c, &ev, 6, "psk", 5, F_EVENT_TYPE, "ike_sa_delete", F_RESULT, "info", F_EXCHANGE,
	     "INFORMATIONAL", END);
	assert_false(event_has(&ev, F_OUTCOME_EVENT_ID));

	/* another IKE SA: its own outcome */
	line(c, &ev, 7, "psk", 8, F_EVENT_TYPE, "ike_auth", F_RESULT, "success", F_EXCHANGE,
	     "IKE_AUTH", END);
	assert_string_equal(str(&ev, F_RESULT), "success");
	/* a second success line of the same SA's exchange names the first */
	line(c, &ev, 8, "psk", 8, F_EVENT_TYPE, "ike_auth", F_RESULT, "success", END);
	assert_string_equal(str(&ev, F_RESULT), "info");
	assert_string_equal(str(&ev, F_OUTCOME_EVENT_ID), "e7");
	/* Child SA #9's CREATE_CHILD_SA fails: two lines, one outcome */
	line(c, &ev, 9, "psk", 9, F_EVENT_TYPE, "child_sa_rekey", F_RESULT, "failure",
	     F_PARENT_SERIAL, "8", F_EXCHANGE, "CREATE_CHILD_SA", F_ERROR_CODE,
	     "NO_PROPOSAL_CHOSEN", END);
	assert_string_equal(str(&ev, F_RESULT), "failure");
	line(c, &ev, 10, "psk", 9, F_EVENT_TYPE, "no_proposal_chosen", F_RESULT, "failure",
	     F_PARENT_SERIAL, "8", END);
	assert_string_equal(str(&ev, F_RESULT), "info");
	assert_string_equal(str(&ev, F_OUTCOME_EVENT_ID), "e9");
	/* Child SA #10's, a later exchange: a new outcome */
	line(c, &ev, 11, "psk", 10, F_EVENT_TYPE, "child_sa_rekey", F_RESULT, "failure",
	     F_PARENT_SERIAL, "8", F_EXCHANGE, "CREATE_CHILD_SA", END);
	assert_string_equal(str(&ev, F_RESULT), "failure");
	assert_false(event_has(&ev, F_OUTCOME_EVENT_ID));

	/*
	 * An established IKE SA times out (pluto names no exchange), then its
	 * liveness action (INFORMATIONAL): one failed exchange, not IKE_AUTH's.
	 */
	line(c, &ev, 20, "live", 22, F_EVENT_TYPE, "ike_auth", F_RESULT, "success", F_EXCHANGE,
	     "IKE_AUTH", END);
	line(c, &ev, 21, "live", 22, F_EVENT_TYPE, "ike_timeout", F_RESULT, "failure", END);
	assert_string_equal(str(&ev, F_RESULT), "failure");
	line(c, &ev, 22, "live", 22, F_EVENT_TYPE, "dpd", F_RESULT, "failure", F_EXCHANGE,
	     "INFORMATIONAL", END);
	assert_string_equal(str(&ev, F_RESULT), "info");
	assert_string_equal(str(&ev, F_OUTCOME_EVENT_ID), "e21");

	/* switched off: every failure line says failure */
	correlator_set_story(c, true, false);
	line(c, &ev, 12, "psk", 10, F_EVENT_TYPE, "ike_error", F_RESULT, "failure", END);
	assert_string_equal(str(&ev, F_RESULT), "failure");
	assert_false(event_has(&ev, F_OUTCOME_EVENT_ID));
	event_done(&ev);
	correlator_free(c);
}

/* An evicted IKE SA's facts and outcome claim go with it: its reused entry starts empty. */
static void test_story_eviction(void **state)
{
	struct counters cnt = {0};
	struct correlator *c = NULL;
	struct event ev;

	assert_int_equal(correlator_new(16, "test", &cnt, &c), 0);
	assert_int_equal(event_init(&ev, 4096), 0);
	line(c, &ev, 1, "road", 1, F_EVENT_TYPE, "auth_failed", F_RESULT, "failure", F_PEER_IP,
	     "192.0.2.9", F_PEER_ID, "@road1", F_EXCHANGE, "IKE_AUTH", END);
	for (int i = 2; i <= 40; i++) {
		char ip[32];

		snprintf(ip, sizeof(ip), "198.51.100.%d", i);
		line(c, &ev, i, "road", i, F_EVENT_TYPE, "ike_init", F_RESULT, "info", F_PEER_IP,
		     ip, END);
	}
	assert_int_equal(cnt.correlate_evictions, 40 - 16);
	/* #1 comes back as a new IKE SA: no facts, and its failure claims anew */
	line(c, &ev, 41, "road", 1, F_EVENT_TYPE, "ike_error", F_RESULT, "failure", F_EXCHANGE,
	     "IKE_AUTH", END);
	assert_false(event_has(&ev, F_PEER_IP));
	assert_false(event_has(&ev, F_PEER_ID));
	assert_string_equal(str(&ev, F_RESULT), "failure");
	/* #40 is still known, with its own address, not the evicted SA's */
	line(c, &ev, 42, "road", 40, F_EVENT_TYPE, "ike_auth", F_RESULT, "info", END);
	assert_string_equal(str(&ev, F_PEER_IP), "198.51.100.40");
	assert_false(event_has(&ev, F_PEER_ID));
	event_done(&ev);
	correlator_free(c);
}

struct got_summary {
	int n;
	char conn[32], end_reason[16], error_code[40], reason[64], peer_ip[40];
	struct sa_sum sum;
};

static int keep_summary(void *ud, struct event *ev, const struct sa_sum *s, const char *end_reason)
{
	struct got_summary *g = ud;
	struct got_summary *x = &g[g[0].n++];

	assert_true(g[0].n <= 4);
	assert_string_equal(str(ev, F_EVENT_TYPE), "ike_sa_summary");
	assert_string_equal(str(ev, F_RESULT), "info");
	snprintf(x->conn, sizeof(x->conn), "%s", str(ev, F_CONN_NAME));
	snprintf(x->end_reason, sizeof(x->end_reason), "%s", end_reason);
	snprintf(x->error_code, sizeof(x->error_code), "%s", str(ev, F_ERROR_CODE));
	snprintf(x->reason, sizeof(x->reason), "%s", str(ev, F_REASON));
	snprintf(x->peer_ip, sizeof(x->peer_ip), "%s", str(ev, F_PEER_IP));
	x->sum = *s;
	return 0;
}

/*
 * One summary per IKE SA, oldest first: a wrong PSK (failed, its reason
 * from the first failure line, its peer address from a later one); an SA
 * whose Child SA is created, deleted with its traffic, then the IKE SA
 * deleted; one still open when the input ends. Each only once.
 */
static void test_summary(void **state)
{
	struct counters cnt = {0};
	struct correlator *c = NULL;
	struct got_summary g[4];
	struct event ev;

	memset(g, 0, sizeof(g));
	assert_int_equal(correlator_new(64, "test", &cnt, &c), 0);
	assert_int_equal(correlator_set_summary(c, true), 0);
	assert_int_equal(event_init(&ev, 4096), 0);
	line_us = 1000000;
	line(c, &ev, 1, "psk", 5, F_EVENT_TYPE, "ike_init", F_RESULT, "success", F_EXCHANGE,
	     "IKE_SA_INIT", END);
	line_us = 1004000;
	line(c, &ev, 2, "psk", 5, F_EVENT_TYPE, "auth_failed", F_RESULT, "failure", F_EXCHANGE,
	     "IKE_AUTH", F_ERROR_CODE, "AUTHENTICATION_FAILED", F_REASON, "computed hash", END);
	line_us = 1004100;
	line(c, &ev, 3, "psk", 5, F_EVENT_TYPE, "auth_failed", F_RESULT, "failure", F_PEER_IP,
	     "192.0.2.1", END);
	line_us = 1004300;
	line(c, &ev, 4, "psk", 5, F_EVENT_TYPE, "ike_sa_delete", F_RESULT, "info", END);

	line_us = 2000000;
	line(c, &ev, 5, "ok", 7, F_EVENT_TYPE, "ike_init", F_RESULT, "info", F_PEER_IP, "192.0.2.2",
	     END);
	line_us = 2100000;
	line(c, &ev, 6, "ok", 7, F_EVENT_TYPE, "ike_auth", F_RESULT, "success", F_EXCHANGE,
	     "IKE_AUTH", END);
	line(c, &ev, 7, "ok", 8, F_EVENT_TYPE, "child_sa_create", F_RESULT, "success",
	     F_PARENT_SERIAL, "7", END);
	line_us = 3000000;
	line(c, &ev, 8, "ok", 7, F_EVENT_TYPE, "ike_retransmit", F_RESULT, "info", END);
	line(c, &ev, 9, "ok", 7, F_EVENT_TYPE, "ike_sa_delete", F_RESULT, "info", END);
	line(c, &ev, 10, "ok", 8, F_EVENT_TYPE, "child_sa_delete", F_RESULT, "info", END);
	line_us = 3500000;
	line(c, &ev, 11, "ok", 8, F_EVENT_TYPE, "child_sa_delete", F_RESULT, "info", F_BYTES_IN,
	     "84", F_BYTES_OUT, "168", END);

	line_us = 4000000;
	line(c, &ev, 12, "open", 9, F_EVENT_TYPE, "ike_init", F_RESULT, "info", END);
	line_us = 0;

	assert_int_equal(correlate_summaries(c, &ev, keep_summary, g), 0);
	assert_int_equal(g[0].n, 3);
	assert_string_equal(g[0].conn, "psk");
	assert_false(g[0].sum.established);
	assert_string_equal(g[0].end_reason, "failed");
	assert_string_equal(g[0].error_code, "AUTHENTICATION_FAILED");
	assert_string_equal(g[0].reason, "computed hash");
	assert_string_equal(g[0].peer_ip, "192.0.2.1");
	assert_int_equal(g[0].sum.start_us, 1000000);
	assert_int_equal(g[0].sum.end_us, 1004300);
	assert_memory_equal(g[0].sum.first_id, "e1", 2);
	assert_memory_equal(g[0].sum.last_id, "e4", 2);

	assert_string_equal(g[1].conn, "ok");
	assert_true(g[1].sum.established);
	assert_string_equal(g[1].end_reason, "deleted");
	assert_string_equal(g[1].error_code, "(unset)");
	assert_int_equal(g[1].sum.child_created, 1);
	assert_int_equal(g[1].sum.child_deleted, 1); /* two lines about one Child SA going */
	assert_int_equal(g[1].sum.retransmits, 1);
	assert_int_equal(g[1].sum.bytes_in, 84);
	assert_int_equal(g[1].sum.bytes_out, 168);
	assert_int_equal(g[1].sum.end_us - g[1].sum.start_us, 1500000);

	assert_string_equal(g[2].conn, "open");
	assert_string_equal(g[2].end_reason, "failed"); /* never established */

	/* each IKE SA gets one summary */
	g[0].n = 0;
	assert_int_equal(correlate_summaries(c, &ev, keep_summary, g), 0);
	assert_int_equal(g[0].n, 0);
	event_done(&ev);
	correlator_free(c);
}

/*
 * One host's share (limits.max_ike_sas_per_host): host "gw-a" opens 70,000
 * IKE SAs, one line each, into a table of 65,536 with a share of 16,384
 * while "gw-b" has 100 open. Once the table is full, each new SA of gw-a
 * (far over its share) evicts gw-a's own least recent: every one of gw-b's
 * 100 keeps its ike_sa_id, and gw-b can still open a new SA in the full
 * table (taking one of gw-a's slots).
 * Without a share, the same stream evicts gw-b's SAs: the table is one LRU.
 */
/* n IKE SAs of host (pid) with serials first..first+n-1, their outputs in o[] (or dropped). */
static void open_sas(struct correlator *c, struct event *ev, const char *host, int pid, int first,
		     int n, struct out *o)
{
	struct step s = {"", "ike_init", "road", 0, 0, 0, host, pid};
	struct out tmp;

	for (int i = 0; i < n; i++) {
		s.serial = first + i;
		feed(c, ev, &s, o ? &o[i] : &tmp);
	}
}

/*
 * Deleted SAs are kept for the lines pluto prints after a delete, but only
 * the last ones: a table of 1,024 keeps 256. 300 IKE SAs deleted one after
 * the other: the last 256 still answer with their ids, the first 44 are
 * gone (a line of one starts a new IKE SA) and their slots are free.
 */
static void test_deleted_kept(void **state)
{
	static struct out o[300];
	struct counters cnt = {0};
	struct correlator *c = NULL;
	struct event ev;
	struct out x;
	struct step s = {"", "ike_sa_delete", "road", 0, 0, 0, "gw", 100};

	(void)state;
	assert_int_equal(correlator_new(1024, "test", &cnt, &c), 0);
	assert_int_equal(event_init(&ev, 4096), 0);
	open_sas(c, &ev, "gw", 100, 1, 300, o);
	for (int i = 1; i <= 300; i++) {
		s.serial = i;
		feed(c, &ev, &s, &x);
		assert_string_equal(x.id, o[i - 1].id);
	}
	s.type = "ike_sa_delete";
	for (int i = 300; i >= 45; i--) { /* the last 256 deleted: still known */
		s.serial = i;
		feed(c, &ev, &s, &x);
		assert_string_equal(x.id, o[i - 1].id);
	}
	s.type = "ike_init";
	for (int i = 1; i <= 44; i++) { /* the first 44: forgotten */
		s.serial = i;
		feed(c, &ev, &s, &x);
		assert_string_not_equal(x.id, o[i - 1].id);
	}
	assert_int_equal(cnt.correlate_evictions, 0);
	event_done(&ev);
	correlator_free(c);
}

/*
 * The room for an SA's facts is counted as before (320 bytes of records
 * of 10 bytes and the text each): beside its peer address 192.0.2.2 (19)
 * and a peer ID of 250 bytes (260), a local ID of 31 bytes (41) is kept and
 * carried, one of 41 (51) is not, though both fit this build's smaller
 * records.
 */
static void test_facts_room(void **state)
{
	struct counters cnt = {0};
	struct correlator *c = NULL;
	struct event ev;
	char peer[251], local[42];

	(void)state;
	assert_int_equal(correlator_new(64, "test", &cnt, &c), 0);
	assert_int_equal(event_init(&ev, 4096), 0);
	memset(peer, 'p', sizeof(peer) - 1);
	peer[sizeof(peer) - 1] = '\0';
	memset(local, 'l', sizeof(local));
	for (int serial = 1; serial <= 2; serial++) {
		local[serial == 1 ? 31 : 41] = '\0';
		line(c, &ev, 1, "a", serial, F_EVENT_TYPE, "ike_init", F_RESULT, "info", F_PEER_IP,
		     "192.0.2.2", END);
		line(c, &ev, 2, "a", serial, F_EVENT_TYPE, "ike_auth", F_RESULT, "info", F_PEER_ID,
		     peer, END);
		line(c, &ev, 3, "a", serial, F_EVENT_TYPE, "ike_auth", F_RESULT, "info", F_LOCAL_ID,
		     local, END);
		line(c, &ev, 4, "a", serial, F_EVENT_TYPE, "dpd", F_RESULT, "info", END);
		assert_string_equal(str(&ev, F_PEER_IP), "192.0.2.2");
		assert_string_equal(str(&ev, F_PEER_ID), peer);
		if (serial == 1)
			assert_string_equal(str(&ev, F_LOCAL_ID), local);
		else
			assert_false(event_has(&ev, F_LOCAL_ID));
		local[31] = 'l';
	}
	event_done(&ev);
	correlator_free(c);
}

/* Appends one fact in the records of version 2: field, length, number, text. */
static size_t v2_fact(unsigned char *p, enum field f, const char *text, int64_t num)
{
	p[0] = (unsigned char)f;
	p[1] = (unsigned char)strlen(text);
	memcpy(p + 2, &num, sizeof(num));
	memcpy(p + 10, text, strlen(text));
	return 10 + strlen(text);
}

/*
 * A table saved by the build before (version 2: each fact a number and its
 * text) is read, its facts carried as before. The file is this build's
 * save of one IKE SA with its facts written again by hand in the old
 * layout: peer 192.0.2.2 port 500, peer ID @east.
 */
static void test_load_v2(void **state)
{
	struct counters cnt = {0};
	struct correlator *c = NULL, *d = NULL;
	struct event ev;
	struct sa_story st;
	unsigned char *facts, *story;
	char *buf = NULL, id[17];
	size_t len = 0, used = 0;
	uint32_t version = 2;

	(void)state;
	assert_int_equal(correlator_new(64, "test", &cnt, &c), 0);
	assert_int_equal(event_init(&ev, 4096), 0);
	line(c, &ev, 1, "a", 3, F_EVENT_TYPE, "ike_init", F_RESULT, "info", F_ROLE, "initiator",
	     END);
	snprintf(id, sizeof(id), "%s", str(&ev, F_IKE_SA_ID));
	assert_int_equal(correlator_save(c, &buf, &len), 0);
	/* the only record ends before the hash: its facts, and before them its story */
	facts = (unsigned char *)buf + len - STATE_HASH_HEX_LEN - SA_FACTS_BYTES;
	story = facts - sizeof(st);
	memset(facts, 0, SA_FACTS_BYTES);
	used += v2_fact(facts + used, F_PEER_IP, "192.0.2.2", 0);
	used += v2_fact(facts + used, F_PEER_PORT, "500", 500);
	used += v2_fact(facts + used, F_PEER_ID, "@east", 0);
	memcpy(&st, story, sizeof(st));
	st.used = (uint16_t)used;
	memcpy(story, &st, sizeof(st));
	memcpy(buf + 12, &version, sizeof(version)); /* after the 11 bytes of "ikelogd-sa\n" */
	state_sha256_hex(buf, len - STATE_HASH_HEX_LEN, buf + len - STATE_HASH_HEX_LEN);

	assert_int_equal(correlator_new(64, "test", &cnt, &d), 0);
	assert_int_equal(correlator_load(d, buf, len), 1);
	line(d, &ev, 2, "a", 3, F_EVENT_TYPE, "ike_auth", F_RESULT, "success", END);
	assert_string_equal(str(&ev, F_IKE_SA_ID), id);
	assert_string_equal(str(&ev, F_PEER_IP), "192.0.2.2");
	assert_string_equal(str(&ev, F_PEER_PORT), "500");
	assert_int_equal(event_int(&ev, F_PEER_PORT, 0), 500);
	assert_string_equal(str(&ev, F_PEER_ID), "@east");
	assert_string_equal(str(&ev, F_RESPONDER_ID), "@east"); /* the initiator's peer */
	/* a record that runs past the facts' length is refused */
	correlator_free(d);
	st.used = (uint16_t)(used - 1);
	memcpy(story, &st, sizeof(st));
	state_sha256_hex(buf, len - STATE_HASH_HEX_LEN, buf + len - STATE_HASH_HEX_LEN);
	assert_int_equal(correlator_new(64, "test", &cnt, &d), 0);
	assert_int_equal(correlator_load(d, buf, len), -EBADMSG);
	free(buf);
	event_done(&ev);
	correlator_free(d);
	correlator_free(c);
}

static void flood(bool share, unsigned *ret_kept)
{
	struct counters cnt = {0};
	struct correlator *c = NULL;
	struct event ev;
	struct out b_first[100], o;
	struct step s = {"", "ike_init", "road", 0, 0, 0, "gw-b", 200};
	unsigned kept = 0;

	assert_int_equal(correlator_new(65536, "test", &cnt, &c), 0);
	if (share)
		assert_int_equal(correlator_set_host_share(c, 16384), 0);
	assert_int_equal(event_init(&ev, 4096), 0);
	open_sas(c, &ev, "gw-b", 200, 1, 100, b_first);
	open_sas(c, &ev, "gw-a", 300, 1000, 70000, NULL);
	/* 65,536 slots, 70,100 SAs: 4,564 went, whose ever they were */
	assert_int_equal(cnt.correlate_evictions, 70100 - 65536);
	s.host = "gw-b";
	s.pid = 200;
	for (int i = 0; i < 100; i++) {
		s.serial = 1 + i;
		feed(c, &ev, &s, &o);
		kept += strcmp(o.id, b_first[i].id) == 0;
	}
	if (share) {
		/* A new SA of gw-b evicts one of gw-a's, and gw-b's old ones stay. */
		s.serial = 101;
		feed(c, &ev, &s, &o);
		assert_int_equal(cnt.correlate_evictions, 70100 - 65536 + 1);
		s.serial = 1;
		feed(c, &ev, &s, &o);
		assert_string_equal(o.id, b_first[0].id);
		/* gw-a's newest is still known, its oldest is gone */
		s.host = "gw-a";
		s.pid = 300;
		s.serial = 1000 + 69999;
		feed(c, &ev, &s, &o);
		assert_int_equal(cnt.correlate_evictions, 70100 - 65536 + 1);
		s.serial = 1000;
		feed(c, &ev, &s, &o);
		assert_int_equal(cnt.correlate_evictions, 70100 - 65536 + 2);
	}
	*ret_kept = kept;
	event_done(&ev);
	correlator_free(c);
}

static void test_host_share(void **state)
{
	unsigned kept;

	flood(true, &kept);
	assert_int_equal(kept, 100);
	/* The failure the share prevents: one LRU over all hosts loses gw-b's SAs. */
	flood(false, &kept);
	assert_int_equal(kept, 0);
}

/*
 * The victim in a full table of 16 with a share of 4: gw-b (6 SAs, the
 * oldest in the table) and gw-a (10) are both over their share. A new SA
 * of gw-b evicts gw-b's own least recent (#10), not gw-a's; a new SA of
 * gw-c (none yet) evicts from gw-a, the host holding the most (its #1),
 * not the table's least recent (gw-b's #11); a deleted SA goes first.
 */
static void test_host_share_victims(void **state)
{
	struct counters cnt = {0};
	struct correlator *c = NULL;
	struct event ev;
	struct out b[6], a[10], o;
	struct step s = {"", "ike_init", "road", 0, 0, 0, "gw-b", 200};

	assert_int_equal(correlator_new(16, "test", &cnt, &c), 0);
	assert_int_equal(correlator_set_host_share(c, 4), 0);
	assert_int_equal(event_init(&ev, 4096), 0);
	open_sas(c, &ev, "gw-b", 200, 10, 6, b);
	open_sas(c, &ev, "gw-a", 300, 1, 10, a);
	assert_int_equal(cnt.correlate_evictions, 0);
	s.serial = 16;
	feed(c, &ev, &s, &o);
	s.host = "gw-c";
	s.pid = 400;
	s.serial = 1;
	feed(c, &ev, &s, &o);
	assert_int_equal(cnt.correlate_evictions, 2);
	/* gw-b #11 and gw-a #2 are still known */
	s.host = "gw-b";
	s.pid = 200;
	s.serial = 11;
	feed(c, &ev, &s, &o);
	assert_string_equal(o.id, b[1].id);
	s.host = "gw-a";
	s.pid = 300;
	s.serial = 2;
	feed(c, &ev, &s, &o);
	assert_string_equal(o.id, a[1].id);
	assert_int_equal(cnt.correlate_evictions, 2);
	/* gw-a #3 deleted: gw-a's next new SA takes its slot, not counted */
	s.serial = 3;
	s.type = "ike_sa_delete";
	feed(c, &ev, &s, &o);
	s.type = "ike_init";
	s.serial = 20;
	feed(c, &ev, &s, &o);
	assert_int_equal(cnt.correlate_evictions, 2);
	s.serial = 4;
	feed(c, &ev, &s, &o);
	assert_string_equal(o.id, a[3].id);
	/* gw-a #1 and gw-b #10 were evicted: they come back as new IKE SAs */
	s.serial = 1;
	feed(c, &ev, &s, &o);
	assert_string_not_equal(o.id, a[0].id);
	s.host = "gw-b";
	s.pid = 200;
	s.serial = 10;
	feed(c, &ev, &s, &o);
	assert_string_not_equal(o.id, b[0].id);
	assert_int_equal(correlator_set_host_share(c, 2), 0); /* already on: unchanged */
	event_done(&ev);
	correlator_free(c);
}

/*
 * Summaries as IKE SAs end: a deleted one after the grace (10 ms by the
 * lines' timestamps), its Child SA's traffic line within the grace still
 * counted; by the clock when no line comes; an established one evicted from
 * a full table at once, end_reason evicted.
 */
static void test_summary_at_end(void **state)
{
	struct counters cnt = {0};
	struct correlator *c = NULL;
	struct got_summary g[4];
	struct event ev;
	char conn[16];

	memset(g, 0, sizeof(g));
	assert_int_equal(correlator_new(16, "test", &cnt, &c), 0);
	assert_int_equal(correlator_set_summary(c, true), 0);
	assert_int_equal(event_init(&ev, 4096), 0);
	correlator_set_clock(c, 10000, 0);
	line_us = 1000000;
	line(c, &ev, 1, "a", 3, F_EVENT_TYPE, "ike_auth", F_RESULT, "success", F_EXCHANGE,
	     "IKE_AUTH", END);
	line(c, &ev, 2, "a", 4, F_EVENT_TYPE, "child_sa_create", F_RESULT, "success",
	     F_PARENT_SERIAL, "3", END);
	line_us = 2000000;
	line(c, &ev, 3, "a", 3, F_EVENT_TYPE, "ike_sa_delete", F_RESULT, "info", F_DELETE_NOTIFY,
	     "sent", END);
	assert_int_equal(correlate_summaries_due(c, &ev, line_us, 0, false, keep_summary, g), 0);
	assert_int_equal(g[0].n, 0);
	line_us = 2005000;
	line(c, &ev, 4, "a", 4, F_EVENT_TYPE, "child_sa_delete", F_RESULT, "info", F_BYTES_IN,
	     "100", END);
	assert_int_equal(correlate_summaries_due(c, &ev, line_us, 0, false, keep_summary, g), 0);
	assert_int_equal(g[0].n, 0);
	/* exactly 10 ms after: not yet; past it: due */
	assert_int_equal(correlate_summaries_due(c, &ev, 2010000, 0, false, keep_summary, g), 0);
	assert_int_equal(g[0].n, 0);
	assert_int_equal(correlate_summaries_due(c, &ev, 2010001, 0, false, keep_summary, g), 0);
	assert_int_equal(g[0].n, 1);
	assert_string_equal(g[0].end_reason, "deleted");
	assert_int_equal(g[0].sum.bytes_in, 100);
	assert_int_equal(g[0].sum.child_created, 1);
	assert_memory_equal(g[0].sum.delete_notify, "sent", 4);
	/* by the clock: deleted at clock 50 ms, due at 60 ms */
	correlator_set_clock(c, 10000, 50000);
	line(c, &ev, 5, "b", 7, F_EVENT_TYPE, "ike_auth", F_RESULT, "success", F_EXCHANGE,
	     "IKE_AUTH", END);
	line(c, &ev, 6, "b", 7, F_EVENT_TYPE, "ike_sa_delete", F_RESULT, "info", END);
	assert_int_equal(correlate_summary_deadline(c), 60000);
	assert_int_equal(correlate_summaries_due(c, &ev, 0, 59999, false, keep_summary, g), 0);
	assert_int_equal(g[0].n, 1);
	assert_int_equal(correlate_summaries_due(c, &ev, 0, 60000, false, keep_summary, g), 0);
	assert_int_equal(g[0].n, 2);
	assert_string_equal(g[1].conn, "b");
	assert_int_equal(correlate_summary_deadline(c), 0);
	/* 16 open IKE SAs more fill the table: the oldest (serial 100) is evicted */
	g[0].n = 0;
	for (int k = 0; k < 17; k++) {
		snprintf(conn, sizeof(conn), "e%d", k);
		line(c, &ev, 10 + k, conn, 100 + k, F_EVENT_TYPE, "ike_auth", F_RESULT, "success",
		     F_EXCHANGE, "IKE_AUTH", END);
	}
	assert_int_equal(correlate_summaries_due(c, &ev, 0, 0, false, keep_summary, g), 0);
	assert_true(g[0].n >= 1);
	assert_string_equal(g[0].conn, "e0");
	assert_string_equal(g[0].end_reason, "evicted");
	assert_true(cnt.correlate_evictions >= 1);
	line_us = 0;
	event_done(&ev);
	correlator_free(c);
}

/*
 * The table across a restart: an established SA's facts and summary
 * counts saved and loaded into a new table; its later line there keeps its
 * ike_sa_id and gets its peer address and ID; one byte changed, another
 * table size: refused, and the table stays empty.
 */
static void test_save_load(void **state)
{
	struct counters cnt = {0};
	struct correlator *c = NULL, *d = NULL;
	struct got_summary g[4];
	struct event ev;
	char *buf = NULL, id[17];
	size_t len = 0;

	memset(g, 0, sizeof(g));
	assert_int_equal(correlator_new(64, "test", &cnt, &c), 0);
	assert_int_equal(correlator_set_summary(c, true), 0);
	assert_int_equal(event_init(&ev, 4096), 0);
	line_us = 1000000;
	line(c, &ev, 1, "a", 3, F_EVENT_TYPE, "ike_auth", F_RESULT, "success", F_EXCHANGE,
	     "IKE_AUTH", F_PEER_IP, "192.0.2.2", F_PEER_ID, "@east", F_ROLE, "initiator", END);
	snprintf(id, sizeof(id), "%s", str(&ev, F_IKE_SA_ID));
	line(c, &ev, 2, "a", 4, F_EVENT_TYPE, "child_sa_create", F_RESULT, "success",
	     F_PARENT_SERIAL, "3", END);
	assert_int_equal(correlator_save(c, &buf, &len), 0);

	/* a different table size, then a damaged copy: refused */
	assert_int_equal(correlator_new(128, "test", &cnt, &d), 0);
	assert_int_equal(correlator_set_summary(d, true), 0);
	assert_int_equal(correlator_load(d, buf, len), -EPROTO);
	correlator_free(d);
	assert_int_equal(correlator_new(64, "test", &cnt, &d), 0);
	assert_int_equal(correlator_set_summary(d, true), 0);
	buf[len / 2] ^= 1;
	assert_int_equal(correlator_load(d, buf, len), -EBADMSG);
	assert_int_equal(correlator_load(d, buf, 10), -EBADMSG);
	buf[len / 2] ^= 1;
	assert_int_equal(correlator_load(d, buf, len), 2);
	/* once loaded, the table is in use */
	assert_int_equal(correlator_load(d, buf, len), -EBUSY);

	/* the delete and the Child SA's traffic after the restart */
	line_us = 5000000;
	line(d, &ev, 3, "a", 3, F_EVENT_TYPE, "ike_sa_delete", F_RESULT, "info", END);
	assert_string_equal(str(&ev, F_IKE_SA_ID), id);
	assert_string_equal(str(&ev, F_PEER_IP), "192.0.2.2");
	assert_string_equal(str(&ev, F_PEER_ID), "@east");
	line(d, &ev, 4, "a", 4, F_EVENT_TYPE, "child_sa_delete", F_RESULT, "info", F_BYTES_IN, "84",
	     END);
	assert_string_equal(str(&ev, F_IKE_SA_ID), id);
	assert_string_equal(str(&ev, F_PEER_IP), "192.0.2.2");
	line_us = 0;
	assert_int_equal(correlate_summaries_due(d, &ev, 0, 0, true, keep_summary, g), 0);
	assert_int_equal(g[0].n, 1);
	assert_string_equal(g[0].end_reason, "deleted");
	assert_int_equal(g[0].sum.start_us, 1000000);
	assert_int_equal(g[0].sum.end_us, 5000000);
	assert_int_equal(g[0].sum.child_created, 1);
	assert_int_equal(g[0].sum.bytes_in, 84);
	assert_string_equal(g[0].peer_ip, "192.0.2.2");
	free(buf);
	event_done(&ev);
	correlator_free(d);
	correlator_free(c);
}

/*
 * event_put_trusted / event_put_int_trusted, the setters without their checks that
 * carry a story's facts and make a summary: the value, its text as the
 * writer reads it and a number as event_int gives it; a full arena sets
 * nothing.
 */
static void test_event_put(void **state)
{
	struct event ev;
	size_t len;
	const char *s;

	(void)state;
	assert_int_equal(event_init(&ev, 64), 0);
	assert_int_equal(event_put_trusted(&ev, F_PEER_ID, "@east", 5, 0), 0);
	s = event_str(&ev, F_PEER_ID, &len);
	assert_non_null(s);
	assert_int_equal(len, 5);
	assert_string_equal(s, "@east");
	assert_int_equal(event_put_int_trusted(&ev, F_PEER_PORT, 4500), 0);
	assert_string_equal(event_str(&ev, F_PEER_PORT, &len), "4500");
	assert_int_equal(event_int(&ev, F_PEER_PORT, -1), 4500);
	assert_int_equal(event_put_int_trusted(&ev, F_ESN, 1), 0); /* a bool: true, not 1 */
	assert_string_equal(event_str(&ev, F_ESN, &len), "true");
	assert_int_equal(event_int(&ev, F_ESN, -1), 1);
	assert_int_equal(event_put_int_trusted(&ev, F_NAT_PEER_BEHIND, 0), 0);
	assert_string_equal(event_str(&ev, F_NAT_PEER_BEHIND, &len), "false");
	assert_int_equal(event_put_int_trusted(&ev, F_BYTES_IN, -120), 0);
	assert_string_equal(event_str(&ev, F_BYTES_IN, &len), "-120");
	assert_int_equal(event_int(&ev, F_BYTES_IN, 0), -120);
	/* 5+1 + 4+1 + 4+1 + 5+1 + 4+1 = 27 bytes used: 37 left, a 37-byte value needs 38 */
	assert_int_equal(
	    event_put_trusted(&ev, F_REASON, "0123456789012345678901234567890123456", 37, 0),
	    -ENOSPC);
	assert_false(event_has(&ev, F_REASON));
	assert_int_equal(
	    event_put_trusted(&ev, F_REASON, "012345678901234567890123456789012345", 36, 0), 0);
	assert_int_equal(ev.text_len, 64);
	assert_int_equal(event_put_int_trusted(&ev, F_RETRANSMITS, 7), -ENOSPC);
	assert_false(event_has(&ev, F_RETRANSMITS));
	event_done(&ev);
}

/* An IKE SA id as 16 lower-case hex digits, the most significant first, every nibble its own. */
static void test_hex_id(void **state)
{
	char id[ID_LEN + 1];

	(void)state;
	assert_string_equal(corr_hex_id(UINT64_C(0x0123456789abcdef), id), "0123456789abcdef");
	assert_string_equal(corr_hex_id(UINT64_C(0xfedcba9876543210), id), "fedcba9876543210");
	assert_string_equal(corr_hex_id(0, id), "0000000000000000");
	assert_string_equal(corr_hex_id(UINT64_MAX, id), "ffffffffffffffff");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_capture),
	    cmocka_unit_test(test_unparsed),
	    cmocka_unit_test(test_restart_and_hosts),
	    cmocka_unit_test(test_orphan_child),
	    cmocka_unit_test(test_child_after_delete),
	    cmocka_unit_test(test_eviction),
	    cmocka_unit_test(test_carry),
	    cmocka_unit_test(test_carry_redacted),
	    cmocka_unit_test(test_one_outcome),
	    cmocka_unit_test(test_story_eviction),
	    cmocka_unit_test(test_summary),
	    cmocka_unit_test(test_host_share),
	    cmocka_unit_test(test_host_share_victims),
	    cmocka_unit_test(test_summary_at_end),
	    cmocka_unit_test(test_save_load),
	    cmocka_unit_test(test_deleted_kept),
	    cmocka_unit_test(test_load_v2),
	    cmocka_unit_test(test_facts_room),
	    cmocka_unit_test(test_event_put),
	    cmocka_unit_test(test_hex_id),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
