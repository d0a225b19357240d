export { startCluster } from './cluster.js';
export type { ClusterNode, ClusterOptions, EmulatorCluster } from './cluster-api.js';
