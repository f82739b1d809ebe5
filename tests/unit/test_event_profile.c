/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "event.h"
#include "event_profile.h"

/*
 * The OCSF and ECS renderings of events the fixtures do not make (alerts,
 * event types no table names, an initiator's identity), checked member by
 * member against the mapping the issue and the schemas ask for. With
 * IKELOGD_PROFILE_SAMPLES=FILE each rendering is also appended to FILE as a
 * JSON line, for tests/profiles/validate --samples (make test-profiles).
 */

struct fx {
	struct event ev;
	struct event_profile *ocsf, *ecs, *native;
	FILE *samples;
};

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	const char *path = getenv("IKELOGD_PROFILE_SAMPLES");

	assert_non_null(fx);
	assert_int_equal(event_init(&fx->ev, 8192), 0);
	assert_int_equal(event_profile_new(&(struct profile_options){PROFILE_OCSF}, &fx->ocsf), 0);
	assert_int_equal(event_profile_new(&(struct profile_options){PROFILE_ECS}, &fx->ecs), 0);
	assert_int_equal(event_profile_new(&(struct profile_options){PROFILE_IKELOGD}, &fx->native),
			 0);
	if (path && *path)
		assert_non_null(fx->samples = fopen(path, "a"));
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	event_profile_free(fx->ocsf);
	event_profile_free(fx->ecs);
	event_profile_free(fx->native);
	event_profile_free(NULL);
	event_done(&fx->ev);
	if (fx->samples)
		fclose(fx->samples);
	free(fx);
	return 0;
}

static void set(struct event *ev, enum field f, const char *v)
{
	assert_int_equal(event_set_text(ev, f, v, strlen(v)), 0);
}

/* The common part of the test events: as a line of pluto's makes them. */
static void base(struct event *ev, const char *type, const char *result, const char *severity)
{
	event_reset(ev);
	set(ev, F_SCHEMA_VERSION, "1");
	set(ev, F_EVENT_ID, "0123456789abcdef");
	set(ev, F_TIMESTAMP, "2026-12-06T04:00:52.648163Z");
	set(ev, F_EVENT_TYPE, type);
	set(ev, F_RESULT, result);
	set(ev, F_SEVERITY, severity);
}

/* An IKE_AUTH failure seen on the initiator: ikelogd's host is the source side. */
static void auth_event(struct event *ev, bool with_identity)
{
	base(ev, "ike_auth", "failure", "err");
	set(ev, F_ROLE, "initiator");
	set(ev, F_LOCAL_IP, "192.0.2.1");
	set(ev, F_LOCAL_PORT, "500");
	set(ev, F_PEER_IP, "198.51.100.7");
	set(ev, F_PEER_PORT, "4500");
	set(ev, F_TRANSPORT, "UDP");
	set(ev, F_IKE_SA_ID, "5a5a5a5a5a5a5a5a");
	set(ev, F_AUTH_METHOD, "rsasig");
	set(ev, F_ENCR, "aes_gcm_16_256");
	set(ev, F_REASON, "AUTHENTICATION_FAILED");
	if (with_identity)
		set(ev, F_PEER_ID, "CN=road.example, O=Example");
}

/* Renders ev with w, appends it to the samples, returns the parsed object (caller puts). */
static struct json_object *render(struct fx *fx, struct event_profile *w)
{
	const char *s;
	size_t len;
	struct json_object *o;

	assert_int_equal(event_profile_render(w, &fx->ev, &s, &len), 0);
	assert_int_equal(strlen(s), len);
	if (fx->samples)
		fprintf(fx->samples, "%s\n", s);
	o = json_tokener_parse(s);
	assert_non_null(o);
	return o;
}

/* The member at a dotted path, or NULL. */
static struct json_object *at(struct json_object *o, const char *path)
{
	char buf[128], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *k = strtok_r(buf, ".", &save); k && o; k = strtok_r(NULL, ".", &save))
		if (!json_object_object_get_ex(o, k, &o))
			return NULL;
	return o;
}

