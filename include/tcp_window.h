/* SPDX-License-Identifier: Apache-2.0 */
#ifndef IKELOGD_TCP_WINDOW_H
#define IKELOGD_TCP_WINDOW_H

#include <stdint.h>

/*
 * The receive window the peer of TCP socket fd advertised last (TCP_INFO's
 * tcpi_snd_wnd, Linux 5.19 and later), in bytes. Returns 0, or
 * -EOPNOTSUPP when the kernel does not report it, or another -errno.
 */
int tcp_peer_window(int fd, uint32_t *ret);

#endif
