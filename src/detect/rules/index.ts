/** Every rule, in reporting order. Adding a rule: write its module, add its factory here, document it in docs/detection.md. */
import type { RuleFactory } from '../types.js';
import { otModeChange } from './ot-mode-change.js';
import { otProgramDownload } from './ot-program-download.js';
import { otProgramUpload } from './ot-program-upload.js';
import { otProgramModify } from './ot-program-modify.js';
import { otFirmwareUpdate } from './ot-firmware-update.js';
import { otRestart } from './ot-restart.js';
import { otConfigurationChange } from './ot-configuration-change.js';
import { otControlCommand } from './ot-control-command.js';
import { otDiagnosticsAbuse } from './ot-diagnostics-abuse.js';
import { otExceptionStorm } from './ot-exception-storm.js';
import { netScan } from './net-scan.js';
import { netArpSpoof } from './net-arp-spoof.js';
import { netNewDevice } from './net-new-device.js';
import { netInternetExposure } from './net-internet-exposure.js';
import { netItOtBypass } from './net-it-ot-bypass.js';
import { netRemoteAccess } from './net-remote-access.js';
import { netSmbv1 } from './net-smbv1.js';
import { credCleartext } from './cred-cleartext.js';
import { webDirectoryListing } from './web-directory-listing.js';
import { malwareCryptominer } from './malware-cryptominer.js';
import { malwareDga } from './malware-dga.js';
import { malwareMs08067 } from './malware-ms08-067.js';
import { malwareEternalBlue } from './malware-eternalblue.js';
import { malwareSmbPropagation } from './malware-smb-propagation.js';
import { malwareRansomwareSmb } from './malware-ransomware-smb.js';
import { lateralPsexec } from './lateral-psexec.js';
import { iocIndicator } from './ioc-indicator.js';
import { exfilIpExfiltration } from './exfil-ip-exfiltration.js';
import { LEARN_RULES } from './learn.js';

export const ALL_RULES: readonly RuleFactory[] = [
  otModeChange, otProgramDownload, otProgramUpload, otProgramModify, otFirmwareUpdate, otRestart,
  otConfigurationChange, otControlCommand, otDiagnosticsAbuse, otExceptionStorm,
  netScan, netArpSpoof, netNewDevice, netInternetExposure, netItOtBypass, netRemoteAccess, netSmbv1,
  credCleartext, webDirectoryListing,
  malwareCryptominer, malwareDga, malwareMs08067, malwareEternalBlue, malwareSmbPropagation, malwareRansomwareSmb,
  lateralPsexec, iocIndicator, exfilIpExfiltration,
  // baseline deviations: silent without a baseline
  ...LEARN_RULES,
];
