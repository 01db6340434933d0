#!/usr/bin/env bash
# Run this when a signature scenario is added or changed, or when the tools' output format
# matters again: it deletes and rewrites test/fixtures/signatures/<scenario>/ with new keys
# and signatures made by real gpg, gpg1 (v3 packets) and skopeo standalone-sign.
#
# Each scenario folder holds key.asc (the policy's public keys, armoured; more key files when
# the scenario has several requirements), signature-1, -2, … (binary blobs exactly as a
# lookaside stores them) and scenario.json: the INPUTS only (the digest, the intended image, what each signature claims,
# the signedIdentity rule, the date to evaluate at). manifests/ holds the two image manifests
# the signatures are about, for skopeo standalone-verify. What gate must answer is written by hand
# in test/verify/simple-signing/signatures.test.ts, from the scenario's meaning.
#
# gpg runs with a faked clock (2025-03-01, ticking), so keys and v4 signatures carry fixed
# dates; gpg1 has no such option, so v3 signatures carry the date the script ran. Every
# scenario is evaluated at NOW below: keys never expire, and NOW lies after every signature.
set -euo pipefail

NOW=2030-01-01T00:00:00Z
KEYS_DATE=20250301T000000
REVOKED_DATE=20250401T000000
OLD_KEY_DATE=20200101T000000
OLD_SIGNATURE_DATE=20200102T000000

root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/test/fixtures/signatures"
for tool in gpg gpg1 gpgconf skopeo sha256sum jq node; do
  command -v "$tool" >/dev/null || { echo "regenerate-signature-fixtures: needs $tool (apt-get install -y skopeo gnupg gnupg1 jq)" >&2; exit 1; }
done
if [ "$(date -u +%s)" -ge "$(date -u -d "$NOW" +%s)" ]; then
  echo "regenerate-signature-fixtures: it is past NOW=$NOW, so v3 signatures (dated today) would lie in the future: move NOW on" >&2
  exit 1
fi

GNUPGHOME=$(mktemp -d)
export GNUPGHOME
GPG1HOME=$(mktemp -d)
work=$(mktemp -d)
# gpg's chatter goes to a log, shown only when the script fails.
trap 'status=$?; [ "$status" -eq 0 ] || cat "$work/gpg.log" >&2; gpgconf --kill all >/dev/null 2>&1 || true; rm -rf "$GNUPGHOME" "$GPG1HOME" "$work"' EXIT
: > "$work/gpg.log"
# In gpg.conf, so that the gpg skopeo starts (through gpgme) keeps the same clock.
echo "faked-system-time $KEYS_DATE" > "$GNUPGHOME/gpg.conf"

gpg_() { gpg --batch --no-tty --pinentry-mode loopback --passphrase '' "$@" 2>>"$work/gpg.log"; }
gpg1_() { gpg1 --batch --no-tty --homedir "$GPG1HOME" "$@" 2>>"$work/gpg.log"; }
fingerprints() { gpg_ --with-colons --list-keys "$1" | awk -F: '/^fpr/ {print $10}'; }

# new_key NAME UID [ALGORITHM [FAKED-DATE]]: sets fpr_NAME (primary fingerprint).
new_key() {
  local name=$1 uid=$2 algorithm=${3:-rsa2048} faked=${4:-$KEYS_DATE}
  gpg_ --faked-system-time "$faked" --quick-gen-key "$uid" "$algorithm" sign never
  printf -v "fpr_$name" '%s' "$(fingerprints "$uid" | head -1)"
}
# add_subkey NAME UID: a signing subkey (gpg then signs with it); sets sub_NAME.
add_subkey() {
  gpg_ --quick-add-key "$(fingerprints "$2" | head -1)" rsa2048 sign never
  printf -v "sub_$1" '%s' "$(fingerprints "$2" | tail -1)"
}
# Revokes the first subkey of a key.
revoke_subkey() {
  local faked=$2
  printf 'key 1\nrevkey\ny\n0\n\ny\nsave\n' | gpg_ --faked-system-time "$faked" --command-fd 0 --edit-key "$1"
}

new_key team 'Team <team@example.com>'
new_key other 'Other <other@example.com>'
new_key old 'Old <old@example.com>' rsa2048 "$OLD_KEY_DATE"
new_key sub 'Sub <sub@example.com>'
add_subkey sub 'Sub <sub@example.com>'
new_key revoked 'Revoked <revoked@example.com>'
add_subkey revoked 'Revoked <revoked@example.com>'
new_key v3revoked 'V3 Revoked <v3revoked@example.com>'
add_subkey v3revoked 'V3 Revoked <v3revoked@example.com>'
new_key weak 'Weak <weak@example.com>' rsa1024
new_key dsa 'DSA <dsa@example.com>' dsa2048
# gpg1 signs with copies of the secret keys (gpg 2.2 ignores --force-v3-sigs).
for f in "$fpr_team" "$fpr_other" "$fpr_sub" "$fpr_v3revoked" "$fpr_weak" "$fpr_dsa"; do
  gpg_ --export-secret-keys "$f" | gpg1_ --import
