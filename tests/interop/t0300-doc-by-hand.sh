#!/bin/sh
# A document checked by hand, as docs/format.md tells a person to: decrypt it with the
# stock `age`, cut the signature block from the signed part with sed (or head and tail),
# and verify with `ssh-keygen -Y verify` against an allowed-signers line made from the
# author's SSH public key. The header is read with sed, the body and padding measured with
# head, tail and wc, the PADME length and the revision hash recomputed in the shell.
# A changed signed part (header, body or padding) must be refused by ssh-keygen and by
# sanctum. The other way round, a document written by hand with printf and signed by
# `ssh-keygen -Y sign` must be accepted by sanctum.
#
# Until the command line has document commands, tests/tools/doc_tool ($SANCTUM_DOC_TOOL)
# seals and opens documents; `sanctum age` encrypts them, as the store will.

# shellcheck source=/dev/null # tests/lib.sh, named by ctest
. "$SANCTUM_TEST_LIB"
require_tool age age-keygen ssh-keygen sed head tail cmp grep cut od tr wc sha256sum
TOOL=${SANCTUM_DOC_TOOL:?SANCTUM_DOC_TOOL must name the doc_tool helper}
# Bytes, not characters: bodies are binary.
LC_ALL=C
export LC_ALL
END='-----END SSH SIGNATURE-----'

W=$TEST_TMP/w
mkdir "$W" || skip_all "cannot make a work folder"
cd "$W" || skip_all "cannot enter the work folder"

ssh-keygen -q -t ed25519 -N '' -C probe -f probe-key || skip_all "ssh-keygen cannot make keys"
printf 'probe\n' | ssh-keygen -Y sign -f probe-key -n sanctum-doc >/dev/null 2>&1 ||
	skip_all "this ssh-keygen cannot sign files (-Y sign needs OpenSSH 8.2 or later)"

# padme LEN: the PADME bucket of LEN bytes, as docs/format.md defines it.
padme() {
	pl=$1 pe=0 ps=0
	[ "$pl" -lt 2 ] && { echo "$pl"; return; }
	while [ $((pl >> (pe + 1))) -gt 0 ]; do pe=$((pe + 1)); done
	while [ $((pe >> (ps + 1))) -gt 0 ]; do ps=$((ps + 1)); done
	pm=$(((1 << (pe - ps - 1)) - 1))
	echo $(((pl + pm) & ~pm))
}

# split_doc FILE: FILE.sig (the signature block) and FILE.signed (everything after it),
# cut with sed; the same cut with grep, head and tail must give the same bytes.
split_doc() {
	sed -n "1,/^$END\$/p" "$1" >"$1.sig" &&
	sed "1,/^$END\$/d" "$1" >"$1.signed" || return 1
	sp_n=$(grep -a -n -m 1 -x -e "$END" "$1" | cut -d: -f1)
	head -n "$sp_n" "$1" | cmp -s - "$1.sig" &&
	tail -n +"$((sp_n + 1))" "$1" | cmp -s - "$1.signed" &&
	cat "$1.sig" "$1.signed" | cmp -s - "$1"
}

# field FILE NAME: the value of a header field of a signed part (the header ends at the
# first empty line; sed stops there, so the body is never read as header).
field() { sed -n "/^\$/q; s/^$2 //p" "$1"; }

# verify SIG SIGNED: ssh-keygen checks SIG over SIGNED for principal aldport.
verify() {
	ssh-keygen -Y verify -f allowed_signers -I aldport -n sanctum-doc -s "$1" <"$2"
}

# expect_refused DESCRIPTION COMMAND...: ssh-keygen must refuse, for a signature reason.
expect_refused() {
	desc=$1; shift
	if "$@" >"$TEST_TMP/out" 2>"$TEST_TMP/err"; then not_ok "$desc (it succeeded)"
	elif ! cat "$TEST_TMP/out" "$TEST_TMP/err" | grep -iq 'verif'; then
		not_ok "$desc (failed, but not for a signature)"; sed 's/^/#   /' "$TEST_TMP/err"
	else ok "$desc"; fi
}

# ---- keys ---------------------------------------------------------------------------

expect_success "a member identity" "$TOOL" keygen aldport.id aldport server
# shellcheck disable=SC2016 # expanded by the inner shell
expect_success "its SSH public key" sh -c '"$1" pubkey aldport.id >aldport.pub' sh "$TOOL"
# shellcheck disable=SC2016
expect_success "its fingerprint" sh -c '"$1" fingerprint aldport.id >aldport.fp' sh "$TOOL"
# The member id sanctum shows is the fingerprint `ssh-keygen -l` prints.
# shellcheck disable=SC2016
check "ssh-keygen -l prints the same fingerprint" \
	sh -c 'ssh-keygen -l -f aldport.pub | cut -d" " -f2 | cmp - aldport.fp'
