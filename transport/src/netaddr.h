/* How the daemon names the other end of a TCP connection in its log and status. */
#ifndef SD_NETADDR_H
#define SD_NETADDR_H

#include <stddef.h>
#include <uv.h>

/**
 * The peer's address as "1.2.3.4:5678" or "[::1]:5678" (without the port when
 * `with_port` is 0), or "?" when the socket cannot say.
 */
void sd_remote_address(char *out, size_t cap, const uv_tcp_t *tcp, int with_port);

#endif
