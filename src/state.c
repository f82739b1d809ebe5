/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/evp.h>

#include "log.h"
#include "state.h"
#include "state_writer.h"

#define COMMIT_TIMER_ACCURACY_US 1000 /* sd-event would coalesce to 250 ms */

#define STATE_FORMAT_TAG "ikelogd-position"

static const char *const state_type_names[STATE__MAX] = {
    [STATE_JOURNAL] = "journal",
    [STATE_FILE] = "file",
};
_Static_assert(sizeof(state_type_names) / sizeof(state_type_names[0]) == STATE__MAX,
	       "state_type_names covers enum state_type");

const char *state_type_name(enum state_type t)
{
	if ((unsigned)t >= STATE__MAX)
		return NULL;
	return state_type_names[t];
}

void state_sha256_hex(const void *data, size_t len, char hex[STATE_HASH_HEX_LEN + 1])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	unsigned i;

	if (!EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) || mdlen != 32)
		memset(md, 0, sizeof(md)); /* only on OpenSSL failure; never seen */
	for (i = 0; i < 32; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 15];
	}
	hex[STATE_HASH_HEX_LEN] = '\0';
}

static bool is_hex_hash(const char *s)
{
	size_t i;

	for (i = 0; i < STATE_HASH_HEX_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return s[STATE_HASH_HEX_LEN] == '\0';
}

/* A journal cursor is printable ASCII without spaces or quotes. */
static bool is_cursor(const char *s)
{
	size_t n = strlen(s);
	size_t i;

	if (n == 0 || n >= STATE_CURSOR_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] > '~' || s[i] == '"' || s[i] == '\\')
			return false;
	return true;
}

/* The canonical text the checksum covers. Returns its length or -errno. */
static int canonical(const struct state_pos *pos, char *buf, size_t size)
{
	int n;

	switch (pos->type) {
	case STATE_JOURNAL:
		if (!is_cursor(pos->cursor))
			return -EINVAL;
		n = snprintf(buf, size, STATE_FORMAT_TAG " %d journal %s\n", STATE_VERSION,
			     pos->cursor);
		break;
	case STATE_FILE:
		if (!is_hex_hash(pos->first_line))
			return -EINVAL;
		n = snprintf(buf, size,
			     STATE_FORMAT_TAG " %d file %" PRIu64 " %" PRIu64 " %" PRIu64 " %s\n",
			     STATE_VERSION, pos->device, pos->inode, pos->offset, pos->first_line);
		break;
	default:
		return -EINVAL;
	}
	if (n < 0 || (size_t)n >= size)
		return -ENOBUFS;
	return n;
}

int state_format(const struct state_pos *pos, char *buf, size_t size)
{
	char canon[STATE_CURSOR_MAX + 256];
	char sum[STATE_HASH_HEX_LEN + 1];
	struct json_object *o = NULL;
	const char *text;
	size_t len;
	int r;

	r = canonical(pos, canon, sizeof(canon));
	if (r < 0)
		goto out;
	state_sha256_hex(canon, (size_t)r, sum);
	o = json_object_new_object();
	if (!o) {
		r = -ENOMEM;
		goto out;
	}
	json_object_object_add(o, "format", json_object_new_string(STATE_FORMAT_TAG));
	json_object_object_add(o, "version", json_object_new_int(STATE_VERSION));
	json_object_object_add(o, "type", json_object_new_string(state_type_name(pos->type)));
	if (pos->type == STATE_JOURNAL) {
		json_object_object_add(o, "cursor", json_object_new_string(pos->cursor));
	} else {
		json_object_object_add(o, "device", json_object_new_uint64(pos->device));
		json_object_object_add(o, "inode", json_object_new_uint64(pos->inode));
		json_object_object_add(o, "offset", json_object_new_uint64(pos->offset));
		json_object_object_add(o, "first_line", json_object_new_string(pos->first_line));
	}
	json_object_object_add(o, "checksum", json_object_new_string(sum));
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	len = strlen(text);
	if (len + 2 > size) {
		r = -ENOBUFS;
		goto out;
	}
	memcpy(buf, text, len);
	buf[len] = '\n';
	buf[len + 1] = '\0';
	r = (int)len + 1;
out:
	json_object_put(o);
	return r;
}

