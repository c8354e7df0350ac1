# The udp_batch addon (native/udp_batch.c): recvmmsg/sendmmsg batches for the DNS responder.
# Linux only; scripts/build-native.js does not build it elsewhere, and this file gives other
# systems an empty target so that a manual `node-gyp rebuild` there does nothing harmful.
{
  "targets": [
    {
      "target_name": "udp_batch",
      "conditions": [
        ["OS=='linux'", {
          "sources": ["native/udp_batch.c"],
          "defines": ["NAPI_VERSION=8"],
          "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-Wno-unused-parameter"],
          "configurations": { "Release": { "cflags!": ["-O3"], "cflags": ["-O2"] } }
        }, {
          "type": "none"
        }]
      ]
    }
  ]
}
