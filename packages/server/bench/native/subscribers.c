/*
 * The rates bench's subscribers, in C (bench/lib/native-subscribers.ts drives it):
 * many raw WebSocket / SSE / Socket.IO connections that note when each bench
 * event's bytes reach this process, as bench/lib/raw-socket.ts and deliveries.ts
 * do in Node. At 200 ev/s x 1,000 the Node clients used 85-95% of their core, half
 * of it in Node's read path, and a subscriber process that is itself saturated adds
 * its own queueing to every latency it measures; these use 35-55%, nearly all of it
 * the kernel's reads.
 *
 * Commands, one per line on stdin; one answer line each on stdout ("ok ..." or
 * "error <why>"):
 *   open <group> <kind> <port> <count> <token>  kind: hub-ws hub-sse floor-ws floor-sse socketio
 *   track <group> <prefix> <events>              time the events whose ids start with prefix
 *   collect <timeout-ms> <path>                  wait for all (or the timeout), write the
 *                                                arrivals (float64, subscriber x event, ms of
 *                                                CLOCK_MONOTONIC, 0 = never) to path; answers
 *                                                "ok <delivered> <user-us> <system-us> <wall-ms>"
 *   close <group>
 * Connections are opened one at a time with blocking handshakes, then read with
 * epoll. Every id is found once however the stream is cut: the last SPAN - 1 bytes
 * of each connection's stream are kept and read again in front of the next chunk.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>

#define MARKER "\"event_id\":\""
#define MARKER_LEN 12
#define ID_LEN 26
#define INDEX_CHARS 6
#define PREFIX_LEN (ID_LEN - INDEX_CHARS)
#define SPAN (MARKER_LEN + ID_LEN)
#define MAX_GROUPS 16
#define READ_SIZE (256 * 1024)

struct conn {
  int fd;
  int group;
  int index; /* within its group */
  int kept;  /* bytes of the stream's tail in carry */
  char carry[SPAN - 1];
};

struct group {
  char name[64];
  struct conn *conns;
  int count;
};

static struct group groups[MAX_GROUPS];
static int epfd;
static char buffer[SPAN - 1 + READ_SIZE];

/* What is being timed. */
static int tracked = -1;
static char prefix[PREFIX_LEN];
static long events;
static double *arrivals;
static long delivered;
static struct rusage usage_at_track;
static double wall_at_track;

static signed char digits[256];

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void answer(const char *text) {
  fputs(text, stdout);
  fputc('\n', stdout);
  fflush(stdout);
}

static int find_group(const char *name) {
  for (int g = 0; g < MAX_GROUPS; g++)
    if (groups[g].conns != NULL && strcmp(groups[g].name, name) == 0) return g;
  return -1;
}

static int write_all(int fd, const char *data, size_t length) {
  while (length > 0) {
    ssize_t n = write(fd, data, length);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    data += n;
    length -= (size_t)n;
  }
  return 0;
}

/* A text frame masked with a zero key (valid, and the payload goes as is). */
static int send_text(int fd, const char *text) {
  size_t length = strlen(text);
  unsigned char head[8] = {0x81, (unsigned char)(0x80 | length), 0, 0, 0, 0};
  if (length >= 126) return -1;
  if (write_all(fd, (const char *)head, 6) < 0) return -1;
  return write_all(fd, text, length);
}

/*
 * Reads (blocking, with the socket's receive timeout) until `marker` is in `seen`
 * after `*from`, then moves `*from` past it; keeps everything read in `seen`.
 */
static int wait_for(int fd, char *seen, size_t capacity, size_t *length, size_t *from, const char *marker) {
  size_t size = strlen(marker);
  for (;;) {
    char *hit = memmem(seen + *from, *length - *from, marker, size);
    if (hit != NULL) {
      *from = (size_t)(hit - seen) + size;
      return 0;
    }
    if (*length >= capacity) return -1;
    ssize_t n = read(fd, seen + *length, capacity - *length);
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      return -1;
    }
    *length += (size_t)n;
  }
}

