/* SPDX-License-Identifier: Apache-2.0 */
/* libfastjson's encoder for json_libs.c (its headers rename json-c's symbols: a unit of its own).
 */
#include <stdio.h>
#include <string.h>

#include <libfastjson/json.h>

#include "json_libs_tree.h"

BUILD_TREE(fjson, fjson_object)

const char *fjson_render(const struct event *ev, size_t *ret_len);

static size_t fj_len;
static char fj_out[1 << 20];

static size_t fj_write(void *ptr, const char *s, size_t n)
{
	(void)ptr;
	if (fj_len + n < sizeof(fj_out)) {
		memcpy(fj_out + fj_len, s, n);
		fj_len += n;
	}
	return n;
}

/* The event as libfastjson writes a fresh tree of it; the text is valid until the next call. */
const char *fjson_render(const struct event *ev, size_t *ret_len)
{
	struct fjson_object *fo = fjson_tree(ev);

	fj_len = 0;
	fjson_object_dump(fo, fj_write, NULL);
	fj_out[fj_len] = '\0';
	fjson_object_put(fo);
	*ret_len = fj_len;
	return fj_out;
}
