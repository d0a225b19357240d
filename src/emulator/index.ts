export { startEmulator } from './emulator.js';
export type { Emulator, EmulatorFaults, EmulatorOptions, InjectedAppendError } from './emulator-api.js';
export { startCluster } from './cluster/index.js';
export type { ClusterNode, ClusterOptions, EmulatorCluster } from './cluster/index.js';
export type { VNodeStateName } from './node/vnode-state.js';
export type { EmulatorSecureOptions, EmulatorSecurityInfo } from './security/secure-mode.js';
export type { UserAccount } from './security/users.js';
