import { join } from 'node:path';
import { ServerCredentials } from '@grpc/grpc-js';
import { LinkerError } from '../../shared/errors.js';
import type { EventStore } from '../store/event-store.js';
import { insecureCallSecurity, secureCallSecurity, type CallSecurity } from './call-security.js';
import {
  certificatesFromFiles,
  devCertificates,
  issueUserCertificate,
  nodeCertificateHosts,
  temporaryDevCertificates,
  type CertificateSet,
  type UserCertificateFiles,
} from './certificates.js';
import { tlsServerCredentials } from './tls-credentials.js';
import { parseUserSpec, UserDirectory, type UserAccount } from './users.js';

/** `startEmulator({ secure })`: TLS, users and ACLs like a real secure node. */
export interface EmulatorSecureOptions {
  /** PEM node certificate (with SANs for every name clients dial); with `keyFile` and `caFile`. */
  certFile?: string;
  keyFile?: string;
  /** PEM CA that signed the node certificate and the user certificates to accept. */
  caFile?: string;
  /** Users besides `admin` and `ops` (password `changeit`): accounts or `NAME:PASSWORD[:GROUP,...]`. */
  users?: readonly (UserAccount | string)[];
}

/** The certificates and users a secure emulator (or every node of a secure cluster) shares. */
export interface SecurityMaterial {
  readonly certificates: CertificateSet;
  readonly users: UserDirectory;
}

/** What a running secure emulator tells its user. */
export interface EmulatorSecurityInfo {
  /** Absolute path of the CA certificate (`tlsCAFile`). */
  readonly caFile: string;
  /** Issues a user certificate (CN = `user`, EKU clientAuth) from the development CA into `dir`. */
  issueUserCertificate(user: string, dir: string): Promise<UserCertificateFiles>;
}

/**
 * Loads or creates the certificate set and the user directory. Generated certificates go to `DATA/certs`
 * (reused on restart) or, without a data directory, to a new temporary folder.
 */
export async function loadSecurityMaterial(
  options: EmulatorSecureOptions,
  place: { host: string; dataDir: string | undefined },
): Promise<SecurityMaterial> {
  const given = [options.certFile, options.keyFile, options.caFile].filter((f) => f !== undefined).length;
  if (given !== 0 && given !== 3) {
    throw new LinkerError(
      'ESDBL_EMULATOR_BAD_OPTION',
      'emulator TLS files come together: give the certificate, its key and the CA (--cert, --key, --ca), or none',
    );
  }
  const hosts = nodeCertificateHosts(place.host);
  const certificates =
    given === 3
      ? certificatesFromFiles({ cert: options.certFile!, key: options.keyFile!, ca: options.caFile! })
      : place.dataDir !== undefined
        ? await devCertificates(join(place.dataDir, 'certs'), hosts)
        : await temporaryDevCertificates(hosts);
  const users = new UserDirectory((options.users ?? []).map((u) => (typeof u === 'string' ? parseUserSpec(u) : u)));
  return { certificates, users };
}

/** Loads the material when `secure` asks for it; undefined in insecure mode. */
export async function securityMaterialFor(
  secure: boolean | EmulatorSecureOptions | undefined,
  place: { host: string; dataDir: string | undefined },
): Promise<SecurityMaterial | undefined> {
  if (secure === undefined || secure === false) return undefined;
  return loadSecurityMaterial(secure === true ? {} : secure, place);
}

/** What every node over one store shares: its transport credentials, its call security and the public info. */
export interface StoreSecurity {
  /** Fresh credentials for each bind (a restarted cluster node binds again). */
  credentials(): ServerCredentials;
  readonly calls: CallSecurity;
  readonly info: EmulatorSecurityInfo | undefined;
}

/**
 * Transport credentials and call security over `store`: secure when `material` is given. The nodes of a
 * cluster share one, so they present one certificate and one user and ACL view, as real nodes configured
 * alike over a replicated `$settings` do.
 */
export function storeSecurity(material: SecurityMaterial | undefined, store: EventStore): StoreSecurity {
  if (material === undefined) {
    return { credentials: () => ServerCredentials.createInsecure(), calls: insecureCallSecurity, info: undefined };
  }
  return {
    credentials: () => tlsServerCredentials(material.certificates),
    calls: secureCallSecurity(store, material.users),
    info: {
      caFile: material.certificates.caFile,
      issueUserCertificate: (user, dir) => issueUserCertificate(material.certificates, user, dir),
    },
  };
}

/** The connection string both clients accept as printed (admin's default credentials in secure mode). */
export function connectionStringFor(hosts: readonly string[], material: SecurityMaterial | undefined): string {
  const list = hosts.join(',');
  if (material === undefined) return `esdb://${list}?tls=false`;
  const password = encodeURIComponent(material.users.find('admin')?.password ?? 'changeit');
  return `esdb://admin:${password}@${list}?tls=true&tlsCAFile=${material.certificates.caFile}`;
}