static void expect_int(struct json_object *o, const char *path, int64_t want)
{
	struct json_object *v = at(o, path);

	if (!v)
		fail_msg("%s: missing", path);
	assert_true(json_object_is_type(v, json_type_int));
	assert_int_equal(json_object_get_int64(v), want);
}

static void expect_str(struct json_object *o, const char *path, const char *want)
{
	struct json_object *v = at(o, path);

	if (!v)
		fail_msg("%s: missing", path);
	assert_true(json_object_is_type(v, json_type_string));
	assert_string_equal(json_object_get_string(v), want);
}

/* The items of the array at path, joined with commas. */
static void expect_list(struct json_object *o, const char *path, const char *want)
{
	struct json_object *v = at(o, path);
	char got[256] = "";

	if (!v)
		fail_msg("%s: missing", path);
	assert_true(json_object_is_type(v, json_type_array));
	for (size_t i = 0; i < json_object_array_length(v); i++) {
		strcat(got, i ? "," : "");
		strcat(got, json_object_get_string(json_object_array_get_idx(v, i)));
	}
	assert_string_equal(got, want);
}

static void test_names(void **state)
{
	assert_int_equal(output_profile_lookup("ikelogd"), PROFILE_IKELOGD);
	assert_int_equal(output_profile_lookup("ocsf"), PROFILE_OCSF);
	assert_int_equal(output_profile_lookup("ecs"), PROFILE_ECS);
	assert_int_equal(output_profile_lookup("OCSF"), -EINVAL);
	assert_int_equal(output_profile_lookup(NULL), -EINVAL);
	assert_string_equal(output_profile_name(PROFILE_ECS), "ecs");
	assert_null(output_profile_name(PROFILE__MAX));
}

/* Authentication (3002) Logon, failed; the initiator's own address is src_endpoint. */
static void test_ocsf_authentication(void **state)
{
	struct fx *fx = *state;
	struct json_object *o;

	auth_event(&fx->ev, true);
	o = render(fx, fx->ocsf);
	expect_int(o, "class_uid", 3002);
	expect_int(o, "category_uid", 3);
	expect_int(o, "activity_id", 1);
	expect_int(o, "type_uid", 300201);
	expect_int(o, "status_id", 2);
	expect_int(o, "severity_id", 4); /* err: High */
	/* date -u -d 2026-12-06T04:00:52Z +%s is 1796529652, then .648 */
	expect_int(o, "time", INT64_C(1796529652648));
	expect_str(o, "metadata.version", "1.8.0");
	expect_str(o, "metadata.product.name", "ikelogd");
	expect_str(o, "metadata.uid", "0123456789abcdef");
	expect_str(o, "metadata.correlation_uid", "5a5a5a5a5a5a5a5a");
	expect_str(o, "metadata.event_code", "ike_auth");
	expect_str(o, "src_endpoint.ip", "192.0.2.1");
	expect_int(o, "src_endpoint.port", 500);
	expect_str(o, "dst_endpoint.ip", "198.51.100.7");
	expect_int(o, "dst_endpoint.port", 4500);
	expect_str(o, "user.uid", "CN=road.example, O=Example");
	expect_str(o, "auth_protocol", "rsasig");
	expect_int(o, "auth_protocol_id", 99);
	expect_str(o, "session.uid", "5a5a5a5a5a5a5a5a");
	expect_str(o, "status_detail", "AUTHENTICATION_FAILED");
	expect_str(o, "unmapped.transform.encr", "AES_GCM_16_256");
	expect_str(o, "unmapped.role", "initiator");
	assert_null(at(o, "transform"));
	assert_null(at(o, "schema_version"));
	assert_null(at(o, "unmapped.schema_version"));
	assert_null(at(o, "activity_name")); /* only for Other */
	json_object_put(o);
}

