#!/bin/sh
# Interoperability with the stock age tool (Debian package `age`), both ways: what
# `sanctum age` writes, `age` reads, and the reverse. Covers payload sizes around the
# 64 KiB chunk boundary and a 10 MiB file, one and thirty recipients whose keys come from
# both tools, binary and armored files, identity and recipient files written by one tool
# and read by the other, passphrase-encrypted files and passphrase-protected identity
# files.
#
# Stock age (1.1.1) reads passphrases only from a terminal, so those steps type the
# passphrase into a pseudo-terminal made by util-linux `script`; without `script` they
# are skipped.

# shellcheck source=/dev/null # tests/lib.sh, named by ctest
. "$SANCTUM_TEST_LIB"
require_tool age age-keygen cmp head

W=$TEST_TMP/w
mkdir "$W" || skip_all "cannot make a work folder"
cd "$W" || skip_all "cannot enter the work folder"

# ---- keys ---------------------------------------------------------------------------

# make_keys TOOL PREFIX N: N identity files PREFIX-1.key ... PREFIX-N.key written by
# age-keygen (TOOL age) or by `sanctum age keygen` (TOOL sanctum).
# Each gets a PREFIX-i.pub holding its recipient, as `age-keygen -y` derives it, so every
# sanctum identity file is also read by the stock tool.
make_keys() {
	mk_tool=$1 mk_prefix=$2 mk_n=$3 mk_i=1
	while [ "$mk_i" -le "$mk_n" ]; do
		mk_file=$mk_prefix-$mk_i.key
		if [ "$mk_tool" = age ]; then
			age-keygen -o "$mk_file" 2>/dev/null || return 1
		else
			"$SANCTUM" age keygen -o "$mk_file" >/dev/null 2>&1 || return 1
		fi
		age-keygen -y "$mk_file" >"$mk_prefix-$mk_i.pub" || return 1
		mk_i=$((mk_i + 1))
	done
}

expect_success "age-keygen writes 15 identities" make_keys age ka 15
expect_success "sanctum age keygen writes 15 identities" make_keys sanctum ks 15

# A sanctum identity file names its recipient the way age-keygen does, and age agrees.
# shellcheck disable=SC2016 # expanded by the inner shell
check "sanctum key file names the recipient age-keygen derives" \
	sh -c 'grep -qx "# public key: $(cat ks-1.pub)" ks-1.key'
# shellcheck disable=SC2016
check "sanctum key file holds exactly one secret key line" \
	sh -c '[ "$(grep -c "^AGE-SECRET-KEY-1" ks-1.key)" -eq 1 ]'
check "sanctum key file has mode 0600" \
	sh -c 'ls -l ks-1.key | grep -q "^-rw-------"'

# Each tool derives the same recipient from the other's identity file.
# shellcheck disable=SC2016 # expanded by the inner shell
check "sanctum age keygen -y reads an age-keygen identity" \
	sh -c '"$1" age keygen -y ka-1.key | cmp - ka-1.pub' sh "$SANCTUM"
# shellcheck disable=SC2016
check "sanctum age keygen -y reads its own identity" \
	sh -c '"$1" age keygen -y ks-1.key | cmp - ks-1.pub' sh "$SANCTUM"

# Thirty recipients, alternating between the tools, in one recipients file with comments.
: >mixed.txt
i=1
while [ "$i" -le 15 ]; do
	{
		echo "# age-keygen $i"; cat "ka-$i.pub"; echo
		echo "# sanctum $i"; cat "ks-$i.pub"
	} >>mixed.txt
	i=$((i + 1))
done
# Identity files holding keys from both tools.
cat ka-15.key ks-15.key >both-last.key
cat ks-7.key ka-3.key >both-mid.key

# ---- payloads -----------------------------------------------------------------------

sizes="0 1 65535 65536 65537 10485760"
for n in $sizes; do
	head -c "$n" /dev/urandom >"p$n" || skip_all "cannot read /dev/urandom"
done

# age_empty_output FILE: stock age 1.1.1 creates its -o file on the first write, so an
# empty plaintext leaves no file at all. Count that as the empty output it stands for.
age_empty_output() {
	[ -e "$1" ] || : >"$1"
}

