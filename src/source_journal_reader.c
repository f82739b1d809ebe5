/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reading one journal entry (see source_journal_impl.h): opening the
 * journal with its matches, the fields a record takes, the cursor, and the
 * event id made from the cursor's seqnum id and seqnum.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "source_journal_impl.h"
#include "state.h"

#define DEFAULT_MATCH "SYSLOG_IDENTIFIER=pluto"

/* "journal:" and the cursor's "s=...;i=..." part into buf; returns its length. */
static size_t id_input(const char *cursor, char buf[STATE_CURSOR_MAX + 16])
{
	const char *end = NULL;
	size_t n;

	if (strncmp(cursor, "s=", 2) == 0) {
		const char *semi = strchr(cursor, ';');

		if (semi && strncmp(semi + 1, "i=", 2) == 0)
			end = strchr(semi + 1, ';');
	}
	n = end ? (size_t)(end - cursor) : strlen(cursor);
	if (n > STATE_CURSOR_MAX)
		n = STATE_CURSOR_MAX;
	memcpy(buf, "journal:", 8);
	memcpy(buf + 8, cursor, n);
	return n + 8;
}

void source_journal_event_id(const char *cursor, char out[33])
{
	char buf[STATE_CURSOR_MAX + 16];
	char hex[STATE_HASH_HEX_LEN + 1];

	state_sha256_hex(buf, id_input(cursor, buf), hex);
	memcpy(out, hex, 32);
	out[32] = '\0';
}

/* The same id with the reader's digest context: no algorithm fetch per entry. */
static void reader_event_id(struct jreader *rd, const char *cursor, char out[33])
{
	static const char digits[] = "0123456789abcdef";
	char buf[STATE_CURSOR_MAX + 16];
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	size_t n;

	n = id_input(cursor, buf);
	if (!rd->mdctx || !EVP_DigestInit_ex(rd->mdctx, rd->md, NULL) ||
	    !EVP_DigestUpdate(rd->mdctx, buf, n) || !EVP_DigestFinal_ex(rd->mdctx, md, &mdlen) ||
	    mdlen < 16) {
		source_journal_event_id(cursor, out);
		return;
	}
	for (unsigned i = 0; i < 16; i++) {
		out[2 * i] = digits[md[i] >> 4];
		out[2 * i + 1] = digits[md[i] & 15];
	}
	out[32] = '\0';
}

int jreader_open(struct jreader *rd, const struct source_journal_options *o, const char *only_path,
		 struct diags *errs)
{
	const char *paths[SOURCE_JOURNAL_LIST_MAX + 1] = {0};
	struct stat st;
	size_t n = 0;
	int r;

	rd->max_line = o->max_line_bytes ? o->max_line_bytes : 65536;
	/* Without them, ids take the slower one-shot path. */
	rd->md = EVP_MD_fetch(NULL, "SHA256", NULL);
	rd->mdctx = rd->md ? EVP_MD_CTX_new() : NULL;
	if (only_path)
		paths[n++] = only_path;
	else
		for (size_t i = 0; i < o->n_files && i < SOURCE_JOURNAL_LIST_MAX; i++)
			paths[n++] = o->files[i];

	if (n == 0) {
		r = sd_journal_open(&rd->j, SD_JOURNAL_LOCAL_ONLY);
	} else if (n == 1 && stat(paths[0], &st) == 0 && S_ISDIR(st.st_mode)) {
		r = sd_journal_open_directory(&rd->j, paths[0], 0);
	} else {
		for (size_t i = 0; i < n; i++)
			if (stat(paths[i], &st) == 0 && S_ISDIR(st.st_mode)) {
				diag_add(errs, paths[i], 0, 0,
					 "source.journal.files: give one directory, or files only");
				return -EINVAL;
			}
		r = sd_journal_open_files(&rd->j, paths, 0);
	}
	if (r < 0) {
		diag_add(errs, n ? paths[0] : NULL, 0, 0, "cannot open the journal: %s",
			 strerror(-r));
		return r;
	}
	for (size_t i = 0; i < o->n_match; i++) {
		r = sd_journal_add_match(rd->j, o->match[i], 0);
		if (r < 0) {
			diag_add(errs, NULL, 0, 0, "source.journal.match: bad match \"%s\": %s",
				 o->match[i], strerror(-r));
			return r;
		}
		/* The documented semantics: matches are OR-ed, whatever their fields. */
		if (i + 1 < o->n_match) {
			r = sd_journal_add_disjunction(rd->j);
			if (r < 0)
				return r;
		}
	}
	if (o->n_match == 0) {
		r = sd_journal_add_match(rd->j, DEFAULT_MATCH, 0);
		if (r < 0)
			return r;
	}
	/* Large enough to see that a message is longer than the limit. */
	sd_journal_set_data_threshold(rd->j, rd->max_line + sizeof("MESSAGE="));
	return 0;
}

