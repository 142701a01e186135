#include "sanctum/transport.h"

#include <stdio.h>
#include <uv.h>

const char *sanctum_transport_version_string(void)
{
	static char text[48];

	/* The loaded libuv, not the headers we built against: that is what runs. */
	if (!text[0])
		snprintf(text, sizeof(text), "libuv %s", uv_version_string());
	return text;
}
