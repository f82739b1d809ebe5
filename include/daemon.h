/* SPDX-License-Identifier: Apache-2.0 */
#ifndef IKELOGD_DAEMON_H
#define IKELOGD_DAEMON_H

/*
 * `ikelogd run`: loads config_path, builds source, pipeline and sink on
 * one sd-event loop and runs until SIGTERM/SIGINT (drain in-flight events
 * for limits.drain_timeout_ms, commit the position, exit 0) or the end of
 * a finite source. SIGHUP reloads configuration, rules and redaction key
 * (a bad new configuration keeps the old one); SIGUSR1 logs the counters.
 * Returns the process exit status.
 */
int daemon_run(const char *config_path);

#endif
