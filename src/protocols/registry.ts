/**
 * The analyzers otwatch runs. Adding a protocol = one folder under src/protocols/ plus one line here.
 */
import { AnalyzerRegistry } from '../decode/dispatch.js';
import type { L2Analyzer } from './l2.js';
import { arpL2Analyzer } from './arp/index.js';
import { bacnetSpec } from './bacnet/index.js';
import { cdpL2Analyzer } from './cdp/index.js';
import { dhcpSpec } from './dhcp/index.js';
import { dhcpv6Spec } from './dhcpv6/index.js';
import { dnp3Spec } from './dnp3/index.js';
import { dnsTcpSpec, dnsUdpSpec, llmnrSpec, mdnsSpec } from './dns/index.js';
import { enipSpec } from './enip/index.js';
import { httpSpec } from './http/index.js';
import { tlsSpec } from './tls/index.js';
import { sshSpec } from './ssh/index.js';
import { iec104Spec } from './iec104/index.js';
import { lldpL2Analyzer } from './lldp/index.js';
import { modbusSpec } from './modbus/index.js';
import { nbdgmSpec, nbnsSpec } from './netbios/index.js';
import { opcuaSpec } from './opcua/index.js';
import { pnioCmSpec, profinetL2Analyzer } from './profinet/index.js';
import { s7commSpec } from './s7comm/index.js';
import { s7commPlusSpec } from './s7comm-plus/index.js';
import { stpL2Analyzer } from './stp/index.js';
import { smbSpec } from './smb/index.js';
import { dcerpcSpec } from './dcerpc/index.js';
import { ftpSpec } from './ftp/index.js';
import { smtpSpec } from './smtp/index.js';
import { telnetSpec } from './telnet/index.js';
import { vncSpec } from './vnc/index.js';
import { rdpSpec } from './rdp/index.js';
import { snmpSpec } from './snmp/index.js';
import { syslogSpec } from './syslog/index.js';
import { ntpSpec } from './ntp/index.js';
import { stratumSpec } from './stratum/index.js';
import { mqttSpec } from './mqtt/index.js';

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
  registry.register(smbSpec);
  registry.register(dcerpcSpec);
  registry.register(httpSpec);
  registry.register(tlsSpec);
  registry.register(sshSpec);
  registry.register(dhcpSpec);
  registry.register(dhcpv6Spec);
  registry.register(dnsUdpSpec); // before mdns/llmnr/nbns: same message shape, their ports decide among the Yes answers
  registry.register(dnsTcpSpec);
  registry.register(mdnsSpec);
  registry.register(llmnrSpec);
  registry.register(nbnsSpec);
  registry.register(nbdgmSpec);
  registry.register(ftpSpec);
  registry.register(smtpSpec);
  registry.register(telnetSpec);
  registry.register(vncSpec);
  registry.register(rdpSpec);
  registry.register(snmpSpec);
  registry.register(syslogSpec);
  registry.register(ntpSpec);
  registry.register(stratumSpec);
  registry.register(mqttSpec);
  return registry;
}

export function defaultL2Analyzers(): L2Analyzer[] {
  const stp = stpL2Analyzer();
  // CDP claims the SNAP DSAP (0xAA) and hands Cisco PVST+ BPDUs on to the STP analyzer.
  return [profinetL2Analyzer(), arpL2Analyzer(), lldpL2Analyzer(), stp, cdpL2Analyzer({}, stp)];
}
