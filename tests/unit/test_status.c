/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "event.h"
#include "status.h"

/*
 * Status snapshots: each whack line below is a sample line (the fixtures
 * are ../shared/pluto-corpus's) or built from the format string of the
 * Libreswan version named beside it; the expected fields are read off the
 * line by hand.
 */

#define NOW 1234567990 /* 100 s after the samples' add_time=1234567890 */

struct fx {
	struct status_parser *p;
	struct event ev;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(status_parser_new(&f->p), 0);
	assert_int_equal(event_init(&f->ev, 8192), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	status_parser_free(f->p);
	event_done(&f->ev);
	free(f);
	return 0;
}

static enum status_kind parse(struct fx *f, const char *line)
{
	event_reset(&f->ev);
	return status_parse_line(f->p, line, strlen(line), NOW, &f->ev);
}

static void assert_str(const struct event *ev, enum field fl, const char *want)
{
	const char *got = event_str(ev, fl, NULL);

	if (!want) {
		assert_false(event_has(ev, fl));
		return;
	}
	assert_non_null(got);
	assert_string_equal(got, want);
}

static void assert_num(const struct event *ev, enum field fl, int64_t want)
{
	assert_true(event_has(ev, fl));
	assert_int_equal(event_int(ev, fl, -12345), want);
}

static void test_traffic_v4_v5(void **state)
{
	struct fx *f = *state;

	/* trafficstatus-v4.txt, first line */
	assert_int_equal(parse(f, "#2: \"westnet-eastnet-ah\", type=AH, add_time=1234567890, "
				  "inBytes=84, outBytes=84, maxBytes=2^63B, id='@east'"),
			 STATUS_TRAFFIC);
	assert_str(&f->ev, F_EVENT_TYPE, "tunnel_status");
	assert_str(&f->ev, F_CONN_NAME, "westnet-eastnet-ah");
	assert_num(&f->ev, F_STATE_SERIAL, 2);
	assert_num(&f->ev, F_BYTES_IN, 84);
	assert_num(&f->ev, F_BYTES_OUT, 84);
	assert_str(&f->ev, F_CHILD_PROTOCOL, "AH");
	assert_str(&f->ev, F_PEER_ID, "@east");
	assert_num(&f->ev, F_ESTABLISHED_S, 100);
	assert_str(&f->ev, F_PEER_IP, NULL);
	assert_false(event_has(&f->ev, F_CONN_INSTANCE));

	/* an instance with a lease: the peer is after "...", the lease's own address before */
	assert_int_equal(
	    parse(f, "#2: \"private-or-clear#192.1.2.0/24\"[1] 10.0.10.1/32=== ...192.1.2.23, "
		     "type=ESP, add_time=1234567890, inBytes=168, outBytes=168, maxBytes=2^63B, "
		     "id='C=CA, ST=Ontario, L=Toronto, O=Libreswan, OU=Test Department, "
		     "CN=east.testing.libreswan.org, E=user-east@testing.libreswan.org', "
		     "lease=10.0.10.1/32"),
	    STATUS_TRAFFIC);
	assert_str(&f->ev, F_CONN_NAME, "private-or-clear#192.1.2.0/24");
	assert_num(&f->ev, F_CONN_INSTANCE, 1);
	assert_str(&f->ev, F_PEER_IP, "192.1.2.23");
	assert_num(&f->ev, F_BYTES_IN, 168);
	assert_str(&f->ev, F_PEER_ID,
		   "C=CA, ST=Ontario, L=Toronto, O=Libreswan, OU=Test Department, "
		   "CN=east.testing.libreswan.org, E=user-east@testing.libreswan.org");
	assert_str(&f->ev, F_LEASE_IP, "10.0.10.1/32");

	/* the peer first, the lease after "===" */
	assert_int_equal(parse(f, "#4: \"clear-or-private#192.1.2.0/24\"[2] ...192.1.2.254===10.0."
				  "10.2/32, type=ESP, add_time=1234567890, inBytes=84, "
				  "outBytes=84, maxBytes=2^63B, id='ID_NULL', lease=10.0.10.2/32"),
			 STATUS_TRAFFIC);
	assert_num(&f->ev, F_STATE_SERIAL, 4);
	assert_num(&f->ev, F_CONN_INSTANCE, 2);
	assert_str(&f->ev, F_PEER_IP, "192.1.2.254");
	assert_str(&f->ev, F_LEASE_IP, "10.0.10.2/32");

	/* 4.x whack's RC code before the line; 5.x's peer without "..." */
	assert_int_equal(parse(f, "006 #2: \"east\"[2] 192.1.2.45, type=ESP, add_time=1234567890, "
				  "inBytes=84, outBytes=1234567, maxBytes=2^63B, id='@west', "
				  "lease=192.3.1.0/32"),
			 STATUS_TRAFFIC);
	assert_str(&f->ev, F_CONN_NAME, "east");
	assert_str(&f->ev, F_PEER_IP, "192.1.2.45");
	assert_num(&f->ev, F_BYTES_OUT, 1234567);
	assert_str(&f->ev, F_MESSAGE,
		   "#2: \"east\"[2] 192.1.2.45, type=ESP, add_time=1234567890, "
		   "inBytes=84, outBytes=1234567, maxBytes=2^63B, id='@west', "
		   "lease=192.3.1.0/32");

	/* a sanitised count ("6nn") is no integer: left out, the rest kept */
	assert_int_equal(parse(f,
			       "#2: \"westnet-eastnet-compress\", type=ESP, add_time=1234567890, "
			       "inBytes=6nn, outBytes=6nn, maxBytes=2^63B, id='@east'"),
			 STATUS_TRAFFIC);
	assert_false(event_has(&f->ev, F_BYTES_IN));
	assert_str(&f->ev, F_PEER_ID, "@east");
}

static void test_traffic_v3_username(void **state)
{
	struct fx *f = *state;

	/* 3.x fmt_list_traffic: "#%lu: \"%s\"%s" then username, traffic, no id with a user */
	assert_int_equal(parse(f,
			       "000 #7: \"xauth-road\"[3] 198.51.100.7, username=alice, type=ESP, "
			       "add_time=1234567000, inBytes=1024, outBytes=2048"),
			 STATUS_TRAFFIC);
	assert_str(&f->ev, F_USERNAME, "alice");
	assert_num(&f->ev, F_STATE_SERIAL, 7);
	assert_num(&f->ev, F_CONN_INSTANCE, 3);
	assert_str(&f->ev, F_PEER_IP, "198.51.100.7");
	assert_num(&f->ev, F_BYTES_OUT, 2048);
	assert_num(&f->ev, F_ESTABLISHED_S, 990);
	assert_false(event_has(&f->ev, F_PEER_ID));

	/* an add_time in the future (clock stepped back): no negative age */
	assert_int_equal(parse(f,
			       "#2: \"c\", type=ESP, add_time=1234599999, inBytes=0, outBytes=0, "
			       "id='@east'"),
			 STATUS_TRAFFIC);
	assert_false(event_has(&f->ev, F_ESTABLISHED_S));
}

static void test_states(void **state)
{
	struct fx *f = *state;

	/* showstates-v4.txt */
	assert_int_equal(parse(f, "#8: \"private#192.1.2.23/32\"[1] ...192.1.2.23:500 "
				  "STATE_V2_ESTABLISHED_CHILD_SA (established Child SA); REKEY in "
				  "XXs; REPLACE in XXs; newest; eroute owner; IKE SA #7; idle;"),
			 STATUS_STATE);
	assert_str(&f->ev, F_EVENT_TYPE, "sa_status");
	assert_num(&f->ev, F_STATE_SERIAL, 8);
	assert_num(&f->ev, F_PARENT_SERIAL, 7);
	assert_str(&f->ev, F_STATE_NAME, "STATE_V2_ESTABLISHED_CHILD_SA");
	assert_str(&f->ev, F_STATE_STORY, "established Child SA");
	assert_str(&f->ev, F_NEXT_EVENT, "REKEY");
	assert_false(event_has(&f->ev, F_NEXT_EVENT_S)); /* "XX": sanitised */
	assert_str(&f->ev, F_PEER_IP, "192.1.2.23");
	assert_num(&f->ev, F_PEER_PORT, 500);

	/* 5.4's story only, with the seconds show_state prints ("%s in %jds;") */
	assert_int_equal(parse(f, "#2: \"private#192.1.2.23/32\"[2] ...192.1.2.23:500 established "
				  "IKE SA; REKEY in 28000s; REPLACE in 28800s; newest; idle;"),
			 STATUS_STATE);
	assert_false(event_has(&f->ev, F_STATE_NAME));
	assert_str(&f->ev, F_STATE_STORY, "established IKE SA");
	assert_num(&f->ev, F_NEXT_EVENT_S, 28000);
	assert_false(event_has(&f->ev, F_PARENT_SERIAL));

	/* 5.1-5.3 drop STATE_; an IKEv1 Child SA names its "ISAKMP SA #N" */
	assert_int_equal(parse(f, "#4: \"roadnet-eastnet-ipv4-psk-ikev1\"[1] 192.1.2.254:4500 "
				  "QUICK_R2 (IPsec SA established); REPLACE in 27648s; newest; "
				  "eroute owner; ISAKMP SA #3; idle;"),
			 STATUS_STATE);
	assert_str(&f->ev, F_STATE_NAME, "QUICK_R2");
	assert_num(&f->ev, F_PARENT_SERIAL, 3);
	assert_num(&f->ev, F_PEER_PORT, 4500);
	assert_str(&f->ev, F_PEER_IP, "192.1.2.254");

	/* 3.x fmt_state: "%s in %jds" with the timer's enum name, "isakmp#%lu" */
	assert_int_equal(parse(f, "000 #2: \"west-east\":500 STATE_QUICK_I2 (sent QI2, IPsec SA "
				  "established); EVENT_SA_REPLACE in 27000s; newest IPSEC; eroute "
				  "owner; isakmp#1; idle;"),
			 STATUS_STATE);
	assert_str(&f->ev, F_CONN_NAME, "west-east");
	assert_str(&f->ev, F_STATE_STORY, "sent QI2, IPsec SA established");
	assert_str(&f->ev, F_NEXT_EVENT, "EVENT_SA_REPLACE");
	assert_num(&f->ev, F_NEXT_EVENT_S, 27000);
	assert_num(&f->ev, F_PARENT_SERIAL, 1);
	/* 3.x with no timer: "none in -1s" is no next event */
	assert_int_equal(parse(f, "000 #3: \"west-east\":500 STATE_MAIN_I1 (sent MI1, expecting "
				  "MR1); none in -1s; idle;"),
			 STATUS_STATE);
	assert_false(event_has(&f->ev, F_NEXT_EVENT));

	/* TCP encapsulation (4.x "(tcp)") and a sanitised port */
	assert_int_equal(parse(f, "#1: \"tcp\":4500(tcp) STATE_V2_ESTABLISHED_IKE_SA (established "
				  "IKE SA); REKEY in 100s; idle;"),
			 STATUS_STATE);
	assert_str(&f->ev, F_TRANSPORT, "TCP");
	assert_int_equal(parse(f,
			       "#3: \"roadnet-eastnet-ipv4-psk-ikev2\"[1] 192.1.2.254:PORT "
			       "established IKE SA; REKEY in XXs; REPLACE in XXs; newest; idle;"),
			 STATUS_STATE);
	assert_false(event_has(&f->ev, F_PEER_PORT));
	assert_str(&f->ev, F_PEER_IP, "192.1.2.254");
}

static void test_child_traffic(void **state)
{
	struct fx *f = *state;

	/* 4.x show_established_child_details with real SPIs and KB (1024 bytes) */
	assert_int_equal(parse(f,
			       "#2: \"east-west\" esp.c1e6e3a1@192.1.2.45 esp.8e77a0b1@192.1.2.23 "
			       "tun.0@192.1.2.45 tun.0@192.1.2.23 Traffic: ESPin=2KB "
			       "ESPout=84B ESPmax=2^63B "),
			 STATUS_CHILD_TRAFFIC);
	assert_str(&f->ev, F_EVENT_TYPE, "tunnel_status");
	assert_str(&f->ev, F_SPI_OUT, "0xc1e6e3a1");
	assert_str(&f->ev, F_SPI_IN, "0x8e77a0b1");
	assert_str(&f->ev, F_PEER_IP, "192.1.2.45");
	assert_str(&f->ev, F_CHILD_PROTOCOL, "ESP");
	assert_num(&f->ev, F_BYTES_IN, 2048);
	assert_num(&f->ev, F_BYTES_OUT, 84);

	/* showstates-v5.txt: sanitised SPIs are no hex: left out */
	assert_int_equal(parse(f, "#3: \"labeled\"[1][2] 192.1.2.23 esp.ESPSPIi@192.1.2.23 "
				  "esp.ESPSPIi@192.1.2.45 tun.0@192.1.2.23 tun.0@192.1.2.45 "
				  "Traffic: ESPin=164B ESPout=0B ESPmax=2^63B "),
			 STATUS_CHILD_TRAFFIC);
	assert_num(&f->ev, F_CONN_INSTANCE, 1);
	assert_false(event_has(&f->ev, F_SPI_IN));
	assert_num(&f->ev, F_BYTES_IN, 164);
	assert_num(&f->ev, F_BYTES_OUT, 0);
}

static void test_skip_and_unparsed(void **state)
{
	struct fx *f = *state;

	assert_int_equal(parse(f, ""), STATUS_SKIP);
	assert_int_equal(parse(f, "000 Total IPsec connections: loaded 2, active 1"), STATUS_SKIP);
	assert_int_equal(parse(f, "IKE SAs: total(1), half-open(0), open(0), authenticated(1)"),
			 STATUS_SKIP);
	/*
	 * The test suite's elision after a trafficstatus line's connection
	 * (", " then "[...]"): a tunnel, its counts unknown.
	 */
	assert_int_equal(parse(f, "#2: \"westnet-eastnet\", [...]"), STATUS_TRAFFIC);
	assert_str(&f->ev, F_EVENT_TYPE, "tunnel_status");
	assert_str(&f->ev, F_CONN_NAME, "westnet-eastnet");
	assert_num(&f->ev, F_STATE_SERIAL, 2);
	assert_false(event_has(&f->ev, F_BYTES_IN));
	assert_int_equal(parse(f, "#2: \"private-or-clear#192.1.2.0/24-(0--6--7)\"[1] "
				  "...192.1.2.23, [...]"),
			 STATUS_TRAFFIC);
	assert_str(&f->ev, F_PEER_IP, "192.1.2.23");
	assert_str(&f->ev, F_CONN_INSTANCE, "1");
	/* "--- cut ---" hides whether it was a state or a tunnel: a "#N:" line no pattern knows */
	assert_int_equal(parse(f, "#1: \"road-east-ikev2\" --- cut ---"), STATUS_UNPARSED);
	assert_str(&f->ev, F_EVENT_TYPE, "unparsed");
	assert_str(&f->ev, F_MESSAGE, "#1: \"road-east-ikev2\" --- cut ---");
	assert_str(&f->ev, F_CONN_NAME, "road-east-ikev2");
	assert_num(&f->ev, F_STATE_SERIAL, 1);
	/* nor is anything else after the connection's ", " a tunnel */
	assert_int_equal(parse(f, "#2: \"westnet-eastnet\", [...] more"), STATUS_UNPARSED);
}

/* ---- snapshots ---- */

#define MAX_SEEN 16

struct seen {
	size_t n;
	char type[MAX_SEEN][32];
	int64_t serial[MAX_SEEN], parent[MAX_SEEN];
	char spi_in[MAX_SEEN][24];
	char peer[MAX_SEEN][48];
	bool inferred[MAX_SEEN];
};

static int record(void *ud, struct event *ev)
{
	struct seen *s = ud;
	const char *spi = event_str(ev, F_SPI_IN, NULL);
	const char *peer = event_str(ev, F_PEER_IP, NULL);

	assert_true(s->n < MAX_SEEN);
	snprintf(s->type[s->n], sizeof(s->type[0]), "%s", event_str(ev, F_EVENT_TYPE, NULL));
	s->serial[s->n] = event_int(ev, F_STATE_SERIAL, -1);
	s->parent[s->n] = event_int(ev, F_PARENT_SERIAL, -1);
	snprintf(s->spi_in[s->n], sizeof(s->spi_in[0]), "%s", spi ? spi : "");
	snprintf(s->peer[s->n], sizeof(s->peer[0]), "%s", peer ? peer : "");
	s->inferred[s->n] = event_int(ev, F_INFERRED, 0) != 0;
	/* every event is stamped */
	assert_true(event_has(ev, F_EVENT_ID));
	assert_true(event_has(ev, F_TIMESTAMP));
	assert_true(event_has(ev, F_PLATFORM_HOST));
	s->n++;
	return 0;
}

static const char states_text[] =
    "#1: \"gw\":500 STATE_V2_ESTABLISHED_IKE_SA (established IKE SA); REKEY in 100s; newest; "
    "idle;\n"
    "#2: \"gw\":500 STATE_V2_ESTABLISHED_CHILD_SA (established Child SA); REKEY in 90s; newest; "
    "eroute owner; IKE SA #1; idle;\n"
    "#2: \"gw\" esp.c1e6e3a1@192.0.2.2 esp.8e77a0b1@192.0.2.1 tun.0@192.0.2.2 tun.0@192.0.2.1 "
    "Traffic: ESPin=0B ESPout=0B ESPmax=2^63B \n";
static const char traffic_text[] = "#2: \"gw\", type=ESP, add_time=1234567890, inBytes=10, "
				   "outBytes=20, maxBytes=2^63B, id='@east'\n";

static void test_snapshot_join(void **state)
{
	struct fx *f = *state;
	struct seen s = {0};
	struct status_counts c;

	assert_int_equal(status_snapshot(f->p, states_text, strlen(states_text), traffic_text,
					 strlen(traffic_text), (int64_t)NOW * 1000000, &f->ev,
					 record, &s, NULL, &c),
			 0);
	/* two state lines, one tunnel: the traffic line with the showstates facts */
	assert_int_equal(s.n, 3);
	assert_string_equal(s.type[0], "sa_status");
	assert_string_equal(s.type[1], "sa_status");
	assert_string_equal(s.type[2], "tunnel_status");
	assert_int_equal(s.serial[2], 2);
	assert_int_equal(s.parent[2], 1);
	assert_string_equal(s.spi_in[2], "0x8e77a0b1");
	assert_string_equal(s.peer[2], "192.0.2.2"); /* the outbound SAID's address */
	assert_int_equal(c.states, 2);
	assert_int_equal(c.tunnels, 1);
	assert_int_equal(c.unparsed, 0);

	/* a saved file (one text) keeps every line: the Child SA's traffic line too */
	s = (struct seen){0};
	assert_int_equal(status_snapshot(f->p, states_text, strlen(states_text), NULL, 0,
					 (int64_t)NOW * 1000000, &f->ev, record, &s, NULL, &c),
			 0);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.type[2], "tunnel_status");
	assert_int_equal(s.parent[2], 1);

