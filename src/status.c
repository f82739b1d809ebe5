/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Status snapshots: the lines of `ipsec whack --trafficstatus` and
 * `--showstates` as events, and the tracker that infers tunnels that came
 * or went between two snapshots without a log line.
 *
 * The shapes, from Libreswan's source (state.c fmt_list_traffic and
 * fmt_state in 3.x, jam_state_traffic and show_state in 4.x,
 * whack_trafficstatus.c and whack_showstates.c in 5.x):
 *
 *   #2: "c"[1] ...192.0.2.2, type=ESP, add_time=N, inBytes=N, outBytes=N,
 *       maxBytes=2^63B, id='@east', lease=10.0.10.1/32
 *   #1: "c":500 STATE_V2_ESTABLISHED_IKE_SA (established IKE SA); REKEY in 5s;
 *       ...; IKE SA #1; idle;          (4.x; 5.1-5.3 drop "STATE_"; 5.4 prints
 *                                       only the story; 3.x says "isakmp#1")
 *   #2: "c" esp.SPI@peer esp.SPI@local tun.0@... Traffic: ESPin=84B ESPout=84B
 *       ESPmax=2^63B                   (showstates, per established Child SA)
 *
 * Each pattern's named groups are field short names (event.c's table);
 * groups named x_* are read here.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "status.h"
#include "util.h"

/* The connection as jam_connection prints it: name, instances, the peer. */
#define CONN                                                                                       \
	"#(?<state_serial>[0-9]+): \"(?<conn_name>[^\"]+)\"(?:\\[(?<conn_instance>[0-9]+)\\])?"    \
	"(?:\\[[0-9]+\\])*"
#define PEER                                                                                       \
	"(?: (?:[0-9a-fA-F:][^\\s=,]*===)? ?(?:\\.\\.\\.)?(?<peer_ip>[0-9a-fA-F.:]+?)"             \
	"(?:/[0-9]+)?(?:===[^\\s,]*)?)?"

static const char *const patterns[] = {
    /*
     * Libreswan's test suite elides some lines after the connection
     * ("#2: \"c\", [...]"): still a tunnel, its counts unknown.
     */
    [STATUS_TRAFFIC] = "^" CONN PEER "(?:, \\[\\.\\.\\.\\]"
		       "|(?:, username=(?<username>[^,]*))?"
		       ", type=(?:(?<child_protocol>ESP|AH|IPCOMP)|[A-Z]+)(?:\\([^)]*\\))?"
		       "(?:, add_time=(?<x_add_time>[0-9]+))?"
		       "(?:, inBytes=(?<bytes_in>[^,]*))?(?:, outBytes=(?<bytes_out>[^,]*))?"
		       "(?:, maxBytes=[^,]*)?(?:, id='(?<peer_id>.*?)')?"
		       "(?:, lease=(?<lease_ip>[^,\\s]+)(?:,[^,\\s]+)*)?)[,\\s]*$",
    [STATUS_STATE] = "^" CONN PEER ":(?:(?<peer_port>[0-9]+)|[A-Z]+)(?<x_tcp>\\(tcp\\))? "
		     "(?:(?<state_name>[A-Z][A-Z0-9_]*[A-Z0-9]) \\((?<state_story>[^)]*)\\)"
		     "|(?<state_story>[^;]*));(?<x_rest>.*)$",
    [STATUS_CHILD_TRAFFIC] = "^" CONN "(?<x_tail>.*?) Traffic:(?<x_traffic>.*)$",
    /* tried last: a line no pattern knows still says which SA it is about */
    [STATUS_UNPARSED] = "^" CONN,
};

#define N_PATTERNS (sizeof(patterns) / sizeof(patterns[0]))

/* Pieces of a state line's rest and a Child SA's SAIDs and counts. */
static const char *const sub_patterns[] = {
    /* the first timer pluto lists is the next to fire ("none" in 3.x: no timer) */
    "\\b(?!none )(?<next_event>[A-Za-z][A-Za-z0-9_]*) in (?<next_event_s>-?[0-9]+|XX)s",
    "(?:IKE SA |ISAKMP SA |isakmp)#(?<parent_serial>[0-9]+)",
    /* the outbound SAID (at the peer) first, the inbound (here) second */
    ("(?<x_proto>ah|esp|comp)\\.(?<spi_out>\\w+)@(?<peer_ip>[0-9a-fA-F.:]+) "
     "\\g{x_proto}\\.(?<spi_in>\\w+)@"),
    "(?<x_proto>AH|ESP|IPCOMP)in=(?<x_in>[0-9]+[KMG]?B)",
    "(?:AH|ESP|IPCOMP)out=(?<x_out>[0-9]+[KMG]?B)",
};

enum { SUB_EVENT, SUB_PARENT, SUB_SAID, SUB_IN, SUB_OUT, SUB__MAX };

struct status_parser {
	pcre2_code *code[N_PATTERNS];
	pcre2_code *sub[SUB__MAX];
	pcre2_match_data *md;
};