# run_tool TOOL ARGS...: runs `age ARGS` or `$SANCTUM age ARGS`.
# roundtrip DESC ENCRYPTOR DECRYPTOR IN ENC_ARGS -- DEC_ARGS: encrypts IN with one tool,
# decrypts with the other, and compares. ENCRYPTOR and DECRYPTOR are "age" or "sanctum".
run_tool() {
	if [ "$1" = age ]; then shift; age "$@"; else shift; "$SANCTUM" age "$@"; fi
}

# Variables are prefixed: the helpers of lib.sh use plain names such as `desc`.
roundtrip() {
	rt_desc=$1 rt_enc=$2 rt_dec=$3 rt_in=$4
	shift 4
	rt_eargs=
	while [ "$1" != -- ]; do rt_eargs="$rt_eargs $1"; shift; done
	shift
	rt_file=$rt_in.$rt_enc.age
	rt_out=$rt_in.$rt_dec.out
	# shellcheck disable=SC2086 # word splitting of the argument list is intended
	expect_success "$rt_desc: $rt_enc encrypts" \
		run_tool "$rt_enc" -e $rt_eargs -o "$rt_file" "$rt_in"
	expect_success "$rt_desc: $rt_dec decrypts" \
		run_tool "$rt_dec" -d "$@" -o "$rt_out" "$rt_file"
	[ "$rt_dec" = age ] && age_empty_output "$rt_out"
	check "$rt_desc: plaintext unchanged" cmp "$rt_in" "$rt_out"
	rm -f "$rt_file" "$rt_out"
}

for n in $sizes; do
	# One recipient, binary and armored, keys from the decrypting tool's keygen and
	# from the other tool's.
	roundtrip "$n bytes, age to sanctum, sanctum key" age sanctum "p$n" \
		-r "$(cat ks-1.pub)" -- -i ks-1.key
	roundtrip "$n bytes, sanctum to age, age key" sanctum age "p$n" \
		-r "$(cat ka-1.pub)" -- -i ka-1.key
	roundtrip "$n bytes armored, age to sanctum, age key" age sanctum "p$n" \
		-a -r "$(cat ka-2.pub)" -- -i ka-2.key
	roundtrip "$n bytes armored, sanctum to age, sanctum key" sanctum age "p$n" \
		-a -r "$(cat ks-2.pub)" -- -i ks-2.key

	# Thirty mixed recipients from a file; identity files mixing both tools' keys.
	roundtrip "$n bytes, 30 recipients, age to sanctum" age sanctum "p$n" \
		-R mixed.txt -- -i both-last.key
	roundtrip "$n bytes, 30 recipients, sanctum to age" sanctum age "p$n" \
		-R mixed.txt -- -i both-mid.key
	roundtrip "$n bytes armored, 30 recipients, sanctum to age" sanctum age "p$n" \
		-a -R mixed.txt -- -i both-last.key
	roundtrip "$n bytes armored, 30 recipients, age to sanctum" age sanctum "p$n" \
		-a -R mixed.txt -- -i both-mid.key
done

# Recipients given as a mix of -r and -R, decrypted by a key named by -r.
roundtrip "-r and -R together, sanctum to age" sanctum age p65537 \
	-r "$(cat ka-9.pub)" -R ks-3.pub -- -i ka-9.key
roundtrip "-r and -R together, age to sanctum" age sanctum p65537 \
	-R ka-4.pub -r "$(cat ks-9.pub)" -- -i ks-9.key

# A file for someone else is refused by both, with a failure exit.
age -e -r "$(cat ka-5.pub)" -o other.age p1
expect_exit 1 '.' "sanctum refuses age's file for another key" \
	"$SANCTUM" age -d -i ks-5.key -o other.out other.age
"$SANCTUM" age -e -r "$(cat ks-5.pub)" -o other2.age p1
expect_exit 1 '.' "age refuses sanctum's file for another key" \
	age -d -i ka-5.key -o other2.out other2.age

# ---- passphrases --------------------------------------------------------------------

