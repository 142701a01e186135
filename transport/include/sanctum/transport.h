/*
 * libsanctum-transport: the notification daemon's library, built on libuv.
 */
#ifndef SANCTUM_TRANSPORT_H
#define SANCTUM_TRANSPORT_H

/**
 * The version of libuv the transport runs on, as "libuv X.Y.Z". Borrowed, static.
 */
const char *sanctum_transport_version_string(void);

#endif
