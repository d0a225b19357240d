import { X509Certificate as NodeX509, webcrypto } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import type * as X509 from '@peculiar/x509';
import { LinkerError } from '../../shared/errors.js';

/** The CN gencert gives node certificates; a client certificate with it (and an IP/DNS SAN) is a node. */
export const NODE_COMMON_NAME = 'eventstoredb-node';

/** PEM material of one certificate set: what a TLS listener and every node of a cluster share. */
export interface CertificateSet {
  /** Absolute path of the CA certificate clients pass as `tlsCAFile`. */
  readonly caFile: string;
  readonly caPem: string;
  readonly certPem: string;
  readonly keyPem: string;
  /** The CA's private key, when the set was generated here: lets the emulator issue user certificates. */
  readonly caKeyPem: string | undefined;
}

/** Files of a user certificate issued by the development CA. */
export interface UserCertificateFiles {
  readonly certFile: string;
  readonly keyFile: string;
}

// ECDSA P-256 rather than gencert's RSA 2048: every TLS client here accepts it, and generation takes
// milliseconds instead of seconds, which matters for tests that start many secure emulators.
const KEY_ALGORITHM: webcrypto.EcKeyGenParams & webcrypto.EcdsaParams = {
  name: 'ECDSA',
  namedCurve: 'P-256',
  hash: 'SHA-256',
};
const CA_FILE = 'ca.crt';
const CA_KEY_FILE = 'ca.key';
const NODE_CERT_FILE = 'node.crt';
const NODE_KEY_FILE = 'node.key';
const DAY_MS = 86_400_000;
export const SERVER_AUTH_OID = '1.3.6.1.5.5.7.3.1';
export const CLIENT_AUTH_OID = '1.3.6.1.5.5.7.3.2';

// Passed explicitly rather than set in the library's global provider.
const CRYPTO = webcrypto as unknown as Parameters<typeof X509.X509CertificateGenerator.create>[1];

let x509Module: Promise<typeof X509> | undefined;

/**
 * Loaded on first use: the library needs the `reflect-metadata` polyfill (its dependency injection reads
 * decorators), which only secure mode should install.
 */
function loadX509(): Promise<typeof X509> {
  x509Module ??= import('reflect-metadata').then(() => import('@peculiar/x509'));
  return x509Module;
}

/** The hosts a node certificate must name: loopback both ways plus the listen host. */
export function nodeCertificateHosts(host: string): string[] {
  return [...new Set(['127.0.0.1', 'localhost', host].filter((h) => h !== '0.0.0.0' && h !== '::' && h !== ''))];
}

/**
 * The development certificate set in `dir` (created when missing): `ca.crt`/`ca.key` and `node.crt`/`node.key`.
 * An existing CA is kept across restarts so clients configured with it keep working; the node certificate is
 * issued again only when it does not cover every host in `hosts` or is about to expire.
 */
export async function devCertificates(dir: string, hosts: readonly string[]): Promise<CertificateSet> {
  const folder = resolve(dir);
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  const caFile = join(folder, CA_FILE);
  const caKeyFile = join(folder, CA_KEY_FILE);
  let caPem: string;
  let caKeyPem: string;
  if (existsSync(caFile) && existsSync(caKeyFile)) {
    caPem = readFileSync(caFile, 'utf8');
    caKeyPem = readFileSync(caKeyFile, 'utf8');
  } else {
    ({ certPem: caPem, keyPem: caKeyPem } = await createCa());
    writeFileSync(caKeyFile, caKeyPem, { mode: 0o600 });
    writeFileSync(caFile, caPem);
  }
  const certFile = join(folder, NODE_CERT_FILE);
  const keyFile = join(folder, NODE_KEY_FILE);
  if (existsSync(certFile) && existsSync(keyFile)) {
    const certPem = readFileSync(certFile, 'utf8');
    if (coversHosts(certPem, caPem, hosts)) {
      return { caFile, caPem, certPem, keyPem: readFileSync(keyFile, 'utf8'), caKeyPem };
    }
  }
  const node = await issue(caPem, caKeyPem, {
    commonName: NODE_COMMON_NAME,
    usages: [SERVER_AUTH_OID, CLIENT_AUTH_OID],
    hosts,
  });
  writeFileSync(keyFile, node.keyPem, { mode: 0o600 });
  writeFileSync(certFile, node.certPem);
  return { caFile, caPem, certPem: node.certPem, keyPem: node.keyPem, caKeyPem };
}

/** A fresh development set in a new temporary folder (an emulator without `--data`). */
export async function temporaryDevCertificates(hosts: readonly string[]): Promise<CertificateSet> {
  return devCertificates(mkdtempSync(join(tmpdir(), 'esdb-linker-certs-')), hosts);
}

