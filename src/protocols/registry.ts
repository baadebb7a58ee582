/**
 * The analyzers otwatch runs. Adding a protocol = one folder under src/protocols/ plus one line here.
 */
import { AnalyzerRegistry } from '../decode/dispatch.js';
import type { L2Analyzer } from './l2.js';
import { dnp3Spec } from './dnp3/index.js';
import { enipSpec } from './enip/index.js';
import { iec104Spec } from './iec104/index.js';
import { modbusSpec } from './modbus/index.js';
import { opcuaSpec } from './opcua/index.js';
import { s7commSpec } from './s7comm/index.js';

export function defaultAnalyzers(): AnalyzerRegistry {
  const registry = new AnalyzerRegistry();
  registry.register(modbusSpec);
  registry.register(s7commSpec);
  registry.register(iec104Spec);
  registry.register(dnp3Spec);
  registry.register(enipSpec);
  registry.register(opcuaSpec);
  return registry;
}

export function defaultL2Analyzers(): L2Analyzer[] {
  return [];
}
