export { startEmulator } from './emulator.js';
export type { Emulator, EmulatorFaults, EmulatorOptions, InjectedAppendError } from './emulator-api.js';
export type { EmulatorSecureOptions, EmulatorSecurityInfo } from './security/secure-mode.js';
export type { UserAccount } from './security/users.js';
