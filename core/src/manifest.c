#include "manifest.h"

#include "errors_internal.h"
#include "signed_file.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

int sanctum_manifest__name_is_valid(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > SANCTUM_GROUP_NAME_MAX)
		return 0;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
			return 0;
	return 1;
}

static int body_text(sanctum_buf *out, const sanctum_manifest *m)
{
	char line[256];
	int ok = 1;

	ok &= sanctum_buf_puts(out, "sanctum-group v1\n") == 0;
	snprintf(line, sizeof(line), "id %s\n", m->id);
	ok &= sanctum_buf_puts(out, line) == 0;
	ok &= sanctum_buf_puts(out, "name ") == 0 && sanctum_buf_puts(out, m->name) == 0 &&
	      sanctum_buf_puts(out, "\n") == 0;
	snprintf(line, sizeof(line), "created %llu\nfounder %s\n", (unsigned long long)m->created,
	         m->founder);
	ok &= sanctum_buf_puts(out, line) == 0;
	return ok ? 0 : SANCTUM_ENOMEM;
}

int sanctum_manifest__create(sanctum_buf *out, sanctum_manifest *m, const char *name,
                             const sanctum_identity *founder)
{
	sanctum_buf body = SANCTUM_BUF_INIT;
	unsigned char id[16];
	sanctum_card card;
	int error;

	if (!sanctum_manifest__name_is_valid(name))
		return sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
		                          "invalid group name: 1 to %d bytes without control "
		                          "characters", SANCTUM_GROUP_NAME_MAX);
	memset(m, 0, sizeof(*m));
	randombytes_buf(id, sizeof(id));
	sanctum_hex_encode(m->id, id, sizeof(id));
	snprintf(m->name, sizeof(m->name), "%s", name);
	m->created = (uint64_t)time(NULL);
	sanctum_identity_card(&card, founder);
	memcpy(m->founder_key, card.signing_key, sizeof(m->founder_key));
	sanctum_key_fingerprint(m->founder, card.signing_key);

	error = body_text(&body, m);
	if (error == 0)
		error = sanctum_signed__seal(out, founder, SANCTUM_MANIFEST_NAMESPACE, body.ptr,
		                             body.size);
	if (error == 0)
		crypto_hash_sha256(m->anchor, out->ptr, out->size);
	sanctum_buf_dispose(&body);
	return error;
}

static int bad(const char *what)
{
	return sanctum_error__set(SANCTUM_EINVALID, SANCTUM_ERRCLASS_INVALID,
	                          "group manifest: %s", what);
}

int sanctum_manifest__parse(sanctum_manifest *out, const unsigned char *data, size_t len)
{
	const unsigned char *body;
	size_t body_len;
	sanctum_lines lines;
	unsigned char id[16];
	const char *v;
	int error;

	memset(out, 0, sizeof(*out));
	if ((error = sanctum_signed__open(&body, &body_len, out->founder_key,
	                                  SANCTUM_MANIFEST_NAMESPACE, data, len,
	                                  "group manifest")) < 0)
		return error;
	sanctum_lines__init(&lines, body, body_len, "group manifest");
	if (sanctum_lines__expect(&lines, "sanctum-group v1") < 0)
		return SANCTUM_EINVALID;
	if (!(v = sanctum_lines__field(&lines, "id")))
		return SANCTUM_EINVALID;
	if (sanctum_hex_decode(id, sizeof(id), v) < 0)
		return bad("the id is not 32 hex digits");
	snprintf(out->id, sizeof(out->id), "%s", v);
	if (!(v = sanctum_lines__field(&lines, "name")))
		return SANCTUM_EINVALID;
	if (!sanctum_manifest__name_is_valid(v))
		return bad("invalid group name");
	snprintf(out->name, sizeof(out->name), "%s", v);
	if (!(v = sanctum_lines__field(&lines, "created")))
		return SANCTUM_EINVALID;
	if (sanctum_parse_u64(&out->created, v, UINT64_MAX) < 0)
		return bad("invalid creation time");
	if (!(v = sanctum_lines__field(&lines, "founder")))
		return SANCTUM_EINVALID;
	sanctum_key_fingerprint(out->founder, out->founder_key);
	if (strcmp(v, out->founder) != 0)
		return sanctum_error__set(SANCTUM_EVERIFY, SANCTUM_ERRCLASS_CRYPTO,
		                          "group manifest: signed by '%s', not by its founder '%s'",
		                          out->founder, v);
	if (sanctum_lines__end(&lines) < 0)
		return SANCTUM_EINVALID;
	crypto_hash_sha256(out->anchor, data, len);
	return 0;
}
