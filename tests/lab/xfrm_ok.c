// SPDX-License-Identifier: Apache-2.0
/*
 * xfrm_ok.so: preloaded into the lab's plutos (tests/lab/lab.sh). The lab
 * kernel has XFRM but no ESP/AH, so every XFRM_MSG_NEWSA is answered with
 * ENOSYS and pluto tears the Child SA down. This shim watches the
 * NETLINK_XFRM sockets the process creates and, in the kernel's answers,
 * turns the NLMSG_ERROR of NEWSA, UPDSA and DELSA requests into an ACK
 * (error 0), and answers an XFRM_MSG_GETSA for such an SA with an idle SA
 * (zero bytes), so pluto carries on and logs what it logs on a real gateway.
 * Nothing else is touched: other sockets, other netlink families and other
 * XFRM requests (policies, SPI allocation) reach pluto as the kernel sent
 * them. No traffic flows; only the logs matter.
 *
 * pluto 4.10 reads its netlink answers with recvfrom() (strace -e recvfrom
 * shows the NLMSG_ERROR with -ENOSYS for each NEWSA); recv(), recvmsg() and
 * read() are covered too.
 *
 * While the file named by $XFRM_OK_OFF exists, the shim passes every answer
 * through unchanged (the lab's one scenario that keeps the real failure).
 */
#include <dlfcn.h>
#include <errno.h>
#include <linux/netlink.h>
#include <linux/xfrm.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

enum { XFRM_OK_MAX_FD = 4096 };

/* Which descriptors are NETLINK_XFRM sockets; one flag per fd. */
static atomic_uchar xfrm_fds[XFRM_OK_MAX_FD];

static void *next_fn(const char *name)
{
	return dlsym(RTLD_NEXT, name);
}

static int is_xfrm_fd(int fd)
{
	return fd >= 0 && fd < XFRM_OK_MAX_FD && atomic_load(&xfrm_fds[fd]);
}

static int switched_off(void)
{
	const char *off = getenv("XFRM_OK_OFF");

	return off && *off && access(off, F_OK) == 0;
}

static int is_sa_request(__u16 type)
{
	return type == XFRM_MSG_NEWSA || type == XFRM_MSG_UPDSA || type == XFRM_MSG_DELSA;
}

/*
 * The answer to an XFRM_MSG_GETSA for an SA the shim pretended to install:
 * the SA with zero traffic, added now, replacing the kernel's ESRCH, so
 * pluto's traffic counters read 0 bytes as they would on a quiet tunnel.
 */
static size_t fake_getsa_answer(struct nlmsghdr *nh, size_t cap)
{
	struct nlmsgerr *err = NLMSG_DATA(nh);
	struct xfrm_usersa_id id = {0};
	struct xfrm_usersa_info info;
	size_t need = NLMSG_LENGTH(sizeof(info));
	__u32 seq = nh->nlmsg_seq, pid = nh->nlmsg_pid;

	if (cap < need || nh->nlmsg_len < NLMSG_LENGTH(sizeof(*err)) + sizeof(id))
		return 0;
	memcpy(&id, (char *)(err + 1), sizeof(id));
	memset(&info, 0, sizeof(info));
	memcpy(&info.id.daddr, &id.daddr, sizeof(info.id.daddr));
	info.id.spi = id.spi;
	info.id.proto = id.proto;
	info.family = id.family;
	info.sel.family = id.family;
	info.lft.soft_byte_limit = XFRM_INF;
	info.lft.hard_byte_limit = XFRM_INF;
	info.lft.soft_packet_limit = XFRM_INF;
	info.lft.hard_packet_limit = XFRM_INF;
	info.curlft.add_time = (__u64)time(NULL);
	info.mode = XFRM_MODE_TUNNEL;
	memset(nh, 0, need);
	nh->nlmsg_len = (__u32)need;
	nh->nlmsg_type = XFRM_MSG_NEWSA;
	nh->nlmsg_seq = seq;
	nh->nlmsg_pid = pid;
	memcpy(NLMSG_DATA(nh), &info, sizeof(info));
	return need;
}

/*
 * Rewrites the answers in buf[0..len) in place (cap is the buffer's size);
 * returns the new length.
 */
static size_t fix_answers(void *buf, size_t len, size_t cap)
{
	struct nlmsghdr *nh = buf;
	int left = len > (size_t)0x7fffffff ? 0x7fffffff : (int)len;

	if (switched_off())
		return len;
	for (; NLMSG_OK(nh, left); nh = NLMSG_NEXT(nh, left)) {
		struct nlmsgerr *err;

		if (nh->nlmsg_type != NLMSG_ERROR || nh->nlmsg_len < NLMSG_LENGTH(sizeof(*err)))
			continue;
		err = NLMSG_DATA(nh);
		if (err->error != 0 && is_sa_request(err->msg.nlmsg_type))
			err->error = 0;
		else if (err->error == -ESRCH && err->msg.nlmsg_type == XFRM_MSG_GETSA &&
			 (void *)nh == buf && nh->nlmsg_len == len) {
			size_t n = fake_getsa_answer(nh, cap);

			return n ? n : len;
		}
	}
	return len;
}

int socket(int domain, int type, int protocol)
{
	int (*real)(int, int, int) = next_fn("socket");
	int fd = real(domain, type, protocol);

	if (fd >= 0 && fd < XFRM_OK_MAX_FD)
		atomic_store(&xfrm_fds[fd], domain == AF_NETLINK && protocol == NETLINK_XFRM);
	return fd;
}

int close(int fd)
{
	int (*real)(int) = next_fn("close");

	if (fd >= 0 && fd < XFRM_OK_MAX_FD)
		atomic_store(&xfrm_fds[fd], 0);
	return real(fd);
}

ssize_t recv(int fd, void *buf, size_t len, int flags)
{
	ssize_t (*real)(int, void *, size_t, int) = next_fn("recv");
	ssize_t n = real(fd, buf, len, flags);

	if (n > 0 && (size_t)n <= len && is_xfrm_fd(fd))
		n = (ssize_t)fix_answers(buf, (size_t)n, len);
	return n;
}

ssize_t recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *addr, socklen_t *alen)
{
	ssize_t (*real)(int, void *, size_t, int, struct sockaddr *, socklen_t *) =
	    next_fn("recvfrom");
	ssize_t n = real(fd, buf, len, flags, addr, alen);

	if (n > 0 && (size_t)n <= len && is_xfrm_fd(fd))
		n = (ssize_t)fix_answers(buf, (size_t)n, len);
	return n;
}

ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
	ssize_t (*real)(int, struct msghdr *, int) = next_fn("recvmsg");
	ssize_t n = real(fd, msg, flags);

	/* Netlink answers arrive in one buffer; pluto passes one iovec. */
	if (n > 0 && is_xfrm_fd(fd) && msg->msg_iovlen == 1 && (size_t)n <= msg->msg_iov[0].iov_len)
		n = (ssize_t)fix_answers(msg->msg_iov[0].iov_base, (size_t)n,
					 msg->msg_iov[0].iov_len);
	return n;
}

ssize_t read(int fd, void *buf, size_t len)
{
	ssize_t (*real)(int, void *, size_t) = next_fn("read");
	ssize_t n = real(fd, buf, len);

	if (n > 0 && (size_t)n <= len && is_xfrm_fd(fd))
		n = (ssize_t)fix_answers(buf, (size_t)n, len);
	return n;
}
