/*
 * udp_batch: a UDP socket that reads and writes datagrams in batches with
 * recvmmsg/sendmmsg and calls JavaScript once per batch over shared buffers.
 *
 * Why: node:dgram pays a recvmsg and a sendmsg syscall, a 64 KiB allocation,
 * an address object and a JS callback for every datagram; for a DNS responder
 * that is about half of what a C server does per core. Here one readable event
 * costs one recvmmsg, one JS call and one sendmmsg for up to `batch` datagrams.
 *
 * Layout shared with JS (all created once, valid until close):
 *   rx    ArrayBuffer batch*slotSize, datagram i at i*slotSize
 *   rxLen Int32Array(batch): length of datagram i, -1 if it was truncated
 *   peer  Uint8Array(batch*20): at i*20: family (4|6), 0, port (big-endian),
 *         address (4 or 16 bytes), zero padding
 *   tx    ArrayBuffer batch*slotSize, reply i at i*slotSize
 *   txLen Int32Array(batch): zeroed before each onBatch; > 0 sends reply i
 *         to the peer datagram i came from
 * Linux only (recvmmsg/sendmmsg); binding.gyp builds it nowhere else.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <node_api.h>
#include <uv.h>

#define PEER_STRIDE 20
#define MAX_BATCH 1024       /* UIO_MAXIOV: the most sendmmsg/recvmmsg take */
#define MAX_SLOT 65536       /* the largest UDP payload fits */
#define ROUNDS_PER_EVENT 16  /* batches per readable event before yielding to the loop */
#define SOCKET_BUFFER (4 * 1024 * 1024)

typedef union {
  struct sockaddr sa;
  struct sockaddr_in v4;
  struct sockaddr_in6 v6;
} addr_t;

typedef struct {
  napi_env env;
  uv_poll_t poll;
  int fd;
  uint32_t batch, slot_size;
  uint16_t port;
  bool poll_inited;  /* uv_poll_init succeeded: the handle must be uv_close()d */
  bool closed;        /* close() ran: fd closed, no more reads or sends */
  bool in_callback;   /* onBatch is running: JS references are released after it returns */
  bool js_released;
  /* The struct has two owners: the uv handle (until its close callback) and
   * the JS object (until it is finalized); methods reach it through the
   * object, so it must outlive both. */
  int owners;

  napi_ref on_batch, rx_ref, tx_ref, meta_ref;
  napi_async_context async_ctx;
  napi_async_cleanup_hook_handle cleanup;

  /* Into the ArrayBuffers above, which V8 owns and never moves; we hold
   * strong references until close, and check they were not detached
   * (transferred) before touching them after JS has run. */
  uint8_t *rx, *tx, *peer;
  int32_t *rx_len, *tx_len;

  struct mmsghdr *rx_msgs, *tx_msgs;
  struct iovec *rx_iov, *tx_iov;
  addr_t *names;  /* source of datagram i, reused as the destination of reply i */

  uint64_t received, sent, dropped, batches;
} sock_t;

/* ---- errors ------------------------------------------------------------ */

/* Throws an Error whose code is the errno name, as node's own system errors. */
static napi_value throw_errno(napi_env env, int err, const char *syscall, const char *what) {
  char text[320];
  snprintf(text, sizeof text, "udp_batch: %s failed: %s (%s)", what, strerror(err), uv_err_name(-err));
  napi_value code, msg, error, sc, no;
  napi_create_string_utf8(env, uv_err_name(-err), NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &msg);
  napi_create_error(env, code, msg, &error);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &sc);
  napi_set_named_property(env, error, "syscall", sc);
  napi_create_int32(env, -err, &no);
  napi_set_named_property(env, error, "errno", no);
  napi_throw(env, error);
  return NULL;
}

/* A failed napi call means a JS exception is pending or something is badly
 * wrong; either way give up on the current native function. */
