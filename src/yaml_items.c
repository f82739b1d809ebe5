/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One item of a root sequence at a time (yaml_items.h): libyaml's events
 * are turned into a small document with yaml_document_add_*, and each
 * node keeps the marks of its event so that diagnostics still say
 * FILE:LINE:COL of the file.
 */
#include <errno.h>
#include <string.h>

#include "yaml_items.h"

enum { BEFORE_ROOT, IN_ROOT, DONE };

static int fail(struct yaml_items *it, const char *problem, yaml_mark_t mark)
{
	it->problem = problem;
	it->problem_mark = mark;
	it->state = DONE;
	return -EINVAL;
}

static int next_event(struct yaml_items *it, yaml_event_t *ev)
{
	if (!yaml_parser_parse(it->parser, ev))
		return fail(it, it->parser->problem ? it->parser->problem : "parse error",
			    it->parser->problem_mark);
	return 0;
}

static void set_marks(yaml_document_t *doc, int id, yaml_mark_t start, yaml_mark_t end)
{
	doc->nodes.start[id - 1].start_mark = start;
	doc->nodes.start[id - 1].end_mark = end;
}

/* Adds the node that ev starts (and all below it) to doc; returns its id or a negative errno. */
static int build(struct yaml_items *it, yaml_document_t *doc, yaml_event_t *ev, unsigned depth)
{
	yaml_event_t sub;
	int id = 0, r;
	bool mapping = ev->type == YAML_MAPPING_START_EVENT;

	if (depth > it->max_depth && (ev->type == YAML_SEQUENCE_START_EVENT || mapping)) {
		fail(it, "nested too deep", ev->start_mark);
		return -ELOOP;
	}
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		id = yaml_document_add_scalar(doc, ev->data.scalar.tag, ev->data.scalar.value,
					      (int)ev->data.scalar.length, ev->data.scalar.style);
		if (!id)
			return -ENOMEM;
		set_marks(doc, id, ev->start_mark, ev->end_mark);
		return id;
	case YAML_ALIAS_EVENT:
		return fail(it, "anchors and aliases are not supported here", ev->start_mark);
	case YAML_SEQUENCE_START_EVENT:
		id = yaml_document_add_sequence(doc, ev->data.sequence_start.tag,
						ev->data.sequence_start.style);
		break;
	case YAML_MAPPING_START_EVENT:
		id = yaml_document_add_mapping(doc, ev->data.mapping_start.tag,
					       ev->data.mapping_start.style);
		break;
	default:
		return fail(it, "unexpected YAML event", ev->start_mark);
	}
	if (!id)
		return -ENOMEM;
	set_marks(doc, id, ev->start_mark, ev->end_mark);
	for (int key = 0;;) {
		if ((r = next_event(it, &sub)) < 0)
			return r;
		if (sub.type == YAML_SEQUENCE_END_EVENT || sub.type == YAML_MAPPING_END_EVENT) {
			doc->nodes.start[id - 1].end_mark = sub.end_mark;
			yaml_event_delete(&sub);
			return id;
		}
		r = build(it, doc, &sub, depth + 1);
		yaml_event_delete(&sub);
		if (r < 0)
			return r;
		if (!mapping) {
			if (!yaml_document_append_sequence_item(doc, id, r))
				return -ENOMEM;
		} else if (!key) {
			key = r;
		} else {
			if (!yaml_document_append_mapping_pair(doc, id, key, r))
				return -ENOMEM;
			key = 0;
		}
	}
}

/* Skips the stream and document starts; leaves it->state IN_ROOT, DONE (empty) or an error. */
static int enter_root(struct yaml_items *it)
{
	yaml_event_t ev;
	int r;

	for (;;) {
		if ((r = next_event(it, &ev)) < 0)
			return r;
		yaml_event_type_t t = ev.type;
		yaml_mark_t m = ev.start_mark;

		yaml_event_delete(&ev);
		if (t == YAML_STREAM_START_EVENT || t == YAML_DOCUMENT_START_EVENT)
			continue;
		if (t == YAML_STREAM_END_EVENT || t == YAML_DOCUMENT_END_EVENT) {
			it->state = DONE;
			return 0;
		}
		it->root_mark = m;
		if (t != YAML_SEQUENCE_START_EVENT) {
			it->state = DONE;
			return -ENOTDIR;
		}
		it->state = IN_ROOT;
		return 0;
	}
}

int yaml_items_next(struct yaml_items *it, yaml_document_t *doc)
{
	yaml_event_t ev;
	int r;

	if (it->state == BEFORE_ROOT && (r = enter_root(it)) < 0)
		return r;
	if (it->state != IN_ROOT)
		return 0;
	if ((r = next_event(it, &ev)) < 0)
		return r;
	if (ev.type == YAML_SEQUENCE_END_EVENT) {
		/* The first document only, as yaml_parser_load reads it. */
		yaml_event_delete(&ev);
		it->state = DONE;
		return 0;
	}
	if (!yaml_document_initialize(doc, NULL, NULL, NULL, 1, 1)) {
		yaml_event_delete(&ev);
		return -ENOMEM;
	}
	r = build(it, doc, &ev, 2); /* the root sequence is level 1 */
	yaml_event_delete(&ev);
	if (r < 0) {
		yaml_document_delete(doc);
		return r;
	}
	return 1;
}
