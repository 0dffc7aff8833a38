// Linux calls Swift's Glibc module lacks, or that need macros: epoll, eventfd,
// accept4, thread names, CPU affinity, a pseudo-terminal, malloc_trim. For the device gateway
// (Sources/PlatformServer/DeviceGateway.swift), the network thread and the bench. epoll's event struct
// is packed, so the gateway sees only these plain functions.
#ifndef OPSDECK_CLINUX_SHIM_H
#define OPSDECK_CLINUX_SHIM_H

// No _GNU_SOURCE here: it changes how glibc's headers define shared types (fd_set's
// member is named differently), and a module that sees both definitions fails to build.
// What needs it is declared or reached by hand below.
#include <errno.h>
#include <malloc.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>
#include <pty.h>

enum {
    OPSDECK_EV_IN = EPOLLIN,
    OPSDECK_EV_OUT = EPOLLOUT,
    OPSDECK_EV_ERR = EPOLLERR,
    OPSDECK_EV_HUP = EPOLLHUP,
    OPSDECK_EV_RDHUP = EPOLLRDHUP,
};

static inline int opsdeck_epoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }

/// Adds `fd` with `events`, or changes its events when `modify` is non-zero.
static inline int opsdeck_epoll_watch(int epoll, int fd, uint32_t events, int modify) {
    struct epoll_event event;
    memset(&event, 0, sizeof event);
    event.events = events;
    event.data.fd = fd;
    return epoll_ctl(epoll, modify ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &event);
}

static inline int opsdeck_epoll_forget(int epoll, int fd) { return epoll_ctl(epoll, EPOLL_CTL_DEL, fd, NULL); }

/// Waits for at most `capacity` (≤ 512) events; fills `fds` and `events` side by side.
static inline int opsdeck_epoll_wait(int epoll, int *fds, uint32_t *events, int capacity, int timeout_ms) {
    struct epoll_event ready[512];
    if (capacity > 512) capacity = 512;
    int count = epoll_wait(epoll, ready, capacity, timeout_ms);
    for (int i = 0; i < count; i++) {
        fds[i] = ready[i].data.fd;
        events[i] = ready[i].events;
    }
    return count;
}

static inline int opsdeck_eventfd(void) { return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }

static inline void opsdeck_eventfd_signal(int fd) {
    uint64_t one = 1;
    ssize_t written = write(fd, &one, sizeof one);
    (void)written;
}

extern int accept4(int fd, struct sockaddr *address, socklen_t *length, int flags);

/// A non-blocking connection with Nagle off, or -1 (errno says why; EAGAIN: none waiting).
static inline int opsdeck_accept(int listener) {
    int fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
        int yes = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
    }
    return fd;
}

/// A non-blocking listening socket on host:port (numeric or a name). No SO_REUSEPORT:
/// a second server on a port in use must fail, not quietly share it. Returns the fd, or
/// -errno (or -EADDRNOTAVAIL when the host does not resolve).
static inline int opsdeck_listen(const char *host, int port, int backlog) {
    struct addrinfo hints, *found = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    char service[16];
    snprintf(service, sizeof service, "%d", port);
    if (getaddrinfo(host, service, &hints, &found) != 0 || found == NULL) return -EADDRNOTAVAIL;
    int result = -EADDRNOTAVAIL;
    for (struct addrinfo *candidate = found; candidate != NULL; candidate = candidate->ai_next) {
        int fd = socket(candidate->ai_family, candidate->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, candidate->ai_protocol);
        if (fd < 0) { result = -errno; continue; }
        int yes = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
        if (bind(fd, candidate->ai_addr, candidate->ai_addrlen) == 0 && listen(fd, backlog) == 0) {
            result = fd;
            break;
        }
        result = -errno;
        close(fd);
    }
    freeaddrinfo(found);
    return result;
}

/// Names the calling thread (15 characters at most), as `ps -L` and `top -H` show it.
static inline void opsdeck_name_thread(const char *name) { prctl(PR_SET_NAME, name, 0, 0, 0); }

/// Keeps the calling thread on `cpu` (or, with -1, lets it run on any): for a bench
/// whose load generator must not take turns on a core with the server it measures.
static inline int opsdeck_pin_thread(int cpu) {
    unsigned long mask[16];
    memset(mask, 0, sizeof mask);
    long count = sysconf(_SC_NPROCESSORS_ONLN);
    const long bits = 8 * sizeof mask[0];
    for (long i = 0; i < count && i < 16 * bits; i++) {
        if (cpu < 0 || i == cpu) mask[i / bits] |= 1UL << (i % bits);
    }
    return (int)syscall(SYS_sched_setaffinity, 0, sizeof mask, mask);
}

/// The port a socket is bound to, or -1.
static inline int opsdeck_local_port(int fd) {
    struct sockaddr_storage address;
    socklen_t length = sizeof address;
    if (getsockname(fd, (struct sockaddr *)&address, &length) != 0) return -1;
    if (address.ss_family == AF_INET) return ntohs(((struct sockaddr_in *)&address)->sin_port);
    if (address.ss_family == AF_INET6) return ntohs(((struct sockaddr_in6 *)&address)->sin6_port);
    return -1;
}

/// Starts `path` on a new pseudo-terminal of `columns` x `rows` and returns its pid
/// (-1 on failure); `*terminal` is the controlling side. The child only calls execve
/// (nothing else is safe after fork in a threaded process). For the bench's console runs.
static inline int opsdeck_spawn_on_pty(int *terminal, const char *path, char *const argv[], char *const envp[],
                                       unsigned short columns, unsigned short rows) {
    struct winsize size = { .ws_row = rows, .ws_col = columns };
    int pid = forkpty(terminal, NULL, NULL, &size);
    if (pid == 0) {
        execve(path, argv, envp);
        _exit(127);
    }
    return pid;
}

#endif