	/* a saved file with both outputs: both tunnel lines are kept, each its event */
	char both[sizeof(states_text) + sizeof(traffic_text)];

	snprintf(both, sizeof(both), "%s%s", traffic_text, states_text);
	s = (struct seen){0};
	assert_int_equal(status_snapshot(f->p, both, strlen(both), NULL, 0, (int64_t)NOW * 1000000,
					 &f->ev, record, &s, NULL, &c),
			 0);
	assert_int_equal(s.n, 4);
	assert_int_equal(c.tunnels, 2);
	assert_string_equal(s.type[0], "tunnel_status");
	assert_int_equal(s.parent[0], 1); /* joined all the same */
}

/* Every line of a sample file: by its shape, which event it must give. */
static void check_sample(struct fx *f, const char *path)
{
	FILE *fp = fopen(path, "r");
	char line[4096];
	size_t lines = 0, n_traffic = 0, n_state = 0, n_child = 0, n_elided = 0;

	assert_non_null(fp);
	while (fgets(line, sizeof(line), fp)) {
		enum status_kind k = parse(f, line);

		lines++;
		/* the samples' own elisions: "--- cut ---" hides the kind, "[...]" a tunnel's counts */
		if (strstr(line, "--- cut ---")) {
			assert_int_equal(k, STATUS_UNPARSED);
			n_elided++;
		} else if (strstr(line, "\", [...]") || strstr(line, ", [...]")) {
			assert_int_equal(k, STATUS_TRAFFIC);
			assert_true(event_has(&f->ev, F_CONN_NAME));
			assert_false(event_has(&f->ev, F_BYTES_IN));
			n_traffic++;
		} else if (strstr(line, ", type=")) {
			assert_int_equal(k, STATUS_TRAFFIC);
			assert_true(event_has(&f->ev, F_CONN_NAME));
			assert_true(event_has(&f->ev, F_STATE_SERIAL));
			n_traffic++;
		} else if (strstr(line, " Traffic: ")) {
			assert_int_equal(k, STATUS_CHILD_TRAFFIC);
			n_child++;
		} else {
			assert_int_equal(k, STATUS_STATE);
			assert_true(event_has(&f->ev, F_STATE_SERIAL));
			assert_true(event_has(&f->ev, F_STATE_STORY));
			n_state++;
		}
	}
	fclose(fp);
	assert_int_equal(lines, n_traffic + n_state + n_child + n_elided);
	printf("%s: %zu traffic, %zu state, %zu child traffic, %zu elided\n", path, n_traffic,
	       n_state, n_child, n_elided);
}