/* The string member key of o, or NULL (with a diag) when absent or not a string. */
static const char *get_string(struct json_object *o, const char *key, struct diags *errs)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string)) {
		diag_add(errs, NULL, 0, 0, "missing or non-string \"%s\"", key);
		return NULL;
	}
	return json_object_get_string(v);
}

/* A non-negative integer member: JSON numbers only, no strings or floats. */
static int get_u64(struct json_object *o, const char *key, uint64_t *ret, struct diags *errs)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int)) {
		diag_add(errs, NULL, 0, 0, "missing or non-integer \"%s\"", key);
		return -EBADMSG;
	}
	if (json_object_get_int64(v) < 0 && json_object_get_uint64(v) == 0) {
		diag_add(errs, NULL, 0, 0, "negative \"%s\"", key);
		return -EBADMSG;
	}
	*ret = json_object_get_uint64(v);
	return 0;
}

int state_parse(const char *text, size_t len, struct state_pos *ret, struct diags *errs)
{
	struct json_tokener *tok = NULL;
	struct json_object *o = NULL, *v;
	struct state_pos pos = {0};
	char canon[STATE_CURSOR_MAX + 256];
	char sum[STATE_HASH_HEX_LEN + 1];
	const char *s;
	int r = -EBADMSG;

	if (len == 0) {
		diag_add(errs, NULL, 0, 0, "empty");
		goto out;
	}
	if (len > STATE_FILE_MAX) {
		diag_add(errs, NULL, 0, 0, "longer than %d bytes", STATE_FILE_MAX);
		goto out;
	}
	if (memchr(text, '\0', len)) {
		diag_add(errs, NULL, 0, 0, "holds NUL bytes");
		goto out;
	}
	tok = json_tokener_new();
	if (!tok) {
		r = -ENOMEM;
		goto out;
	}
	o = json_tokener_parse_ex(tok, text, (int)len);
	if (!o || json_tokener_get_error(tok) != json_tokener_success) {
		diag_add(
		    errs, NULL, 0, 0, "not a JSON object (%s)",
		    o ? "trailing bytes"
		      : json_tokener_error_desc(json_tokener_get_error(tok) == json_tokener_continue
						    ? json_tokener_error_parse_eof
						    : json_tokener_get_error(tok)));
		goto out;
	}
	/* Only whitespace may follow the object. */
	for (size_t i = json_tokener_get_parse_end(tok); i < len; i++)
		if (text[i] != '\n' && text[i] != ' ' && text[i] != '\r' && text[i] != '\t') {
			diag_add(errs, NULL, 0, 0, "trailing bytes after the JSON object");
			goto out;
		}
	if (!json_object_is_type(o, json_type_object)) {
		diag_add(errs, NULL, 0, 0, "not a JSON object");
		goto out;
	}
	s = get_string(o, "format", errs);
	if (!s)
		goto out;
	if (strcmp(s, STATE_FORMAT_TAG) != 0) {
		diag_add(errs, NULL, 0, 0, "format is not \"" STATE_FORMAT_TAG "\"");
		goto out;
	}
	if (!json_object_object_get_ex(o, "version", &v) ||
	    !json_object_is_type(v, json_type_int) || json_object_get_int64(v) != STATE_VERSION) {
		diag_add(errs, NULL, 0, 0, "missing or unsupported version (this build reads %d)",
			 STATE_VERSION);
		goto out;
	}
	s = get_string(o, "type", errs);
	if (!s)
		goto out;
	if (strcmp(s, "journal") == 0) {
		pos.type = STATE_JOURNAL;
		s = get_string(o, "cursor", errs);
		if (!s)
			goto out;
		if (!is_cursor(s)) {
			diag_add(errs, NULL, 0, 0, "malformed cursor");
			goto out;
		}
		snprintf(pos.cursor, sizeof(pos.cursor), "%s", s);
	} else if (strcmp(s, "file") == 0) {
		pos.type = STATE_FILE;
		if (get_u64(o, "device", &pos.device, errs) < 0 ||
		    get_u64(o, "inode", &pos.inode, errs) < 0 ||
		    get_u64(o, "offset", &pos.offset, errs) < 0)
			goto out;
		s = get_string(o, "first_line", errs);
		if (!s)
			goto out;
		if (strlen(s) != STATE_HASH_HEX_LEN || !is_hex_hash(s)) {
			diag_add(errs, NULL, 0, 0, "first_line is not 64 lowercase hex digits");
			goto out;
		}
		memcpy(pos.first_line, s, sizeof(pos.first_line));
	} else {
		diag_add(errs, NULL, 0, 0, "unknown type \"%.32s\"", s);
		goto out;
	}
	s = get_string(o, "checksum", errs);
	if (!s)
		goto out;
	r = canonical(&pos, canon, sizeof(canon));
	if (r < 0) {
		diag_add(errs, NULL, 0, 0, "position cannot be checked");
		r = -EBADMSG;
		goto out;
	}
	state_sha256_hex(canon, (size_t)r, sum);
	if (strcmp(s, sum) != 0) {
		diag_add(errs, NULL, 0, 0, "checksum mismatch");
		r = -EBADMSG;
		goto out;
	}
	*ret = pos;
	r = 0;
out:
	json_object_put(o);
	if (tok)
		json_tokener_free(tok);
	return r;
}

