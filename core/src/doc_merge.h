/*
 * The pure part of merging two concurrent revisions of one document (docs/format.md,
 * "Merge revisions"): which one wins, whether they can be merged as text, and the
 * three-way merge of their bodies and metadata. No store, no keys: the same inputs give
 * the same result on every copy of the store.
 */
#ifndef SANCTUM_DOC_MERGE_H
#define SANCTUM_DOC_MERGE_H

#include "sanctum/doc.h"

/**
 * Whether `a` beats `b` when only one can stay: a live revision beats a tombstone, then
 * the higher rev wins, then the larger hash (as bytes). Symmetric: exactly one of
 * wins(a, b) and wins(b, a) holds for two different revisions.
 */
int sanctum_doc__wins(const sanctum_doc *a, const sanctum_doc *b);

/**
 * Whether a revision can take part in a text merge: live, of type text/... or
 * application/json (any case), and its body valid UTF-8 without a NUL byte.
 */
int sanctum_doc__is_text(const sanctum_doc *doc);

/**
 * Three-way merges two concurrent revisions `a` and `b` of one document against their
 * common `ancestor`, all three text (sanctum_doc__is_text). The bodies are merged line
 * by line (git_merge_file) with the revision of the smaller hash as "ours", so every copy
 * computes the same bytes. On a clean merge `*clean` is 1 and `out` (initialised here)
 * is the unsigned merge revision: the id, rev max + 1, parent the smaller hash, merged
 * the larger, the merged body, and each of title, type and tags from the side that
 * changed it, or from the winner when both did. When the edits overlap `*clean` is 0
 * and `out` is SANCTUM_DOC_INIT. Returns 0 or an error (SANCTUM_ENOMEM, a libgit2
 * failure). Every buffer that held plaintext is wiped.
 */
int sanctum_doc__merge3(sanctum_doc *out, int *clean, const sanctum_doc *ancestor,
                        const sanctum_doc *a, const sanctum_doc *b);

#endif
