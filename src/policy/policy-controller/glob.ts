// sigstore policy-controller's image globs (pkg/apis/glob/glob.go), restated: a glob is
// an anchored regular expression where `*` is any run of characters but `/` (it spans
// `:` and `@`), `**` any run at all, and everything else literal; the bare globs `*` and
// `*/*` mean Docker Hub's `index.docker.io/library/*` and `index.docker.io/*/*`. A glob is
// compared with go-containerregistry's name of the image — `index.docker.io/library/nginx`
// for Docker Hub — followed by `@sha256:…`, since the webhook resolves tags to digests
// before it validates; then with the image string as written, when that names a digest.

import type { ImageReference } from '../../reference/reference.js';

/** The characters policy-controller's validation allows in a glob. */
export const GLOB_CHARACTERS = /^[A-Za-z0-9\-_:/*.@]+$/;

export function globToRegExp(glob: string): RegExp {
  const expanded = glob === '*' ? 'index.docker.io/library/*' : glob === '*/*' ? 'index.docker.io/*/*' : glob;
  let source = '';
  for (let i = 0; i < expanded.length; i++) {
    const c = expanded[i];
    if (c === '*' && expanded[i + 1] === '*') {
      source += '.*';
      i++;
    } else if (c === '*') source += '[^/]*';
    else source += c.replace(/[.\\+?^${}()|[\]]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

/** go-containerregistry's Repository.Name(): Docker Hub as index.docker.io. */
export function ggcrName(ref: ImageReference): string {
  return `${ref.domain === 'docker.io' ? 'index.docker.io' : ref.domain}/${ref.path}`;
}

/**
 * Whether a glob matches the image as the webhook sees it: pinned to `digest` (it resolves
 * tags before it validates), and the image as written only when that is a digest form too.
 * A glob that names a tag never matches in the cluster, and so never here.
 */
export function globMatches(regexp: RegExp, ref: ImageReference, digest: string, written: string): boolean {
  return regexp.test(`${ggcrName(ref)}@${digest}`) || (written.includes('@sha256:') && regexp.test(written));
}
