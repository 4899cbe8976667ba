// The cluster's credentials (the counterpart of corosync-keygen's authkey): a cluster CA
// and one certificate for the cluster's members, valid for every node address, used by
// etcd for client and peer TLS with client certificates required, and by tandem as its
// client certificate. A node without them cannot join, nor read anything. Made with the
// system's openssl; every file is mode 0600.

import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../model/errors.js';

const validDays = 3650;

export interface CredentialFiles {
  caCert: string;
  caKey: string;
  cert: string;
  key: string;
}

export function credentialFiles(directory: string): CredentialFiles {
  return { caCert: join(directory, 'ca.crt'), caKey: join(directory, 'ca.key'), cert: join(directory, 'cluster.crt'), key: join(directory, 'cluster.key') };
}

function openssl(args: string[]): void {
  const result = spawnSync('openssl', args, { encoding: 'utf8' });
  if (result.error) throw new InputError(`tandem keygen needs openssl: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`openssl ${args[0]} failed: ${result.stderr.trim()}`);
}

const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/**
 * Makes (or renews, keeping an existing CA) the cluster's certificate for these addresses.
 * Returns the files written.
 */
export function makeCredentials(directory: string, addresses: string[]): CredentialFiles {
  for (const address of addresses) if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(address)) throw new InputError(`--address ${address}: expected an IPv4 address`);
  mkdirSync(directory, { recursive: true, mode: 0o700 });
  const files = credentialFiles(directory);
  if (!existsSync(files.caCert) || !existsSync(files.caKey)) {
    openssl(['req', '-x509', ...ecKey, '-keyout', files.caKey, '-out', files.caCert, '-days', String(validDays), '-subj', '/CN=tandem cluster CA']);
  }
  const request = join(directory, 'cluster.csr');
  const extensions = join(directory, 'cluster.ext');
  const names = ['DNS:localhost', 'IP:127.0.0.1', ...new Set(addresses)].map((name) => (name.includes(':') ? name : `IP:${name}`));
  writeFileSync(extensions, `subjectAltName=${names.join(',')}\nextendedKeyUsage=serverAuth,clientAuth\nkeyUsage=digitalSignature,keyEncipherment\n`);
  try {
    openssl(['req', ...ecKey, '-keyout', files.key, '-out', request, '-subj', '/CN=tandem cluster member']);
    openssl(['x509', '-req', '-in', request, '-CA', files.caCert, '-CAkey', files.caKey, '-CAcreateserial', '-out', files.cert, '-days', String(validDays), '-extfile', extensions]);
  } finally {
    rmSync(request, { force: true });
    rmSync(extensions, { force: true });
    rmSync(join(directory, 'ca.srl'), { force: true });
  }
  for (const path of Object.values(files)) chmodSync(path, 0o600);
  return files;
}

/** What an etcd client presents: the CA to trust, the certificate and its key. */
export function loadCredentials(directory: string): { rootCertificate: Buffer; certChain: Buffer; privateKey: Buffer } {
  const files = credentialFiles(directory);
  const read = (path: string) => {
    try {
      return readFileSync(path);
    } catch {
      throw new InputError(`${path}: missing; make the cluster's credentials with: tandem keygen --dir ${directory} --address ADDR ...`);
    }
  };
  return { rootCertificate: read(files.caCert), certChain: read(files.cert), privateKey: read(files.key) };
}
