/** The ground-truth file written with --truth (documented in docs/simulate.md). */
import type { Plant, TruthProtocol, Conduit } from './plant.js';
import type { IncidentTruth } from './scenarios/index.js';
import type { AssetRole } from '../report/types.js';

export const TRUTH_SCHEMA = 'otwatch.sim-truth/v1';

export interface TruthAsset {
  name: string;
  ips: string[];
  mac: string;
  hostname: string | null;
  vendor: string;
  model: string;
  firmware: string;
  serial?: string;
  orderNumber?: string;
  roles: AssetRole[];
  purdueLevel: number;
  zone: string;
  vlan: number;
  protocols: TruthProtocol[];
}

export interface SimTruth {
  schema: typeof TRUTH_SCHEMA;
  seed: number;
  start: string;
  end: string;
  assets: TruthAsset[];
  conduits: Conduit[];
  incidents: IncidentTruth[];
}

export function isoUs(us: number): string {
  return new Date(Math.floor(us / 1000)).toISOString().replace(/\.(\d{3})Z$/, (_m, ms: string) =>
    `.${ms}${String(Math.floor(us % 1000)).padStart(3, '0')}Z`);
}

export function buildTruth(seed: number, plant: Plant, firstUs: number, lastUs: number, incidents: IncidentTruth[]): SimTruth {
  const byProto = (a: TruthProtocol, b: TruthProtocol) =>
    a.name.localeCompare(b.name) || a.role.localeCompare(b.role) || a.port - b.port;
  const assets: TruthAsset[] = plant.assets.map((a) => {
    const t: TruthAsset = {
      name: a.name, ips: [a.ip], mac: a.mac, hostname: a.hostname ?? null, vendor: a.vendor, model: a.model,
      firmware: a.firmware, roles: [...a.roles], purdueLevel: a.purdueLevel, zone: a.zone, vlan: a.vlan,
      protocols: [...a.protocols].sort(byProto),
    };
    if (a.serial !== undefined) t.serial = a.serial;
    if (a.orderNumber !== undefined) t.orderNumber = a.orderNumber;
    return t;
  });
  const conduits = [...plant.conduits.values()].sort((a, b) =>
    a.from.localeCompare(b.from) || a.to.localeCompare(b.to) || a.protocol.localeCompare(b.protocol) || a.port - b.port);
  return {
    schema: TRUTH_SCHEMA, seed, start: isoUs(firstUs), end: isoUs(lastUs), assets, conduits,
    incidents: [...incidents].sort((a, b) => a.start.localeCompare(b.start) || a.scenario.localeCompare(b.scenario)),
  };
}