static void test_samples(void **state)
{
	struct fx *f = *state;

	check_sample(f, "fixtures/status/trafficstatus-v4.txt");
	check_sample(f, "fixtures/status/trafficstatus-v5.txt");
	check_sample(f, "fixtures/status/showstates-v4.txt");
	check_sample(f, "fixtures/status/showstates-v5.txt");

	/* trafficstatus-v4.txt's line 13, all of it */
	FILE *fp = fopen("fixtures/status/trafficstatus-v4.txt", "r");
	char line[4096];

	assert_non_null(fp);
	for (int i = 0; i < 13; i++)
		assert_non_null(fgets(line, sizeof(line), fp));
	fclose(fp);
	assert_int_equal(parse(f, line), STATUS_TRAFFIC);
	assert_str(&f->ev, F_CONN_NAME, "westnet-eastnet");
	assert_num(&f->ev, F_BYTES_IN, 0);
	assert_num(&f->ev, F_BYTES_OUT, 0);
}

/* ---- the tracker ---- */

static void note(struct status_tracker *t, struct event *ev, const char *type, const char *conn,
		 int64_t serial)
{
	event_reset(ev);
	event_set_str(ev, F_EVENT_TYPE, type, strlen(type));
	event_set_str(ev, F_RESULT, "success", 7);
	event_set_str(ev, F_CONN_NAME, conn, strlen(conn));
	event_set_int(ev, F_STATE_SERIAL, serial);
	status_tracker_note_log(t, ev);
}

