/* SPDX-License-Identifier: Apache-2.0 */
#ifndef IKELOGD_CONFIG_KEYS_H
#define IKELOGD_CONFIG_KEYS_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

/*
 * The descriptor table of the configuration (config_keys.c): every key by
 * its dotted path, its type, default, range and place in struct config.
 * config.c's loader, defaults and freeing walk it.
 */
enum key_type {
	KT_BOOL,
	KT_UINT,
	KT_STRING,
	KT_LIST,
	KT_ENUM,
	KT_COLLECTORS,
	KT_REDACT_FIELDS,
};

struct config_key {
	const char *key; /* dotted path, as the YAML nests it */
	enum key_type type;
	size_t offset; /* into struct config */
	unsigned min, max;
	unsigned def_uint; /* KT_UINT, and KT_ENUM's value */
	bool def_bool;
	const char *def_str;	     /* KT_STRING; NULL = unset */
	const char *const *def_list; /* KT_LIST, NULL-terminated; NULL = empty */
	const char *const *names;    /* KT_ENUM, indexed by value */
	size_t n_names;
	const char *const *choices; /* KT_STRING: the allowed values, NULL-terminated */
};

#define CONFIG_KEYS_MAX 128 /* room in the loader's per-key arrays */

extern const struct config_key config_keys[];
/* The actions of redact.fields by enum redact_action value. */
extern const char *const redact_action_names[];
extern const size_t config_n_keys;

#endif
