/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A root sequence read one item at a time: each item a document of its
 * own with the file's marks (lines and columns counted by hand from the
 * texts below), the end, an empty stream, a root that is no sequence,
 * aliases, depth and YAML errors.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "yaml_items.h"

struct reader {
	yaml_parser_t parser;
	struct yaml_items it;
};

static void open_text(struct reader *rd, const char *text, unsigned max_depth)
{
	assert_true(yaml_parser_initialize(&rd->parser));
	yaml_parser_set_input_string(&rd->parser, (const unsigned char *)text, strlen(text));
	rd->it = (struct yaml_items){.parser = &rd->parser, .max_depth = max_depth};
}

static const char *value_of(yaml_document_t *doc, yaml_node_t *map, const char *key)
{
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = yaml_document_get_node(doc, p->key);
		yaml_node_t *v = yaml_document_get_node(doc, p->value);

		if (k->type == YAML_SCALAR_NODE && strcmp((char *)k->data.scalar.value, key) == 0)
			return v->type == YAML_SCALAR_NODE ? (char *)v->data.scalar.value : "";
	}
	return NULL;
}

static void test_items_one_at_a_time(void **state)
{
	(void)state;
	struct reader rd;
	yaml_document_t doc;
	yaml_node_t *root, *v;

	open_text(&rd,
		  "# rules\n"
		  "- id: a\n"
		  "  pattern: '^x'\n"
		  "- id: b\n"
		  "  set: {exchange: IKE_AUTH}\n"
		  "  empty:\n",
		  16);
	assert_int_equal(yaml_items_next(&rd.it, &doc), 1);
	root = yaml_document_get_root_node(&doc);
	assert_int_equal(root->type, YAML_MAPPING_NODE);
	assert_int_equal(root->start_mark.line, 1); /* 0-based: the second line */
	assert_int_equal(root->start_mark.column, 2);
	assert_string_equal(value_of(&doc, root, "id"), "a");
	assert_string_equal(value_of(&doc, root, "pattern"), "^x");
	v = yaml_document_get_node(&doc, root->data.mapping.pairs.start[1].value);
	assert_int_equal(v->start_mark.line, 2);
	assert_int_equal(v->start_mark.column, 11);
	assert_int_equal(v->data.scalar.style, YAML_SINGLE_QUOTED_SCALAR_STYLE);
	yaml_document_delete(&doc);

	assert_int_equal(yaml_items_next(&rd.it, &doc), 1);
	root = yaml_document_get_root_node(&doc);
	assert_string_equal(value_of(&doc, root, "id"), "b");
	v = yaml_document_get_node(&doc, root->data.mapping.pairs.start[1].value);
	assert_int_equal(v->type, YAML_MAPPING_NODE);
	assert_int_equal(v->start_mark.line, 4);
	assert_string_equal(value_of(&doc, v, "exchange"), "IKE_AUTH");
	/* A key without a value: an empty plain scalar, as yaml_parser_load gives it. */
	v = yaml_document_get_node(&doc, root->data.mapping.pairs.start[2].value);
	assert_int_equal(v->type, YAML_SCALAR_NODE);
	assert_int_equal(v->data.scalar.length, 0);
	assert_int_equal(v->data.scalar.style, YAML_PLAIN_SCALAR_STYLE);
	yaml_document_delete(&doc);

	assert_int_equal(yaml_items_next(&rd.it, &doc), 0);
	assert_int_equal(yaml_items_next(&rd.it, &doc), 0);
	yaml_parser_delete(&rd.parser);
}

static void test_empty_and_not_a_sequence(void **state)
{
	(void)state;
	struct reader rd;
	yaml_document_t doc;

	open_text(&rd, "# nothing\n", 16);
	assert_int_equal(yaml_items_next(&rd.it, &doc), 0);
	yaml_parser_delete(&rd.parser);

	open_text(&rd, "\nid: x\n", 16);
	assert_int_equal(yaml_items_next(&rd.it, &doc), -ENOTDIR);
	assert_int_equal(rd.it.root_mark.line, 1);
	assert_int_equal(yaml_items_next(&rd.it, &doc), 0);
	yaml_parser_delete(&rd.parser);
}

static void test_refused(void **state)
{
	(void)state;
	struct reader rd;
	yaml_document_t doc;

	/* An alias: refused where it stands (line 3, column 10). */
	open_text(&rd, "- &r {id: a}\n- id: b\n  event: *r\n", 16);
	assert_int_equal(yaml_items_next(&rd.it, &doc), 1);
	yaml_document_delete(&doc);
	assert_int_equal(yaml_items_next(&rd.it, &doc), -EINVAL);
	assert_int_equal(rd.it.problem_mark.line, 2);
	assert_int_equal(rd.it.problem_mark.column, 9);
	assert_non_null(strstr(rd.it.problem, "alias"));
	yaml_parser_delete(&rd.parser);

	/* Three levels allowed: the root, an item, a list in it; the fourth is refused. */
	open_text(&rd, "- {a: [1]}\n- {a: [[1]]}\n", 3);
	assert_int_equal(yaml_items_next(&rd.it, &doc), 1);
	yaml_document_delete(&doc);
	assert_int_equal(yaml_items_next(&rd.it, &doc), -ELOOP);
	assert_int_equal(rd.it.problem_mark.line, 1);
	assert_int_equal(rd.it.problem_mark.column, 7);
	yaml_parser_delete(&rd.parser);

	/* A syntax error after a good item. */
	open_text(&rd, "- {id: a}\n- [1\n", 16);
	assert_int_equal(yaml_items_next(&rd.it, &doc), 1);
	yaml_document_delete(&doc);
	assert_int_equal(yaml_items_next(&rd.it, &doc), -EINVAL);
	assert_non_null(rd.it.problem);
	assert_int_equal(yaml_items_next(&rd.it, &doc), 0);
	yaml_parser_delete(&rd.parser);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_items_one_at_a_time),
	    cmocka_unit_test(test_empty_and_not_a_sequence),
	    cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
