import type { ServerCredentials } from '@grpc/grpc-js';
import {
  createCertificateProviderServerCredentials,
  type CaCertificateUpdateListener,
  type CertificateProvider,
  type IdentityCertificateUpdateListener,
} from '@grpc/grpc-js/build/src/experimental.js';
import type { CertificateSet } from './certificates.js';

/**
 * TLS credentials that request a client certificate without requiring one, as the real server's Kestrel does
 * (`requestCert: true, rejectUnauthorized: false`): a certificate our CA signed shows up in the call's auth
 * context, a call without one still goes through. `ServerCredentials.createSsl` can only require a certificate
 * or not ask for one, so this goes through grpc-js's certificate-provider credentials with a provider that
 * holds the PEMs in memory.
 */
export function tlsServerCredentials(set: CertificateSet): ServerCredentials {
  const provider = new StaticCertificateProvider(set);
  // grpc-js passes this function's first argument into the identity slot; one provider for both avoids it.
  return createCertificateProviderServerCredentials(provider, provider, false);
}

class StaticCertificateProvider implements CertificateProvider {
  private readonly ca: Buffer;
  private readonly certificate: Buffer;
  private readonly privateKey: Buffer;

  constructor(set: CertificateSet) {
    this.ca = Buffer.from(set.caPem);
    this.certificate = Buffer.from(set.certPem);
    this.privateKey = Buffer.from(set.keyPem);
  }

  // Updates are delivered on the next microtask: grpc-js registers its watcher only after adding the listener,
  // so a synchronous update would be lost and every connection dropped as "credentials not loaded".
  addCaCertificateListener(listener: CaCertificateUpdateListener): void {
    queueMicrotask(() => listener({ caCertificate: this.ca }));
  }

  removeCaCertificateListener(): void {}

  addIdentityCertificateListener(listener: IdentityCertificateUpdateListener): void {
    queueMicrotask(() => listener({ certificate: this.certificate, privateKey: this.privateKey }));
  }

  removeIdentityCertificateListener(): void {}
}
