/* SPDX-License-Identifier: Apache-2.0 */
#ifndef IKELOGD_EXPECT_TEXT_H
#define IKELOGD_EXPECT_TEXT_H

/*
 * Expectations stated apart from the code (rule examples, the golden
 * events) must name values the pluto line gives. A value copied from the
 * line must occur in the given text (a line, or words quoted from one):
 * strings as they are, integers as their decimal text. Values pluto spells
 * otherwise (authby=secret -> auth_method psk, Main Mode -> MAIN_MODE, a
 * 4.x address range -> a CIDR traffic selector) are accepted when the text
 * holds one of their source words, from the table in expect_text.c
 * (fixtures/golden/README.md lists it).
 */

/*
 * Whether text gives value for field (a short name such as "encr", or a
 * dotted JSON path such as "transform.encr"). value is the expected value
 * as text: integers in decimal, booleans "true"/"false". Returns 0 when it
 * does, or when the field is not copied from a line (event_type, result,
 * rule, severity, schema_version, booleans); -ENOENT when the text does not
 * give the value; -EINVAL for an unknown field.
 */
int expect_text_gives(const char *field, const char *value, const char *text);

/*
 * Whether the value of field is exempt from expect_text_gives: a field the
 * rule or the reader states from the meaning of the line (event_type,
 * result, severity, rule, schema_version) or a boolean. Returns 1 or 0, or
 * -EINVAL for an unknown field.
 */
int expect_text_exempt(const char *field);

#endif