done

# The two image manifests. Only their bytes matter: a signature covers sha256(manifest).
manifest() {
  local config layer
  config=$(printf 'config:%s' "$1" | sha256sum | cut -d' ' -f1)
  layer=$(printf 'layer:%s' "$1" | sha256sum | cut -d' ' -f1)
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":1024},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s","size":2048}]}' "$config" "$layer"
}
rm -rf "$out"
mkdir -p "$out/manifests"
manifest web > "$out/manifests/web.json"
manifest api > "$out/manifests/api.json"
digest_of() { echo "sha256:$(sha256sum "$1" | cut -d' ' -f1)"; }
DIGEST=$(digest_of "$out/manifests/web.json")
OTHER_DIGEST=$(digest_of "$out/manifests/api.json")
REPO=registry.example.com/team/web
TAGGED=$REPO:1.4
IMAGE=$REPO@$DIGEST

# payload DIGEST REFERENCE [TYPE [EXTRA-CRITICAL]]: a hand-written simple-signing payload.
payload() {
  jq -cn --arg digest "$1" --arg ref "$2" --arg type "${3:-atomic container signature}" --arg extra "${4:-}" \
    '{critical: ({type: $type, image: {"docker-manifest-digest": $digest}, identity: {"docker-reference": $ref}}
       + (if $extra == "" then {} else {note: $extra} end)), optional: {creator: "gate signature fixtures"}}'
}

# --- one scenario at a time -------------------------------------------------------------
dir='' requirements='[]' signatures='[]' intended='' count=0

# scenario NAME ABOUT [INTENDED]: starts a scenario whose image is manifests/web.json.
scenario() {
  dir="$out/$1"
  mkdir -p "$dir"
  jq -n --arg about "$2" '$about' > "$work/about"
  intended=${3:-$IMAGE} requirements='[]' signatures='[]' count=0
}
# requirement KEY-FILE KEYSECRET SIGNED-IDENTITY-JSON FINGERPRINT…: the key file holds every key named.
requirement() {
  local file=$1 secret=$2 identity=$3
  shift 3
  gpg_ --armor --export "$@" > "$dir/$file"
  requirements=$(jq -c --arg file "$file" --arg secret "$secret" --argjson identity "$identity" \
    '. + [{keySecret: $secret, keyFile: $file, signedIdentity: $identity}]' <<<"$requirements")
}
# record HOW SIGNER [SIGNED-DIGEST SIGNED-REFERENCE]: notes what the last signature file is.
record() {
  signatures=$(jq -c --arg file "signature-$count" --arg how "$1" --arg signer "$2" --arg digest "${3:-}" --arg ref "${4:-}" \
    '. + [{file: $file, madeBy: $how, signer: $signer}
          + (if $digest == "" then {} else {signedDigest: $digest, signedReference: $ref} end)]' <<<"$signatures")
}
# next: the file name of the scenario's next signature, in $target.
next() { count=$((count + 1)); target="$dir/signature-$count"; }