/* Connects and completes the handshake of `kind`; the fd, or -1 with `why` set. */
static int open_one(const char *kind, int port, const char *token, const char **why) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return *why = "socket", -1;
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  struct timeval timeout = {.tv_sec = 20};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect(fd, (struct sockaddr *)&address, sizeof address) < 0) return close(fd), *why = "connect", -1;

  int ws = strcmp(kind, "hub-sse") != 0 && strcmp(kind, "floor-sse") != 0;
  int hub = strncmp(kind, "hub-", 4) == 0;
  const char *path = strcmp(kind, "hub-ws") == 0 ? "/api/v1/ws"
                     : strcmp(kind, "hub-sse") == 0 ? "/api/events"
                     : strcmp(kind, "socketio") == 0 ? "/socket.io/?EIO=4&transport=websocket"
                     : "/";
  char request[1024];
  int length = snprintf(request, sizeof request, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s%s%s%s\r\n", path,
                        ws ? "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                           : "Accept: text/event-stream\r\n",
                        hub ? "Authorization: Bearer " : "", hub ? token : "", hub ? "\r\n" : "");
  if (write_all(fd, request, (size_t)length) < 0) return close(fd), *why = "write", -1;

  char seen[8192];
  size_t got = 0, from = 0;
  if (wait_for(fd, seen, sizeof seen, &got, &from, "\r\n\r\n") < 0) return close(fd), *why = "no response head", -1;
  char *status_end = memmem(seen, got, "\r\n", 2);
  if (memmem(seen, (size_t)(status_end - seen), ws ? " 101 " : " 200 ", 5) == NULL) return close(fd), *why = "handshake refused", -1;
  int ok = 0;
  if (strcmp(kind, "hub-ws") == 0) {
    ok = send_text(fd, "{\"type\":\"subscribe\",\"sub\":\"s\"}") == 0 && wait_for(fd, seen, sizeof seen, &got, &from, "\"subscribed\"") == 0;
  } else if (strcmp(kind, "hub-sse") == 0) {
    ok = wait_for(fd, seen, sizeof seen, &got, &from, "event: ready") == 0;
  } else if (strcmp(kind, "socketio") == 0) {
    ok = wait_for(fd, seen, sizeof seen, &got, &from, "0{\"sid\"") == 0 && send_text(fd, "40") == 0 && wait_for(fd, seen, sizeof seen, &got, &from, "40{") == 0;
  } else {
    ok = 1;
  }
  if (!ok) return close(fd), *why = "subscription not confirmed", -1;
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  return fd;
}

static void open_group(const char *name, const char *kind, int port, int count, const char *token) {
  int g = -1;
  for (int candidate = 0; candidate < MAX_GROUPS && g < 0; candidate++)
    if (groups[candidate].conns == NULL) g = candidate;
  if (g < 0 || find_group(name) >= 0) return answer("error no room for the group, or it exists");
  struct conn *conns = calloc((size_t)count, sizeof *conns);
  for (int i = 0; i < count; i++) {
    const char *why = "";
    int fd = open_one(kind, port, token, &why);
    if (fd < 0) {
      char text[256];
      snprintf(text, sizeof text, "error connection %d of %s (%s): %s: %s", i, name, kind, why, strerror(errno));
      for (int j = 0; j < i; j++) close(conns[j].fd);
      free(conns);
      return answer(text);
    }
    conns[i] = (struct conn){.fd = fd, .group = g, .index = i};
    struct epoll_event event = {.events = EPOLLIN, .data.ptr = &conns[i]};
    epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &event);
  }
  snprintf(groups[g].name, sizeof groups[g].name, "%s", name);
  groups[g].conns = conns;
  groups[g].count = count;
  answer("ok");
}

static void close_group(const char *name) {
  int g = find_group(name);
  if (g >= 0) {
    for (int i = 0; i < groups[g].count; i++) close(groups[g].conns[i].fd); /* close also leaves epoll */
    free(groups[g].conns);
    groups[g].conns = NULL;
    if (tracked == g) tracked = -1;
  }
  answer("ok");
}

/* One id found at `id` in a chunk of `conn`'s stream. */
static void found(struct conn *conn, const char *id, double at) {
  if (memcmp(id, prefix, PREFIX_LEN) != 0) return;
  long index = 0;
  for (int k = PREFIX_LEN; k < ID_LEN; k++) {
    int digit = digits[(unsigned char)id[k]];
    if (digit < 0) return;
    index = index * 32 + digit;
  }
  if (index >= events) return;
  double *cell = &arrivals[(long)conn->index * events + index];
  if (*cell == 0) {
    *cell = at;
    delivered++;
  }
}

/* Reads what `conn` has; times the tracked events in it. */
static void read_conn(struct conn *conn) {
  int timed = conn->group == tracked;
  char *start = buffer + (SPAN - 1) - conn->kept;
  ssize_t n = read(conn->fd, buffer + (SPAN - 1), READ_SIZE);
  if (n <= 0) {
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    epoll_ctl(epfd, EPOLL_CTL_DEL, conn->fd, NULL);
    return;
  }
  if (!timed) return;
  double at = now_ms();
  memcpy(start, conn->carry, (size_t)conn->kept);
  size_t length = (size_t)conn->kept + (size_t)n;
  /* A marker wholly inside the kept tail was counted with the chunk before (the tail is shorter than SPAN). */
  for (char *hit = memmem(start, length, MARKER, MARKER_LEN); hit != NULL;
       hit = memmem(hit + 1, length - (size_t)(hit + 1 - start), MARKER, MARKER_LEN)) {
    if (hit + SPAN > start + length) break;
    found(conn, hit + MARKER_LEN, at);
  }
  int keep = length < SPAN - 1 ? (int)length : SPAN - 1;
  memcpy(conn->carry, start + length - keep, (size_t)keep);
  conn->kept = keep;
}

