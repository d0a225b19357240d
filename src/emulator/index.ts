export { startEmulator } from './emulator.js';
export type { Emulator, EmulatorFaults, EmulatorOptions, InjectedAppendError } from './emulator-api.js';