static pcre2_code *compile(const char *pat)
{
	int err;
	PCRE2_SIZE off;
	pcre2_code *c =
	    pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED, PCRE2_DUPNAMES, &err, &off, NULL);

	if (c)
		(void)pcre2_jit_compile(c,
					PCRE2_JIT_COMPLETE); /* the interpreter is the fallback */
	return c;
}

int status_parser_new(struct status_parser **ret)
{
	struct status_parser *p = calloc(1, sizeof(*p));
	int r = -EINVAL;

	if (!p)
		return -ENOMEM;
	for (size_t i = 1; i < N_PATTERNS; i++)
		if (!(p->code[i] = compile(patterns[i])))
			goto out;
	for (size_t i = 0; i < SUB__MAX; i++)
		if (!(p->sub[i] = compile(sub_patterns[i])))
			goto out;
	p->md = pcre2_match_data_create(32, NULL);
	if (!p->md) {
		r = -ENOMEM;
		goto out;
	}
	*ret = p;
	return 0;
out:
	status_parser_free(p);
	return r;
}

void status_parser_free(struct status_parser *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < N_PATTERNS; i++)
		pcre2_code_free(p->code[i]);
	for (size_t i = 0; i < SUB__MAX; i++)
		pcre2_code_free(p->sub[i]);
	pcre2_match_data_free(p->md);
	free(p);
}

/* Group name's text of the last match into *ret_s, *ret_len; false when it did not take part. */
static bool group(struct status_parser *p, pcre2_code *c, const char *name, const char *subject,
		  const char **ret_s, size_t *ret_len)
{
	PCRE2_SPTR first, last;
	int esize = pcre2_substring_nametable_scan(c, (PCRE2_SPTR)name, &first, &last);
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(p->md);

	if (esize < 0)
		return false;
	for (PCRE2_SPTR e = first; e <= last; e += esize) {
		unsigned n = ((unsigned)e[0] << 8) | e[1];

		if (n < pcre2_get_ovector_count(p->md) && ov[2 * n] != PCRE2_UNSET) {
			*ret_s = subject + ov[2 * n];
			*ret_len = ov[2 * n + 1] - ov[2 * n];
			return true;
		}
	}
	return false;
}

/*
 * Every named group that took part and names a field sets it, converted by
 * the field's type; a value the type rejects ("XX" where a number was
 * sanitised away) leaves the field unset.
 */
static void apply(struct status_parser *p, pcre2_code *c, const char *subject, struct event *ev)
{
	uint32_t count, esize;
	PCRE2_SPTR table;
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(p->md);

	pcre2_pattern_info(c, PCRE2_INFO_NAMECOUNT, &count);
	pcre2_pattern_info(c, PCRE2_INFO_NAMEENTRYSIZE, &esize);
	pcre2_pattern_info(c, PCRE2_INFO_NAMETABLE, &table);
	for (uint32_t i = 0; i < count; i++) {
		PCRE2_SPTR e = table + (size_t)i * esize;
		unsigned n = ((unsigned)e[0] << 8) | e[1];
		const char *name = (const char *)e + 2;
		int f;

		if (strncmp(name, "x_", 2) == 0 || n >= pcre2_get_ovector_count(p->md) ||
		    ov[2 * n] == PCRE2_UNSET || (f = field_lookup(name, strlen(name))) < 0)
			continue;
		(void)event_set_text(ev, (enum field)f, subject + ov[2 * n],
				     ov[2 * n + 1] - ov[2 * n]);
	}
}

static int match(struct status_parser *p, pcre2_code *c, const char *s, size_t len)
{
	return pcre2_match(c, (PCRE2_SPTR)s, len, 0, 0, p->md, NULL);
}

/* "84B", "31KB", "2MB" (jam_readable_humber: binary multiples) into bytes. */
static bool humber(const char *s, size_t len, int64_t *ret)
{
	int64_t n = 0;
	size_t i = 0;

	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
		if (n > (INT64_MAX - 9) / 10 / 1024 / 1024 / 1024)
			return false;
		n = n * 10 + (s[i] - '0');
	}
	if (i == 0 || i >= len)
		return false;
	switch (s[i]) {
	case 'K':
		n *= 1024;
		break;
	case 'M':
		n *= 1024 * 1024;
		break;
	case 'G':
		n *= 1024 * 1024 * 1024;
		break;
	default:
		break;
	}
	*ret = n;
	return true;
}

static void parse_state_rest(struct status_parser *p, const char *rest, size_t len,
			     struct event *ev)
{
	if (match(p, p->sub[SUB_EVENT], rest, len) > 0)
		apply(p, p->sub[SUB_EVENT], rest, ev);
	if (match(p, p->sub[SUB_PARENT], rest, len) > 0)
		apply(p, p->sub[SUB_PARENT], rest, ev);
}

