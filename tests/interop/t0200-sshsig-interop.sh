#!/bin/sh
# Interoperability of SSH signatures (PROTOCOL.sshsig, Ed25519) with the stock ssh-keygen
# (Debian package openssh-client, 8.2 or later for -Y), both ways: what sanctum signs,
# `ssh-keygen -Y verify` and `-Y check-novalidate` accept, and sanctum accepts what
# `ssh-keygen -Y sign` writes and names the same key. Wrong namespaces and changed files
# are refused by both. Payloads: empty, one line, 1 MiB.
#
# Until the command line signs, the helper tests/tools/sshsig_tool ($SANCTUM_SSHSIG_TOOL)
# stands in for it; its keys are hex Ed25519 seeds.

# shellcheck source=/dev/null # tests/lib.sh, named by ctest
. "$SANCTUM_TEST_LIB"
require_tool ssh-keygen awk cmp cut head od tail tr
TOOL=${SANCTUM_SSHSIG_TOOL:?SANCTUM_SSHSIG_TOOL must name the sshsig_tool helper}
RES=$(cd "$(dirname "$SANCTUM_TEST_LIB")/resources/sshsig" && pwd) ||
	skip_all "no tests/resources/sshsig"
NS=sanctum-doc
# The seed of tests/resources/sshsig/test-key (see the README there).
KAT_SEED=77e793af350c288c0612f3cdaa1e97d8324b35202f954102ee48466acff1f5e1

W=$TEST_TMP/w
mkdir "$W" || skip_all "cannot make a work folder"
cd "$W" || skip_all "cannot enter the work folder"

# expect_failure DESCRIPTION COMMAND...: ssh-keygen must refuse: a non-zero exit, and a
# message about verifying rather than, say, a usage error. (Its exit code and wording
# vary between OpenSSH versions; 9.2 exits 255 and prints "Could not verify signature."
# on stdout, with the reason, if any, on stderr.)
expect_failure() {
	desc=$1; shift
	if "$@" >"$TEST_TMP/out" 2>"$TEST_TMP/err"; then not_ok "$desc (it succeeded)"
	elif ! cat "$TEST_TMP/out" "$TEST_TMP/err" | grep -iq 'verif'; then
		not_ok "$desc (failed, but not for a signature)"; sed 's/^/#   /' "$TEST_TMP/err"
	else ok "$desc"; fi
}

# keygen_sign KEY NAMESPACE FILE SIG [OPTION]: ssh-keygen signs FILE (read from stdin).
keygen_sign() {
	ks_key=$1 ks_ns=$2 ks_file=$3 ks_sig=$4; shift 4
	ssh-keygen -Y sign -f "$ks_key" -n "$ks_ns" "$@" <"$ks_file" >"$ks_sig"
}

# keygen_verify NAMESPACE FILE SIG: ssh-keygen checks SIG against allowed_signers.
keygen_verify() {
	ssh-keygen -Y verify -f allowed_signers -I sanctum@example.org -n "$1" -s "$3" <"$2"
}

keygen_check() {
	ssh-keygen -Y check-novalidate -n "$1" -s "$3" <"$2"
}

# tool_sign SEED NAMESPACE FILE SIG: sanctum signs FILE.
tool_sign() { "$TOOL" sign "$1" "$2" "$3" >"$4"; }

# tool_verify NAMESPACE FILE SIG: sanctum verifies; the signer's key line goes to SIG.signer.
tool_verify() { "$TOOL" verify "$1" "$2" "$3" >"$3.signer"; }

# ---- keys ---------------------------------------------------------------------------

ssh-keygen -q -t ed25519 -N '' -C keygen@example.org -f key ||
	skip_all "ssh-keygen cannot make an ed25519 key"
printf 'probe\n' >probe
keygen_sign key "$NS" probe probe.sig 2>/dev/null ||
	skip_all "this ssh-keygen cannot sign files (-Y sign needs OpenSSH 8.2 or later)"
cut -d' ' -f1,2 key.pub >key.bare

