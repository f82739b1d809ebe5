/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What signing costs (make bench): events read as JSON lines (the output
 * of ikelogd normalize on the bench corpus) are encoded as RFC 5424
 * without and with signing, and the signed lines verified, CPU time on one
 * core. Prints "figure: NAME VALUE" lines:
 *   sign_ns_per_event            encode signed minus encode unsigned, no state file
 *   sign_state_ns_per_event      the same with a state file (written every 64 events
 *                                and at every epoch's end, fsync'd) in WORKDIR
 *   sign_bytes_per_event         signed message length minus unsigned, on average
 *   verify_events_per_s          ikelogd verify's engine with K(0) and the public key
 *   verify_public_events_per_s   public-only
 * usage: bench_sign EVENTS.jsonl WORKDIR [MAX_EVENTS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "encode.h"
#include "sign_keys.h"
#include "signer.h"
#include "verify.h"

static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct events {
	char **v;
	size_t *len, n;
};

static int load(const char *path, size_t max, struct events *ev)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	if (!f)
		return -1;
	ev->v = calloc(max, sizeof(char *));
	ev->len = calloc(max, sizeof(size_t));
	while (ev->n < max && (n = getline(&line, &cap, f)) > 1) {
		ev->v[ev->n] = strndup(line, (size_t)n - 1);
		ev->len[ev->n++] = (size_t)n - 1;
	}
	free(line);
	fclose(f);
	return ev->n ? 0 : -1;
}

/* Encodes every event; s NULL = unsigned. Keeps the lines in out when given. Returns bytes. */
static size_t encode_all(const struct events *ev, struct signer *s, char **out)
{
	struct encode_opts eo = {.facility = 10, .hostname = "gw1.example.net", .procid = 4242};
	static char buf[70000];
	size_t total = 0;

	for (size_t i = 0; i < ev->n; i++) {
		struct encode_input in = {.timestamp = "2026-12-06T01:00:00.000000Z",
					  .msgid = "ike_auth",
					  .event_id = "0123456789abcdef",
					  .severity = 6,
					  .msg = ev->v[i],
					  .msg_len = ev->len[i]};
		struct signer_call call;
		ssize_t n;

		signer_attach(&in, &call, s, i + 1);
		n = encode_rfc5424(&eo, &in, buf, sizeof(buf), NULL);
		if (n < 0) {
			fprintf(stderr, "bench_sign: encode failed\n");
			exit(1);
		}
		if (s)
			signer_delivered(s, i + 1);
		total += (size_t)n;
		if (out)
			out[i] = strndup(buf, (size_t)n);
	}
	return total;
}

static double verify_rate(char **lines, size_t n, const struct verify_opts *o)
{
	struct verify *v;
	double t0, t;

	if (verify_new(o, &v) < 0)
		exit(1);
	t0 = cpu_now();
	for (size_t i = 0; i < n; i++)
		verify_line(v, "bench", i + 1, lines[i], strlen(lines[i]));
	if (verify_finish(v, NULL) != 0)
		fprintf(stderr, "bench_sign: the verifier found problems (the stream is unfinished)\n");
	t = cpu_now() - t0;
	verify_free(v);
	return (double)n / t;
}

int main(int argc, char **argv)
{
	struct events ev = {0};
	struct signer_opts so = {.epoch_events = 10000, .pen = 32473};
	struct sign_keyfile sk, ak, pk;
	struct diags errs = {0};
	struct verify_opts vo = {.have_key = true, .have_pub = true};
	struct signer *s;
	char path[4096], state[4096], **lines;
	double t0, t_plain, t_signed, t_state;
	size_t b_plain, b_signed;

	if (argc < 3 || load(argv[1], argc > 3 ? strtoul(argv[3], NULL, 10) : 200000, &ev) < 0) {
		fprintf(stderr, "usage: bench_sign EVENTS.jsonl WORKDIR [MAX_EVENTS]\n");
		return 2;
	}
	if (sign_keys_generate(argv[2], &errs) < 0) {
		fprintf(stderr, "bench_sign: keygen in %s failed\n", argv[2]);
		return 1;
	}
	snprintf(path, sizeof(path), "%s/sign.key", argv[2]);
	sign_keys_read(path, SIGN_KEYFILE_SIGN, &sk, &errs);
	snprintf(path, sizeof(path), "%s/audit.key", argv[2]);
	sign_keys_read(path, SIGN_KEYFILE_AUDIT, &ak, &errs);
	snprintf(path, sizeof(path), "%s/audit.pub", argv[2]);
	sign_keys_read(path, SIGN_KEYFILE_PUB, &pk, &errs);
	memcpy(vo.k0, ak.k0, SIGN_KEY_LEN);
	memcpy(vo.sid, ak.sid, SIGN_SID_LEN);
	memcpy(vo.pub, pk.ed, SIGN_ED_LEN);

	t0 = cpu_now();
	b_plain = encode_all(&ev, NULL, NULL);
	t_plain = cpu_now() - t0;

	lines = calloc(ev.n, sizeof(char *));
	signer_new(&so, sk.sid, sk.k0, sk.ed, &s);
	t0 = cpu_now();
	b_signed = encode_all(&ev, s, NULL);
	t_signed = cpu_now() - t0;
	signer_free(s);

	/* Again, with the state file, keeping the lines for the verifier. */
	snprintf(path, sizeof(path), "%s/sign.key", argv[2]);
	snprintf(state, sizeof(state), "%s/sign.state", argv[2]);
	so.key_file = path;
	so.state_file = state;
	if (signer_open(&so, &s, &errs) < 0) {
		fprintf(stderr, "bench_sign: signer_open failed\n");
		return 1;
	}
	t0 = cpu_now();
	encode_all(&ev, s, lines);
	t_state = cpu_now() - t0;
	signer_free(s);

	printf("figure: sign_events %zu\n", ev.n);
	printf("figure: encode_unsigned_ns_per_event %.0f\n", t_plain / (double)ev.n * 1e9);
	printf("figure: sign_ns_per_event %.0f\n", (t_signed - t_plain) / (double)ev.n * 1e9);
	printf("figure: sign_state_ns_per_event %.0f\n", (t_state - t_plain) / (double)ev.n * 1e9);
	printf("figure: sign_bytes_per_event %.1f\n", (double)(b_signed - b_plain) / (double)ev.n);
	printf("figure: event_bytes_unsigned %.1f\n", (double)b_plain / (double)ev.n);
	printf("figure: verify_events_per_s %.0f\n", verify_rate(lines, ev.n, &vo));
	vo.have_key = false;
	printf("figure: verify_public_events_per_s %.0f\n", verify_rate(lines, ev.n, &vo));
	return 0;
}
