/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The verifier (verify.h). Lines are parsed into their chain and
 * checkpoint elements; each stream keeps the MAC of every sequence it has
 * verified, so that a duplicate can be told from an insertion and a gap
 * filled late from one never filled. Messages that arrive ahead of a gap
 * wait (bounded) until it fills or the input ends.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "sign.h"
#include "verify.h"
#include "verify_parse.h"

#define VERIFY_MAX_JUMP	    (1u << 24) /* a sequence further ahead than this is refused */
#define VERIFY_MAX_PROBLEMS 100000
#define VERIFY_DEFAULT_HELD 65536
#define VERIFY_MAX_STREAMS  4096
#define VERIFY_MAX_FILES    4096

static const char *const kind_names[] = {
    [VERIFY_ALTERED] = "altered",     [VERIFY_MISSING] = "missing",
    [VERIFY_REORDERED] = "reordered", [VERIFY_INSERTED] = "inserted",
    [VERIFY_REPLAYED] = "replayed",   [VERIFY_TRUNCATED] = "truncated",
    [VERIFY_WRONG_KEY] = "wrong key", [VERIFY_MALFORMED] = "malformed",
};
_Static_assert(sizeof(kind_names) / sizeof(kind_names[0]) == VERIFY__MAX, "kind_names");

const char *verify_kind_name(enum verify_kind k)
{
	return (unsigned)k < VERIFY__MAX ? kind_names[k] : NULL;
}

/* A message of a stream: held ahead of a gap (with a copy of MSG), or being processed. */
struct msg {
	uint64_t seq, ep, rs;
	uint8_t mac[SIGN_MAC_LEN];
	uint64_t eid; /* FNV-1a of the eid parameter, 0 = none */
	const char *file;
	unsigned long line;
	char *body; /* held copies only */
	const char *msg;
	size_t msg_len;
	bool has_cp;
	struct sign_checkpoint cp; /* taken once the message itself is in the stream */
};

struct slot {
	uint8_t mac[SIGN_MAC_LEN];
	uint64_t ep;
	bool have;
};

struct checkpoint {
	struct sign_checkpoint cp;
	const char *file;
	unsigned long line;
};

struct stream {
	uint8_t sid[SIGN_SID_LEN];
	char host[256];
	bool foreign; /* not the audit key's stream: MACs not checked */
	uint8_t key[SIGN_KEY_LEN];
	uint64_t key_ep;
	struct sign_hmac *hmac; /* keyed with K(hmac_ep), NULL = none yet */
	uint64_t hmac_ep;
	uint64_t next, cur_ep; /* the next sequence expected, the newest epoch verified */
	struct slot *slots;    /* slots[seq - 1] */
	size_t n_slots;
	struct msg *held; /* sorted by seq */
	size_t n_held;
	struct checkpoint last_cp; /* the newest valid checkpoint */
	bool have_cp;
	uint64_t *eids; /* open addressing, 0 = empty */
	size_t eid_cap, eid_n;
	/*
	 * Messages whose MAC failed, kept (bounded) in case they are the cut
	 * frame a collector writes when it stops mid-frame: the same message
	 * whole, arriving later, makes the failure a partial copy instead.
	 */
	struct suspect {
		uint64_t seq;
		char *msg;
		size_t len;
		const char *file;
		unsigned long line;
	} suspects[16];
	size_t n_suspects;
	uint64_t partial;
	uint64_t run_next; /* a resend run in progress: the copy expected next, 0 = none */
	const char *run_file;
	unsigned long run_line;
	uint64_t run_seq, run_ep; /* where the run began */
	uint64_t verified, duplicates, resent, lost, unverified;
	const char *last_file;
	unsigned long last_line;
};

struct verify {
	struct verify_opts o;
	struct stream *streams;
	size_t n_streams;
	char **files;
	size_t n_files;
	struct verify_problem *probs;
	size_t n_probs, cap_probs, dropped_probs;
	uint64_t skipped, cut;
};

int verify_new(const struct verify_opts *o, struct verify **ret)
{
	struct verify *v;

	if (!o->have_key && !o->have_pub)
		return -EINVAL;
	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->o = *o;
	if (!v->o.max_held)
		v->o.max_held = VERIFY_DEFAULT_HELD;
	*ret = v;
	return 0;
}

