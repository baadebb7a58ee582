/**
 * The analyzers otwatch runs. Adding a protocol = one folder under src/protocols/ plus one line here.
 */
import { AnalyzerRegistry } from '../decode/dispatch.js';
import type { L2Analyzer } from './l2.js';
import { bacnetSpec } from './bacnet/index.js';
import { dnp3Spec } from './dnp3/index.js';
import { enipSpec } from './enip/index.js';
import { iec104Spec } from './iec104/index.js';
import { modbusSpec } from './modbus/index.js';
import { opcuaSpec } from './opcua/index.js';
import { pnioCmSpec, profinetL2Analyzer } from './profinet/index.js';
import { s7commSpec } from './s7comm/index.js';
import { s7commPlusSpec } from './s7comm-plus/index.js';

export function defaultAnalyzers(): AnalyzerRegistry {
  const registry = new AnalyzerRegistry();
  registry.register(modbusSpec);
  registry.register(s7commPlusSpec); // before s7comm: its probe also says Yes to a CR with a SIMATIC-ROOT TSAP
  registry.register(s7commSpec);
  registry.register(iec104Spec);
  registry.register(dnp3Spec);
  registry.register(enipSpec);
  registry.register(bacnetSpec);
  registry.register(pnioCmSpec);
  registry.register(opcuaSpec);
  return registry;
}

export function defaultL2Analyzers(): L2Analyzer[] {
  return [profinetL2Analyzer()];
}
