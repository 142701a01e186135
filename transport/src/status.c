/* What `sanctum status` shows: the daemon, its remotes, its peers, the last error, and
 * heads that peers announced but the remotes have not delivered (possibly withheld). */
#include "daemon_internal.h"

#include <jansson.h>
#include <unistd.h>

static json_t *watches_json(sd_daemon *d)
{
	json_t *list = json_array();

	for (size_t i = 0; list && i < d->nwatches; i++) {
		json_t *o = json_object();

		json_object_set_new(o, "head", json_string(d->watches[i].head));
		json_object_set_new(o, "announced_by", json_string(d->watches[i].origin));
		json_object_set_new(o, "since", json_integer(d->watches[i].first_seen));
		json_object_set_new(o, "withheld", json_boolean(d->watches[i].reported));
		json_array_append_new(list, o);
	}
	return list;
}

json_t *sd_status(sd_daemon *d)
{
	json_t *o = json_object(), *error = json_object();

	json_object_set_new(o, "ok", json_true());
	json_object_set_new(o, "pid", json_integer(getpid()));
	json_object_set_new(o, "store", json_string(d->store_dir));
	json_object_set_new(o, "group", json_string(d->store ? sanctum_store_group_name(d->store) : ""));
	json_object_set_new(o, "started", json_integer(d->started));
	json_object_set_new(o, "head", json_string(d->head));
	json_object_set_new(o, "listen", json_string(d->listen));
	json_object_set_new(o, "webhook", json_string(d->webhook_listen));
	json_object_set_new(o, "remotes", sd_scheduler_status(d));
	json_object_set_new(o, "peers", sd_peers_status(d));
	json_object_set_new(o, "announced", watches_json(d));
	json_object_set_new(error, "time", json_integer(d->last_error_time));
	json_object_set_new(error, "message", json_string(d->last_error));
	json_object_set_new(o, "last_error", d->last_error[0] ? error : json_null());
	if (!d->last_error[0])
		json_decref(error);
	return o;
}