/* Without an identity Authentication's required user cannot be: Tunnel Activity, Open. */
static void test_ocsf_auth_without_identity(void **state)
{
	struct fx *fx = *state;
	struct json_object *o;

	auth_event(&fx->ev, false);
	o = render(fx, fx->ocsf);
	expect_int(o, "class_uid", 4014);
	expect_int(o, "category_uid", 4);
	expect_int(o, "type_uid", 401401);
	expect_str(o, "protocol_name", "IPsec");
	assert_null(at(o, "user"));
	assert_null(at(o, "auth_protocol"));
	expect_str(o, "unmapped.auth_method", "rsasig");
	json_object_put(o);
}

static void test_ecs_authentication(void **state)
{
	struct fx *fx = *state;
	struct json_object *o;

	auth_event(&fx->ev, true);
	o = render(fx, fx->ecs);
	expect_str(o, "@timestamp", "2026-12-06T04:00:52.648163Z");
	expect_str(o, "ecs.version", "9.4.0");
	expect_str(o, "event.kind", "event");
	expect_list(o, "event.category", "authentication,network");
	expect_list(o, "event.type", "start");
	expect_str(o, "event.outcome", "failure");
	expect_str(o, "event.action", "ike_auth");
	expect_str(o, "event.id", "0123456789abcdef");
	expect_int(o, "event.severity", 3); /* err, RFC 5424 */
	expect_str(o, "log.level", "err");
	expect_str(o, "source.ip", "192.0.2.1");
	expect_int(o, "source.port", 500);
	expect_str(o, "destination.ip", "198.51.100.7");
	expect_int(o, "destination.port", 4500);
	expect_str(o, "network.transport", "udp");
	expect_list(o, "related.ip", "198.51.100.7,192.0.2.1");
	expect_str(o, "user.id", "CN=road.example, O=Example");
	expect_list(o, "related.user", "CN=road.example, O=Example");
	expect_str(o, "ikelogd.transform.encr", "AES_GCM_16_256");
	expect_str(o, "ikelogd.ike_sa_id", "5a5a5a5a5a5a5a5a");
	assert_null(at(o, "transform"));
	assert_null(at(o, "ikelogd.peer_ip")); /* mapped, so not repeated */
	json_object_put(o);
}

/* A responder's event: the peer is the source side. */
static void test_responder_sides(void **state)
{
	struct fx *fx = *state;
	struct json_object *o;

	auth_event(&fx->ev, true);
	set(&fx->ev, F_ROLE, "responder");
	o = render(fx, fx->ocsf);
	expect_str(o, "src_endpoint.ip", "198.51.100.7");
	expect_str(o, "dst_endpoint.ip", "192.0.2.1");
	json_object_put(o);
	o = render(fx, fx->ecs);
	expect_str(o, "source.ip", "198.51.100.7");
	expect_int(o, "destination.port", 500);
	json_object_put(o);
}

/* An alert of the detections: Detection Finding (2004), Create, status New. */
static void test_alert(void **state)
{
	struct fx *fx = *state;
	struct json_object *o;

	base(&fx->ev, "alert", "info", "warning");
	set(&fx->ev, F_PEER_IP, "203.0.113.9");
	o = render(fx, fx->ocsf);
	expect_int(o, "class_uid", 2004);
	expect_int(o, "category_uid", 2);
	expect_int(o, "type_uid", 200401);
	expect_int(o, "status_id", 1);
	expect_int(o, "severity_id", 3);
	expect_str(o, "finding_info.uid", "0123456789abcdef");
	assert_true(json_object_get_boolean(at(o, "is_alert")));
	/* Detection Finding has no endpoints of its own */
	expect_str(o, "unmapped.peer_ip", "203.0.113.9");
	assert_null(at(o, "src_endpoint"));
	json_object_put(o);
	o = render(fx, fx->ecs);
	expect_str(o, "event.kind", "alert");
	expect_str(o, "event.outcome", "unknown");
	expect_str(o, "source.ip", "203.0.113.9");
	json_object_put(o);
}

