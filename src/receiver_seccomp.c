/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The receiver child's seccomp filter (libseccomp): once its sockets,
 * event loop, TLS context and time zone are set up, it needs to read and
 * write descriptors it already has, accept connections, wait, tell the
 * time, get memory and randomness, and exit. Nothing else: no open, no
 * socket, connect or bind, no exec, no ptrace, no executable memory. Any
 * other call kills the process, which the parent counts and restarts.
 */
#include <errno.h>
#include <sys/mman.h>

#include <seccomp.h>

#include "receiver.h"

int receiver_seccomp(void)
{
	static const int allow[] = {
	    /* descriptors handed over or accepted */
	    SCMP_SYS(read),
	    SCMP_SYS(readv),
	    SCMP_SYS(write),
	    SCMP_SYS(writev),
	    SCMP_SYS(recvfrom),
	    SCMP_SYS(recvmsg),
	    SCMP_SYS(sendto),
	    SCMP_SYS(sendmsg),
	    SCMP_SYS(accept),
	    SCMP_SYS(accept4),
	    SCMP_SYS(shutdown),
	    SCMP_SYS(close),
	    SCMP_SYS(fcntl),
	    SCMP_SYS(getsockopt),
	    SCMP_SYS(setsockopt), /* keepalive on accepted connections */
	    SCMP_SYS(getsockname),
	    SCMP_SYS(getpeername),
	    SCMP_SYS(fstat),
	    SCMP_SYS(newfstatat),
	    /* the event loop: epoll, its timers, the SIGTERM signalfd */
	    SCMP_SYS(epoll_wait),
	    SCMP_SYS(epoll_pwait),
	    SCMP_SYS(epoll_pwait2),
	    SCMP_SYS(epoll_ctl),
	    SCMP_SYS(poll),
	    SCMP_SYS(ppoll),
	    SCMP_SYS(timerfd_settime),
	    SCMP_SYS(timerfd_gettime),
	    SCMP_SYS(clock_gettime),
	    SCMP_SYS(gettimeofday),
	    SCMP_SYS(rt_sigprocmask),
	    SCMP_SYS(rt_sigreturn),
	    SCMP_SYS(getpid),
	    SCMP_SYS(gettid),
	    /* memory, randomness (OpenSSL), leaving */
	    SCMP_SYS(brk),
	    SCMP_SYS(munmap),
	    SCMP_SYS(mremap),
	    SCMP_SYS(madvise),
	    SCMP_SYS(futex),
	    SCMP_SYS(getrandom),
	    SCMP_SYS(exit),
	    SCMP_SYS(exit_group),
	};
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	int r;

	if (!ctx)
		return -ENOMEM;
	/* A call this architecture does not have cannot be allowed: stricter, never wider. */
	for (size_t i = 0; i < sizeof(allow) / sizeof(allow[0]); i++)
		(void)seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allow[i], 0);
	/* Memory, never executable. */
	r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
			     SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
				     SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	if (r == 0)
		r = seccomp_load(ctx);
	seccomp_release(ctx);
	return r;
}
