/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The enrichment stage (enrich.h): labels, address maps, GeoIP (the
 * databases are enrich_geo.c's) and the meanings of error codes (the
 * table is enrich_meaning.c's).
 *
 * An address map is built as a binary trie per address family whose nodes
 * carry the label of the prefix that ends there (where a prefix given
 * twice is found), then compiled into a trie that takes four bits a step:
 * each of a node's 16 slots holds the label of the longest prefix that
 * ends within those four bits and covers the slot. A lookup walks the
 * address a nibble at a time (8 steps for IPv4, not 32) and keeps the last
 * label it passed, which is the longest prefix's. The results for the last
 * peer address are kept: the events of one IKE SA name the same peer
 * again and again.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enrich.h"
#include "enrich_impl.h"
#include "util.h"

#define LINE_MAX_LEN 1024
#define MAP_FILE_MAX (64u << 20)

/* ---- address maps ---- */

struct trie_node {
	uint32_t child[2]; /* 0 = none (the root is never a child) */
	int32_t label;	   /* index into the map's labels, -1 = none */
};

#define STRIDE_BITS  4
#define STRIDE_SLOTS (1u << STRIDE_BITS)
_Static_assert(STRIDE_BITS == 4, "map_lookup reads the address a nibble at a time");

struct stride_slot {
	uint32_t child; /* 0 = none (the roots are never children) */
	int32_t label;	/* the longest prefix ending in this node's bits, -1 = none */
};

struct stride_node {
	struct stride_slot s[STRIDE_SLOTS];
};

struct map_label {
	char *s;
	size_t len;
	bool ok; /* "name\x1flabel" passes event_map_valid (checked at load) */
};

struct addr_map {
	char *name;
	size_t name_len;
	struct trie_node *nodes; /* while built: [0] the IPv4 root, [1] the IPv6 root */
	size_t n_nodes, cap_nodes;
	struct stride_node *strides; /* compiled: [0] the IPv4 root, [1] the IPv6 root */
	size_t n_strides, cap_strides;
	int32_t root_label[2]; /* 0.0.0.0/0, ::/0 */
	struct map_label *labels;
	size_t n_labels, cap_labels;
};

static int map_label(struct addr_map *m, const char *label)
{
	for (size_t i = 0; i < m->n_labels; i++)
		if (strcmp(m->labels[i].s, label) == 0)
			return (int)i;
	if (m->n_labels == m->cap_labels) {
		size_t cap = m->cap_labels ? 2 * m->cap_labels : 16;
		struct map_label *l = realloc(m->labels, cap * sizeof(*l));

		if (!l)
			return -ENOMEM;
		m->labels = l;
		m->cap_labels = cap;
	}
	if (!(m->labels[m->n_labels].s = strdup(label)))
		return -ENOMEM;
	m->labels[m->n_labels].len = strlen(label);
	return (int)m->n_labels++;
}

static int64_t map_node(struct addr_map *m)
{
	if (m->n_nodes == m->cap_nodes) {
		size_t cap = m->cap_nodes ? 2 * m->cap_nodes : 64;
		struct trie_node *n = realloc(m->nodes, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		m->nodes = n;
		m->cap_nodes = cap;
	}
	m->nodes[m->n_nodes] = (struct trie_node){.label = -1};
	return (int64_t)m->n_nodes++;
}

/*
 * Parses "ADDR/LEN" or a bare address into 16 bytes (IPv4 in the first 4),
 * its family and prefix length. Returns NULL or what is wrong.
 */
static const char *parse_cidr(const char *s, unsigned char a[16], bool *v6, unsigned *plen)
{
	char buf[INET6_ADDRSTRLEN + 8];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	unsigned max;
	char *end;

	if (alen == 0 || alen >= INET6_ADDRSTRLEN)
		return "not an address";
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	memset(a, 0, 16);
	*v6 = strchr(buf, ':') != NULL;
	if (inet_pton(*v6 ? AF_INET6 : AF_INET, buf, a) != 1)
		return "not an address";
	max = *v6 ? 128 : 32;
	*plen = max;
	if (slash) {
		unsigned long n;

		if (!slash[1] || slash[1] < '0' || slash[1] > '9')
			return "not a prefix length";
		errno = 0;
		n = strtoul(slash + 1, &end, 10);
		if (errno || *end || n > max)
			return *v6 ? "prefix length over 128" : "prefix length over 32";
		*plen = (unsigned)n;
	}
	for (unsigned bit = *plen; bit < max; bit++)
		if (a[bit / 8] & (0x80 >> (bit % 8)))
			return "address bits set past the prefix length";
	return NULL;
}

/* Adds cidr -> label; -EEXIST when the prefix already has another label. */
static int map_insert(struct addr_map *m, const unsigned char a[16], bool v6, unsigned plen,
		      const char *label)
{
	uint32_t n = v6 ? 1 : 0;
	int li;

	for (unsigned bit = 0; bit < plen; bit++) {
		int b = (a[bit / 8] >> (7 - bit % 8)) & 1;

		if (!m->nodes[n].child[b]) {
			int64_t c = map_node(m);

			if (c < 0)
				return (int)c;
			m->nodes[n].child[b] = (uint32_t)c;
		}
		n = m->nodes[n].child[b];
	}
	li = map_label(m, label);
	if (li < 0)
		return li;
	if (m->nodes[n].label >= 0 && m->nodes[n].label != li)
		return -EEXIST;
	m->nodes[n].label = li;
	return 0;
}

static int64_t stride_node(struct addr_map *m)
{
	if (m->n_strides == m->cap_strides) {
		size_t cap = m->cap_strides ? 2 * m->cap_strides : 16;
		struct stride_node *n = realloc(m->strides, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		m->strides = n;
		m->cap_strides = cap;
	}
	for (unsigned i = 0; i < STRIDE_SLOTS; i++)
		m->strides[m->n_strides].s[i] = (struct stride_slot){.label = -1};
	return (int64_t)m->n_strides++;
}

/*
 * Fills stride node sn from binary node b (at a depth that is a multiple
 * of STRIDE_BITS): each slot takes the label of the deepest node on its
 * path of STRIDE_BITS steps, and a child when the path goes deeper.
 */
static int stride_fill(struct addr_map *m, uint32_t b, uint32_t sn)
{
	for (unsigned i = 0; i < STRIDE_SLOTS; i++) {
		uint32_t n = b;
		int32_t label = -1;
		bool alive = true;

		for (unsigned k = 0; k < STRIDE_BITS && alive; k++) {
			n = m->nodes[n].child[(i >> (STRIDE_BITS - 1 - k)) & 1];
			alive = n != 0;
			if (alive && m->nodes[n].label >= 0)
				label = m->nodes[n].label;
		}
		m->strides[sn].s[i].label = label;
		if (alive && (m->nodes[n].child[0] || m->nodes[n].child[1])) {
			int64_t c = stride_node(m);
			int r;

			if (c < 0)
				return (int)c;
			m->strides[sn].s[i].child = (uint32_t)c;
			if ((r = stride_fill(m, n, (uint32_t)c)) < 0)
				return r;
		}
	}
	return 0;
}

/* Compiles the binary trie into the stride trie and frees it. */
static int map_compile(struct addr_map *m)
{
	int r;

	if (stride_node(m) < 0 || stride_node(m) < 0)
		return -ENOMEM;
	for (unsigned v6 = 0; v6 < 2; v6++) {
		m->root_label[v6] = m->nodes[v6].label;
		if ((r = stride_fill(m, v6, v6)) < 0)
			return r;
	}
	free(m->nodes);
	m->nodes = NULL;
	m->n_nodes = m->cap_nodes = 0;
	return 0;
}

/* The label of the longest prefix holding a (NULL when none). */
static const struct map_label *map_lookup(const struct addr_map *m, const unsigned char a[16],
					  bool v6)
{
	const struct stride_node *n = &m->strides[v6];
	unsigned steps = v6 ? 128 / STRIDE_BITS : 32 / STRIDE_BITS;
	int32_t best = m->root_label[v6];

	for (unsigned k = 0; k < steps; k++) {
		const struct stride_slot *sl = &n->s[(a[k / 2] >> (k % 2 ? 0 : 4)) & 15];

		if (sl->label >= 0)
			best = sl->label;
		if (!sl->child)
			break;
		n = &m->strides[sl->child];
	}
	return best >= 0 ? &m->labels[best] : NULL;
}

static void map_free(struct addr_map *m)
{
	for (size_t i = 0; i < m->n_labels; i++)
		free(m->labels[i].s);
	free(m->labels);
	free(m->nodes);
	free(m->strides);
	free(m->name);
}

/* Adds one entry, reporting a problem at file:line. */
static int map_add(struct addr_map *m, const char *file, unsigned line, const char *cidr,
		   const char *label, struct diags *errs)
{
	unsigned char a[16];
	unsigned plen;
	bool v6;
	const char *why = parse_cidr(cidr, a, &v6, &plen);
	int r;

	if (why) {
		diag_add(errs, file, line, 0, "enrich.cidr_maps %s: '%s': %s", m->name, cidr, why);
		return -EINVAL;
	}
	r = map_insert(m, a, v6, plen, label);
	if (r == -EEXIST)
		diag_add(errs, file, line, 0, "enrich.cidr_maps %s: '%s' has two labels", m->name,
			 cidr);
	else if (r < 0)
		diag_add(errs, file, line, 0, "enrich.cidr_maps %s: %s", m->name, strerror(-r));
	return r < 0 ? -EINVAL : 0;
}

/* "CIDR LABEL" lines; '#' starts a comment; blank lines are skipped. */
static int map_load_file(struct addr_map *m, const char *path, struct diags *errs)
{
	FILE *f = fopen(path, "re");
	char line[LINE_MAX_LEN + 2];
	unsigned no = 0;
	int r = 0;

	if (!f) {
		diag_add(errs, path, 0, 0, "enrich.cidr_maps %s: %s", m->name, strerror(errno));
		return -EINVAL;
	}
	while (fgets(line, sizeof(line), f)) {
		char *s = line, *cidr, *label, *hash = strchr(line, '#');
		size_t len;

		no++;
		if (!strchr(line, '\n') && !feof(f)) {
			diag_add(errs, path, no, 0, "enrich.cidr_maps %s: line over %d bytes",
				 m->name, LINE_MAX_LEN);
			r = -EINVAL;
			break;
		}
		if (hash)
			*hash = '\0';
		len = strlen(s);
		while (len && (s[len - 1] == '\n' || s[len - 1] == ' ' || s[len - 1] == '\t' ||
			       s[len - 1] == '\r'))
			s[--len] = '\0';
		s += strspn(s, " \t");
		if (!*s)
			continue;
		cidr = s;
		label = cidr + strcspn(cidr, " \t");
		if (*label)
			*label++ = '\0';
		label += strspn(label, " \t");
		if (!*label) {
			diag_add(errs, path, no, 0, "enrich.cidr_maps %s: '%s' has no label", m->name,
				 cidr);
			r = -EINVAL;
			continue;
		}
		for (const char *c = label; *c; c++)
			if ((unsigned char)*c < 0x20 && *c != '\t') {
				diag_add(errs, path, no, 0, "enrich.cidr_maps %s: control characters",
					 m->name);
				r = -EINVAL;
				break;
			}
		if (r == 0 && map_add(m, path, no, cidr, label, errs) < 0)
			r = -EINVAL;
	}
	if (ferror(f)) {
		diag_add(errs, path, no, 0, "enrich.cidr_maps %s: %s", m->name, strerror(errno));
		r = -EINVAL;
	}
	fclose(f);
	return r;
}

/* ---- the stage ---- */

void enrich_free(struct enrich *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->n_maps; i++)
		map_free(&e->maps[i]);
	free(e->maps);
	for (size_t i = 0; i < e->n_meanings; i++) {
		free((char *)e->meanings[i].code);
		free((char *)e->meanings[i].description);
		free((char *)e->meanings[i].cause);
		free((char *)e->meanings[i].severity);
	}
	free(e->meanings);
	geo_close(&e->country);
	geo_close(&e->asn);
	peer_table_free(&e->table);
	free(e->local.labels);
	free(e->labels);
	free(e->prep_text);
	free(e);
}

/*
 * Appends "key\x1fvalue" (with a separator when buf is not empty), NUL
 * terminated; false when full. By hand: a miss of the peer cache runs it
 * for every map.
 */
static bool pairs_append(char *buf, size_t size, size_t *len, const char *k, size_t kl,
			 const char *v, size_t vl)
{
	size_t sep = *len > 0, n = sep + kl + 1 + vl;
	char *o = buf + *len;

	if (n >= size - *len)
		return false;
	if (sep)
		*o++ = EVENT_MAP_SEP;
	memcpy(o, k, kl);
	o += kl;
	*o++ = EVENT_MAP_KV;
	memcpy(o, v, vl);
	o[vl] = '\0';
	*len += n;
	return true;
}

static int build_labels(struct enrich *e, const struct enrich_opts *o, struct diags *errs)
{
	size_t size = 1;

	for (size_t i = 0; i < o->n_labels; i++)
		size += strlen(o->labels[i].key) + strlen(o->labels[i].value) + 2;
	e->labels = malloc(size);
	if (!e->labels)
		return -ENOMEM;
	e->labels_len = 0;
	e->labels[0] = '\0';
	for (size_t i = 0; i < o->n_labels; i++)
		if (!pairs_append(e->labels, size, &e->labels_len, o->labels[i].key,
				  strlen(o->labels[i].key), o->labels[i].value,
				  strlen(o->labels[i].value))) {
			diag_add(errs, o->config_path, o->labels[i].line, 0, "enrich.labels: too long");
			return -EINVAL;
		}
	e->labels_ok = event_map_valid(e->labels, e->labels_len);
	return 0;
}

/*
 * Checks each label of m as a map pair under the map's name, once: a
 * peer's pairs are then valid when each of theirs is and the map names
 * differ, and need no check per new peer (maps_ok).
 */
static void map_check_labels(struct addr_map *m)
{
	char buf[2048];

	for (size_t i = 0; i < m->n_labels; i++) {
		size_t len = 0;

		m->labels[i].ok = pairs_append(buf, sizeof(buf), &len, m->name, m->name_len,
					       m->labels[i].s, m->labels[i].len) &&
				  event_map_valid(buf, len);
	}
}

/* Whether every map's name is a valid key and no two are the same. */
static bool map_names_ok(const struct enrich *e)
{
	for (size_t i = 0; i < e->n_maps; i++) {
		if (!event_map_key_valid(e->maps[i].name, e->maps[i].name_len))
			return false;
		for (size_t k = 0; k < i; k++)
			if (strcmp(e->maps[k].name, e->maps[i].name) == 0)
				return false;
	}
	return true;
}

int enrich_new(const struct enrich_opts *o, struct enrich **ret, struct diags *errs)
{
	struct enrich *e = calloc(1, sizeof(*e));
	int r = 0;

	if (!e)
		return -ENOMEM;
	if (build_labels(e, o, errs) < 0)
		r = -EINVAL;
	e->maps = calloc(o->n_maps ? o->n_maps : 1, sizeof(*e->maps));
	if (!e->maps) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < o->n_maps; i++) {
		const struct enrich_map_opts *mo = &o->maps[i];
		struct addr_map *m = &e->maps[e->n_maps++];

		if (!(m->name = strdup(mo->name)) || map_node(m) < 0 || map_node(m) < 0) {
			r = -ENOMEM;
			goto out;
		}
		m->name_len = strlen(m->name);
		for (size_t k = 0; k < mo->n_entries; k++)
			if (map_add(m, o->config_path, mo->entries[k].line, mo->entries[k].key,
				    mo->entries[k].value, errs) < 0)
				r = -EINVAL;
		if (mo->file && map_load_file(m, mo->file, errs) < 0)
			r = -EINVAL;
		if (r == 0 && map_compile(m) < 0) {
			r = -ENOMEM;
			goto out;
		}
		map_check_labels(m);
	}
	e->maps_ok = map_names_ok(e);
	/* The labels, a peer's map pairs, country, AS number and org, each with its NUL. */
	e->prep_cap = e->labels_len + sizeof(e->peer.nets) + GEO_COUNTRY_MAX + 24 + GEO_ORG_MAX + 8;
	if (!(e->prep_text = malloc(e->prep_cap))) {
		r = -ENOMEM;
		goto out;
	}
	if (o->error_meanings && *o->error_meanings && enrich_meanings_load(e, o->error_meanings, errs) < 0)
		r = -EINVAL;
	if (o->country_db && *o->country_db &&
	    geo_open(&e->country, o->country_db, GEO_COUNTRY, errs) < 0)
		r = -EINVAL;
	if (o->asn_db && *o->asn_db && geo_open(&e->asn, o->asn_db, GEO_ASN, errs) < 0)
		r = -EINVAL;
	if (r == 0 && (e->n_maps || e->country.open || e->asn.open) &&
	    peer_table_init(&e->table, e->n_maps) < 0)
		r = -ENOMEM;
	if (r == 0 && e->n_maps && !(e->local.labels = calloc(e->n_maps, sizeof(int32_t))))
		r = -ENOMEM;
out:
	if (r < 0) {
		enrich_free(e);
		return r;
	}
	*ret = e;
	return 0;
}

void enrich_get_stats(const struct enrich *e, struct enrich_stats *ret)
{
	*ret = e ? e->stats : (struct enrich_stats){0};
}

/* Each map's label index for addr into idx (-1 = in no prefix of the map). */
static void map_labels(const struct enrich *e, const unsigned char a[16], bool v6, int32_t *idx)
{
	for (size_t i = 0; i < e->n_maps; i++) {
		const struct map_label *label = map_lookup(&e->maps[i], a, v6);

		idx[i] = label ? (int32_t)(label - e->maps[i].labels) : -1;
	}
}

/*
 * The labels idx (map_labels) as map pairs into buf; its length. *ok:
 * whether they pass event_map_valid, known from the checks at load.
 */
static size_t nets_of(const struct enrich *e, const int32_t *idx, char *buf, size_t size, bool *ok)
{
	size_t len = 0;

	buf[0] = '\0';
	*ok = e->maps_ok;
	for (size_t i = 0; i < e->n_maps; i++) {
		const struct addr_map *m = &e->maps[i];
		const struct map_label *label;

		if (idx[i] < 0)
			continue;
		label = &m->labels[idx[i]];
		if (!pairs_append(buf, size, &len, m->name, m->name_len, label->s, label->len))
			break;
		*ok = *ok && label->ok;
	}
	return len;
}

/*
 * A dotted quad as inet_pton reads one (four decimal parts of 0..255, no
 * leading zeros), without its copy and checks: a new peer's address is
 * parsed for every IKE SA. false for anything else, which inet_pton then
 * decides.
 */
static bool parse_v4(const char *s, size_t len, unsigned char a[16])
{
	unsigned parts = 0, val = 0, digits = 0;

	for (size_t i = 0; i <= len; i++) {
		if (i < len && s[i] >= '0' && s[i] <= '9') {
			if (digits == 1 && val == 0)
				return false;
			/* No leading zero and at most 255: at most three digits. */
			val = val * 10 + (unsigned)(s[i] - '0');
			digits++;
			if (val > 255)
				return false;
			continue;
		}
		if ((i < len && s[i] != '.') || digits == 0 || parts == 4)
			return false;
		a[parts++] = (unsigned char)val;
		val = digits = 0;
	}
	return parts == 4;
}

static bool parse_addr(const char *s, size_t len, unsigned char a[16], bool *v6)
{
	char buf[INET6_ADDRSTRLEN];

	memset(a, 0, 16);
	*v6 = false;
	if (s && parse_v4(s, len, a))
		return true;
	if (!s || len == 0 || len >= sizeof(buf))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	*v6 = memchr(buf, ':', len) != NULL;
	return inet_pton(*v6 ? AF_INET6 : AF_INET, buf, a) == 1;
}

/* Prepares the labels and the peer's fields for one copy into each event (event_set_prepared). */
static void peer_prepare(struct enrich *e)
{
	struct peer_cache *c = &e->peer;
	struct event_prep *p = &c->prep;

	event_prep_init(p, e->prep_text, e->prep_cap);
	c->prep_r = 0;
	c->labels_in_prep = e->labels_len && e->labels_ok &&
			    event_prep_map_checked(p, F_LABELS, e->labels, e->labels_len) == 0;
	c->nets_in_prep = c->nets_len && c->nets_ok &&
			  event_prep_map_checked(p, F_PEER_NET, c->nets, c->nets_len) == 0;
	if (c->country_len)
		c->prep_r |= event_prep_str(p, F_PEER_GEO_COUNTRY, c->country, c->country_len);
	if (c->asn)
		c->prep_r |= event_prep_int(p, F_PEER_AS_NUMBER, c->asn);
	if (c->org_len)
		c->prep_r |= event_prep_str(p, F_PEER_AS_ORG, c->org, c->org_len);
}

/* The peer's address a looked up in the maps and databases, into the peer cache and entry p. */
static void peer_find(struct enrich *e, const unsigned char a[16], bool v6, struct peer_entry *p)
{
	struct peer_cache *c = &e->peer;
	int32_t *idx = peer_table_labels(&e->table, p);
	const struct geo_memo *m;

	if (idx)
		map_labels(e, a, v6, idx);
	c->nets_len = nets_of(e, idx, c->nets, sizeof(c->nets), &c->nets_ok);
	if ((m = geo_find(&e->country, a, v6, &e->stats)) && m->len < sizeof(c->country)) {
		memcpy(c->country, m->text, m->len);
		c->country_len = m->len;
	}
	if ((m = geo_find(&e->asn, a, v6, &e->stats))) {
		c->asn = m->asn;
		if (m->len < sizeof(c->org)) {
			memcpy(c->org, m->text, m->len);
			c->org_len = m->len;
		}
	}
	memcpy(p->country, c->country, c->country_len);
	p->country_len = (uint8_t)c->country_len;
	p->asn = c->asn;
	/* The memo's text, in the mapping of this generation. */
	p->org = m ? m->text : NULL;
	p->org_len = (uint16_t)c->org_len;
}

/* The peer cache filled from table entry p, found for its address. */
static void peer_found(struct enrich *e, const struct peer_entry *p)
{
	struct peer_cache *c = &e->peer;

	c->nets_len =
	    nets_of(e, peer_table_labels(&e->table, p), c->nets, sizeof(c->nets), &c->nets_ok);
	memcpy(c->country, p->country, p->country_len);
	c->country_len = p->country_len;
	c->asn = p->asn;
	if (p->org_len)
		memcpy(c->org, p->org, p->org_len);
	c->org_len = p->org_len;
	e->stats.peer_hits++;
}

/*
 * Fills the peer cache for the address in ev's peer_ip (when it changed),
 * from the table of peers seen before or else the maps and databases.
 */
static void peer_lookup(struct enrich *e, const char *s, size_t len)
{
	struct peer_cache *c = &e->peer;
	struct peer_entry *p;
	struct timespec now;
	unsigned char a[16];
	bool v6, found;
	unsigned gen;

	if (e->country.open || e->asn.open) {
		/* The coarse clock (a few ms) is enough for a once-a-second check, and cheaper. */
		clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
		if (geo_due(&e->country, &now))
			geo_refresh(&e->country, &now, &e->stats);
		if (geo_due(&e->asn, &now))
			geo_refresh(&e->asn, &now, &e->stats);
	}
	gen = geo_generation(&e->country) + geo_generation(&e->asn);
	if (c->valid && c->gen == gen && c->addr_len == len && memcmp(c->addr, s, len) == 0)
		return;
	/* Field by field: the whole entry is 1.4 kB. */
	c->valid = false;
	c->nets_len = c->country_len = c->org_len = 0;
	c->asn = 0;
	if (len >= sizeof(c->addr) || !parse_addr(s, len, a, &v6))
		return;
	memcpy(c->addr, s, len);
	c->addr_len = len;
	c->gen = gen;
	c->valid = true;
	p = peer_table_get(&e->table, a, v6, gen, &found);
	if (found)
		peer_found(e, p);
	else
		peer_find(e, a, v6, p);
	peer_prepare(e);
}

/* The map labels of the local address s (cached: it is nearly always the same). */
static const struct local_cache *local_lookup(struct enrich *e, const char *s, size_t len)
{
	struct local_cache *c = &e->local;
	unsigned char a[16];
	bool v6;

	if (c->valid && c->addr_len == len && memcmp(c->addr, s, len) == 0)
		return c;
	c->valid = false;
	c->nets_len = 0;
	if (len >= sizeof(c->addr) || !parse_addr(s, len, a, &v6))
		return NULL;
	memcpy(c->addr, s, len);
	c->addr_len = len;
	c->valid = true;
	map_labels(e, a, v6, c->labels);
	c->nets_len = nets_of(e, c->labels, c->nets, sizeof(c->nets), &c->nets_ok);
	return c;
}

/*
 * Sets a map value built here: checked once when built (ok), not again for
 * every event that carries it; one that failed goes to event_set_str, which
 * refuses it as before.
 */
static int set_map(struct event *ev, enum field f, const char *s, size_t len, bool ok)
{
	return ok ? event_set_map_checked(ev, f, s, len) : event_set_str(ev, f, s, len);
}

static void set_meaning(struct enrich *e, struct event *ev, int *r)
{
	size_t len;
	const char *code = event_str(ev, F_ERROR_CODE, &len), *res;
	const struct enrich_meaning *m = enrich_meaning(e, code, len);

	if (!m)
		return;
	*r |= event_set_str(ev, F_ERROR_DESCRIPTION, m->description, strlen(m->description));
	if (m->cause)
		*r |= event_set_str(ev, F_PROBABLE_CAUSE, m->cause, strlen(m->cause));
	/* The failure that carries the code takes its severity; repeats stay info. */
	res = event_str(ev, F_RESULT, NULL);
	if (res && strcmp(res, "failure") == 0)
		*r |= event_set_str(ev, F_SEVERITY, m->severity, strlen(m->severity));
}

int enrich_event(struct enrich *e, struct event *ev)
{
	const struct peer_cache *c;
	bool labels_set = false;
	const char *s;
	size_t len;
	int r = 0;

	if (!e)
		return 0;
	c = &e->peer;
	if ((e->n_maps || e->country.open || e->asn.open) && (s = event_str(ev, F_PEER_IP, &len))) {
		peer_lookup(e, s, len);
		if (c->valid) {
			r |= event_set_prepared(ev, &c->prep) | c->prep_r;
			labels_set = c->labels_in_prep;
			if (c->nets_len && !c->nets_in_prep)
				r |= set_map(ev, F_PEER_NET, c->nets, c->nets_len, c->nets_ok);
		}
	}
	if (e->labels_len && !labels_set)
		r |= set_map(ev, F_LABELS, e->labels, e->labels_len, e->labels_ok);
	if (e->n_maps && (s = event_str(ev, F_LOCAL_IP, &len))) {
		const struct local_cache *lc = local_lookup(e, s, len);

		if (lc && lc->nets_len)
			r |= set_map(ev, F_LOCAL_NET, lc->nets, lc->nets_len, lc->nets_ok);
	}
	if (e->n_meanings && event_has(ev, F_ERROR_CODE))
		set_meaning(e, ev, &r);
	return r < 0 ? -ENOSPC : 0;
}