static void track(const char *name, const char *id_prefix, long count) {
  int g = find_group(name);
  if (g < 0 || strlen(id_prefix) != PREFIX_LEN || count <= 0) return answer("error unknown group or bad prefix");
  free(arrivals);
  arrivals = calloc((size_t)groups[g].count * (size_t)count, sizeof *arrivals);
  memcpy(prefix, id_prefix, PREFIX_LEN);
  events = count;
  delivered = 0;
  for (int i = 0; i < groups[g].count; i++) groups[g].conns[i].kept = 0;
  tracked = g;
  getrusage(RUSAGE_SELF, &usage_at_track);
  wall_at_track = now_ms();
  answer("ok");
}

static int poll_once(int timeout_ms) {
  struct epoll_event ready[1024];
  int n = epoll_wait(epfd, ready, 1024, timeout_ms);
  int command = 0;
  for (int i = 0; i < n; i++) {
    if (ready[i].data.ptr == NULL) command = 1;
    else read_conn(ready[i].data.ptr);
  }
  return command;
}

static long micros(struct timeval tv) { return tv.tv_sec * 1000000L + tv.tv_usec; }

static void collect(long timeout_ms, const char *path) {
  if (tracked < 0) return answer("error nothing tracked");
  long expected = (long)groups[tracked].count * events;
  double deadline = now_ms() + (double)timeout_ms;
  while (delivered < expected && now_ms() < deadline) poll_once(20);
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  double wall = now_ms() - wall_at_track;
  FILE *out = fopen(path, "wb");
  if (out == NULL || fwrite(arrivals, sizeof *arrivals, (size_t)expected, out) != (size_t)expected) {
    if (out != NULL) fclose(out);
    return answer("error could not write the arrivals");
  }
  fclose(out);
  tracked = -1;
  char text[256];
  snprintf(text, sizeof text, "ok %ld %ld %ld %.3f", delivered, micros(usage.ru_utime) - micros(usage_at_track.ru_utime),
           micros(usage.ru_stime) - micros(usage_at_track.ru_stime), wall);
  answer(text);
}

/* Runs every complete command line that stdin holds; 0 when stdin closed. */
static int commands(void) {
  static char line[4096];
  static size_t length;
  ssize_t n = read(0, line + length, sizeof line - 1 - length);
  if (n == 0) return 0;
  if (n < 0) return errno == EAGAIN || errno == EINTR;
  length += (size_t)n;
  char *newline;
  while ((newline = memchr(line, '\n', length)) != NULL) {
    *newline = 0;
    char verb[32] = "", a[128] = "", b[128] = "", e[256] = "";
    long c = 0, d = 0;
    sscanf(line, "%31s", verb);
    if (strcmp(verb, "open") == 0 && sscanf(line, "%*s %127s %127s %ld %ld %255s", a, b, &c, &d, e) == 5) open_group(a, b, (int)c, (int)d, e);
    else if (strcmp(verb, "track") == 0 && sscanf(line, "%*s %127s %127s %ld", a, b, &c) == 3) track(a, b, c);
    else if (strcmp(verb, "collect") == 0 && sscanf(line, "%*s %ld %255s", &c, e) == 2) collect(c, e);
    else if (strcmp(verb, "close") == 0 && sscanf(line, "%*s %127s", a) == 1) close_group(a);
    else answer("error unknown command");
    size_t used = (size_t)(newline + 1 - line);
    memmove(line, newline + 1, length - used);
    length -= used;
  }
  return 1;
}

int main(void) {
  const char *crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  memset(digits, -1, sizeof digits);
  for (int digit = 0; digit < 32; digit++) digits[(unsigned char)crockford[digit]] = (signed char)digit;
  struct rlimit files;
  if (getrlimit(RLIMIT_NOFILE, &files) == 0) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }
  epfd = epoll_create1(0);
  fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
  struct epoll_event input = {.events = EPOLLIN, .data.ptr = NULL};
  epoll_ctl(epfd, EPOLL_CTL_ADD, 0, &input);
  answer("ready");
  for (;;) {
    if (poll_once(-1) && !commands()) return 0;
  }
}
