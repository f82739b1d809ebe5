/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The envelope of a pluto line (include/envelope.h): pluto's own prefix
 * (whack's reply code, a wrapper such as "ERROR: " or "EXPECTATION
 * FAILED: ", "NAME"[N] PEER #N: , "NAME"[N] PEER: ,
 * "packet from ADDR:PORT: ") after the log prefix (envelope_log.c).
 */
#include <arpa/inet.h>
#include <string.h>

#include "envelope_impl.h"

#define ADDR_TEXT_MAX 63

/* A valid IPv4 or IPv6 address (brackets stripped), else false. */
bool envelope_valid_addr(const char *s, size_t len)
{
	char buf[ADDR_TEXT_MAX + 1];
	unsigned char bin[16];

	if (len == 0 || len > ADDR_TEXT_MAX)
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return inet_pton(strchr(buf, ':') ? AF_INET6 : AF_INET, buf, bin) == 1;
}

/*
 * The peer in the text between "NAME"[N] and " #N: " or ": ": "1.2.3.4",
 * "...1.2.3.4", "10.0.0.1/32===...1.2.3.4", "1.2.3.4===10.0.0.1/32". Only
 * a valid address is kept: a masked one ("x.x.x.x", "***") is left out.
 */
static void peer_of(const char *s, size_t len, struct envelope *e)
{
	const char *dots = memmem(s, len, "...", 3);
	const char *p = s, *end = s + len;

	if (dots) {
		p = dots + 3;
	} else {
		const char *sp = memchr(s, ' ', len);

		/* "10.0.0.1/32=== 1.2.3.4": the first token is our side's client. */
		if (sp && sp - s >= 3 && memcmp(sp - 3, "===", 3) == 0)
			p = sp + 1;
	}
	const char *q = p;

	while (q < end && *q != ' ' && !(end - q >= 3 && memcmp(q, "===", 3) == 0))
		q++;
	if (q - p >= 2 && p[0] == '[' && q[-1] == ']') {
		p++;
		q--;
	}
	if (envelope_valid_addr(p, (size_t)(q - p))) {
		e->peer_ip = p;
		e->peer_ip_len = (size_t)(q - p);
	}
}

/* "NAME"[N]... PEER #N: | "NAME"[N]... PEER: at c (on the quote). */
static bool take_conn(struct cur *c, struct envelope *e)
{
	const char *close = memchr(c->s + c->i + 1, '"', c->n - c->i - 1);
	struct cur t;
	int64_t inst;

	if (!close)
		return false;
	t = (struct cur){c->s, (size_t)(close - c->s) + 1, c->n};
	e->conn_name = c->s + c->i + 1;
	e->conn_name_len = (size_t)(close - e->conn_name);
	while (at(&t, '[')) {
		struct cur b = t;

		b.i++;
		if (!take_uint(&b, SERIAL_DIGITS_MAX, &inst) || !take(&b, ']'))
			break;
		if (!e->conn_instance)
			e->conn_instance = inst;
		t = b;
	}
	/*
	 * "FILE" line N: is a configuration file's diagnostic (ipsec.secrets,
	 * policy groups), not a connection.
	 */
	struct cur f = t;

	if (take_str(&f, " line ") && f.i < f.n && is_digit(f.s[f.i]))
		return false;
	if (take_str(&t, ": ")) {
		e->scope = ENVELOPE_CONN;
		e->rest_off = t.i;
		return true;
	}
	if (!at(&t, ' '))
		return false;
	for (size_t k = t.i; k < t.n; k++) {
		char ch = t.s[k];

		if (ch == '"')
			return false;
		if (ch == ':' && k + 1 < t.n && t.s[k + 1] == ' ') {
			peer_of(t.s + t.i + 1, k - t.i - 1, e);
			e->scope = ENVELOPE_CONN;
			e->rest_off = k + 2;
			return true;
		}
		if (ch == '#') {
			struct cur s = {t.s, k + 1, t.n};
			int64_t serial;

			if (t.s[k - 1] != ' ' || !take_uint(&s, SERIAL_DIGITS_MAX, &serial) ||
			    !take_str(&s, ": "))
				return false;
			if (k - 1 > t.i)
				peer_of(t.s + t.i + 1, k - 1 - t.i - 1, e);
			e->state_serial = serial;
			e->scope = ENVELOPE_STATE;
			e->rest_off = s.i;
			return true;
		}
	}
	return false;
}

