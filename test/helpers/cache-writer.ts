// A process that writes large evidence cache entries into a folder as fast as it can and
// says so on stdout after each, for a test to kill in the middle of a write:
//   node dist/test/helpers/cache-writer.js FOLDER
// Does nothing without a folder (the test runner loads every file under test/).

import { encodeEvidence } from '../../src/cache/entry.js';
import { FileEvidenceStore } from '../../src/cache/file-store.js';
import { evidenceCacheKey } from '../../src/cache/key.js';
import { untrustedBlob } from '../../src/evidence.js';

const folder = process.argv[2];
if (folder && process.argv[1]?.endsWith('cache-writer.js')) {
  const store = new FileEvidenceStore(folder, { now: Date.now, maxBytes: 1024 * 1024 * 1024, ttlMs: 3600_000 });
  for (let n = 0; ; n++) {
    const bytes = new Uint8Array(1024 * 1024).fill(n % 251);
    const entry = encodeEvidence({ searched: `writer ${n}`, blobs: [untrustedBlob({ format: 'simple-signing', bytes, location: `w${n}` })] }, Date.now())!;
    await store.put(evidenceCacheKey({ store: 'writer', repository: 'r', digest: String(n % 50), attachments: false }), entry);
    process.stdout.write(`${n}\n`);
  }
}