static void stream_done(struct stream *s)
{
	sign_hmac_free(s->hmac);
	for (size_t i = 0; i < s->n_suspects; i++)
		free(s->suspects[i].msg);
	for (size_t i = 0; i < s->n_held; i++)
		free(s->held[i].body);
	free(s->held);
	free(s->slots);
	free(s->eids);
	OPENSSL_cleanse(s->key, sizeof(s->key));
}

void verify_free(struct verify *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < v->n_streams; i++)
		stream_done(&v->streams[i]);
	free(v->streams);
	for (size_t i = 0; i < v->n_files; i++)
		free(v->files[i]);
	free(v->files);
	free(v->probs);
	OPENSSL_cleanse(&v->o, sizeof(v->o));
	free(v);
}

static void problem(struct verify *v, enum verify_kind k, const char *file, unsigned long line,
		    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void problem(struct verify *v, enum verify_kind k, const char *file, unsigned long line,
		    const char *fmt, ...)
{
	struct verify_problem *p;
	va_list ap;

	if (v->n_probs == v->cap_probs) {
		size_t cap = v->cap_probs ? 2 * v->cap_probs : 16;
		struct verify_problem *np;

		if (cap > VERIFY_MAX_PROBLEMS || !(np = realloc(v->probs, cap * sizeof(*np)))) {
			v->dropped_probs++;
			return;
		}
		v->probs = np;
		v->cap_probs = cap;
	}
	p = &v->probs[v->n_probs++];
	*p = (struct verify_problem){.kind = k, .file = file, .line = line};
	va_start(ap, fmt);
	vsnprintf(p->detail, sizeof(p->detail), fmt, ap);
	va_end(ap);
}

static const char *intern_file(struct verify *v, const char *file)
{
	char **nf;

	if (v->n_files && strcmp(v->files[v->n_files - 1], file) == 0)
		return v->files[v->n_files - 1];
	if (v->n_files >= VERIFY_MAX_FILES)
		return v->files[v->n_files - 1];
	nf = realloc(v->files, (v->n_files + 1) * sizeof(*nf));
	if (!nf)
		return NULL;
	v->files = nf;
	nf[v->n_files] = strdup(file);
	if (!nf[v->n_files])
		return NULL;
	return v->files[v->n_files++];
}

static struct stream *find_stream(struct verify *v, const struct verify_parsed *p)
{
	struct stream *s;

	for (size_t i = 0; i < v->n_streams; i++) {
		s = &v->streams[i];
		if (memcmp(s->sid, p->sid, SIGN_SID_LEN) == 0 && strlen(s->host) == p->host_len &&
		    memcmp(s->host, p->host, p->host_len) == 0)
			return s;
	}
	if (v->n_streams >= VERIFY_MAX_STREAMS)
		return NULL;
	s = realloc(v->streams, (v->n_streams + 1) * sizeof(*s));
	if (!s)
		return NULL;
	v->streams = s;
	s = &v->streams[v->n_streams++];
	*s = (struct stream){.next = 1};
	memcpy(s->sid, p->sid, SIGN_SID_LEN);
	snprintf(s->host, sizeof(s->host), "%.*s", (int)p->host_len, p->host);
	s->foreign = !v->o.have_key || memcmp(p->sid, v->o.sid, SIGN_SID_LEN) != 0;
	memcpy(s->key, v->o.k0, SIGN_KEY_LEN);
	return s;
}

/* K(ep) of the audit key: forward from the cached one, or again from K(0) for an older epoch. */
static int key_for(struct verify *v, struct stream *s, uint64_t ep, uint8_t out[SIGN_KEY_LEN])
{
	int r;

	if (ep < s->key_ep) {
		memcpy(out, v->o.k0, SIGN_KEY_LEN);
		for (uint64_t e = 0; e < ep; e++)
			if ((r = sign_ratchet(out, out)) < 0)
				return r;
		return 0;
	}
	/* An epoch far ahead is someone's invention; refuse rather than spin. */
	if (ep - s->key_ep > VERIFY_MAX_JUMP)
		return -ERANGE;
	while (s->key_ep < ep) {
		if ((r = sign_ratchet(s->key, s->key)) < 0)
			return r;
		s->key_ep++;
	}
	memcpy(out, s->key, SIGN_KEY_LEN);
	return 0;
}

static struct slot *slot_at(struct stream *s, uint64_t seq)
{
	return seq >= 1 && seq <= s->n_slots ? &s->slots[seq - 1] : NULL;
}

static int slot_grow(struct stream *s, uint64_t seq)
{
	size_t cap = s->n_slots ? s->n_slots : 1024;
	struct slot *ns;

	if (seq <= s->n_slots)
		return 0;
	while (cap < seq)
		cap *= 2;
	ns = realloc(s->slots, cap * sizeof(*ns));
	if (!ns)
		return -ENOMEM;
	memset(ns + s->n_slots, 0, (cap - s->n_slots) * sizeof(*ns));
	s->slots = ns;
	s->n_slots = cap;
	return 0;
}

/* Remembers an event id; returns true when it was seen before. */
static bool eid_seen(struct stream *s, uint64_t h)
{
	size_t i;

	if (!h)
		return false;
	if (2 * (s->eid_n + 1) > s->eid_cap) {
		size_t cap = s->eid_cap ? 2 * s->eid_cap : 1024;
		uint64_t *ne = calloc(cap, sizeof(*ne));

		if (!ne)
			return false;
		for (size_t j = 0; j < s->eid_cap; j++) {
			if (!s->eids[j])
				continue;
			for (i = s->eids[j] % cap; ne[i]; i = (i + 1) % cap)
				;
			ne[i] = s->eids[j];
		}
		free(s->eids);
		s->eids = ne;
		s->eid_cap = cap;
	}
	for (i = h % s->eid_cap; s->eids[i]; i = (i + 1) % s->eid_cap)
		if (s->eids[i] == h)
			return true;
	s->eids[i] = h;
	s->eid_n++;
	return false;
}

/*
 * Checks m's MAC against prev; 1 = matches, 0 = does not, -errno.
 * Public-only: always 1. The keyed HMAC of the newest epoch is kept.
 */
static int mac_ok(struct verify *v, struct stream *s, const struct msg *m, const uint8_t *prev)
{
	uint8_t key[SIGN_KEY_LEN], mac[SIGN_MAC_LEN];
	int r = 0;

	if (s->foreign)
		return 1;
	if (!s->hmac || s->hmac_ep != m->ep) {
		sign_hmac_free(s->hmac);
		s->hmac = NULL;
		r = key_for(v, s, m->ep, key);
		if (r == 0)
			r = sign_hmac_new(key, &s->hmac);
		OPENSSL_cleanse(key, sizeof(key));
		s->hmac_ep = m->ep;
	}
	if (r == 0)
		r = sign_hmac_mac(s->hmac, prev, m->seq, m->ep, m->msg, m->msg_len, mac);
	if (r < 0)
		return r == -ERANGE ? 0 : r;
	return CRYPTO_memcmp(mac, m->mac, SIGN_MAC_LEN) == 0;
}

static const uint8_t zero_mac[SIGN_MAC_LEN];

static void take_checkpoint(struct verify *v, struct stream *s, const struct msg *m)
{
	struct sign_checkpoint cp = m->cp;
	const char *file = m->file;
	unsigned long line = m->line;
	struct slot *sl;

	memcpy(cp.sid, s->sid, SIGN_SID_LEN);
	if (v->o.have_pub && sign_checkpoint_verify(&cp, v->o.pub) != 0) {
		problem(v, VERIFY_WRONG_KEY, file, line,
			"checkpoint of epoch %" PRIu64 ": signature does not verify", cp.epoch);
		return;
	}
	sl = slot_at(s, cp.last_seq);
	if (!sl || !sl->have || CRYPTO_memcmp(sl->mac, cp.mac, SIGN_MAC_LEN) != 0 ||
	    sl->ep != cp.epoch) {
		problem(v, VERIFY_ALTERED, file, line,
			"checkpoint of epoch %" PRIu64 " names seq %" PRIu64
			" with a MAC the stream does not have",
			cp.epoch, cp.last_seq);
		return;
	}
	if (!s->have_cp || cp.last_seq >= s->last_cp.cp.last_seq) {
		s->last_cp = (struct checkpoint){.cp = cp, .file = file, .line = line};
		s->have_cp = true;
	}
}

static void suspect(struct stream *s, const struct msg *m)
{
	struct suspect *x;

	if (s->n_suspects == sizeof(s->suspects) / sizeof(s->suspects[0]))
		return;
	x = &s->suspects[s->n_suspects];
	x->msg = malloc(m->msg_len ? m->msg_len : 1);
	if (!x->msg)
		return;
	memcpy(x->msg, m->msg, m->msg_len);
	x->len = m->msg_len;
	x->seq = m->seq;
	x->file = m->file;
	x->line = m->line;
	s->n_suspects++;
}

/*
 * m verified and has the sequence of a suspect whose MSG is a proper
 * prefix of m's: the suspect was a cut copy, its problem withdrawn.
 */
static bool clear_suspect(struct verify *v, struct stream *s, const struct msg *m)
{
	for (size_t i = 0; i < s->n_suspects; i++) {
		struct suspect *x = &s->suspects[i];

		if (x->seq != m->seq || x->len >= m->msg_len || memcmp(x->msg, m->msg, x->len) != 0)
			continue;
		for (size_t j = v->n_probs; j-- > 0;) {
			struct verify_problem *p = &v->probs[j];

			if (p->kind == VERIFY_ALTERED && p->file == x->file && p->line == x->line) {
				memmove(p, p + 1, (v->n_probs - j - 1) * sizeof(*p));
				v->n_probs--;
				break;
			}
		}
		free(x->msg);
		*x = s->suspects[--s->n_suspects];
		s->partial++;
		return true;
	}
	return false;
}

/*
 * A sink resends after a reconnect what was not acknowledged, in order and
 * up to the newest event it had sent: copies of k, k+1, ... up to the
 * newest sequence seen, whatever epochs they span. A copy that is not
 * part of such a run was put there by someone else: replayed when it
 * comes from an epoch before the previous one, inserted otherwise.
 */
static void broken_run(struct verify *v, struct stream *s)
{
	if (!s->run_next)
		return;
	if (s->run_ep + 1 < s->cur_ep)
		problem(v, VERIFY_REPLAYED, s->run_file, s->run_line,
			"seq %" PRIu64 "..%" PRIu64 " of epoch %" PRIu64
			" again during epoch %" PRIu64 ", not as a resend",
			s->run_seq, s->run_next - 1, s->run_ep, s->cur_ep);
	else
		problem(v, VERIFY_INSERTED, s->run_file, s->run_line,
			"seq %" PRIu64 "..%" PRIu64
			" copied, not followed by the rest of a resend (up to seq %" PRIu64 ")",
			s->run_seq, s->run_next - 1, s->next - 1);
	s->run_next = 0;
}

/*
 * m is the next sequence expected (or follows a gap: after_gap). Verifies
 * it against its predecessor's MAC and accepts it into the stream.
 */
static int accept_next(struct verify *v, struct stream *s, const struct msg *m, bool after_gap)
{
	uint64_t link = m->rs ? m->rs - 1 : m->seq - 1;
	struct slot *prev = slot_at(s, link), *sl;
	int r;

	if ((r = slot_grow(s, m->seq)) < 0)
		return r;
	prev = slot_at(s, link);
	if (m->ep < s->cur_ep) {
		problem(v, VERIFY_ALTERED, m->file, m->line,
			"seq %" PRIu64 " claims epoch %" PRIu64 " after epoch %" PRIu64, m->seq,
			m->ep, s->cur_ep);
	} else if (link == 0 || (prev && prev->have)) {
		r = mac_ok(v, s, m, link == 0 ? zero_mac : prev->mac);
		if (r < 0)
			return r;
		if (r == 0) {
			problem(v, VERIFY_ALTERED, m->file, m->line,
				"seq %" PRIu64 ": MAC does not match the message", m->seq);
			suspect(s, m);
		} else {
			s->verified++;
		}
	} else {
		/* Its predecessor never arrived (reported as missing): nothing to check against. */
		s->unverified++;
	}
	(void)after_gap;
	broken_run(v, s);
	sl = slot_at(s, m->seq);
	memcpy(sl->mac, m->mac, SIGN_MAC_LEN);
	sl->ep = m->ep;
	sl->have = true;
	if (m->ep > s->cur_ep)
		s->cur_ep = m->ep;
	s->next = m->seq + 1;
	if (eid_seen(s, m->eid))
		s->resent++;
	s->last_file = m->file;
	s->last_line = m->line;
	if (m->has_cp)
		take_checkpoint(v, s, m);
	return 0;
}

/* A sequence already passed: a duplicate, a replay, an insertion or a late arrival. */
static int handle_old(struct verify *v, struct stream *s, const struct msg *m)
{
	struct slot *sl = slot_at(s, m->seq);
	struct slot *prev = slot_at(s, m->seq - 1);
	int r;

	if (sl && sl->have) {
		if (CRYPTO_memcmp(sl->mac, m->mac, SIGN_MAC_LEN) != 0 || sl->ep != m->ep) {
			problem(v, VERIFY_INSERTED, m->file, m->line,
				"seq %" PRIu64 " again, with another MAC", m->seq);
			return 0;
		}
		r = m->seq == 1 || (prev && prev->have)
			? mac_ok(v, s, m, m->seq == 1 ? zero_mac : prev->mac)
			: 1;
		if (r < 0)
			return r;
		if (r == 0) {
			problem(v, VERIFY_ALTERED, m->file, m->line,
				"seq %" PRIu64 " (a copy): MAC does not match the message", m->seq);
			suspect(s, m);
			return 0;
		}
		if (clear_suspect(v, s, m)) {
			s->verified++;
			return 0;
		}
		if (s->run_next && m->seq != s->run_next)
			broken_run(v, s);
		if (!s->run_next) {
			s->run_file = m->file;
			s->run_line = m->line;
			s->run_seq = m->seq;
			s->run_ep = m->ep;
		}
		s->run_next = m->seq + 1 == s->next ? 0 : m->seq + 1;
		s->duplicates++;
		return 0;
	}
	/* Never seen: it is behind the stream because it came late (or the gap was given up). */
	problem(v, VERIFY_REORDERED, m->file, m->line,
		"seq %" PRIu64 " arrived after seq %" PRIu64 " (%s:%lu)", m->seq, s->next - 1,
		s->last_file ? s->last_file : "?", s->last_line);
	return 0;
}

static void free_held(struct stream *s, size_t i)
{
	free(s->held[i].body);
	memmove(&s->held[i], &s->held[i + 1], (s->n_held - i - 1) * sizeof(s->held[0]));
	s->n_held--;
}

/* Processes the held messages that now follow the stream without a gap. */
static int drain(struct verify *v, struct stream *s)
{
	int r;

	while (s->n_held && s->held[0].seq <= s->next) {
		if (s->held[0].seq == s->next)
			r = accept_next(v, s, &s->held[0], false);
		else
			r = handle_old(v, s, &s->held[0]);
		free_held(s, 0);
		if (r < 0)
			return r;
	}
	return 0;
}

/*
 * Gives up on the gap before the first held message: missing, unless a
 * restart declared it (signed before an unclean stop, never sent).
 */
static int skip_gap(struct verify *v, struct stream *s)
{
	struct msg *m = &s->held[0];
	int r;

	if (m->rs && m->rs <= s->next) {
		s->lost += m->seq - s->next;
	} else {
		problem(v, VERIFY_MISSING, m->file, m->line,
			"seq %" PRIu64 "..%" PRIu64 " never arrived", s->next, m->seq - 1);
	}
	r = accept_next(v, s, m, true);
	free_held(s, 0);
	if (r < 0)
		return r;
	return drain(v, s);
}

static int hold(struct verify *v, struct stream *s, const struct msg *m)
{
	struct msg *nh, *h;
	size_t i;

	if (s->n_held >= v->o.max_held) {
		int r = skip_gap(v, s);

		if (r < 0)
			return r;
		if (m->seq <= s->next)
			return m->seq == s->next ? accept_next(v, s, m, false)
						 : handle_old(v, s, m);
	}
	nh = realloc(s->held, (s->n_held + 1) * sizeof(*nh));
	if (!nh)
		return -ENOMEM;
	s->held = nh;
	for (i = s->n_held; i > 0 && s->held[i - 1].seq > m->seq; i--)
		;
	memmove(&s->held[i + 1], &s->held[i], (s->n_held - i) * sizeof(*nh));
	h = &s->held[i];
	*h = *m;
	h->body = malloc(m->msg_len ? m->msg_len : 1);
	if (!h->body)
		return -ENOMEM;
	memcpy(h->body, m->msg, m->msg_len);
	h->msg = h->body;
	s->n_held++;
	return 0;
}

static uint64_t fnv1a(const char *p, size_t n)
{
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
	return h ? h : 1;
}

int verify_line(struct verify *v, const char *file, unsigned long lineno, const char *line,
		size_t len)
{
	struct verify_parsed p;
	struct stream *s;
	struct msg m;
	const char *f;
	int r;

	r = verify_parse(line, len, &p);
	if (r > 0) {
		v->skipped++;
		return 0;
	}
	/*
	 * A line cut inside its header claims nothing that could be checked;
	 * if its message never arrives whole, the gap says so.
	 */
	if (r == VERIFY_PARSE_CUT) {
		v->cut++;
		return 0;
	}
	f = intern_file(v, file);
	if (!f)
		return -ENOMEM;
	if (r < 0) {
		problem(v, VERIFY_MALFORMED, f, lineno, "%s", verify_parse_error(r));
		return 0;
	}
	s = find_stream(v, &p);
	if (!s)
		return -ENOMEM;
	m = (struct msg){.seq = p.seq,
			 .ep = p.ep,
			 .rs = p.rs,
			 .eid = p.eid ? fnv1a(p.eid, p.eid_len) : 0,
			 .file = f,
			 .line = lineno,
			 .msg = p.msg,
			 .msg_len = p.msg_len,
			 .has_cp = p.has_cp,
			 .cp = p.cp};
	memcpy(m.mac, p.mac, SIGN_MAC_LEN);
	if (m.seq > s->next + VERIFY_MAX_JUMP || m.seq == 0) {
		problem(v, VERIFY_MALFORMED, f, lineno, "seq %" PRIu64 " out of range", m.seq);
		return 0;
	}
	if (m.seq == s->next && s->n_held)
		problem(v, VERIFY_REORDERED, f, lineno,
			"seq %" PRIu64 " arrived after seq %" PRIu64 " (%s:%lu)", m.seq,
			s->held[0].seq, s->held[0].file, s->held[0].line);
	if (m.seq == s->next)
		r = accept_next(v, s, &m, false);
	else if (m.seq < s->next)
		r = handle_old(v, s, &m);
	else if (m.rs && m.rs <= s->next && !s->n_held) {
		/* A restart that declares the gap: those were signed, then lost with the process.
		 */
		s->lost += m.seq - s->next;
		r = accept_next(v, s, &m, true);
	} else
		r = hold(v, s, &m);
	if (r == 0)
		r = drain(v, s);
	return r;
}

size_t verify_finish(struct verify *v, FILE *out)
{
	char hex[2 * SIGN_SID_LEN + 1];

	for (size_t i = 0; i < v->n_streams; i++) {
		struct stream *s = &v->streams[i];

		while (s->n_held)
			if (skip_gap(v, s) < 0)
				break;
		broken_run(v, s);
		sign_hex(s->sid, SIGN_SID_LEN, hex);
		if (v->o.have_key && s->foreign)
			problem(v, VERIFY_WRONG_KEY, s->last_file, s->last_line,
				"stream %s of %s is not the audit key's stream", hex, s->host);
		if (!s->have_cp || !s->last_cp.cp.final || s->last_cp.cp.last_seq != s->next - 1)
			problem(v, VERIFY_TRUNCATED, s->last_file, s->last_line,
				"stream %s of %s ends at seq %" PRIu64
				" without a final checkpoint",
				hex, s->host, s->next - 1);
		if (out)
			fprintf(out,
				"stream host=%s sid=%s: %" PRIu64 " events verified%s, %" PRIu64
				" duplicates ignored, %" PRIu64
				" cut copies made whole later, %" PRIu64
				" re-sent after a restart, %" PRIu64
				" sequences skipped at a restart (reserved or never sent), last "
				"seq %" PRIu64 " epoch %" PRIu64 "\n",
				s->host, hex, s->foreign ? s->next - 1 : s->verified,
				s->foreign ? " (order and checkpoints only)" : "", s->duplicates,
				s->partial, s->resent, s->lost, s->next - 1, s->cur_ep);
	}
	if (out) {
		for (size_t i = 0; i < v->n_probs; i++)
			fprintf(out, "%s:%lu: %s: %s\n", v->probs[i].file ? v->probs[i].file : "-",
				v->probs[i].line, kind_names[v->probs[i].kind], v->probs[i].detail);
		if (v->dropped_probs)
			fprintf(out, "... and %zu more problems\n", v->dropped_probs);
		fprintf(out,
			"%zu streams, %zu problems, %" PRIu64
			" lines without a chain element, %" PRIu64
			" lines cut inside their header\n",
			v->n_streams, v->n_probs + v->dropped_probs, v->skipped, v->cut);
	}
	return v->n_probs + v->dropped_probs;
}

const struct verify_problem *verify_problems(const struct verify *v, size_t *ret_n)
{
	*ret_n = v->n_probs;
	return v->probs;
}

void verify_get_totals(const struct verify *v, struct verify_totals *ret)
{
	*ret = (struct verify_totals){.streams = v->n_streams, .skipped_lines = v->skipped};
	for (size_t i = 0; i < v->n_streams; i++) {
		ret->verified += v->streams[i].verified;
		ret->duplicates += v->streams[i].duplicates;
		ret->resent += v->streams[i].resent;
	}
}
