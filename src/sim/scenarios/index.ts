/**
 * Incident scenario registry. A scenario is a module exporting a `Scenario`; adding one is: write the module,
 * add it to SCENARIOS. `inject` spawns the incident's processes at simulated time `atUs` and returns its truth.
 */
import type { SimContext } from '../context.js';
import type { Rng } from '../rng.js';
import { dnp3ColdRestart, iec104CommandScenario, modbusWriteStorm, plcStop, programDownload, programUpload } from './ot.js';
import { arpSpoof, cleartextCredentials, cryptominer, directoryListing, internetExposure, ipExfiltration, itOtBypass, newDevice, scan } from './net.js';
import { conficker, ransomwareSmb, wannacry } from './windows.js';

export type AlertSeverity = 'info' | 'low' | 'medium' | 'high' | 'critical';

export interface ExpectedAlert {
  ruleId: string;
  severity: AlertSeverity;
  category: string;
}

export interface IncidentTruth {
  scenario: string;
  start: string;
  end: string;
  /** asset name, or IP address for hosts outside the inventory */
  source: string;
  sourceIp: string;
  target: string;
  targetIp: string;
  description: string;
  expectedAlert: ExpectedAlert;
}

export interface Scenario {
  name: string;
  description: string;
  /** undefined: listed but not generated yet */
  inject?: (ctx: SimContext, atUs: number, rng: Rng) => IncidentTruth[];
}

export const SCENARIOS: Scenario[] = [
  plcStop, programDownload, programUpload, modbusWriteStorm, dnp3ColdRestart, iec104CommandScenario, itOtBypass,
  internetExposure, ipExfiltration, scan, newDevice, arpSpoof, directoryListing, cleartextCredentials, cryptominer,
  conficker, wannacry, ransomwareSmb,
];
