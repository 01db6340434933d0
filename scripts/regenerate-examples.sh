#!/usr/bin/env bash
# Regenerates the example signing key and every example signature with real gpg and
# skopeo: examples/images/*.json (the image manifests), .gate/keys/shop-release.asc and
# the lookaside under .gate/sigstore/ of examples/shop and examples/shop-denied.
# The manifests are fixed text, so their digests (used in the example YAML) never change.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
examples="$root/examples"
for tool in gpg skopeo sha256sum; do
  command -v "$tool" >/dev/null || { echo "regenerate-examples: needs $tool (apt-get install -y skopeo gnupg)" >&2; exit 1; }
done

GNUPGHOME=$(mktemp -d)
export GNUPGHOME
work=$(mktemp -d)
trap 'gpgconf --kill all >/dev/null 2>&1 || true; rm -rf "$GNUPGHOME" "$work"' EXIT

gpg --batch --passphrase '' --quick-gen-key 'Shop Release (gate example key) <release@shop.example>' rsa3072 sign never 2>/dev/null
fpr=$(gpg --with-colons --list-keys release@shop.example | awk -F: '/^fpr/ {print $10; exit}')
echo "signing key $fpr"

# One OCI image manifest per example image. Only their bytes matter: a signature covers sha256(manifest).
mkdir -p "$examples/images"
manifest() {
  local name=$1
  local config layer
  config=$(printf 'config:%s' "$name" | sha256sum | cut -d' ' -f1)
  layer=$(printf 'layer:%s' "$name" | sha256sum | cut -d' ' -f1)
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":1469},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s","size":3622892}]}\n' "$config" "$layer" > "$examples/images/$name.json"
}
digest() { sha256sum "$examples/images/$1.json" | cut -d' ' -f1; }

# sign EXAMPLE IMAGE SIGNED-IDENTITY: store a skopeo signature of images/IMAGE.json in the
# example's lookaside, under the repository registry.example.com/shop/IMAGE.
sign() {
  local example=$1 image=$2 identity=$3
  local dir="$examples/$example/.gate/sigstore/shop/$image@sha256=$(digest "$image")"
  mkdir -p "$dir"
  local n=1
  while [ -e "$dir/signature-$n" ]; do n=$((n + 1)); done
  skopeo standalone-sign -o "$dir/signature-$n" "$examples/images/$image.json" "$identity" "$fpr"
  skopeo standalone-verify "$examples/images/$image.json" "$identity" "$fpr" "$dir/signature-$n" >/dev/null
}

for image in web api migrate worker; do manifest "$image"; done

for example in shop shop-denied; do
  rm -rf "$examples/$example/.gate/sigstore"
  mkdir -p "$examples/$example/.gate/keys"
  gpg --armor --export "$fpr" > "$examples/$example/.gate/keys/shop-release.asc"
done

# examples/shop: every image signed for the identity it is deployed as.
sign shop web registry.example.com/shop/web:1.4
sign shop api registry.example.com/shop/api:2.1
sign shop migrate registry.example.com/shop/migrate:2.1

# examples/shop-denied: web is fine; api's signature was made for another repository;
# worker was never signed; redis:7 matches no policy pattern.
sign shop-denied web registry.example.com/shop/web:1.4
sign shop-denied api registry.example.com/shop/payments:2.1

for image in web api migrate worker; do echo "$image sha256:$(digest "$image")"; done

# The example's policy tests replay what `gate record` keeps: new signatures need a new recording.
(cd "$examples/shop" && node "$examples/../dist/src/cli/gate.js" record --offline)