# skopeo_sign MANIFEST REFERENCE FINGERPRINT: what skopeo copy --sign-by stores.
skopeo_sign() {
  next
  skopeo standalone-sign -o "$target" "$out/manifests/$1.json" "$2" "$3"
  record "skopeo standalone-sign" "$3" "$(digest_of "$out/manifests/$1.json")" "$2"
}
# gpg_sign FINGERPRINT DIGEST REFERENCE [GPG-FLAGS…]: signs $work/payload.json.
gpg_sign() {
  local fpr=$1 digest=$2 ref=$3
  shift 3
  next
  gpg_ "$@" --local-user "$fpr!" --sign < "$work/payload.json" > "$target"
  record "gpg --sign $* of a hand-written payload" "$fpr" "$digest" "$ref"
}
# gpg1_sign FINGERPRINT DIGEST REFERENCE [GPG1-FLAGS…]: a version-3 signature of $work/payload.json.
gpg1_sign() {
  local fpr=$1 digest=$2 ref=$3
  shift 3
  next
  gpg1_ --force-v3-sigs "$@" --local-user "$fpr!" --sign < "$work/payload.json" > "$target"
  if ! gpg_ --list-packets < "$target" | grep -A1 '^:signature packet:' | grep -q 'version 3'; then
    echo "regenerate-signature-fixtures: gpg1 did not make a version-3 signature in $target" >&2
    exit 1
  fi
  record "gpg1 --force-v3-sigs $* --sign of a hand-written payload" "$fpr" "$digest" "$ref"
}
# corrupt FILE: flips bits in one byte near the end (inside the signature MPIs).
corrupt() {
  node -e 'const fs = require("fs"); const b = fs.readFileSync(process.argv[1]); b[b.length - 40] ^= 0x55; fs.writeFileSync(process.argv[1], b);' "$1"
  signatures=$(jq -c '.[-1].madeBy += ", then byte length-40 XOR 0x55"' <<<"$signatures")
}
done_scenario() {
  jq -n --slurpfile about "$work/about" --arg digest "$DIGEST" --arg intended "$intended" --arg now "$NOW" \
    --argjson requirements "$requirements" --argjson signatures "$signatures" \
    '{about: $about[0], manifest: "../manifests/web.json", manifestDigest: $digest, intendedReference: $intended, now: $now, requirements: $requirements, signatures: $signatures}' \
    > "$dir/scenario.json"
}

DEFAULT='{"type":"matchRepoDigestOrExact"}'
team_only() { requirement key.asc team "$DEFAULT" "$fpr_team"; }

# --- version-4 signatures ----------------------------------------------------------------
scenario accepted 'signed by the policy key with skopeo, for a tag of the image repository'
team_only; skopeo_sign web "$TAGGED" "$fpr_team"; done_scenario

scenario no-signature 'the lookaside holds no signature for the digest'
team_only; done_scenario

scenario other-key 'signed by a key the policy does not list'
team_only; skopeo_sign web "$TAGGED" "$fpr_other"; done_scenario

scenario two-keys-in-block 'the key file holds two keys; the second one signed'
requirement key.asc team "$DEFAULT" "$fpr_team" "$fpr_other"; skopeo_sign web "$TAGGED" "$fpr_other"; done_scenario

scenario other-digest 'signed by the policy key, for the digest of another manifest'
team_only; skopeo_sign api "$TAGGED" "$fpr_team"; done_scenario

scenario corrupted 'a skopeo signature with one byte altered'
team_only; skopeo_sign web "$TAGGED" "$fpr_team"; corrupt "$dir/signature-1"; done_scenario

scenario extra-critical-field 'a payload whose critical section has a key the format does not define'
team_only; payload "$DIGEST" "$TAGGED" '' 'not part of the format' > "$work/payload.json"; gpg_sign "$fpr_team" "$DIGEST" "$TAGGED"; done_scenario

scenario wrong-type 'a payload whose critical.type is not "atomic container signature"'
team_only; payload "$DIGEST" "$TAGGED" 'cosign container image signature' > "$work/payload.json"; gpg_sign "$fpr_team" "$DIGEST" "$TAGGED"; done_scenario

scenario hand-written-payload 'gpg --sign of a payload written to the format exactly'
team_only; payload "$DIGEST" "$TAGGED" > "$work/payload.json"; gpg_sign "$fpr_team" "$DIGEST" "$TAGGED"; done_scenario

scenario expired-signature "a key made on $OLD_KEY_DATE signed on $OLD_SIGNATURE_DATE with a signature that expires after one day"
requirement key.asc old "$DEFAULT" "$fpr_old"
payload "$DIGEST" "$TAGGED" > "$work/payload.json"; gpg_sign "$fpr_old" "$DIGEST" "$TAGGED" --faked-system-time "$OLD_SIGNATURE_DATE" --default-sig-expire 1d
done_scenario

scenario subkey 'skopeo signed with the primary fingerprint; gpg used the signing subkey'
requirement key.asc sub "$DEFAULT" "$fpr_sub"; skopeo_sign web "$TAGGED" "$fpr_sub"; done_scenario

scenario revoked-subkey "signed by a signing subkey that was revoked afterwards ($REVOKED_DATE); key.asc carries the revocation"
skopeo_sign web "$TAGGED" "$fpr_revoked"
revoke_subkey "$fpr_revoked" "$REVOKED_DATE"
requirement key.asc revoked "$DEFAULT" "$fpr_revoked"; done_scenario

scenario one-good-among-bad 'signature-1 corrupted, signature-2 by another key, signature-3 good'
team_only
skopeo_sign web "$TAGGED" "$fpr_team"; corrupt "$dir/signature-1"
skopeo_sign web "$TAGGED" "$fpr_other"
skopeo_sign web "$TAGGED" "$fpr_team"
done_scenario

