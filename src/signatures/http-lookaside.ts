// The lookaside over http(s): GET <base>/<repository path>@sha256=<hex>/signature-N for
// N = 1, 2, … until a 404. Any other status fails the whole lookup (containers/image),
// at most 128 signatures of 4 MiB each. A storeSecret's credentials go to the
// lookaside's own origin only.

import { redact, TransportError, type HttpClient } from '../registry/http.js';
import type { Credential } from '../registry/credentials.js';
import type { ImageReference } from '../reference/reference.js';
import type { UntrustedSignature } from '../verify/evaluate.js';
import { sniffSignatureBlob } from './format.js';
import { lookasideSignatureUrl } from './lookaside.js';
import { guarded, MAX_SIGNATURE_BYTES, MAX_SIGNATURES, type SignatureLookupResult, type SignatureSource } from './source.js';

export class HttpLookaside implements SignatureSource {
  constructor(
    private readonly base: string,
    private readonly http: HttpClient,
    private readonly credential?: Credential,
    /** Whether credentials may cross plain HTTP to this host:port (declared insecure). */
    private readonly cleartextAllowed: (hostPort: string) => boolean = () => false,
  ) {}

  async lookup(ref: ImageReference, digest: string): Promise<SignatureLookupResult> {
    const searched = redact(lookasideSignatureUrl(this.base, ref, digest, 1)).replace(/signature-1$/, 'signature-N');
    const base = new URL(this.base);
    if (this.credential && base.protocol === 'http:' && !this.cleartextAllowed(base.host)) {
      return {
        ok: false,
        reason: 'AUTH_FAILED',
        message: `refusing to send ${this.credential.source} in clear text to ${base.origin}`,
        hint: `serve the lookaside over https, or name ${base.host} with --insecure-registry if plain HTTP is intended`,
        searched,
      };
    }
    const headers: Record<string, string> = this.credential
      ? { authorization: `Basic ${Buffer.from(`${this.credential.username}:${this.credential.password}`).toString('base64')}` }
      : {};
    return guarded(searched, async () => {
      const signatures: UntrustedSignature[] = [];
      let ignored = 0;
      for (let index = 1; ; index++) {
        if (index > MAX_SIGNATURES) throw new TransportError('BAD_SIGNATURE', `more than ${MAX_SIGNATURES} signatures in ${searched}; assuming the store is broken`);
        const url = lookasideSignatureUrl(this.base, ref, digest, index);
        const location = redact(url);
        const response = await this.http.fetch(url, { headers, maxBytes: MAX_SIGNATURE_BYTES });
        if (response.status === 404) break;
        if (response.status === 401 || response.status === 403) {
          throw new TransportError(
            'AUTH_FAILED',
            `${location}: ${response.status}${this.credential ? ` with ${this.credential.source}` : ' without credentials'}`,
            'set simple.storeSecret in the policy to a Secret with data.username and data.password for the lookaside',
          );
        }
        if (response.status !== 200) throw new TransportError('UNREACHABLE', `${location}: the lookaside answered ${response.status}`);
        const sniffed = sniffSignatureBlob(response.body);
        if (sniffed.format === 'unknown') throw new TransportError('BAD_SIGNATURE', `${location}: ${sniffed.message}`);
        if (sniffed.format === 'simple-signing') signatures.push({ bytes: sniffed.blob, location });
        else ignored++;
      }
      return { signatures, ignored, searched };
    });
  }
}
