import { createHash, timingSafeEqual } from 'node:crypto';
import { LinkerError } from '../../shared/errors.js';

/** A user account of a secure emulator (the real server keeps these in `$user-NAME` streams). */
export interface UserAccount {
  readonly name: string;
  readonly password: string;
  readonly groups: readonly string[];
}

/** The real server's built-in accounts, created on first start with password `changeit`. */
export const DEFAULT_USERS: readonly UserAccount[] = [
  { name: 'admin', password: 'changeit', groups: ['$admins'] },
  { name: 'ops', password: 'changeit', groups: ['$ops'] },
];

/**
 * Parses `NAME:PASSWORD[:GROUP,...]` (the `--user` flag). The password may not contain `:` here because the
 * groups follow it; Basic credentials themselves split at the first colon, so a name may not contain one either.
 */
export function parseUserSpec(spec: string): UserAccount {
  const parts = spec.split(':');
  const [name, password, groups] = parts;
  if (parts.length < 2 || parts.length > 3 || !name || !password) {
    throw new LinkerError(
      'ESDBL_EMULATOR_BAD_OPTION',
      `emulator user must be NAME:PASSWORD or NAME:PASSWORD:GROUP[,GROUP...], got '${spec.replace(/:.*$/, ':***')}'`,
    );
  }
  const groupList = (groups ?? '')
    .split(',')
    .map((g) => g.trim())
    .filter((g) => g !== '');
  return { name, password, groups: groupList };
}

/** Who may log in. Later accounts with the same name replace earlier ones (so `--user admin:x` changes admin). */
export class UserDirectory {
  private readonly users = new Map<string, { account: UserAccount; digest: Buffer }>();

  constructor(accounts: readonly UserAccount[]) {
    for (const account of [...DEFAULT_USERS, ...accounts]) {
      if (account.name.includes(':')) {
        throw new LinkerError('ESDBL_EMULATOR_BAD_OPTION', `emulator user name '${account.name}' contains ':'`);
      }
      this.users.set(account.name, { account, digest: digest(account.password) });
    }
  }

  /** The account when `password` matches; undefined for an unknown user or a wrong password. */
  verify(name: string, password: string): UserAccount | undefined {
    const entry = this.users.get(name);
    // Digests have one length, so the comparison takes the same time whatever the guess.
    const given = digest(password);
    if (entry === undefined) return undefined;
    return timingSafeEqual(entry.digest, given) ? entry.account : undefined;
  }

  find(name: string): UserAccount | undefined {
    return this.users.get(name)?.account;
  }

  get names(): string[] {
    return [...this.users.keys()];
  }
}

function digest(password: string): Buffer {
  return createHash('sha256').update(password, 'utf8').digest();
}