scenario all-rejected 'signature-1 by another key, signature-2 by the policy key for another repository'
team_only
skopeo_sign web "$TAGGED" "$fpr_other"
skopeo_sign web registry.example.com/team/api:1.4 "$fpr_team"
done_scenario

scenario detached-then-data 'a detached signature followed by a literal-data packet: not a signed message'
team_only
payload "$DIGEST" "$TAGGED" > "$work/payload.json"; next
{ gpg_ --local-user "$fpr_team!" --detach-sign < "$work/payload.json"; gpg_ -z 0 --store < "$work/payload.json"; } > "$target"
record "gpg --detach-sign, then gpg -z 0 --store, concatenated" "$fpr_team"
done_scenario

scenario compression-bomb 'a signed message whose compressed data expands to 4 MiB and 4 KiB of zeros'
team_only
next; head -c $((4 * 1024 * 1024 + 4096)) /dev/zero | gpg_ -z 9 --local-user "$fpr_team!" --sign > "$target"
record "gpg -z 9 --sign of 4 MiB + 4 KiB of zero bytes" "$fpr_team"
done_scenario

scenario sha1-digest-algo 'a valid payload signed with SHA-1 as the hash'
team_only; payload "$DIGEST" "$TAGGED" > "$work/payload.json"; gpg_sign "$fpr_team" "$DIGEST" "$TAGGED" --digest-algo SHA1; done_scenario

scenario not-signed 'an OpenPGP literal-data message of a valid payload, without any signature'
team_only; payload "$DIGEST" "$TAGGED" > "$work/payload.json"; next; gpg_ --store < "$work/payload.json" > "$target"; record "gpg --store" ""; done_scenario

scenario dsa-key 'a valid payload signed by a DSA key'
requirement key.asc dsa "$DEFAULT" "$fpr_dsa"; payload "$DIGEST" "$TAGGED" > "$work/payload.json"; gpg_sign "$fpr_dsa" "$DIGEST" "$TAGGED"; done_scenario

# --- version-3 signatures (gpg1) ----------------------------------------------------------
scenario v3-signature 'a version-3 signature by the policy key'
team_only; payload "$DIGEST" "$TAGGED" > "$work/payload.json"; gpg1_sign "$fpr_team" "$DIGEST" "$TAGGED"; done_scenario

scenario v3-subkey 'a version-3 signature by the signing subkey'
requirement key.asc sub "$DEFAULT" "$fpr_sub"; payload "$DIGEST" "$TAGGED" > "$work/payload.json"; gpg1_sign "$sub_sub" "$DIGEST" "$TAGGED"; done_scenario

scenario v3-textmode 'a version-3 text-mode signature (type 0x01) of a payload with line breaks'
team_only; payload "$DIGEST" "$TAGGED" | jq . > "$work/payload.json"; gpg1_sign "$fpr_team" "$DIGEST" "$TAGGED" --textmode; done_scenario

scenario v3-other-key 'a version-3 signature by a key the policy does not list'
team_only; payload "$DIGEST" "$TAGGED" > "$work/payload.json"; gpg1_sign "$fpr_other" "$DIGEST" "$TAGGED"; done_scenario

scenario v3-other-digest 'a version-3 signature for the digest of another manifest'
team_only; payload "$OTHER_DIGEST" "$TAGGED" > "$work/payload.json"; gpg1_sign "$fpr_team" "$OTHER_DIGEST" "$TAGGED"; done_scenario

scenario v3-corrupted 'an uncompressed version-3 signature with one byte altered'
team_only; payload "$DIGEST" "$TAGGED" > "$work/payload.json"; gpg1_sign "$fpr_team" "$DIGEST" "$TAGGED" -z 0; corrupt "$dir/signature-1"; done_scenario

scenario v3-revoked-subkey 'a version-3 signature by a signing subkey that was revoked afterwards; key.asc carries the revocation'
payload "$DIGEST" "$TAGGED" > "$work/payload.json"; gpg1_sign "$sub_v3revoked" "$DIGEST" "$TAGGED"
revoke_subkey "$fpr_v3revoked" "$(date -u +%Y%m%dT%H%M%S)"
requirement key.asc v3revoked "$DEFAULT" "$fpr_v3revoked"; done_scenario

scenario v3-sha1-digest-algo 'a version-3 signature with SHA-1 as the hash'
team_only; payload "$DIGEST" "$TAGGED" > "$work/payload.json"; gpg1_sign "$fpr_team" "$DIGEST" "$TAGGED" --digest-algo SHA1; done_scenario

