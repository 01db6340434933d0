// Portieris v0.14.2 repository-pattern matching (helpers/wildcard), restated.
// Patterns are matched against the literal image string from the pod spec, never a
// normalised form: `nginx` does not match `docker.io/library/*`.

/**
 * `*` matches any run of characters, `/` and `:` included, and may match nothing.
 * The first piece is anchored at the start unless the pattern starts with `*`,
 * the last piece at the end unless it ends with `*`.
 */
export function globMatches(pattern: string, subject: string): boolean {
  if (pattern === '') return subject === '';
  if (pattern === '*') return true;
  const pieces = pattern.split('*');
  if (pieces.length === 1) return subject === pattern;

  let rest = subject;
  const last = pieces.length - 1;
  for (let i = 0; i < last; i++) {
    const index = rest.indexOf(pieces[i]);
    if (i === 0) {
      if (!pattern.startsWith('*') && index !== 0) return false;
    } else if (index < 0) {
      return false;
    }
    // Each piece is taken at its first occurrence, as Portieris does (no backtracking).
    rest = rest.slice(index + pieces[i].length);
  }
  return pattern.endsWith('*') || rest.endsWith(pieces[last]);
}

/** A pattern without a tag also matches the same name with any tag (`repo` matches `repo:1`). */
export function globMatchesAnyTag(pattern: string, subject: string): boolean {
  return globMatches(pattern, subject) || globMatches(`${pattern}:*`, subject);
}

/**
 * The v0.14.2 rule that closed the unanchored-wildcard bypass: a pattern with a `/` is
 * split at its first `/`, and its host part may only match the image's host part.
 */
export function patternMatchesImage(pattern: string, image: string): boolean {
  const slash = pattern.indexOf('/');
  if (slash < 0) return globMatchesAnyTag(pattern, image);
  const imageSlash = image.indexOf('/');
  if (imageSlash < 0) return false;
  return (
    globMatches(pattern.slice(0, slash), image.slice(0, imageSlash)) &&
    globMatchesAnyTag(pattern.slice(slash + 1), image.slice(imageSlash + 1))
  );
}
