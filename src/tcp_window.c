/* SPDX-License-Identifier: Apache-2.0 */
/*
 * In a file of its own: glibc's struct tcp_info (netinet/tcp.h) stops
 * before tcpi_snd_wnd, and the kernel's (linux/tcp.h) cannot be included
 * beside it.
 */
#include <errno.h>
#include <stddef.h>
#include <sys/socket.h>

#include <linux/tcp.h>

#include "tcp_window.h"

#ifndef SOL_TCP
#define SOL_TCP 6
#endif

int tcp_peer_window(int fd, uint32_t *ret)
{
	struct tcp_info ti = {0};
	socklen_t len = sizeof(ti);

	if (getsockopt(fd, SOL_TCP, TCP_INFO, &ti, &len) < 0)
		return -errno;
	if (len < offsetof(struct tcp_info, tcpi_snd_wnd) + sizeof(ti.tcpi_snd_wnd))
		return -EOPNOTSUPP;
	*ret = ti.tcpi_snd_wnd;
	return 0;
}