int state_read(const char *path, struct state_pos *ret, struct diags *errs)
{
	char buf[STATE_FILE_MAX + 1];
	struct diags local = {0};
	size_t len = 0;
	ssize_t n;
	int fd = -1;
	int r;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		r = -errno;
		if (r != -ENOENT)
			diag_add(errs, path, 0, 0, "cannot open the state file: %s", strerror(-r));
		goto out;
	}
	for (;;) {
		n = read(fd, buf + len, sizeof(buf) - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			diag_add(errs, path, 0, 0, "cannot read the state file: %s", strerror(-r));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len == sizeof(buf))
			break;
	}
	r = state_parse(buf, len, ret, &local);
	if (r < 0) {
		/* Re-file the parser's reasons under the path. */
		for (size_t i = 0; i < local.n; i++)
			diag_add(errs, path, 0, 0, "broken state file: %s", local.v[i].msg);
	}
out:
	if (fd >= 0)
		close(fd);
	return r;
}

static int real_open(const char *path, int flags, mode_t mode)
{
	return open(path, flags, mode);
}

static const struct state_io real_io = {
    .open = real_open,
    .write = write,
    .fsync = fsync,
    .close = close,
    .rename = rename,
};

/*
 * The calls state_write makes, replaceable by a test (state_set_io) so
 * that each of its failure paths can be reached without an LD_PRELOAD
 * shim, which the sanitizer runs do not tolerate.
 */
static const struct state_io *state_io = &real_io;