static void add(struct status_tracker *t, struct event *ev, const char *conn, int64_t serial,
		int64_t parent)
{
	event_reset(ev);
	event_set_str(ev, F_EVENT_TYPE, "tunnel_status", 13);
	event_set_str(ev, F_CONN_NAME, conn, strlen(conn));
	event_set_int(ev, F_STATE_SERIAL, serial);
	event_set_int(ev, F_PARENT_SERIAL, parent);
	assert_int_equal(status_tracker_add(t, ev), 0);
}

static void test_tracker(void **state)
{
	struct fx *f = *state;
	struct status_tracker *t;
	struct seen s = {0};

	assert_int_equal(status_tracker_new(16, &t), 0);
	/* the baseline: nothing inferred */
	status_tracker_begin(t);
	add(t, &f->ev, "a", 2, 1);
	add(t, &f->ev, "b", 4, 3);
	add(t, &f->ev, "c", 6, 5);
	assert_int_equal(status_tracker_end(t, 1, &f->ev, record, &s), 0);
	assert_int_equal(s.n, 0);

	/* a went without a log line; b's delete was logged; d came without one, e with one */
	note(t, &f->ev, "child_sa_delete", "b", 4);
	note(t, &f->ev, "child_sa_create", "e", 9);
	note(t, &f->ev, "child_sa_create", "a", 77); /* another serial: says nothing of #2 */
	status_tracker_begin(t);
	add(t, &f->ev, "c", 6, 5);
	add(t, &f->ev, "d", 8, 7);
	add(t, &f->ev, "e", 9, 7);
	assert_int_equal(status_tracker_end(t, 2, &f->ev, record, &s), 2);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.type[0], "tunnel_down");
	assert_int_equal(s.serial[0], 2);
	assert_int_equal(s.parent[0], 1);
	assert_true(s.inferred[0]);
	assert_string_equal(s.type[1], "tunnel_up");
	assert_int_equal(s.serial[1], 8);
	assert_true(s.inferred[1]);

	/* the IKE SA's delete was logged: its Child SAs went with it */
	s = (struct seen){0};
	note(t, &f->ev, "ike_sa_delete", "d", 7);
	status_tracker_begin(t);
	add(t, &f->ev, "c", 6, 5);
	assert_int_equal(status_tracker_end(t, 3, &f->ev, record, &s), 1);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.type[0], "tunnel_down"); /* e (#9) is d's IKE SA #7's, but conn e */
	assert_int_equal(s.serial[0], 9);

	/* the notes are spent: the same change twice is inferred once */
	s = (struct seen){0};
	status_tracker_begin(t);
	add(t, &f->ev, "c", 6, 5);
	assert_int_equal(status_tracker_end(t, 4, &f->ev, record, &s), 0);
	status_tracker_free(t);
}