SEED=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
[ ${#SEED} -eq 64 ] || skip_all "cannot read /dev/urandom"
# shellcheck disable=SC2016 # expanded by the inner shell
expect_success "sshsig_tool derives a key line from a seed" \
	sh -c '"$1" pubkey "$2" >sanctum.pub' sh "$TOOL" "$SEED"
printf 'sanctum@example.org %s\n' "$(cat sanctum.pub)" >allowed_signers

# ssh-keygen reads sanctum's key line, and sanctum writes the line ssh-keygen wrote for
# the committed key (comment aside).
check "ssh-keygen reads sanctum's public key line" ssh-keygen -l -f sanctum.pub
cut -d' ' -f1,2 "$RES/test-key.pub" >test-key.bare
# shellcheck disable=SC2016
check "sanctum derives the committed key's public line from its seed" \
	sh -c '"$1" pubkey "$2" | cmp - test-key.bare' sh "$TOOL" "$KAT_SEED"

# ---- payloads -----------------------------------------------------------------------

: >empty
printf 'hello sanctum\n' >line
head -c 1048576 /dev/urandom >mib || skip_all "cannot read /dev/urandom"

for p in empty line mib; do
	# sanctum signs, ssh-keygen verifies.
	expect_success "$p: sanctum signs" tool_sign "$SEED" "$NS" "$p" "$p.sanctum.sig"
	expect_success "$p: ssh-keygen -Y verify accepts sanctum's signature" \
		keygen_verify "$NS" "$p" "$p.sanctum.sig"
	expect_success "$p: ssh-keygen -Y check-novalidate accepts sanctum's signature" \
		keygen_check "$NS" "$p" "$p.sanctum.sig"
	expect_success "$p: sanctum verifies its own signature" \
		tool_verify "$NS" "$p" "$p.sanctum.sig"
	check "$p: sanctum names its own key" cmp "$p.sanctum.sig.signer" sanctum.pub

	# ssh-keygen signs, sanctum verifies and names the key from key.pub.
	expect_success "$p: ssh-keygen signs" keygen_sign key "$NS" "$p" "$p.keygen.sig"
	expect_success "$p: sanctum verifies ssh-keygen's signature" \
		tool_verify "$NS" "$p" "$p.keygen.sig"
	check "$p: sanctum names the key in key.pub" cmp "$p.keygen.sig.signer" key.bare
done

# ---- refusals -----------------------------------------------------------------------

# A signature for one namespace is no signature for another, either way.
expect_failure "ssh-keygen -Y verify refuses sanctum's signature in namespace git" \
	keygen_verify git line line.sanctum.sig
expect_failure "ssh-keygen -Y check-novalidate refuses it too" \
	keygen_check git line line.sanctum.sig
expect_success "ssh-keygen signs in namespace git" keygen_sign key git line line.git.sig
expect_exit 1 "namespace 'git', not 'sanctum-doc'" \
	"sanctum refuses ssh-keygen's git signature as a document signature" \
	tool_verify "$NS" line line.git.sig
expect_success "sanctum accepts it in namespace git" tool_verify git line line.git.sig

# A changed file fails against either tool's signature, by either tool.
for p in line mib; do
	{ cat "$p"; printf x; } >"$p.longer"
	# The same length with the first byte changed.
	{ printf '#'; tail -c +2 "$p"; } >"$p.changed"
	for t in longer changed; do
		expect_failure "$p.$t: ssh-keygen refuses sanctum's signature" \
			keygen_verify "$NS" "$p.$t" "$p.sanctum.sig"
		expect_exit 1 "does not match the message" \
			"$p.$t: sanctum refuses ssh-keygen's signature" \
			tool_verify "$NS" "$p.$t" "$p.keygen.sig"
		expect_exit 1 "does not match the message" \
			"$p.$t: sanctum refuses its own signature" \
			tool_verify "$NS" "$p.$t" "$p.sanctum.sig"
	done
done
expect_failure "ssh-keygen refuses sanctum's empty-file signature for a one-line file" \
	keygen_verify "$NS" line empty.sanctum.sig
expect_exit 1 "does not match the message" \
	"sanctum refuses ssh-keygen's empty-file signature for a one-line file" \
	tool_verify "$NS" line empty.keygen.sig

# Another key's signature does not pass as sanctum's key in allowed_signers.
expect_failure "ssh-keygen -Y verify refuses a signer missing from allowed_signers" \
	keygen_verify "$NS" line line.keygen.sig

# ---- fixed key: byte-identical signatures -------------------------------------------

# Ed25519 is deterministic and both tools armor alike, so the committed key signs the
# committed message into the committed file, whoever signs.
cp "$RES/test-key" test-key || skip_all "cannot copy the test key"
chmod 600 test-key || skip_all "cannot make the test key private"
expect_success "ssh-keygen signs the committed message with the committed key" \
	keygen_sign test-key "$NS" "$RES/message" kat.keygen.sig
check "ssh-keygen's signature is the committed one" cmp kat.keygen.sig "$RES/message.sig"
expect_success "sanctum signs the committed message with the committed seed" \
	tool_sign "$KAT_SEED" "$NS" "$RES/message" kat.sanctum.sig
check "sanctum's signature is byte-identical to ssh-keygen's" \
	cmp kat.sanctum.sig "$RES/message.sig"
expect_success "sanctum verifies the committed sha256 signature" \
	tool_verify "$NS" "$RES/message" "$RES/message.sha256.sig"
if keygen_sign test-key "$NS" "$RES/message" kat256.sig -O hashalg=sha256 2>/dev/null; then
	expect_success "sanctum verifies a fresh ssh-keygen sha256 signature" \
		tool_verify "$NS" "$RES/message" kat256.sig
	check "ssh-keygen's sha256 signature is the committed one" \
		cmp kat256.sig "$RES/message.sha256.sig"
else
	echo "ok - # skip this ssh-keygen has no -O hashalg=sha256"
fi

# CRLF line ends, as a signature pasted through some mail clients arrives.
awk '{ printf "%s\r\n", $0 }' line.keygen.sig >line.crlf.sig
expect_success "sanctum verifies a CRLF copy of ssh-keygen's signature" \
	tool_verify "$NS" line line.crlf.sig

test_done