void state_set_io(const struct state_io *io)
{
	state_io = io ? io : &real_io;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = state_io->write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int state_write(const char *path, const struct state_pos *pos, struct diags *errs)
{
	char text[STATE_FILE_MAX + 1];
	int len;

	len = state_format(pos, text, sizeof(text));
	if (len < 0) {
		diag_add(errs, path, 0, 0, "invalid position, not written");
		return len;
	}
	return state_write_text(path, text, (size_t)len, errs);
}

int state_write_text(const char *path, const char *text, size_t len, struct diags *errs)
{
	char tmp[PATH_MAX];
	char prev[PATH_MAX];
	char dir[PATH_MAX];
	const char *slash;
	struct state_pos old;
	bool tmp_made = false, kept = false;
	const struct state_io *io = state_io;
	int fd = -1, dfd = -1;
	int r;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof(tmp) ||
	    snprintf(prev, sizeof(prev), "%s" STATE_PREV_SUFFIX, path) >= (int)sizeof(prev)) {
		r = -ENAMETOOLONG;
		diag_add(errs, path, 0, 0, "state file path too long");
		goto out;
	}
	slash = strrchr(path, '/');
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);

	fd = io->open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		r = -errno;
		diag_add(errs, tmp, 0, 0, "cannot create: %s", strerror(-r));
		goto out;
	}
	tmp_made = true;
	r = write_all(fd, text, len);
	if (r == 0 && io->fsync(fd) < 0)
		r = -errno;
	/* close() releases the descriptor even when it fails: never close it twice. */
	if (io->close(fd) < 0 && r == 0)
		r = -errno;
	fd = -1;
	if (r < 0) {
		diag_add(errs, tmp, 0, 0, "cannot write: %s", strerror(-r));
		goto out;
	}
	/*
	 * The position written last stays beside the new one: should the
	 * new one be found broken at the next start, the source resumes
	 * from there (re-sending a little) rather than losing lines. Only a
	 * good one is moved aside: a broken file (or anything else in its
	 * place) would push out the good previous one.
	 */
	if (state_read(path, &old, &(struct diags){0}) == 0) {
		if (io->rename(path, prev) < 0) {
			r = -errno;
			diag_add(errs, path, 0, 0, "cannot keep the previous position as %s: %s",
				 prev, strerror(-r));
			goto out;
		}
		kept = true;
	}
	if (io->rename(tmp, path) < 0) {
		r = -errno;
		diag_add(errs, path, 0, 0, "cannot rename %s over it: %s", tmp, strerror(-r));
		/* Put the old one back where a restart looks first. */
		if (kept)
			(void)io->rename(prev, path);
		goto out;
	}
	tmp_made = false;
	dfd = io->open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	if (dfd < 0 || io->fsync(dfd) < 0) {
		r = -errno;
		diag_add(errs, dir, 0, 0, "cannot fsync the directory: %s", strerror(-r));
		goto out;
	}
	r = 0;
out:
	if (fd >= 0)
		io->close(fd);
	if (dfd >= 0)
		io->close(dfd);
	if (tmp_made)
		unlink(tmp);
	return r;
}

/* The writer's finished writes: counted, a failure logged once and the position kept pending. */
static void collect(struct state_committer *c)
{
	struct diags errs;
	unsigned ok, failed;
	bool last_failed;

	state_writer_take(c->writer, &ok, &failed, &last_failed, &errs);
	c->cnt->state_writes += ok;
	c->cnt->state_write_failures += failed;
	if (last_failed) {
		if (!c->failing)
			log_diags(&errs);
		c->failing = true;
		/* Tried again with the next record, as a failed write on the loop is. */
		c->dirty = true;
		c->uncommitted = c->every;
	} else if (ok) {
		if (c->failing)
			log_info("state file %s written again", c->path);
		c->failing = false;
	}
}

static void on_written(void *userdata)
{
	collect(userdata);
}

/* A batched write: handed to the writer thread on a loop, else made now. */
static void commit_behind(struct state_committer *c)
{
	if (!c->dirty || !c->have || !c->path)
		return;
	if (!c->e ||
	    (!c->writer && state_writer_new(c->path, c->e, on_written, c, &c->writer) < 0)) {
		state_committer_flush(c);
		return;
	}
	if (c->timer)
		sd_event_source_set_enabled(c->timer, SD_EVENT_OFF);
	state_writer_post(c->writer, &c->pos);
	c->dirty = false;
	c->uncommitted = 0;
}

static int on_commit_timer(sd_event_source *es, uint64_t usec, void *userdata)
{
	commit_behind(userdata);
	return 0;
}

int state_committer_init(struct state_committer *c, const struct state_options *o, sd_event *e,
			 struct counters *cnt)
{
	int r;

	*c = (struct state_committer){
	    .path = o->state_file && o->state_file[0] ? o->state_file : NULL,
	    .every = o->commit_every ? o->commit_every : 256,
	    .interval_ms = o->commit_interval_ms ? o->commit_interval_ms : 1000,
	    .cnt = cnt,
	    .e = e,
	};
	if (!e)
		return 0;
	r = sd_event_add_time(e, &c->timer, CLOCK_MONOTONIC, UINT64_MAX, COMMIT_TIMER_ACCURACY_US,
			      on_commit_timer, c);
	if (r < 0)
		return r;
	return sd_event_source_set_enabled(c->timer, SD_EVENT_OFF);
}

