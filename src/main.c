/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The command line: run (the daemon), check, test-rules, normalize. Only
 * wiring: each subcommand builds the same pipeline the daemon runs.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "daemon.h"
#include "event.h"
#include "log.h"
#include "normalize.h"
#include "pipeline.h"
#include "receiver.h"
#include "rules.h"
#include "sink.h"
#include "source.h"
#include "tools.h"
#include "util.h"

#ifndef IKELOGD_VERSION
#error "IKELOGD_VERSION comes from debian/changelog, through the Makefile"
#endif

#define DEFAULT_CONFIG SYSCONFDIR "/ikelogd/ikelogd.yaml"

static void usage(FILE *f)
{
	fputs(
	    "usage: ikelogd [run] [-c FILE]          run the daemon (default config " DEFAULT_CONFIG
	    ")\n"
	    "       ikelogd check -c FILE            validate config, rules and redaction; "
	    "exit 1 with FILE:LINE:COL errors\n"
	    "       ikelogd test-rules [-c FILE] [RULES...]\n"
	    "                                        run the examples of the rule files\n"
	    "       ikelogd normalize [-c FILE] [--stats] [--no-prefilter] [--summary] "
	    "[--detect] [--profile ikelogd|ocsf|ecs]\n"
	    "                         [--journal-file F] [--status F] [FILE...|-]\n"
	    "                                        print one JSON event per input line\n"
	    "       ikelogd keygen DIR               make DIR/sign.key, DIR/audit.key, "
	    "DIR/audit.pub\n"
	    "       ikelogd verify [--key audit.key] [--pubkey audit.pub] FILE...\n"
	    "                                        verify signed events a collector wrote\n"
	    "       ikelogd pseudonym [-c FILE] [--field NAME] VALUE...\n"
	    "                                        the pseudonym of each identity (needs the key; "
	    "logged)\n"
	    "       ikelogd --version | --help\n",
	    f);
}

struct opts {
	const char *config;
	bool stats;
	bool no_prefilter;
	bool summary;
	bool detect;
	const char *journal_file;
	const char *status_file;
	const char *profile;
	const char *key, *pubkey;
	const char *field;
	char **args;
	int n_args;
};

static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"stats", no_argument, NULL, 's'},
	    {"no-prefilter", no_argument, NULL, 'P'},
	    {"summary", no_argument, NULL, 'S'},
	    {"detect", no_argument, NULL, 'D'},
	    {"journal-file", required_argument, NULL, 'J'},
	    {"status", required_argument, NULL, 'T'},
	    {"profile", required_argument, NULL, 'O'},
	    {"key", required_argument, NULL, 'K'},
	    {"pubkey", required_argument, NULL, 'p'},
	    {"field", required_argument, NULL, 'F'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->config = optarg;
			break;
		case 's':
			o->stats = true;
			break;
		case 'P':
			o->no_prefilter = true;
			break;
		case 'S':
			o->summary = true;
			break;
		case 'D':
			o->detect = true;
			break;
		case 'J':
			o->journal_file = optarg;
			break;
		case 'T':
			o->status_file = optarg;
			break;
		case 'O':
			o->profile = optarg;
			break;
		case 'K':
			o->key = optarg;
			break;
		case 'p':
			o->pubkey = optarg;
			break;
		case 'F':
			o->field = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	o->args = argv + optind;
	o->n_args = argc - optind;
	return 0;
}

int main(int argc, char **argv)
{
	const char *cmd = "run";
	struct opts o = {0};

	/*
	 * Not for users: the daemon's syslog receiver, exec'd by the daemon
	 * with the socketpair and the listening sockets (receiver.h).
	 */
	if (argc == 2 && strcmp(argv[1], RECEIVER_CHILD_ARG) == 0)
		return receiver_main();
	if (argc > 1 && argv[1][0] != '-') {
		cmd = argv[1];
		argc--;
		argv++;
	} else if (argc > 1 && strcmp(argv[1], "--version") == 0) {
		printf("ikelogd %s\n", IKELOGD_VERSION);
		return 0;
	}
	if (parse_opts(argc, argv, &o) < 0)
		return 2;
	if (strcmp(cmd, "run") == 0) {
		util_heap_setup();
		return daemon_run(o.config ? o.config : DEFAULT_CONFIG);
	}
	if (strcmp(cmd, "check") == 0)
		return tools_check(o.config ? o.config : DEFAULT_CONFIG);
	if (strcmp(cmd, "test-rules") == 0)
		return tools_test_rules(o.config, (const char *const *)o.args, (size_t)o.n_args);
	if (strcmp(cmd, "normalize") == 0)
		return tools_normalize(
		    o.config, (const char *const *)o.args, (size_t)o.n_args,
		    &(struct tools_normalize_opts){.stats = o.stats,
						   .no_prefilter = o.no_prefilter,
						   .summary = o.summary,
						   .detect = o.detect,
						   .journal_file = o.journal_file,
						   .status_file = o.status_file,
						   .profile = o.profile});
	if (strcmp(cmd, "pseudonym") == 0)
		return tools_pseudonym(o.config ? o.config : DEFAULT_CONFIG,
				       o.field ? o.field : "peer_id", (const char *const *)o.args,
				       (size_t)o.n_args);
	if (strcmp(cmd, "keygen") == 0)
		return tools_keygen(o.n_args == 1 ? o.args[0] : NULL);
	if (strcmp(cmd, "verify") == 0)
		return tools_verify(o.key, o.pubkey, (const char *const *)o.args, (size_t)o.n_args);
	fprintf(stderr, "ikelogd: unknown command '%s'\n", cmd);
	usage(stderr);
	return 2;
}
