/** Helpers shared by scenario modules. */
import type { SimContext } from '../context.js';
import type { AssetDef, PlantAsset } from '../plant.js';
import type { SimHost } from '../packets.js';
import { numToIp } from '../packets.js';
import { isoUs } from '../truth.js';
import type { ExpectedAlert, IncidentTruth } from './index.js';

/** Creates the incident's truth record; `finish(t)` sets its end once the traffic has been generated. */
export function incident(
  scenario: string, startUs: number, source: PlantAsset | SimHost, target: PlantAsset | SimHost, description: string,
  expectedAlert: ExpectedAlert,
): { truth: IncidentTruth; finish: (endUs: number) => void } {
  const name = (x: PlantAsset | SimHost) => ('host' in x ? x.name : x.external ? numToIp(x.ip) : x.name);
  const ip = (x: PlantAsset | SimHost) => numToIp('host' in x ? x.host.ip : x.ip);
  const truth: IncidentTruth = {
    scenario, start: isoUs(startUs), end: isoUs(startUs), source: name(source), sourceIp: ip(source),
    target: name(target), targetIp: ip(target), description, expectedAlert,
  };
  return { truth, finish: (endUs) => { truth.end = isoUs(endUs); } };
}

/** Adds a rogue/unknown device to the plant (it is part of the truth inventory with role `unknown`). */
export function addRogue(ctx: SimContext, def: Partial<AssetDef> & { name: string; zone: string; ip: string }): PlantAsset {
  const existing = ctx.plant.byName.get(def.name);
  if (existing !== undefined) return existing;
  return ctx.plant.addAsset({
    roles: ['unknown'], oui: 'b8:27:eb', os: 'linux', vendor: 'Raspberry Pi Foundation', model: 'Raspberry Pi 3',
    firmware: 'Raspbian', ...def,
  });
}