void state_committer_set(struct state_committer *c, const struct state_pos *pos, size_t records)
{
	int enabled = SD_EVENT_OFF;
	uint64_t now;

	c->pos = *pos;
	c->have = true;
	c->dirty = true;
	c->uncommitted += records;
	if (c->uncommitted >= c->every) {
		commit_behind(c);
		return;
	}
	if (!c->timer)
		return;
	sd_event_source_get_enabled(c->timer, &enabled);
	if (enabled != SD_EVENT_OFF)
		return;
	sd_event_now(c->e, CLOCK_MONOTONIC, &now);
	sd_event_source_set_time(c->timer, now + (uint64_t)c->interval_ms * 1000);
	sd_event_source_set_enabled(c->timer, SD_EVENT_ONESHOT);
}

int state_committer_flush(struct state_committer *c)
{
	struct diags errs = {0};
	int r;

	if (c->writer) {
		/* Its write would race ours on the same files, and may have failed. */
		state_writer_wait_idle(c->writer);
		collect(c);
	}
	if (!c->dirty || !c->have || !c->path)
		return 0;
	if (c->timer)
		sd_event_source_set_enabled(c->timer, SD_EVENT_OFF);
	r = state_write(c->path, &c->pos, &errs);
	if (r < 0) {
		c->cnt->state_write_failures++;
		if (!c->failing)
			log_diags(&errs);
		c->failing = true;
		return r;
	}
	if (c->failing)
		log_info("state file %s written again", c->path);
	c->failing = false;
	c->cnt->state_writes++;
	c->dirty = false;
	c->uncommitted = 0;
	return 0;
}

void state_committer_done(struct state_committer *c)
{
	if (c->writer) {
		state_writer_wait_idle(c->writer);
		collect(c);
		state_writer_free(c->writer);
		c->writer = NULL;
	}
	c->timer = sd_event_source_disable_unref(c->timer);
}

const char *state_start_name(enum start_mode m)
{
	return m == START_HEAD ? "head" : "tail";
}

/* pos from path.prev when it holds a position of type; 0 or -errno (logged by the caller). */
static int read_prev(const char *path, enum state_type type, struct state_pos *pos)
{
	char prev[PATH_MAX];
	struct diags errs = {0};
	struct state_pos p;
	int r;

	if (snprintf(prev, sizeof(prev), "%s" STATE_PREV_SUFFIX, path) >= (int)sizeof(prev))
		return -ENAMETOOLONG;
	r = state_read(prev, &p, &errs);
	if (r < 0)
		return r;
	if (p.type != type)
		return -ESRCH;
	*pos = p;
	return 0;
}

int state_begin(const struct state_options *o, enum state_type type, enum start_mode start,
		struct counters *cnt, struct state_pos *pos, enum start_mode *mode)
{
	const char *sp = o->state_file;
	enum start_mode fb = o->fallback;
	struct diags errs = {0};
	int r;

	*mode = start;
	if (!sp || !sp[0])
		return 0;
	r = state_read(sp, pos, &errs);
	if (r == -ENOENT) {
		/* Between state_write's two renames: the old one is beside it. */
		if (read_prev(sp, type, pos) == 0) {
			log_warnx("state file %s is missing; resuming from the previous position "
				  "in %s" STATE_PREV_SUFFIX,
				  sp, sp);
			return 1;
		}
		return 0;
	}
	if (r < 0) {
		/*
		 * Broken or unreadable: the position is not known, so the
		 * tail would lose what came while we were stopped. The one
		 * written before it, or else the head, re-sends instead.
		 */
		log_diags(&errs);
		if (cnt)
			cnt->state_corrupt++;
		if (read_prev(sp, type, pos) == 0) {
			log_warnx("state file %s unusable; resuming from the previous position in "
				  "%s" STATE_PREV_SUFFIX " (counted in state_corrupt)",
				  sp, sp);
			return 1;
		}
		*mode = START_HEAD;
		log_warnx("state file %s unusable and no previous position; starting at the head "
			  "(counted in state_corrupt)",
			  sp);
		return 0;
	}
	*mode = fb;
	if (pos->type != type) {
		log_warnx("state file %s holds a %s position, not a %s one; starting at the %s "
			  "(state_fallback)",
			  sp, state_type_name(pos->type), state_type_name(type),
			  state_start_name(fb));
		return 0;
	}
	return 1;
}