scenario v3-rsa1024 'a version-3 signature by an RSA key of 1024 bits'
requirement key.asc weak "$DEFAULT" "$fpr_weak"; payload "$DIGEST" "$TAGGED" > "$work/payload.json"; gpg1_sign "$fpr_weak" "$DIGEST" "$TAGGED"; done_scenario

scenario v3-dsa-key 'a version-3 signature by a DSA key'
requirement key.asc dsa "$DEFAULT" "$fpr_dsa"; payload "$DIGEST" "$TAGGED" > "$work/payload.json"; gpg1_sign "$fpr_dsa" "$DIGEST" "$TAGGED"; done_scenario

# --- signedIdentity: skopeo signs REFERENCE; the policy rule decides ------------------------
identity() {
  local name=$1 about=$2 rule=$3 signed=$4
  scenario "identity-$name" "$about"
  requirement key.asc team "$rule" "$fpr_team"; skopeo_sign web "$signed" "$fpr_team"; done_scenario
}
EXACT_REF="{\"type\":\"matchExactReference\",\"dockerReference\":\"$TAGGED\"}"
EXACT_REPO='{"type":"matchExactRepository","dockerRepository":"registry.example.com/release/web"}'
REMAP_TEAM='{"type":"remapIdentity","prefix":"registry.example.com/team","signedPrefix":"quay.io/upstream"}'
REMAP_MIRROR='{"type":"remapIdentity","prefix":"registry.example.com/mirror","signedPrefix":"quay.io/upstream"}'
REMAP_PARTIAL='{"type":"remapIdentity","prefix":"registry.example.com/te","signedPrefix":"quay.io/upstream"}'
identity default-other-tag 'default rule, digest image, signed for another tag of its repository' "$DEFAULT" "$REPO:2.0"
identity default-other-repository 'default rule, digest image, signed for another repository' "$DEFAULT" registry.example.com/team/api:1.4
identity exact-digest 'matchExact, signed for the digest reference itself' '{"type":"matchExact"}' "$IMAGE"
identity exact-tag 'matchExact, digest image, signed for a tag of its repository' '{"type":"matchExact"}' "$TAGGED"
identity repository-any-tag 'matchRepository, signed for another tag of the repository' '{"type":"matchRepository"}' "$REPO:nightly"
identity repository-other 'matchRepository, signed for another repository' '{"type":"matchRepository"}' registry.example.com/other/web:1.4
identity exact-reference-named 'matchExactReference, signed for the named reference' "$EXACT_REF" "$TAGGED"
identity exact-reference-other-tag 'matchExactReference, signed for another tag' "$EXACT_REF" "$REPO:1.5"
identity exact-repository-named 'matchExactRepository, signed in the named repository' "$EXACT_REPO" registry.example.com/release/web:9
identity exact-repository-own 'matchExactRepository, signed in the image'"'"'s own repository' "$EXACT_REPO" "$TAGGED"
identity remap-inside-remapped 'remapIdentity whose prefix covers the image, signed for the remapped name' "$REMAP_TEAM" quay.io/upstream/web:1.4
identity remap-inside-unmapped 'remapIdentity whose prefix covers the image, signed for the unmapped name' "$REMAP_TEAM" "$TAGGED"
identity remap-outside-own 'remapIdentity whose prefix does not cover the image, signed for its own name' "$REMAP_MIRROR" "$TAGGED"
identity remap-outside-remapped 'remapIdentity whose prefix does not cover the image, signed for a remapped name' "$REMAP_MIRROR" quay.io/upstream/web:1.4
identity remap-string-prefix 'remapIdentity whose prefix is only a string prefix of the repository, signed for its own name' "$REMAP_PARTIAL" "$TAGGED"

# --- several requirements (AND) -----------------------------------------------------------
scenario two-requirements-one-unmet 'two signedBy requirements (team, then other); only team signed'
team_only; requirement other-key.asc other "$DEFAULT" "$fpr_other"
skopeo_sign web "$TAGGED" "$fpr_team"
done_scenario

scenario two-requirements-both-met 'two signedBy requirements (team, then other); each key signed once'
team_only; requirement other-key.asc other "$DEFAULT" "$fpr_other"
skopeo_sign web "$TAGGED" "$fpr_team"
skopeo_sign web "$TAGGED" "$fpr_other"
done_scenario

echo "wrote $(find "$out" -name scenario.json | wc -l) scenarios to ${out#"$root/"} ($(find "$out" -type f -printf '%s\n' | awk '{s += $1} END {print s}') bytes)"
