/**
 * Detection over the shared corpus of real captures: every file's alerts (rule, severity, source, target) against
 * a golden verified by hand (fixtures/corpus-alerts.notes.md says why each alert is justified by the capture's
 * content), and no high/critical alert on the captures whose content is routine.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyzeCaptures } from '../engine/analyze.js';
import { assertGolden } from '../../test/support/golden.js';

const here = dirname(fileURLToPath(import.meta.url));
const corpus = join(here, '..', '..', '..', 'shared', 'corpus', 'pcaps');
const GOLDEN = join(here, 'fixtures', 'corpus-alerts.golden.json');

/**
 * Captures whose content does something an OT monitor must flag at high or critical (checked with tshark, see the
 * notes). Every other capture is routine traffic, an engineering read, or a low-grade finding.
 */
const EXPECT_HIGH = new Set([
  'bacnet/bacnet_services.pcap', // ReinitializeDevice cold/warm start, DeviceCommunicationControl disable
  'dnp3/auth_control_challenge_response.pcap', // DIRECT_OPERATE (fc 5)
  'dnp3/dnp3_udp_select_operate.pcap', // SELECT/OPERATE
  'dnp3/immediate_freeze.pcap', // IMMEDIATE_FREEZE (fc 7) from a host with no polling history
  'dnp3/ndpi_dnp3.pcap', // COLD/WARM_RESTART, STOP_APPLICATION
  'dnp3/warm_restart_and_response.pcap', // WARM_RESTART
  'enip/cip-eth-set-2.pcap', // Set_Attribute_Single on the Ethernet Link object
  'enip/cip_only.pcap', // PCCC change CPU mode (Execute PCCC, CMD 0x0F FNC 0x80) to program (473) and run (3746)
  'iec104/TestDissectIec104.pcap', // C_SC_NA_1 / C_DC_NA_1 select
  'malformed/DNP3-Malformed.pcap', // 197 OPERATE (fc 4) requests
  'modbus/modbus.pcap', // FC 8 force listen-only, restart communications, clear counters
  'modbus/modbus_test_data_part1.pcap', // same
  's7comm/ndpi_s7comm.pcap', // request download + PI insert of DB1
  's7comm/s7comm_downloading_block_db1.pcap', // same
  's7comm/s7ident.pcap', // start_upload SDB0 (refused)
  'threats/20171220_smb_psexec_add_user.pcap', 'threats/MS17_010_win64_smb.pcap', 'threats/metasploit-ms017-010-win7x64.pcap',
  'threats/mining.pcapng', 'threats/smbv1.pcap',
]);

test('corpus: alerts per capture match the hand-verified golden; routine captures raise nothing high', { skip: existsSync(corpus) ? false : `corpus not found at ${corpus}` }, async () => {
  const files: string[] = [];
  for (const d of readdirSync(corpus).sort()) for (const f of readdirSync(join(corpus, d)).sort()) files.push(`${d}/${f}`);
  const actual: Record<string, string[][]> = {};
  const tooHigh: string[] = [];
  for (const f of files) {
    const { report } = await analyzeCaptures([join(corpus, f)]);
    actual[f] = report.alerts
      .map((a) => [a.ruleId, a.severity, a.source?.ip ?? a.source?.mac ?? '-', a.target?.ip ?? a.target?.mac ?? '-'])
      .sort((x, y) => x.join(' ').localeCompare(y.join(' ')));
    const high = report.alerts.filter((a) => a.severity === 'high' || a.severity === 'critical');
    if (high.length > 0 && !EXPECT_HIGH.has(f)) tooHigh.push(`${f}: ${high.map((a) => a.ruleId).join(', ')}`);
    if (EXPECT_HIGH.has(f) && high.length === 0) tooHigh.push(`${f}: expected a high/critical alert, got none`);
  }
  assert.deepEqual(tooHigh, []);
  assertGolden(GOLDEN, actual);
});
