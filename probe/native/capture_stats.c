/*
 * packetSocketStats(fd) -> { packets, drops }: the kernel's counters of a
 * Linux packet socket (the one libpcap captures with), read with
 * getsockopt(SOL_PACKET, PACKET_STATISTICS). The kernel resets them on every
 * read, so the caller accumulates. `packets` includes the drops, as libpcap's
 * ps_recv does. Failures throw an Error whose code is the errno name; the
 * JavaScript wrapper turns that into an error value.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/if_packet.h>
#include <node_api.h>

#ifndef SOL_PACKET
#define SOL_PACKET 263
#endif

static napi_value throw_errno(napi_env env, int err) {
  const char *code = err == EBADF ? "EBADF" : err == ENOTSOCK ? "ENOTSOCK" : err == ENOPROTOOPT ? "ENOPROTOOPT"
                   : err == EINVAL ? "EINVAL" : "EIO";
  napi_throw_error(env, code, strerror(err));
  return NULL;
}

static napi_value packet_socket_stats(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t fd = -1;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 1 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0) {
    napi_throw_type_error(env, "EINVAL", "fd must be a non-negative integer");
    return NULL;
  }
  /* TPACKET_V3 sockets answer with tpacket_stats_v3 (packets, drops,
     freeze count), older ones with tpacket_stats (packets, drops); the
     kernel copies at most the length given and says how much it wrote. */
  union {
    struct tpacket_stats v1;
    struct tpacket_stats_v3 v3;
  } st;
  socklen_t len = sizeof st;
  memset(&st, 0, sizeof st);
  if (getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) != 0) return throw_errno(env, errno);
  if (len < sizeof st.v1) return throw_errno(env, EINVAL);

  napi_value out, packets, drops;
  if (napi_create_object(env, &out) != napi_ok
      || napi_create_uint32(env, st.v1.tp_packets, &packets) != napi_ok
      || napi_create_uint32(env, st.v1.tp_drops, &drops) != napi_ok
      || napi_set_named_property(env, out, "packets", packets) != napi_ok
      || napi_set_named_property(env, out, "drops", drops) != napi_ok) return NULL;
  return out;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_value fn;
  if (napi_create_function(env, "packetSocketStats", NAPI_AUTO_LENGTH, packet_socket_stats, NULL, &fn) != napi_ok
      || napi_set_named_property(env, exports, "packetSocketStats", fn) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