#define CHECK(call)                                                    \
  do {                                                                 \
    if ((call) != napi_ok) {                                           \
      bool pending_ = false;                                           \
      napi_is_exception_pending(env, &pending_);                       \
      if (!pending_) napi_throw_error(env, NULL, "udp_batch: " #call); \
      goto fail;                                                       \
    }                                                                  \
  } while (0)

/* ---- lifetime ---------------------------------------------------------- */

static void sock_free(sock_t *s) {
  free(s->rx_msgs);
  free(s->tx_msgs);
  free(s->rx_iov);
  free(s->tx_iov);
  free(s->names);
  free(s);
}

static void sock_release(sock_t *s) {
  if (--s->owners == 0) sock_free(s);
}

/* Drops what keeps JS values alive. Runs on the JS thread, never while
 * onBatch is on the stack (the callback and its async context are in use). */
static void release_js(sock_t *s) {
  if (s->js_released) return;
  s->js_released = true;
  napi_env env = s->env;
  if (s->on_batch) napi_delete_reference(env, s->on_batch);
  if (s->rx_ref) napi_delete_reference(env, s->rx_ref);
  if (s->tx_ref) napi_delete_reference(env, s->tx_ref);
  if (s->meta_ref) napi_delete_reference(env, s->meta_ref);
  if (s->async_ctx) napi_async_destroy(env, s->async_ctx);
  s->on_batch = s->rx_ref = s->tx_ref = s->meta_ref = NULL;
  s->async_ctx = NULL;
  s->rx = s->tx = s->peer = NULL;
  s->rx_len = s->tx_len = NULL;
}

/* The uv handle is gone: the loop no longer references the struct. */
static void on_poll_closed(uv_handle_t *h) {
  sock_t *s = h->data;
  /* Tells an exiting environment (worker thread) that we are done. */
  if (s->cleanup) napi_remove_async_cleanup_hook(s->cleanup);
  s->cleanup = NULL;
  sock_release(s);
}

/* Idempotent. Closes the fd at once, so the port is free when close()
 * returns; the struct itself lives until the uv close callback. */
static void sock_close(sock_t *s) {
  if (s->closed) return;
  s->closed = true;
  if (s->poll_inited) {
    /* uv_close stops polling (removes the fd from epoll) before we close the fd. */
    uv_close((uv_handle_t *)&s->poll, on_poll_closed);
  }
  if (s->fd >= 0) close(s->fd);
  s->fd = -1;
  if (!s->in_callback) release_js(s);
  if (!s->poll_inited) {
    if (s->cleanup) napi_remove_async_cleanup_hook(s->cleanup);
    s->cleanup = NULL;
    sock_release(s);
  }
}

/* The environment is going away (worker exit, process teardown). */
static void on_env_cleanup(napi_async_cleanup_hook_handle handle, void *arg) {
  sock_t *s = arg;
  /* If close() already ran, its pending uv close callback removes the hook. */
  sock_close(s);
}

static void on_object_finalized(napi_env env, void *data, void *hint) {
  /* An open socket keeps serving without its JS object (as a dgram socket
   * does); it is closed at environment cleanup. */
  sock_release(data);
}

/* ---- the batch loop ---------------------------------------------------- */

static bool is_attached(napi_env env, napi_ref ref) {
  napi_value v;
  bool detached = true;
  if (napi_get_reference_value(env, ref, &v) != napi_ok || v == NULL) return false;
  if (napi_is_detached_arraybuffer(env, v, &detached) != napi_ok) return false;
  return !detached;
}

/* A transferred ArrayBuffer would leave us writing into memory owned by
 * someone else: close the socket and report it instead. */
static bool buffers_ok(sock_t *s) {
  napi_env env = s->env;
  if (is_attached(env, s->rx_ref) && is_attached(env, s->tx_ref) && is_attached(env, s->meta_ref)) return true;
  sock_close(s);
  napi_value code, msg, error;
  napi_create_string_utf8(env, "ERR_UDP_BATCH_DETACHED", NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, "udp_batch: a socket buffer was detached (transferred); socket closed",
                          NAPI_AUTO_LENGTH, &msg);
  napi_create_error(env, code, msg, &error);
  napi_fatal_exception(env, error);
  return false;
}

/* Records lengths and peers of the n datagrams just received. */
static void fill_batch(sock_t *s, int n) {
  for (int i = 0; i < n; i++) {
    struct msghdr *h = &s->rx_msgs[i].msg_hdr;
    s->rx_len[i] = (h->msg_flags & MSG_TRUNC) ? -1 : (int32_t)s->rx_msgs[i].msg_len;
    s->tx_len[i] = 0;
    uint8_t *p = s->peer + (size_t)i * PEER_STRIDE;
    memset(p, 0, PEER_STRIDE);
    const addr_t *a = &s->names[i];
    if (a->sa.sa_family == AF_INET6) {
      p[0] = 6;
      memcpy(p + 2, &a->v6.sin6_port, 2);  /* already big-endian */
      memcpy(p + 4, &a->v6.sin6_addr, 16);
    } else {
      p[0] = 4;
      memcpy(p + 2, &a->v4.sin_port, 2);
      memcpy(p + 4, &a->v4.sin_addr, 4);
    }
  }
}

/* Calls onBatch(n). napi_make_callback enters the socket's async context and,
 * on leaving, runs process.nextTick callbacks and microtasks, as node does
 * around any I/O callback. A throw goes to process 'uncaughtException' (or
 * ends the process if nobody listens), as it would from a dgram callback. */
static void call_on_batch(sock_t *s, int n) {
  napi_env env = s->env;
  napi_value fn, global, arg, result;
  if (napi_get_reference_value(env, s->on_batch, &fn) != napi_ok) return;
  napi_get_global(env, &global);
  napi_create_int32(env, n, &arg);
  s->in_callback = true;
  s->batches++;
  napi_status st = napi_make_callback(env, s->async_ctx, global, fn, 1, &arg, &result);
  if (st == napi_pending_exception) {
    napi_value error;
    if (napi_get_and_clear_last_exception(env, &error) == napi_ok) napi_fatal_exception(env, error);
  }
  s->in_callback = false;
}

/* Sends every reply with txLen[i] > 0 to where datagram i came from. A full
 * socket buffer (EAGAIN, ENOBUFS) drops the rest of the batch: waiting would
 * stall every other client, and DNS clients retry. */
static void send_replies(sock_t *s, int n) {
  unsigned m = 0;
  for (int i = 0; i < n; i++) {
    int32_t len = s->tx_len[i];
    if (len <= 0) continue;
    if ((uint32_t)len > s->slot_size) {  /* would read past the slot */
      s->dropped++;
      continue;
    }
    s->tx_iov[m].iov_base = s->tx + (size_t)i * s->slot_size;
    s->tx_iov[m].iov_len = (size_t)len;
    struct msghdr *h = &s->tx_msgs[m].msg_hdr;
    h->msg_name = &s->names[i];
    h->msg_namelen = s->rx_msgs[i].msg_hdr.msg_namelen;
    h->msg_iov = &s->tx_iov[m];
    h->msg_iovlen = 1;
    m++;
  }
  unsigned done = 0;
  while (done < m) {
    int k = sendmmsg(s->fd, s->tx_msgs + done, m - done, MSG_DONTWAIT);
    if (k > 0) {  /* possibly partial: go on with the rest */
      done += (unsigned)k;
      s->sent += (uint64_t)k;
    } else if (k < 0 && errno == EINTR) {
      continue;
    } else if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)) {
      s->dropped += m - done;
      return;
    } else {  /* this one reply failed (EMSGSIZE, EPERM, ...): skip it */
      s->dropped++;
      done++;
    }
  }
}

