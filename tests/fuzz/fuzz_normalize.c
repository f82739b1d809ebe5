/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: one input is a few lines of pluto output; each goes
 * through envelope_parse, normalize_record, correlate_event and
 * event_json_render, whose output must be one valid JSON object. Rules:
 * conf/rules/libreswan.yaml when run from the repository, else a small
 * built-in table written to a temp file.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "config.h"
#include "config_stages.h"
#include "correlate.h"
#include "event.h"
#include "normalize.h"
#include "rules.h"
#include "stats.h"

static const char builtin_rules[] =
    "- id: ike_auth.established\n"
    "  event: ike_auth\n"
    "  result: success\n"
    "  scope: state\n"
    "  pattern: '^(?<role>initiator|responder) established IKE SA; authenticated peer using "
    "authby=(?<auth_method>\\S+) and (?<id_type>\\w+) ''(?<peer_id>[^'']*)'''\n"
    "- id: child.established\n"
    "  event: child_sa_create\n"
    "  result: success\n"
    "  scope: state\n"
    "  pattern: '^(?<role>initiator|responder) established Child SA using "
    "#(?<parent_serial>\\d+); IPsec (?<child_mode>\\w+) (?<ts>\\[.*\\]) (?<esp>\\{.*\\})$'\n"
    "  decode: { ts: traffic_selectors, esp: esp_block }\n"
    "- id: ike.rekeyed\n"
    "  event: ike_sa_rekey\n"
    "  result: success\n"
    "  scope: state\n"
    "  pattern: '^(?:initiator|responder) rekeyed IKE SA #(?<replaced_serial>\\d+) "
    "(?<algs>\\{.*\\})'\n"
    "  decode: { algs: brace_algs }\n"
    "- id: delete\n"
    "  event: ike_sa_delete\n"
    "  result: info\n"
    "  scope: state\n"
    "  pattern: '^deleting (?:state|IKE SA) \\((?<state_name>[^)]+)\\)'\n";

struct fuzz_ctx {
	struct config cfg;
	struct counters cnt;
	struct rules *rules;
	struct normalizer *norm;
	struct correlator *corr;
	struct event ev;
	struct event_json *w;
};

static struct fuzz_ctx *ctx;

static int setup(void)
{
	const char *path = "conf/rules/libreswan.yaml";
	char tmp[] = "/tmp/fuzz-rules-XXXXXX";
	struct diags errs = {.n = 0};
	struct pipeline_options po;
	int fd = -1, r;

	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		abort();
	config_defaults(&ctx->cfg);
	if (access(path, R_OK) != 0) {
		fd = mkstemp(tmp);
		if (fd < 0 || write(fd, builtin_rules, sizeof(builtin_rules) - 1) < 0)
			abort();
		close(fd);
		path = tmp;
	}
	r = rules_load(&path, 1, &ctx->rules, &errs);
	if (fd >= 0)
		unlink(tmp);
	if (r < 0) {
		char b[1024];

		for (size_t i = 0; i < errs.n; i++)
			fprintf(stderr, "%s\n", diag_format(&errs.v[i], b, sizeof(b)));
		abort();
	}
	/* A small arena and table, so that the limits are reached. */
	config_pipeline_options(&ctx->cfg, &po);
	if (normalizer_new(&po.norm, ctx->rules, &ctx->cnt, &ctx->norm) < 0 ||
	    correlator_new(16, "fuzz", &ctx->cnt, &ctx->corr) < 0 ||
	    event_init(&ctx->ev, 2 * 1024 + 4096) < 0 || event_json_new(&ctx->w) < 0)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;
	uint64_t seq = 0;

	if (!ctx)
		setup();
	ctx->cfg.source.keep_debug_lines = size > 0 && (data[0] & 1);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		struct envelope pre;
		char host[256];

		if (len > 1024)
			len = 1024;
		envelope_parse(p, len, 1700000000000000, &pre);
		if (pre.msg_off > len || pre.rest_off > len || pre.rest_off < pre.msg_off)
			abort();
		if ((pre.conn_name && pre.conn_name + pre.conn_name_len > p + len) ||
		    (pre.peer_ip && pre.peer_ip + pre.peer_ip_len > p + len))
			abort();
		if (pre.host) {
			if (pre.host < p || pre.host + pre.host_len > p + len ||
			    pre.host_len >= sizeof(host))
				abort();
			memcpy(host, pre.host, pre.host_len);
			host[pre.host_len] = '\0';
		}
		struct record rec = {.msg = p + pre.msg_off,
				     .len = len - pre.msg_off,
				     .realtime_usec = pre.realtime_usec,
				     .host = pre.host ? host : NULL,
				     .pid = pre.pid,
				     .priority = -1,
				     .seq = ++seq};

		event_reset(&ctx->ev);
		if (normalize_record(ctx->norm, &rec, &ctx->ev) == 1) {
			const char *js;
			size_t jl;

			correlate_event(ctx->corr, &ctx->ev);
			if (event_json_render(ctx->w, &ctx->ev, &js, &jl) == 0) {
				struct json_object *o = json_tokener_parse(js);

				if (!o || !json_object_is_type(o, json_type_object) ||
				    strlen(js) != jl)
					abort();
				json_object_put(o);
			}
		}
		p += (nl ? (size_t)(nl - p) + 1 : (size_t)(end - p));
	}
	return 0;
}