printf 'aldport namespaces="sanctum-doc" %s\n' "$(cat aldport.pub)" >allowed_signers
# The group's current epoch identity; here just a fresh age key.
if ! age-keygen -o epoch.key 2>/dev/null || ! age-keygen -y epoch.key >epoch.pub; then
	skip_all "age-keygen cannot make a key"
fi

# ---- documents sealed by sanctum, checked by hand ------------------------------------

printf '# Rapid-response hotline\n\nCall 555-0100, day and night.\n' >text.body
: >empty.body
head -c 1048576 /dev/urandom >binary.body || skip_all "cannot read /dev/urandom"

for d in text empty binary tombstone; do
	case $d in
		text) set -- text.body --title "Rapid-response hotline" --tag legal-aid \
			--tag hotline --type text/markdown ;;
		empty) set -- empty.body --title "Empty" ;;
		binary) set -- binary.body --title "Shelter map" --type application/pdf ;;
		tombstone) set -- empty.body --title "Rapid-response hotline" --deleted --rev 2 \
			--parent "$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')" ;;
	esac
	body=$1
	# shellcheck disable=SC2016 # expanded by the inner shell
	expect_success "$d: doc_tool seals it" \
		sh -c 'tool=$1 out=$2; shift 2; "$tool" seal aldport.id "$@" >"$out"' \
		sh "$TOOL" "$d.plain" "$@"
	expect_success "$d: sanctum age encrypts it to the epoch key" \
		"$SANCTUM" age -e -r "$(cat epoch.pub)" -o "$d.age" "$d.plain"

	# age -d, then split and verify: the steps of docs/format.md.
	# shellcheck disable=SC2016
	expect_success "$d: stock age decrypts it" \
		sh -c 'age -d -i epoch.key "$1.age" >"$1.txt"' sh "$d"
	check "$d: the decrypted text is the sealed plaintext" cmp "$d.txt" "$d.plain"
	check "$d: sed, and head with tail, split it alike" split_doc "$d.txt"
	check "$d: the signature block is 6 lines" \
		test "$(wc -l <"$d.txt.sig")" -eq 6
	expect_success "$d: ssh-keygen -Y verify accepts the signed part" \
		verify "$d.txt.sig" "$d.txt.signed"
	cp "$TEST_TMP/out" "$d.verified"
	check "$d: ssh-keygen names the author's key" grep -qxF \
		"Good \"sanctum-doc\" signature for aldport with ED25519 key $(cat aldport.fp)" \
		"$d.verified"
	check "$d: the author field is that key's fingerprint" \
		test "$(field "$d.txt.signed" author)" = "$(cat aldport.fp)"
	check "$d: the signed part starts with the version line" \
		test "$(head -n 1 "$d.txt.signed")" = "sanctum-doc v1"

	# The body: 'size' bytes after the header's blank line, then zero bytes only, up to
	# the PADME bucket of the whole plaintext.
	hdr=$(sed '/^$/q' "$d.txt.signed" | wc -c)
	size=$(field "$d.txt.signed" size)
	total=$(wc -c <"$d.txt")
	# shellcheck disable=SC2016
	check "$d: the body is 'size' bytes after the header" \
		sh -c 'tail -c +"$(($2 + 1))" "$1.txt.signed" | head -c "$3" | cmp - "$4"' \
		sh "$d" "$hdr" "$size" "$body"
	# shellcheck disable=SC2016
	check "$d: only zero bytes follow the body" \
		sh -c 'test "$(tail -c +"$(($2 + $3 + 1))" "$1" | tr -d "\000" | wc -c)" -eq 0' \
		sh "$d.txt.signed" "$hdr" "$size"
	check "$d: the plaintext is padded to its PADME bucket" \
		test "$(padme $(($(wc -c <"$d.txt.sig") + hdr + size)))" -eq "$total"
	expect_success "$d: sanctum opens it and names the same id" \
		"$TOOL" open "$d.txt" --id "$(field "$d.txt.signed" id)"
	cp "$TEST_TMP/out" "$d.opened"
	check "$d: the revision hash is the SHA-256 of the signed part" \
		grep -qx "hash $(sha256sum <"$d.txt.signed" | cut -d' ' -f1)" "$d.opened"
	check "$d: sanctum gives back the body" cmp "$d.txt.body" "$body"