static void parse_child_traffic(struct status_parser *p, const char *tail, size_t tl,
				const char *traffic, size_t trl, struct event *ev)
{
	const char *s;
	size_t l;
	int64_t n;

	if (match(p, p->sub[SUB_SAID], tail, tl) > 0) {
		apply(p, p->sub[SUB_SAID], tail, ev);
		if (group(p, p->sub[SUB_SAID], "x_proto", tail, &s, &l)) {
			const char *proto = l == 2 ? "AH" : l == 3 ? "ESP" : "IPCOMP";

			event_set_str(ev, F_CHILD_PROTOCOL, proto, strlen(proto));
		}
	}
	if (match(p, p->sub[SUB_IN], traffic, trl) > 0 &&
	    group(p, p->sub[SUB_IN], "x_in", traffic, &s, &l) && humber(s, l, &n))
		event_set_int(ev, F_BYTES_IN, n);
	if (match(p, p->sub[SUB_OUT], traffic, trl) > 0 &&
	    group(p, p->sub[SUB_OUT], "x_out", traffic, &s, &l) && humber(s, l, &n))
		event_set_int(ev, F_BYTES_OUT, n);
}

static const char *const kind_type[] = {
    [STATUS_TRAFFIC] = "tunnel_status",
    [STATUS_STATE] = "sa_status",
    [STATUS_CHILD_TRAFFIC] = "tunnel_status",
    [STATUS_UNPARSED] = "unparsed",
};

enum status_kind status_parse_line(struct status_parser *p, const char *line, size_t len,
				   int64_t now_s, struct event *ev)
{
	enum status_kind kind = STATUS_UNPARSED;
	const char *s, *s2;
	size_t l, l2;

	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	/* 3.x and 4.x whack print each line after its RC code. */
	if (len > 4 && line[0] >= '0' && line[0] <= '9' && line[1] >= '0' && line[1] <= '9' &&
	    line[2] >= '0' && line[2] <= '9' && line[3] == ' ') {
		line += 4;
		len -= 4;
	}
	if (len < 3 || line[0] != '#' || line[1] < '0' || line[1] > '9')
		return STATUS_SKIP;
	for (size_t k = 1; k < N_PATTERNS; k++) {
		if (match(p, p->code[k], line, len) <= 0)
			continue;
		kind = (enum status_kind)k;
		apply(p, p->code[k], line, ev);
		break;
	}
	switch (kind) {
	case STATUS_TRAFFIC:
		if (group(p, p->code[kind], "x_add_time", line, &s, &l)) {
			char num[24] = "";
			int64_t t;

			/* The group is a piece of the line, which has no NUL after it. */
			if (l < sizeof(num))
				memcpy(num, s, l);
			t = strtoll(num, NULL, 10);

			if (t > 0 && t <= now_s)
				event_set_int(ev, F_ESTABLISHED_S, now_s - t);
		}
		break;
	case STATUS_STATE:
		if (group(p, p->code[kind], "x_tcp", line, &s, &l))
			event_set_str(ev, F_TRANSPORT, "TCP", 3);
		if (group(p, p->code[kind], "x_rest", line, &s, &l))
			parse_state_rest(p, s, l, ev);
		break;
	case STATUS_CHILD_TRAFFIC:
		if (group(p, p->code[kind], "x_tail", line, &s, &l) &&
		    group(p, p->code[kind], "x_traffic", line, &s2, &l2)) {
			/* the second match overwrites the ovector: copy the spans first */
			size_t off = (size_t)(s - line), off2 = (size_t)(s2 - line);

			parse_child_traffic(p, line + off, l, line + off2, l2, ev);
		}
		break;
	default:
		break;
	}
	event_set_str(ev, F_EVENT_TYPE, kind_type[kind], strlen(kind_type[kind]));
	event_set_str(ev, F_RESULT, "info", 4);
	event_set_str(ev, F_MESSAGE, line, len);
	return kind;
}

void status_stamp(struct event *ev, int64_t now_us, uint64_t seq)
{
	static const enum field keyed[] = {F_EVENT_TYPE, F_CONN_NAME, F_CONN_INSTANCE,
					   F_STATE_SERIAL};
	char ts[32], id[17], host[256];
	size_t n;
	uint64_t h = UTIL_HASH_SEED;

	event_set_int(ev, F_SCHEMA_VERSION, 1);
	n = util_rfc3339_us(now_us, ts);
	event_set_str(ev, F_TIMESTAMP, ts, n);
	h = util_hash64(&now_us, sizeof(now_us), h);
	h = util_hash64(&seq, sizeof(seq), h);
	for (size_t i = 0; i < sizeof(keyed) / sizeof(keyed[0]); i++) {
		size_t l;
		const char *s = event_str(ev, keyed[i], &l);

		if (s)
			h = util_hash64(s, l + 1, h);
	}
	h ^= h >> 33;
	h *= UINT64_C(0xff51afd7ed558ccd);
	h ^= h >> 33;
	util_hex64(h, id);
	event_set_str(ev, F_EVENT_ID, id, 16);
	if (!event_has(ev, F_SEVERITY))
		event_set_str(ev, F_SEVERITY, "info", 4);
	if (gethostname(host, sizeof(host) - 1) < 0)
		strcpy(host, "localhost");
	host[sizeof(host) - 1] = '\0';
	event_set_str(ev, F_PLATFORM_HOST, host, strlen(host));
	event_set_str(ev, F_PLATFORM_PROCESS, "pluto", 5);
	event_set_str(ev, F_PLATFORM_IMPL, "libreswan", 9);
}
