/**
 * Initial asset role rules: what a host serves tells what it is. Deliberately small; full role inference
 * (HMI/engineering workstation/historian from client behaviour, Purdue levels) replaces this module later.
 */
import type { ProtocolName } from '../events/types.js';
import { ASSET_ROLES, type AssetProtocol, type AssetRole } from '../report/types.js';

/** Serving one of these makes a host a controller. */
const SERVER_ROLE: Partial<Record<ProtocolName, AssetRole>> = {
  modbus: 'plc',
  umas: 'plc',
  s7comm: 'plc',
  's7comm-plus': 'plc',
  enip: 'plc',
  cip: 'plc',
  'cip-io': 'plc',
  bacnet: 'plc',
  fins: 'plc',
  slmp: 'plc',
  melsoft: 'plc',
  ads: 'plc',
  // PROFINET CM/DCP responders are IO devices as often as controllers; the DCP device role decides (role hints).
  dnp3: 'rtu',
  iec104: 'rtu',
  mms: 'ied',
  opcua: 'opc-server',
};

const ROLE_SET: ReadonlySet<string> = new Set(ASSET_ROLES);

export interface RoleInput {
  protocols: readonly AssetProtocol[];
  /** protocols that declared identity facts about this asset */
  factProtocols: ReadonlySet<string>;
  /** 'role-hint' fact values */
  roleHints: readonly string[];
  isRouter: boolean;
}

/** Roles in ASSET_ROLES order; ['unknown'] when no rule applies. */
export function inferRoles(input: RoleInput): AssetRole[] {
  const roles = new Set<AssetRole>();
  if (input.isRouter) roles.add('network-device');
  for (const p of input.protocols) {
    if (p.role !== 'server') continue;
    const role = SERVER_ROLE[p.name];
    if (role) roles.add(role);
  }
  for (const hint of input.roleHints) if (ROLE_SET.has(hint) && hint !== 'unknown') roles.add(hint as AssetRole);
  if (roles.size === 0) return ['unknown'];
  return ASSET_ROLES.filter((r) => roles.has(r));
}