static void on_readable(uv_poll_t *h, int status, int events) {
  sock_t *s = h->data;
  if (s->closed) return;
  napi_env env = s->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  if (!buffers_ok(s)) goto done;
  for (int round = 0; round < ROUNDS_PER_EVENT && !s->closed; round++) {
    for (uint32_t i = 0; i < s->batch; i++) s->rx_msgs[i].msg_hdr.msg_namelen = sizeof(addr_t);
    int n = recvmmsg(s->fd, s->rx_msgs, s->batch, MSG_DONTWAIT, NULL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  /* EAGAIN: drained; other errors: the next event retries */
    s->received += (uint64_t)n;
    fill_batch(s, n);

    napi_handle_scope inner;
    if (napi_open_handle_scope(env, &inner) != napi_ok) break;
    call_on_batch(s, n);
    /* onBatch (or an uncaughtException handler) may have closed us: the fd
     * is gone, and the JS references wait for us to release them. */
    bool ok = !s->closed && buffers_ok(s);
    if (ok) send_replies(s, n);
    napi_close_handle_scope(env, inner);
    if (!ok) break;
    /* A short batch took everything queued: rather than a recvmmsg that
     * would say EAGAIN, go back to the loop; the poll is level-triggered,
     * so whatever arrived meanwhile wakes us at once. One syscall less per
     * wake-up when the queries come a few at a time. */
    if ((uint32_t)n < s->batch) break;
  }
  if (s->closed) release_js(s);
done:
  napi_close_handle_scope(env, scope);
}

/* ---- methods ----------------------------------------------------------- */

static sock_t *this_sock(napi_env env, napi_callback_info info) {
  napi_value self;
  void *data = NULL;
  if (napi_get_cb_info(env, info, NULL, NULL, &self, NULL) != napi_ok ||
      napi_unwrap(env, self, &data) != napi_ok || data == NULL) {
    napi_throw_type_error(env, "ERR_INVALID_THIS", "udp_batch: call the method on the socket object");
    return NULL;
  }
  return data;
}

static napi_value m_close(napi_env env, napi_callback_info info) {
  sock_t *s = this_sock(env, info);
  if (s) sock_close(s);
  return NULL;
}

static napi_value m_port(napi_env env, napi_callback_info info) {
  sock_t *s = this_sock(env, info);
  napi_value v = NULL;
  if (s) napi_create_uint32(env, s->port, &v);
  return v;
}

static napi_value m_stats(napi_env env, napi_callback_info info) {
  sock_t *s = this_sock(env, info);
  if (!s) return NULL;
  napi_value o, v;
  napi_create_object(env, &o);
  napi_create_double(env, (double)s->received, &v);
  napi_set_named_property(env, o, "received", v);
  napi_create_double(env, (double)s->sent, &v);
  napi_set_named_property(env, o, "sent", v);
  napi_create_double(env, (double)s->dropped, &v);
  napi_set_named_property(env, o, "dropped", v);
  napi_create_double(env, (double)s->batches, &v);
  napi_set_named_property(env, o, "batches", v);
  return o;
}

/* ---- open -------------------------------------------------------------- */

static bool get_prop(napi_env env, napi_value obj, const char *name, napi_valuetype want, napi_value *out) {
  napi_valuetype t;
  char msg[96];
  if (napi_get_named_property(env, obj, name, out) != napi_ok) return false;
  if (napi_typeof(env, *out, &t) != napi_ok) return false;
  if (t == want) return true;
  snprintf(msg, sizeof msg, "udp_batch: options.%s must be a %s", name,
           want == napi_number ? "number" : want == napi_string ? "string"
           : want == napi_boolean ? "boolean" : "function");
  napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", msg);
  return false;
}

static bool get_int(napi_env env, napi_value obj, const char *name, int64_t lo, int64_t hi, int64_t *out) {
  napi_value v;
  double d;
  char msg[96];
  if (!get_prop(env, obj, name, napi_number, &v) || napi_get_value_double(env, v, &d) != napi_ok) return false;
  /* Range first: converting NaN or a huge double to an integer is undefined. */
  if (d >= (double)lo && d <= (double)hi && d == (double)(int64_t)d) {
    *out = (int64_t)d;
    return true;
  }
  snprintf(msg, sizeof msg, "udp_batch: options.%s must be an integer in %lld..%lld", name, (long long)lo,
           (long long)hi);
  napi_throw_range_error(env, "ERR_OUT_OF_RANGE", msg);
  return false;
}

/* Creates, configures and binds the socket; -1 with an Error thrown on failure. */
static int open_fd(napi_env env, int family, const char *address, int port, bool reuse_port, uint16_t *bound) {
  addr_t a;
  socklen_t alen;
  char what[128];
  memset(&a, 0, sizeof a);
  if (family == 4) {
    a.v4.sin_family = AF_INET;
    a.v4.sin_port = htons((uint16_t)port);
    alen = sizeof a.v4;
    if (inet_pton(AF_INET, address, &a.v4.sin_addr) != 1) goto bad_address;
  } else {
    a.v6.sin6_family = AF_INET6;
    a.v6.sin6_port = htons((uint16_t)port);
    alen = sizeof a.v6;
    if (inet_pton(AF_INET6, address, &a.v6.sin6_addr) != 1) goto bad_address;
  }

  int fd = socket(a.sa.sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    throw_errno(env, errno, "socket", "socket()");
    return -1;
  }
  int one = 1, size = SOCKET_BUFFER;
  if (reuse_port && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0) {
    throw_errno(env, errno, "setsockopt", "setsockopt(SO_REUSEPORT)");
    goto fail;
  }
  /* A v6 socket answers v6 only; v4 gets its own socket. */
  if (family == 6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) < 0) {
    throw_errno(env, errno, "setsockopt", "setsockopt(IPV6_V6ONLY)");
    goto fail;
  }
  /* Room for bursts; the kernel caps these at net.core.[rw]mem_max. */
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
  if (bind(fd, &a.sa, alen) < 0) {
    snprintf(what, sizeof what, "bind to %s port %d", address, port);
    throw_errno(env, errno, "bind", what);
    goto fail;
  }
  alen = sizeof a;
  if (getsockname(fd, &a.sa, &alen) < 0) {
    throw_errno(env, errno, "getsockname", "getsockname()");
    goto fail;
  }
  *bound = ntohs(family == 4 ? a.v4.sin_port : a.v6.sin6_port);
  return fd;

fail:
  close(fd);
  return -1;
bad_address:
  snprintf(what, sizeof what, "udp_batch: options.address is not an IPv%d address: %.64s", family, address);
  napi_throw_type_error(env, "ERR_INVALID_ADDRESS", what);
  return -1;
}

