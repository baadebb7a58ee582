import { defaultAnalyzers, defaultL2Analyzers } from '../../src/protocols/registry.js';

/** Names of the protocols otwatch currently analyzes (flow and L2 analyzers). */
export function registry(): Set<string> {
  const names = new Set<string>(defaultAnalyzers().specs.map((s) => s.name));
  for (const a of defaultL2Analyzers()) names.add(a.name);
  // CIP rides on EtherNet/IP flows, UMAS on Modbus ones.
  if (names.has('enip')) names.add('cip');
  if (names.has('modbus')) names.add('umas');
  return names;
}