/* An event_type no table names: Base Event (0), Other, everything else unmapped. */
static void test_unknown_type(void **state)
{
	struct fx *fx = *state;
	struct json_object *o;

	base(&fx->ev, "brand_new_type", "success", "info");
	set(&fx->ev, F_PEER_IP, "2001:db8::1");
	set(&fx->ev, F_CONN_NAME, "x\"y\xff");
	o = render(fx, fx->ocsf);
	expect_int(o, "class_uid", 0);
	expect_int(o, "category_uid", 0);
	expect_int(o, "activity_id", 99);
	expect_int(o, "type_uid", 99);
	expect_str(o, "activity_name", "brand_new_type");
	expect_int(o, "status_id", 1);
	expect_str(o, "unmapped.peer_ip", "2001:db8::1");
	expect_str(o, "unmapped.conn_name", "x\"y\xef\xbf\xbd"); /* invalid byte: U+FFFD */
	json_object_put(o);
	o = render(fx, fx->ecs);
	expect_str(o, "event.kind", "event");
	assert_null(at(o, "event.category"));
	expect_str(o, "event.outcome", "success");
	expect_str(o, "ikelogd.conn_name", "x\"y\xef\xbf\xbd");
	json_object_put(o);
}

/* pluto's start: Application Lifecycle (6002), Start. */
static void test_daemon_start(void **state)
{
	struct fx *fx = *state;
	struct json_object *o;

	base(&fx->ev, "daemon_start", "info", "info");
	set(&fx->ev, F_PLATFORM_VERSION, "4.10");
	set(&fx->ev, F_PLATFORM_PID, "3255");
	o = render(fx, fx->ocsf);
	expect_int(o, "class_uid", 6002);
	expect_int(o, "type_uid", 600203);
	expect_str(o, "app.name", "pluto");
	expect_str(o, "app.version", "4.10");
	expect_int(o, "status_id", 0);
	expect_int(o, "unmapped.platform.pid", 3255);
	json_object_put(o);
	o = render(fx, fx->ecs);
	expect_list(o, "event.category", "process");
	expect_list(o, "event.type", "start");
	expect_int(o, "process.pid", 3255);
	json_object_put(o);
}

/* The ikelogd profile is event_json_render's output, byte for byte. */
static void test_native(void **state)
{
	struct fx *fx = *state;
	struct event_json *w;
	const char *a, *b;
	size_t la, lb;

	auth_event(&fx->ev, true);
	assert_int_equal(event_json_new(&w), 0);
	assert_int_equal(event_json_render(w, &fx->ev, &a, &la), 0);
	assert_int_equal(event_profile_render(fx->native, &fx->ev, &b, &lb), 0);
	assert_int_equal(la, lb);
	assert_memory_equal(a, b, la);
	assert_null(event_profile_extras(fx->native));
	assert_string_equal(event_profile_extras(fx->ocsf), "unmapped");
	assert_string_equal(event_profile_extras(fx->ecs), "ikelogd");
	event_json_free(w);
}

/* No timestamp: the record's clock gives OCSF's required time. */
static void test_time_from_record(void **state)
{
	struct fx *fx = *state;
	struct record rec = {.realtime_usec = UINT64_C(1796529652648999)};
	struct json_object *o;

	base(&fx->ev, "dpd", "info", "info");
	event_unset(&fx->ev, F_TIMESTAMP);
	fx->ev.rec = &rec;
	o = render(fx, fx->ocsf);
	expect_int(o, "time", INT64_C(1796529652648));
	expect_int(o, "type_uid", 401499);
	json_object_put(o);
	fx->ev.rec = NULL;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_names),
	    cmocka_unit_test_setup_teardown(test_ocsf_authentication, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ocsf_auth_without_identity, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ecs_authentication, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_responder_sides, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_alert, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unknown_type, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_daemon_start, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_native, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_time_from_record, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
