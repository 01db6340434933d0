import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { addRegistriesFile, emptyRegistriesConfig, lookasideFor, scopesFor } from '../../src/policy/registries-d.js';
import { parseReference } from '../../src/reference/reference.js';
import { throwsGateError } from '../helpers/assert.js';

const D = 'sha256:' + 'c'.repeat(64);

function ref(s: string) {
  const parsed = parseReference(s);
  assert.ok(parsed.ok);
  return parsed.ref;
}

describe('containers-registries.d', () => {
  it('searches the full identity, then namespaces, then the host, then *.domain (containers/image order)', () => {
    assert.deepEqual(scopesFor(ref('a.b.example.com:5000/ns/repo:1')), [
      'a.b.example.com:5000/ns/repo:1',
      'a.b.example.com:5000/ns/repo',
      'a.b.example.com:5000/ns',
      'a.b.example.com:5000',
      '*.b.example.com',
      '*.example.com',
      '*.com',
    ]);
    assert.deepEqual(scopesFor(ref(`quay.io/x@${D}`)).slice(0, 2), [`quay.io/x@${D}`, 'quay.io/x']);
  });

  it('takes the most specific scope with a lookaside; an empty one passes on; then default-docker', () => {
    const config = emptyRegistriesConfig();
    addRegistriesFile(config, 'default-docker:\n  lookaside: https://default.example/sigs\n', '/etc/r/a.yaml');
    addRegistriesFile(
      config,
      'docker:\n  reg.example.com:\n    lookaside: https://host.example/sigs\n  reg.example.com/team:\n    use-sigstore-attachments: true\n  reg.example.com/team/special:\n    sigstore: https://legacy.example/sigs\n',
      '/etc/r/b.yaml',
    );
    assert.equal(lookasideFor(config, ref('reg.example.com/team/web:1'))?.base, 'https://host.example/sigs');
    assert.equal(lookasideFor(config, ref('reg.example.com/team/special:1'))?.scope, 'reg.example.com/team/special');
    assert.equal(lookasideFor(config, ref('reg.example.com/team/special:1'))?.base, 'https://legacy.example/sigs');
    assert.equal(lookasideFor(config, ref('quay.io/other/app:1'))?.scope, 'default-docker');
  });

  it('resolves a relative file: lookaside against the registries.d folder', () => {
    const config = emptyRegistriesConfig();
    addRegistriesFile(config, 'docker:\n  reg.example.com:\n    lookaside: file:../sigstore\n', '/repo/.gate/registries.d/x.yaml');
    assert.equal(lookasideFor(config, ref('reg.example.com/a:1'))?.base, `file://${path.resolve('/repo/.gate/sigstore')}`);
  });

  it('resolves it against where the file is, not against the name messages show (relative to another folder)', () => {
    const config = emptyRegistriesConfig();
    addRegistriesFile(config, 'docker:\n  reg.example.com:\n    lookaside: file:../sigstore\n', '.gate/registries.d/x.yaml', '/elsewhere/repo/.gate/registries.d/x.yaml');
    assert.equal(lookasideFor(config, ref('reg.example.com/a:1'))?.base, 'file:///elsewhere/repo/.gate/sigstore');
  });

  it('refuses a scope defined twice, default-docker twice, unknown keys and other schemes', () => {
    const config = emptyRegistriesConfig();
    addRegistriesFile(config, 'docker:\n  reg.example.com:\n    lookaside: https://a\ndefault-docker:\n  lookaside: https://b\n', '/r/a.yaml');
    const refused = (text: string, pattern: RegExp) =>
      throwsGateError(() => addRegistriesFile(config, text, '/r/b.yaml'), 'REGISTRIES_D_INVALID', { message: pattern });
    refused('docker:\n  reg.example.com:\n    lookaside: https://c\n', /already defined in \/r\/a\.yaml:2/);
    refused('default-docker:\n  lookaside: https://c\n', /"default-docker" is already defined/);
    refused('docker:\n  other.example.com:\n    look-aside: https://c\n', /unknown key "look-aside"/);
    refused('docker:\n  other.example.com:\n    lookaside: ftp://c\n', /unsupported lookaside URL/);
    refused('docker:\n  other.example.com:\n    lookaside: file://relative/x\n', /absolute path/);
  });
});