/* "packet from ADDR:PORT: ", ADDR maybe bracketed or masked, PORT maybe "UDP/500" or "EPHEM". */
static bool take_packet(struct cur *c, struct envelope *e)
{
	struct cur t = *c;
	size_t b, k, colon = 0;

	if (!take_str(&t, "packet from "))
		return false;
	b = t.i;
	for (k = b; k < t.n && t.s[k] != ' '; k++)
		if (t.s[k] == ':' && k + 1 < t.n && t.s[k + 1] == ' ')
			break;
	if (k >= t.n || t.s[k] != ':' || k == b)
		return false;
	for (size_t j = b; j < k; j++)
		if (t.s[j] == ':')
			colon = j;
	if (colon > b) {
		const char *a = t.s + b;
		size_t al = colon - b;
		struct cur p = {t.s, colon + 1, k};
		int64_t port;

		if (al >= 2 && a[0] == '[' && a[al - 1] == ']') {
			a++;
			al -= 2;
		}
		if (envelope_valid_addr(a, al)) {
			e->peer_ip = a;
			e->peer_ip_len = al;
		}
		if (!take_str(&p, "UDP/"))
			take_str(&p, "TCP/");
		if (take_uint(&p, 5, &port) && p.i == p.n && port <= 65535)
			e->peer_port = (int)port;
	}
	e->scope = ENVELOPE_PACKET;
	e->rest_off = k + 2;
	return true;
}

/*
 * The wrappers pluto writes before its prefix. 5.x's warning stream
 * writes "warning: " in lower case. A failed expectation or assertion
 * puts it first from 4.x on (lib/libswan/pexpect.c, passert.c; 5.x's
 * jam_logger_rc_prefix.c: "EXPECTATION FAILED: <log-prefix><message>");
 * 3.x wrote them after the prefix, in the remainder. "FATAL ERROR: "
 * stays in the remainder, where the rules of each fatal message read it.
 */
static const struct {
	const char *text;
	unsigned flag;
} wrappers[] = {
    {"ERROR: ", ENVELOPE_ERROR},
    {"WARNING: ", ENVELOPE_WARNING},
    {"warning: ", ENVELOPE_WARNING},
    {"EXPECTATION FAILED: ", ENVELOPE_EXPECTATION},
    {"ABORT: ASSERTION FAILED: ", ENVELOPE_ASSERTION}, /* 4.x */
    {"FATAL: ASSERTION FAILED: ", ENVELOPE_ASSERTION}, /* 5.x */
};

void envelope_pluto(const char *msg, size_t len, struct envelope *e)
{
	struct cur c = {msg, 0, len};

	e->reply_code[0] = '\0';
	e->flags = 0;
	e->scope = ENVELOPE_GLOBAL;
	e->conn_name = e->peer_ip = NULL;
	e->conn_name_len = e->peer_ip_len = 0;
	e->conn_instance = e->state_serial = 0;
	e->peer_port = 0;
	/*
	 * whack's reply code: "002 "west" #1: ..." (an RC_ number), or 4.x's
	 * "1v2 "west" #1: ..." (a state's IKE version).
	 */
	if (len >= 4 && msg[3] == ' ' && is_digit(msg[0]) && is_digit(msg[2]) &&
	    (is_digit(msg[1]) || msg[1] == 'v')) {
		memcpy(e->reply_code, msg, 3);
		e->reply_code[3] = '\0';
		c.i = 4;
	}
	e->rest_off = c.i;
	struct cur w = c;

	for (size_t i = 0; i < sizeof(wrappers) / sizeof(wrappers[0]); i++)
		if (take_str(&w, wrappers[i].text)) {
			e->flags = wrappers[i].flag;
			break;
		}
	if ((at(&w, '"') && take_conn(&w, e)) || take_packet(&w, e))
		return;
	/* Not a prefix after all: the wrapper stays in the remainder. */
	e->flags = 0;
	e->scope = ENVELOPE_GLOBAL;
	e->conn_name = e->peer_ip = NULL;
	e->conn_name_len = e->peer_ip_len = 0;
	e->conn_instance = e->state_serial = 0;
	e->peer_port = 0;
}

void envelope_parse(const char *line, size_t len, int64_t now_usec, struct envelope *ret)
{
	struct envelope e;

	envelope_log_prefix(line, len, now_usec, false, &e);
	envelope_pluto(line + e.msg_off, len - e.msg_off, &e);
	/* The pluto half's offsets are relative to the message. */
	e.rest_off += e.msg_off;
	*ret = e;
}

static const char *const scope_names[ENVELOPE_SCOPE__MAX] = {
    [ENVELOPE_GLOBAL] = "global",
    [ENVELOPE_CONN] = "conn",
    [ENVELOPE_STATE] = "state",
    [ENVELOPE_PACKET] = "packet",
};
_Static_assert(sizeof(scope_names) / sizeof(scope_names[0]) == ENVELOPE_SCOPE__MAX,
	       "scope_names covers the enum");

const char *envelope_scope_name(enum envelope_scope s)
{
	return (unsigned)s < ENVELOPE_SCOPE__MAX ? scope_names[s] : "?";
}

int envelope_scope_lookup(const char *s, size_t len)
{
	for (int i = 0; i < ENVELOPE_SCOPE__MAX; i++)
		if (strlen(scope_names[i]) == len && memcmp(s, scope_names[i], len) == 0)
			return i;
	return -1;
}