void jreader_close(struct jreader *rd)
{
	if (rd->j)
		sd_journal_close(rd->j);
	rd->j = NULL;
	EVP_MD_CTX_free(rd->mdctx);
	rd->mdctx = NULL;
	EVP_MD_free(rd->md);
	rd->md = NULL;
}

static bool field_is(const void *d, size_t l, const char *name, size_t nlen)
{
	return l > nlen && memcmp(d, name, nlen) == 0;
}

static int64_t parse_i64(const char *v, size_t len)
{
	int64_t x = 0;

	if (len == 0 || len > 19)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		x = x * 10 + (v[i] - '0');
	}
	return x;
}

int jreader_entry(struct jreader *rd, struct jbatch *b)
{
	struct jentry *e = &b->e[b->n];
	char *buf = b->buf + b->used;
	size_t used = 0;
	const void *d;
	size_t l;
	int64_t src_rt = -1, pid = -1, syslog_pid = -1, prio = -1;
	uint64_t rt = 0, mono = 0;
	sd_id128_t boot;
	char *cursor = NULL;
	int r;

	*e = (struct jentry){.priority = -1, .host_off = SIZE_MAX};
	r = sd_journal_get_cursor(rd->j, &cursor);
	if (r < 0)
		return r;
	SD_JOURNAL_FOREACH_DATA(rd->j, d, l)
	{
		const char *s = d;

		if (field_is(d, l, "MESSAGE=", 8)) {
			size_t n = l - 8;

			if (n > rd->max_line) {
				n = rd->max_line;
				e->flags |= RECORD_TRUNCATED;
			}
			/* As before the thread: a later MESSAGE replaces an earlier one. */
			memcpy(buf, s + 8, n);
			e->msg_off = b->used;
			e->msg_len = n;
			used = n;
		} else if (field_is(d, l, "_SOURCE_REALTIME_TIMESTAMP=", 27)) {
			src_rt = parse_i64(s + 27, l - 27);
		} else if (field_is(d, l, "_HOSTNAME=", 10)) {
			size_t n = l - 10 < JREADER_HOST_MAX - 1 ? l - 10 : JREADER_HOST_MAX - 1;

			/* Its own room, beyond the message's max_line bytes. */
			memcpy(buf + rd->max_line, s + 10, n);
			buf[rd->max_line + n] = '\0';
			e->host_off = b->used + rd->max_line;
		} else if (field_is(d, l, "_PID=", 5)) {
			pid = parse_i64(s + 5, l - 5);
		} else if (field_is(d, l, "SYSLOG_PID=", 11)) {
			syslog_pid = parse_i64(s + 11, l - 11);
		} else if (field_is(d, l, "PRIORITY=", 9)) {
			prio = parse_i64(s + 9, l - 9);
		}
	}
	/* The host name moves down behind the message. */
	if (e->host_off != SIZE_MAX) {
		size_t hl = strlen(buf + rd->max_line) + 1;

		memmove(buf + used, buf + rd->max_line, hl);
		e->host_off = b->used + used;
		used += hl;
	}
	if (src_rt > 0)
		e->realtime_usec = src_rt;
	else if (sd_journal_get_realtime_usec(rd->j, &rt) >= 0)
		e->realtime_usec = (int64_t)rt;
	if (pid > 0 && pid <= INT32_MAX)
		e->pid = (int)pid;
	else if (syslog_pid > 0 && syslog_pid <= INT32_MAX)
		e->pid = (int)syslog_pid;
	if (prio >= 0 && prio <= 7)
		e->priority = (int)prio;
	if (sd_journal_get_monotonic_usec(rd->j, &mono, &boot) >= 0) {
		if (!rd->boot_id[0] || !sd_id128_equal(boot, rd->boot))
			sd_id128_to_string(boot, rd->boot_id);
		rd->boot = boot;
		memcpy(e->boot_id, rd->boot_id, sizeof(e->boot_id));
		e->have_boot = true;
	}
	reader_event_id(rd, cursor, e->event_id);
	e->cursor = cursor;
	b->used += used;
	b->n++;
	return 0;
}

void jbatch_record(const struct jbatch *b, const struct jentry *e, struct record *rec)
{
	*rec = (struct record){
	    .msg = b->buf + e->msg_off,
	    .len = e->msg_len,
	    .realtime_usec = e->realtime_usec,
	    .host = e->host_off == SIZE_MAX ? NULL : b->buf + e->host_off,
	    .pid = e->pid,
	    .priority = e->priority,
	    .event_id = e->event_id,
	    .boot_id = e->have_boot ? e->boot_id : NULL,
	    .flags = e->flags,
	};
}