/** A set from the user's own files (`--cert`, `--key`, `--ca`). */
export function certificatesFromFiles(files: { cert: string; key: string; ca: string }): CertificateSet {
  const read = (what: string, path: string): string => {
    try {
      return readFileSync(path, 'utf8');
    } catch (err) {
      throw new LinkerError(
        'ESDBL_EMULATOR_BAD_OPTION',
        `emulator ${what} file '${path}' cannot be read: ${(err as Error).message}`,
        { cause: err },
      );
    }
  };
  const certPem = read('certificate', files.cert);
  const keyPem = read('private key', files.key);
  const caPem = read('CA certificate', files.ca);
  try {
    new NodeX509(certPem);
    new NodeX509(caPem);
  } catch (err) {
    throw new LinkerError(
      'ESDBL_EMULATOR_BAD_OPTION',
      `emulator certificate files are not PEM certificates: ${(err as Error).message}`,
      { cause: err },
    );
  }
  return { caFile: resolve(files.ca), caPem, certPem, keyPem, caKeyPem: undefined };
}

/**
 * Issues a user certificate (CN = `user`, EKU clientAuth only, as gencert's `create-user`) from the set's CA and
 * writes `user-NAME.crt`/`.key` into `dir`.
 */
export async function issueUserCertificate(
  set: CertificateSet,
  user: string,
  dir: string,
): Promise<UserCertificateFiles> {
  if (set.caKeyPem === undefined) {
    throw new LinkerError(
      'ESDBL_EMULATOR_BAD_OPTION',
      'user certificates can only be issued by a development CA the emulator generated (its key is not known)',
    );
  }
  const made = await issue(set.caPem, set.caKeyPem, {
    commonName: user,
    usages: [CLIENT_AUTH_OID],
    hosts: [],
  });
  mkdirSync(dir, { recursive: true });
  const safe = user.replace(/[^A-Za-z0-9_.-]/g, '_');
  const certFile = join(resolve(dir), `user-${safe}.crt`);
  const keyFile = join(resolve(dir), `user-${safe}.key`);
  writeFileSync(keyFile, made.keyPem, { mode: 0o600 });
  writeFileSync(certFile, made.certPem);
  return { certFile, keyFile };
}

interface Issued {
  certPem: string;
  keyPem: string;
}

async function createCa(): Promise<Issued> {
  const x509 = await loadX509();
  const keys = await generateKeys();
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      name: 'CN=esdb-linker emulator development CA',
      keys,
      notBefore: new Date(now - DAY_MS),
      notAfter: new Date(now + 3650 * DAY_MS),
      signingAlgorithm: KEY_ALGORITHM,
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, CRYPTO),
      ],
    },
    CRYPTO,
  );
  return { certPem: cert.toString('pem'), keyPem: await exportKey(keys.privateKey) };
}

async function issue(
  caPem: string,
  caKeyPem: string,
  spec: { commonName: string; usages: string[]; hosts: readonly string[] },
): Promise<Issued> {
  const x509 = await loadX509();
  const ca = new x509.X509Certificate(caPem);
  const caKey = await importKey(caKeyPem);
  const keys = await generateKeys();
  const now = Date.now();
  const extensions: X509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
    new x509.ExtendedKeyUsageExtension(spec.usages),
    await x509.AuthorityKeyIdentifierExtension.create(ca, false, CRYPTO),
  ];
  if (spec.hosts.length > 0) {
    extensions.push(
      new x509.SubjectAlternativeNameExtension(
        spec.hosts.map((h) => ({ type: isIP(h) ? ('ip' as const) : ('dns' as const), value: h })),
      ),
    );
  }
  const cert = await x509.X509CertificateGenerator.create(
    {
      subject: `CN=${spec.commonName.replace(/([,+"\\<>;=])/g, '\\$1')}`,
      issuer: ca.subject,
      publicKey: keys.publicKey,
      signingKey: caKey,
      notBefore: new Date(now - DAY_MS),
      notAfter: new Date(now + 825 * DAY_MS),
      signingAlgorithm: KEY_ALGORITHM,
      extensions,
    },
    CRYPTO,
  );
  return { certPem: cert.toString('pem'), keyPem: await exportKey(keys.privateKey) };
}

function coversHosts(certPem: string, caPem: string, hosts: readonly string[]): boolean {
  try {
    const cert = new NodeX509(certPem);
    if (!cert.checkIssued(new NodeX509(caPem))) return false;
    if (Date.parse(cert.validTo) - Date.now() < 30 * DAY_MS) return false;
    return hosts.every((h) => (isIP(h) ? cert.checkIP(h) !== undefined : cert.checkHost(h) !== undefined));
  } catch {
    return false;
  }
}

async function generateKeys(): Promise<webcrypto.CryptoKeyPair> {
  return await webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify']);
}

async function exportKey(key: webcrypto.CryptoKey): Promise<string> {
  const x509 = await loadX509();
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

async function importKey(pem: string): Promise<webcrypto.CryptoKey> {
  const x509 = await loadX509();
  return webcrypto.subtle.importKey('pkcs8', x509.PemConverter.decodeFirst(pem), KEY_ALGORITHM, false, ['sign']);
}