static napi_value new_arraybuffer(napi_env env, size_t size, void **data, napi_ref *ref) {
  napi_value ab;
  if (napi_create_arraybuffer(env, size, data, &ab) != napi_ok) return NULL;
  if (napi_create_reference(env, ab, 1, ref) != napi_ok) return NULL;
  return ab;
}

/* open({ family, address, port, reusePort, batch, slotSize, onBatch }) */
static napi_value m_open(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value opts, v, on_batch, obj, rx_ab, tx_ab, meta_ab, rx_len, tx_len, peer, name;
  napi_valuetype t;
  int64_t family, port, batch, slot;
  bool reuse_port;
  char address[INET6_ADDRSTRLEN + 1];
  size_t alen;
  uint16_t bound;
  void *data;

  if (napi_get_cb_info(env, info, &argc, &opts, NULL, NULL) != napi_ok) return NULL;
  if (argc < 1 || napi_typeof(env, opts, &t) != napi_ok || t != napi_object) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "udp_batch: open() takes an options object");
    return NULL;
  }
  if (!get_int(env, opts, "family", 4, 6, &family)) return NULL;
  if (family == 5) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "udp_batch: options.family must be 4 or 6");
    return NULL;
  }
  if (!get_prop(env, opts, "address", napi_string, &v)) return NULL;
  if (napi_get_value_string_utf8(env, v, address, sizeof address, &alen) != napi_ok) return NULL;
  if (alen >= sizeof address - 1) {  /* longer than any address: do not parse a truncated copy */
    napi_throw_type_error(env, "ERR_INVALID_ADDRESS", "udp_batch: options.address is too long for an IP address");
    return NULL;
  }
  if (!get_int(env, opts, "port", 0, 65535, &port)) return NULL;
  if (!get_prop(env, opts, "reusePort", napi_boolean, &v) || napi_get_value_bool(env, v, &reuse_port) != napi_ok)
    return NULL;
  if (!get_int(env, opts, "batch", 1, MAX_BATCH, &batch)) return NULL;
  if (!get_int(env, opts, "slotSize", 1, MAX_SLOT, &slot)) return NULL;
  if (!get_prop(env, opts, "onBatch", napi_function, &on_batch)) return NULL;

  int fd = open_fd(env, (int)family, address, (int)port, reuse_port, &bound);
  if (fd < 0) return NULL;

  sock_t *s = calloc(1, sizeof *s);
  if (s) {
    s->rx_msgs = calloc((size_t)batch, sizeof *s->rx_msgs);
    s->tx_msgs = calloc((size_t)batch, sizeof *s->tx_msgs);
    s->rx_iov = calloc((size_t)batch, sizeof *s->rx_iov);
    s->tx_iov = calloc((size_t)batch, sizeof *s->tx_iov);
    s->names = calloc((size_t)batch, sizeof *s->names);
  }
  if (!s || !s->rx_msgs || !s->tx_msgs || !s->rx_iov || !s->tx_iov || !s->names) {
    close(fd);
    if (s) sock_free(s);
    return throw_errno(env, ENOMEM, "malloc", "allocating the batch");
  }
  s->env = env;
  s->fd = fd;
  s->batch = (uint32_t)batch;
  s->slot_size = (uint32_t)slot;
  s->port = bound;
  s->owners = 1;  /* the uv handle's share; the JS object's is added by napi_wrap */
  s->poll.data = s;

  size_t region = (size_t)batch * (size_t)slot;
  CHECK((rx_ab = new_arraybuffer(env, region, &data, &s->rx_ref)) ? napi_ok : napi_generic_failure);
  s->rx = data;
  CHECK((tx_ab = new_arraybuffer(env, region, &data, &s->tx_ref)) ? napi_ok : napi_generic_failure);
  s->tx = data;
  /* rxLen, txLen and peer share one buffer: int32 lengths first, keeping them aligned. */
  CHECK((meta_ab = new_arraybuffer(env, (size_t)batch * (4 + 4 + PEER_STRIDE), &data, &s->meta_ref))
            ? napi_ok : napi_generic_failure);
  s->rx_len = data;
  s->tx_len = s->rx_len + batch;
  s->peer = (uint8_t *)(s->tx_len + batch);
  CHECK(napi_create_typedarray(env, napi_int32_array, (size_t)batch, meta_ab, 0, &rx_len));
  CHECK(napi_create_typedarray(env, napi_int32_array, (size_t)batch, meta_ab, (size_t)batch * 4, &tx_len));
  CHECK(napi_create_typedarray(env, napi_uint8_array, (size_t)batch * PEER_STRIDE, meta_ab, (size_t)batch * 8,
                               &peer));
  CHECK(napi_create_reference(env, on_batch, 1, &s->on_batch));
  CHECK(napi_create_string_utf8(env, "UdpBatchSocket", NAPI_AUTO_LENGTH, &name));
  CHECK(napi_async_init(env, NULL, name, &s->async_ctx));

  for (uint32_t i = 0; i < s->batch; i++) {
    s->rx_iov[i].iov_base = s->rx + (size_t)i * s->slot_size;
    s->rx_iov[i].iov_len = s->slot_size;
    struct msghdr *h = &s->rx_msgs[i].msg_hdr;
    h->msg_name = &s->names[i];
    h->msg_namelen = sizeof(addr_t);
    h->msg_iov = &s->rx_iov[i];
    h->msg_iovlen = 1;
  }

  napi_property_descriptor props[] = {
      {"rx", NULL, NULL, NULL, NULL, rx_ab, napi_enumerable, NULL},
      {"rxLen", NULL, NULL, NULL, NULL, rx_len, napi_enumerable, NULL},
      {"peer", NULL, NULL, NULL, NULL, peer, napi_enumerable, NULL},
      {"tx", NULL, NULL, NULL, NULL, tx_ab, napi_enumerable, NULL},
      {"txLen", NULL, NULL, NULL, NULL, tx_len, napi_enumerable, NULL},
      {"close", NULL, m_close, NULL, NULL, NULL, napi_default_method, NULL},
      {"port", NULL, m_port, NULL, NULL, NULL, napi_default_method, NULL},
      {"stats", NULL, m_stats, NULL, NULL, NULL, napi_default_method, NULL},
  };
  CHECK(napi_create_object(env, &obj));
  CHECK(napi_define_properties(env, obj, sizeof props / sizeof props[0], props));
  CHECK(napi_wrap(env, obj, s, on_object_finalized, NULL, NULL));
  s->owners++;

  uv_loop_t *loop;
  CHECK(napi_get_uv_event_loop(env, &loop));
  int rc = uv_poll_init(loop, &s->poll, fd);
  if (rc == 0) {
    s->poll_inited = true;
    rc = uv_poll_start(&s->poll, UV_READABLE, on_readable);
  }
  if (rc != 0) {
    sock_close(s);
    return throw_errno(env, -rc, "uv_poll_start", "polling the socket");
  }
  CHECK(napi_add_async_cleanup_hook(env, on_env_cleanup, s, &s->cleanup));
  return obj;

fail:
  sock_close(s);
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  if (napi_create_function(env, "open", NAPI_AUTO_LENGTH, m_open, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "open", fn) != napi_ok) return NULL;
  return exports;
}