done
check "tombstone: state deleted, size 0" \
	test "$(field tombstone.txt.signed state) $(field tombstone.txt.signed size)" = "deleted 0"
check "text: both tags, in order" \
	test "$(field text.txt.signed tag | tr '\n' ' ')" = "legal-aid hotline "

# ---- tampering ----------------------------------------------------------------------

# A changed title, a changed body byte, a padding byte that is not zero, a dropped
# padding byte, an appended byte: ssh-keygen and sanctum refuse each.
sed 's/^title Rapid-response hotline$/title Rapid-response hotlime/' text.txt.signed >t-title
# (40000 bytes from the end is in the body: the padding of 1 MiB is under 32 KiB.)
if [ "$(tail -c 40000 binary.txt.signed | head -c 1)" = X ]; then c=Y; else c=X; fi
{ head -c "$(($(wc -c <binary.txt.signed) - 40000))" binary.txt.signed; printf '%s' "$c"
  tail -c 39999 binary.txt.signed; } >t-body
{ head -c "$(($(wc -c <text.txt.signed) - 1))" text.txt.signed; printf '\001'; } >t-pad
head -c "$(($(wc -c <text.txt.signed) - 1))" text.txt.signed >t-short
{ cat text.txt.signed; printf '\000'; } >t-long
for t in title body pad short long; do
	case $t in body) sig=binary.txt.sig ;; *) sig=text.txt.sig ;; esac
	# shellcheck disable=SC2016 # expanded by the inner shell
	check "tampered $t: the signed part did change" \
		sh -c '! cmp -s "$1" text.txt.signed && ! cmp -s "$1" binary.txt.signed' sh "t-$t"
	expect_refused "tampered $t: ssh-keygen -Y verify refuses it" verify "$sig" "t-$t"
	cat "$sig" "t-$t" >"t-$t.txt"
	expect_exit 1 "problem bad-signature" "tampered $t: sanctum refuses it" \
		"$TOOL" open "t-$t.txt"
done
expect_exit 1 "problem id-mismatch" "sanctum refuses a document under another id" \
	"$TOOL" open text.txt --id 00000000000000000000000000000000

# ---- a document written by hand -----------------------------------------------------

# With printf, a key ssh-keygen made, and ssh-keygen -Y sign: a person can write a
# revision sanctum accepts, so no one depends on sanctum to produce their documents.
ssh-keygen -q -t ed25519 -N '' -C hand -f hand-key || skip_all "ssh-keygen cannot make keys"
hand_fp=$(ssh-keygen -l -f hand-key.pub | cut -d' ' -f2)
# write_by_hand AUTHOR OUT: header and body with printf, zero padding with head, the
# signature with ssh-keygen, the two concatenated.
write_by_hand() {
	printf 'sanctum-doc v1\nid 0123456789abcdef0123456789abcdef\nrev 1\nparent none\n' >h.part
	printf 'author %s\ntime 1764435600\ntype text/plain\ntitle Written by hand\n' "$1" >>h.part
	printf 'tag manual\nsize 6\nstate live\n\nhello\n' >>h.part
	# Every Ed25519 signature block in namespace sanctum-doc is 306 bytes long.
	hb_len=$(wc -c <h.part)
	head -c "$(($(padme $((306 + hb_len))) - 306 - hb_len))" /dev/zero >>h.part
	ssh-keygen -Y sign -f hand-key -n sanctum-doc <h.part >h.sig 2>/dev/null &&
	test "$(wc -c <h.sig)" -eq 306 && cat h.sig h.part >"$2"
}
expect_success "a revision written with printf and ssh-keygen -Y sign" \
	write_by_hand "$hand_fp" hand.txt
expect_success "sanctum accepts it" "$TOOL" open hand.txt --id 0123456789abcdef0123456789abcdef
cp "$TEST_TMP/out" hand.opened
check "sanctum names ssh-keygen's key as its author" grep -qxF "author $hand_fp" hand.opened
check "sanctum reads its tag" grep -qx "tag manual" hand.opened
expect_success "the same, with an author field naming another key" \
	write_by_hand "$(cat aldport.fp)" hand-wrong.txt
expect_exit 1 "problem author-mismatch" "sanctum refuses it: the author did not sign it" \
	"$TOOL" open hand-wrong.txt
# A signature in namespace git is no document signature.
ssh-keygen -Y sign -f hand-key -n git <h.part >h-git.sig 2>/dev/null
cat h-git.sig h.part >hand-git.txt
expect_exit 1 "problem bad-signature" "sanctum refuses a signature in namespace git" \
	"$TOOL" open hand-git.txt

test_done
