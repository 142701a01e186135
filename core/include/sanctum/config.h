/*
 * A store's settings, kept in its git configuration (.sanctum/config) as git keeps them,
 * so `git config` and `sanctum config` see the same values. Only the keys below are
 * sanctum's to set; each has a kind that its value is checked against:
 *
 *     sanctum.daemon.listen          HOST:PORT   where the daemon accepts peers
 *     sanctum.daemon.peers           HOST:PORT,...  peers the daemon connects to
 *     sanctum.daemon.interval        DURATION    default sync interval of every remote
 *     sanctum.daemon.withholdTimeout DURATION    how long an announced head may stay
 *                                                unfetchable before it is reported
 *     sanctum.webhook.listen         HOST:PORT   the forge webhook listener
 *     sanctum.webhook.secretFile     PATH        file holding the webhook's shared secret
 *     sanctum.webhook.path           /PATH       the URL path webhooks are posted to
 *     remote.NAME.url                URL         (sanctum remote add sets it)
 *     remote.NAME.sshKey             PATH        private key for ssh://
 *     remote.NAME.syncInterval       DURATION    this remote's sync interval
 *
 * DURATION is a number with a unit: 250ms, 30s, 5m, 2h (a bare number is seconds).
 */
#ifndef SANCTUM_CONFIG_H
#define SANCTUM_CONFIG_H

#include "store.h"

typedef enum {
	SANCTUM_CONFIG_HOSTPORT,
	SANCTUM_CONFIG_HOSTPORT_LIST,
	SANCTUM_CONFIG_DURATION,
	SANCTUM_CONFIG_PATH,
	SANCTUM_CONFIG_URL,
	SANCTUM_CONFIG_URL_PATH
} sanctum_config_kind;

typedef struct {
	char *key;                     /* owned; as written in the config */
	char *value;                   /* owned */
} sanctum_config_entry;

/** The value of `key` (caller frees). Returns 0, SANCTUM_ENOTFOUND or SANCTUM_EINVALID. */
SANCTUM_WARN_UNUSED int sanctum_config_get(char **out, sanctum_store *store, const char *key);

/**
 * Sets `key` to `value` after checking both: an unknown key or a value of the wrong
 * kind is SANCTUM_EINVALID with a message saying what is expected.
 */
SANCTUM_WARN_UNUSED int sanctum_config_set(sanctum_store *store, const char *key,
                                           const char *value);

/** Removes `key`. Returns 0 or SANCTUM_ENOTFOUND. */
SANCTUM_WARN_UNUSED int sanctum_config_unset(sanctum_store *store, const char *key);

/** Every sanctum setting of the store (the keys above), in config order. */
SANCTUM_WARN_UNUSED int sanctum_config_list(sanctum_config_entry **out, size_t *count,
                                            sanctum_store *store);
void sanctum_config_list_free(sanctum_config_entry *list, size_t count);

/** The kind of a settable key; SANCTUM_EINVALID naming the known keys if it is none. */
SANCTUM_WARN_UNUSED int sanctum_config_key_kind(sanctum_config_kind *kind, const char *key);

/** Parses a DURATION into milliseconds (at most 30 days). 0 or SANCTUM_EINVALID. */
SANCTUM_WARN_UNUSED int sanctum_config_parse_duration(uint64_t *ms, const char *text);

/**
 * Splits HOST:PORT ("[::1]:7420" for IPv6) into `host` (room for 256) and `port`.
 * 0 or SANCTUM_EINVALID.
 */
SANCTUM_WARN_UNUSED int sanctum_config_parse_hostport(char host[256], unsigned *port,
                                                      const char *text);

#endif