pw='correct horse battery staple'

# on_tty TIMES COMMAND: runs the shell command COMMAND on a pseudo-terminal and types the
# passphrase $pw and Enter TIMES times. The typing waits in the terminal's input buffer
# until age reads it; `script -e` returns the command's exit status.
on_tty() {
	tty_times=$1
	while [ "$tty_times" -gt 0 ]; do
		printf '%s\n' "$pw"
		tty_times=$((tty_times - 1))
	done | script -qec "$2" /dev/null
}
printf '%s\n' "$pw" >pw.txt

if command -v script >/dev/null 2>&1; then
	for n in 0 65536 10485760; do
		# sanctum encrypts with a cheap work factor; age reads the passphrase on a tty.
		expect_success "$n bytes passphrase, sanctum encrypts" \
			"$SANCTUM" age -e -p --passphrase-file pw.txt --work-factor 10 \
			-o "p$n.pw.age" "p$n"
		expect_success "$n bytes passphrase, age decrypts" \
			on_tty 1 "age -d -o p$n.pw.out p$n.pw.age"
		age_empty_output "p$n.pw.out"
		check "$n bytes passphrase, sanctum to age: plaintext unchanged" \
			cmp "p$n" "p$n.pw.out"
		rm -f "p$n.pw.age" "p$n.pw.out"
	done

	# age encrypts (typed twice, its default work factor); sanctum reads the file.
	for armor in "" -a; do
		expect_success "passphrase${armor:+ armored}, age encrypts" \
			on_tty 2 "age -p $armor -o p65537.pw.age p65537"
		expect_success "passphrase${armor:+ armored}, sanctum decrypts" \
			"$SANCTUM" age -d --passphrase-file pw.txt -o p65537.pw.out p65537.pw.age
		check "passphrase${armor:+ armored}, age to sanctum: plaintext unchanged" \
			cmp p65537 p65537.pw.out
		rm -f p65537.pw.age p65537.pw.out
	done

	# Armored, sanctum to age; and a wrong passphrase is refused by each.
	expect_success "passphrase armored, sanctum encrypts" \
		"$SANCTUM" age -e -a -p --passphrase-file pw.txt --work-factor 10 -o a.pw.age p1
	expect_success "passphrase armored, age decrypts" \
		on_tty 1 "age -d -o a.pw.out a.pw.age"
	check "passphrase armored, sanctum to age: plaintext unchanged" cmp p1 a.pw.out
	printf 'wrong\n' >wrong.txt
	expect_exit 1 '.' "sanctum refuses a wrong passphrase" \
		"$SANCTUM" age -d --passphrase-file wrong.txt -o a.wrong.out a.pw.age
	check "age refuses a wrong passphrase" \
		sh -c '! printf "wrong\n" | script -qec "age -d -o a.wrong2.out a.pw.age" /dev/null'

	# Passphrase-protected identity files (as sanctum keeps its keys), each tool's
	# opened by the other.
	expect_success "sanctum protects an identity file with a passphrase" \
		"$SANCTUM" age -e -p -a --passphrase-file pw.txt --work-factor 10 \
		-o ks-6.key.age ks-6.key
	age -e -r "$(cat ks-6.pub)" -o for6.age p65537
	expect_success "age decrypts with sanctum's protected identity file" \
		on_tty 1 "age -d -i ks-6.key.age -o for6.out for6.age"
	check "protected sanctum identity in age: plaintext unchanged" cmp p65537 for6.out
	expect_success "age protects an identity file with a passphrase" \
		on_tty 2 "age -p -o ka-6.key.age ka-6.key"
	"$SANCTUM" age -e -r "$(cat ka-6.pub)" -o fora6.age p65537
	expect_success "sanctum decrypts with age's protected identity file" \
		"$SANCTUM" age -d -i ka-6.key.age --passphrase-file pw.txt -o fora6.out fora6.age
	check "protected age identity in sanctum: plaintext unchanged" cmp p65537 fora6.out
else
	echo "skipped: passphrase interop needs util-linux 'script' to drive age on a terminal"
fi

test_done