/* ---- certificates: certutil -L output (fixtures/status/certutil-*.txt, NSS 3.87) ---- */

static char *slurp(const char *path, size_t *ret_len)
{
	FILE *fp = fopen(path, "r");
	static char buf[65536];
	size_t n;

	assert_non_null(fp);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	*ret_len = n;
	return buf;
}

static void test_certs(void **state)
{
	struct fx *f = *state;
	char **nicks = NULL;
	size_t n = 0, len;
	const char *text = slurp("fixtures/status/certutil-list.txt", &len);

	assert_int_equal(status_certs_list(text, len, &nicks, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(nicks[0], "east");
	assert_string_equal(nicks[1], "Lab CA"); /* a nickname with a space */
	status_certs_list_free(nicks, n);

	/* "Not After : Tue Jan 05 04:14:40 2027"; now = Sun Dec 06 04:16:17 2026 UTC */
	text = slurp("fixtures/status/certutil-east.txt", &len);
	event_reset(&f->ev);
	assert_int_equal(status_cert_parse(text, len, 1796530577, &f->ev), 1);
	assert_str(&f->ev, F_EVENT_TYPE, "cert_status");
	assert_str(&f->ev, F_CERT_SUBJECT, "O=Lab,CN=east.example");
	assert_str(&f->ev, F_CERT_ISSUER, "O=Lab,CN=east.example");
	assert_num(&f->ev, F_DAYS_TO_EXPIRY, 29); /* 29 days and 23:58:23 */
	/* one second after Not After (1799122480): expired, -1 */
	event_reset(&f->ev);
	assert_int_equal(status_cert_parse(text, len, 1799122481, &f->ev), 1);
	assert_num(&f->ev, F_DAYS_TO_EXPIRY, -1);
	/* exactly at it: 0 days left */
	event_reset(&f->ev);
	assert_int_equal(status_cert_parse(text, len, 1799122480, &f->ev), 1);
	assert_num(&f->ev, F_DAYS_TO_EXPIRY, 0);
	/* the listing is no certificate */
	text = slurp("fixtures/status/certutil-list.txt", &len);
	event_reset(&f->ev);
	assert_int_equal(status_cert_parse(text, len, 1796530577, &f->ev), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_traffic_v4_v5, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_traffic_v3_username, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_states, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_child_traffic, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_skip_and_unparsed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_snapshot_join, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_samples, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tracker, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_certs, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
