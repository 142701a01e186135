#include "netaddr.h"

#include <stdio.h>

void sd_remote_address(char *out, size_t cap, const uv_tcp_t *tcp, int with_port)
{
	struct sockaddr_storage ss;
	int len = sizeof(ss), port;
	char host[64];

	snprintf(out, cap, "?");
	if (uv_tcp_getpeername(tcp, (struct sockaddr *)&ss, &len) != 0)
		return;
	if (ss.ss_family == AF_INET6) {
		uv_ip6_name((const struct sockaddr_in6 *)&ss, host, sizeof(host));
		port = ntohs(((const struct sockaddr_in6 *)&ss)->sin6_port);
	} else {
		uv_ip4_name((const struct sockaddr_in *)&ss, host, sizeof(host));
		port = ntohs(((const struct sockaddr_in *)&ss)->sin_port);
	}
	if (!with_port)
		snprintf(out, cap, "%s", host);
	else if (ss.ss_family == AF_INET6)
		snprintf(out, cap, "[%s]:%d", host, port);
	else
		snprintf(out, cap, "%s:%d", host, port);
}
