/**
 * BACnet names (ASHRAE 135 / Annex J): BVLC functions and results, network-layer message types, APDU types,
 * service choices with their operation kinds, object types, property identifiers and error/reject/abort
 * reasons. Object type and property names use the standard's hyphenated identifiers (as Wireshark shows them);
 * event code names are snake_case.
 */
import type { OperationKind } from '../../events/types.js';

export const BVLC_FUNCTION = {
  RESULT: 0x00,
  WRITE_BDT: 0x01,
  READ_BDT: 0x02,
  READ_BDT_ACK: 0x03,
  FORWARDED_NPDU: 0x04,
  REGISTER_FOREIGN_DEVICE: 0x05,
  READ_FDT: 0x06,
  READ_FDT_ACK: 0x07,
  DELETE_FDT_ENTRY: 0x08,
  DISTRIBUTE_BROADCAST: 0x09,
  ORIGINAL_UNICAST: 0x0a,
  ORIGINAL_BROADCAST: 0x0b,
  SECURE_BVLL: 0x0c,
} as const;

export const BVLC_FUNCTION_NAMES: readonly string[] = [
  'bvlc_result', 'write_broadcast_distribution_table', 'read_broadcast_distribution_table',
  'read_broadcast_distribution_table_ack', 'forwarded_npdu', 'register_foreign_device', 'read_foreign_device_table',
  'read_foreign_device_table_ack', 'delete_foreign_device_table_entry', 'distribute_broadcast_to_network',
  'original_unicast_npdu', 'original_broadcast_npdu', 'secure_bvll',
];

/** BVLC management requests a BBMD answers (with a BVLC-Result or a table ack): the operations they are. */
export function bvlcRequestKind(fn: number): OperationKind | null {
  switch (fn) {
    case BVLC_FUNCTION.WRITE_BDT:
    case BVLC_FUNCTION.DELETE_FDT_ENTRY:
      return 'configuration';
    case BVLC_FUNCTION.READ_BDT:
    case BVLC_FUNCTION.READ_FDT:
      return 'read';
    case BVLC_FUNCTION.REGISTER_FOREIGN_DEVICE:
      return 'connect';
    default:
      return null;
  }
}

/** BVLC-Result codes (Annex J.2.1.1). */
export const BVLC_RESULT_NAMES: ReadonlyMap<number, string> = new Map([
  [0x0000, 'successful_completion'],
  [0x0010, 'write_bdt_nak'],
  [0x0020, 'read_bdt_nak'],
  [0x0030, 'register_foreign_device_nak'],
  [0x0040, 'read_fdt_nak'],
  [0x0050, 'delete_fdt_entry_nak'],
  [0x0060, 'distribute_broadcast_to_network_nak'],
]);

/** Network-layer message types (clause 6.2.4); 0x80..0xff are proprietary. */
export const NETWORK_MESSAGE_NAMES: readonly string[] = [
  'who_is_router_to_network', 'i_am_router_to_network', 'i_could_be_router_to_network',
  'reject_message_to_network', 'router_busy_to_network', 'router_available_to_network', 'initialize_routing_table',
  'initialize_routing_table_ack', 'establish_connection_to_network', 'disconnect_connection_to_network',
  'challenge_request', 'security_payload', 'security_response', 'request_key_update', 'update_key_set',
  'update_distribution_key', 'request_master_key', 'set_master_key', 'what_is_network_number',
  'network_number_is',
];

export function networkMessageName(type: number): string {
  if (type >= 0x80) return `proprietary_network_message_0x${type.toString(16)}`;
  return NETWORK_MESSAGE_NAMES[type] ?? `network_message_0x${type.toString(16).padStart(2, '0')}`;
}

/** Routing-table changes are configuration; the rest of the network layer is plumbing ('other'). */
export function networkMessageKind(type: number): OperationKind {
  return type === 0x06 || type === 0x08 || type === 0x09 || type === 0x11 || type === 0x0e || type === 0x0f ? 'configuration' : 'other';
}

export const APDU_TYPE = {
  CONFIRMED_REQUEST: 0,
  UNCONFIRMED_REQUEST: 1,
  SIMPLE_ACK: 2,
  COMPLEX_ACK: 3,
  SEGMENT_ACK: 4,
  ERROR: 5,
  REJECT: 6,
  ABORT: 7,
} as const;

export const APDU_TYPE_NAMES: readonly string[] = [
  'confirmed_request', 'unconfirmed_request', 'simple_ack', 'complex_ack', 'segment_ack', 'error', 'reject', 'abort',
];

export const CONFIRMED = {
  ACKNOWLEDGE_ALARM: 0,
  SUBSCRIBE_COV: 5,
  ATOMIC_READ_FILE: 6,
  ATOMIC_WRITE_FILE: 7,
  ADD_LIST_ELEMENT: 8,
  REMOVE_LIST_ELEMENT: 9,
  CREATE_OBJECT: 10,
  DELETE_OBJECT: 11,
  READ_PROPERTY: 12,
  READ_PROPERTY_CONDITIONAL: 13,
  READ_PROPERTY_MULTIPLE: 14,
  WRITE_PROPERTY: 15,
  WRITE_PROPERTY_MULTIPLE: 16,
  DEVICE_COMMUNICATION_CONTROL: 17,
  CONFIRMED_PRIVATE_TRANSFER: 18,
  REINITIALIZE_DEVICE: 20,
  READ_RANGE: 26,
  SUBSCRIBE_COV_PROPERTY: 28,
} as const;

export const UNCONFIRMED = {
  I_AM: 0,
  I_HAVE: 1,
  PRIVATE_TRANSFER: 4,
  WHO_HAS: 7,
  WHO_IS: 8,
  WRITE_GROUP: 10,
} as const;

/** [codeName, kind] per confirmed service choice (clause 21, BACnetConfirmedServiceChoice). */
const CONFIRMED_SERVICES: ReadonlyArray<readonly [string, OperationKind]> = [
  ['acknowledge_alarm', 'other'],
  ['confirmed_cov_notification', 'other'],
  ['confirmed_event_notification', 'other'],
  ['get_alarm_summary', 'read'],
  ['get_enrollment_summary', 'read'],
  ['subscribe_cov', 'subscription'],
  ['atomic_read_file', 'file-transfer'],
  ['atomic_write_file', 'file-transfer'],
  ['add_list_element', 'write'],
  ['remove_list_element', 'write'],
  ['create_object', 'configuration'],
  ['delete_object', 'configuration'],
  ['read_property', 'read'],
  ['read_property_conditional', 'read'],
  ['read_property_multiple', 'read'],
  ['write_property', 'write'],
  ['write_property_multiple', 'write'],
  ['device_communication_control', 'mode-change'],
  ['confirmed_private_transfer', 'other'],
  ['confirmed_text_message', 'other'],
  ['reinitialize_device', 'restart'],
  ['vt_open', 'connect'],
  ['vt_close', 'connect'],
  ['vt_data', 'other'],
  ['authenticate', 'authentication'],
  ['request_key', 'authentication'],
  ['read_range', 'read'],
  ['life_safety_operation', 'control'],
  ['subscribe_cov_property', 'subscription'],
  ['get_event_information', 'read'],
  ['subscribe_cov_property_multiple', 'subscription'],
  ['confirmed_cov_notification_multiple', 'other'],
  ['confirmed_audit_notification', 'other'],
  ['audit_log_query', 'read'],
  ['auth_request', 'authentication'],
];

const UNCONFIRMED_SERVICES: ReadonlyArray<readonly [string, OperationKind]> = [
  ['i_am', 'identify'],
  ['i_have', 'identify'],
  ['unconfirmed_cov_notification', 'other'],
  ['unconfirmed_event_notification', 'other'],
  ['unconfirmed_private_transfer', 'other'],
  ['unconfirmed_text_message', 'other'],
  ['time_synchronization', 'time-sync'],
  ['who_has', 'identify'],
  ['who_is', 'identify'],
  ['utc_time_synchronization', 'time-sync'],
  ['write_group', 'write'],
  ['unconfirmed_cov_notification_multiple', 'other'],
  ['unconfirmed_audit_notification', 'other'],
  ['who_am_i', 'identify'],
  ['you_are', 'configuration'],
];

export function confirmedServiceName(service: number): string {
  return CONFIRMED_SERVICES[service]?.[0] ?? `confirmed_service_${service}`;
}

export function confirmedServiceKind(service: number): OperationKind {
  return CONFIRMED_SERVICES[service]?.[1] ?? 'other';
}

export function unconfirmedServiceName(service: number): string {
  return UNCONFIRMED_SERVICES[service]?.[0] ?? `unconfirmed_service_${service}`;
}

export function unconfirmedServiceKind(service: number): OperationKind {
  return UNCONFIRMED_SERVICES[service]?.[1] ?? 'other';
}

/** BACnetReinitializedStateOfDevice. */
export const REINITIALIZE_STATES: readonly string[] = [
  'coldstart', 'warmstart', 'startbackup', 'endbackup', 'startrestore', 'endrestore', 'abortrestore', 'activate-changes',
];

/** DeviceCommunicationControl enable-disable. */
export const DCC_STATES: readonly string[] = ['enable', 'disable', 'disable-initiation'];

export const SEGMENTATION_NAMES: readonly string[] = ['segmented-both', 'segmented-transmit', 'segmented-receive', 'no-segmentation'];

export const OBJECT_TYPE = { DEVICE: 8, FILE: 10 } as const;

export const OBJECT_TYPE_NAMES: readonly string[] = [
  'analog-input', 'analog-output', 'analog-value', 'binary-input', 'binary-output', 'binary-value', 'calendar',
  'command', 'device', 'event-enrollment', 'file', 'group', 'loop', 'multi-state-input', 'multi-state-output',
  'notification-class', 'program', 'schedule', 'averaging', 'multi-state-value', 'trend-log', 'life-safety-point',
  'life-safety-zone', 'accumulator', 'pulse-converter', 'event-log', 'global-group', 'trend-log-multiple',
  'load-control', 'structured-view', 'access-door', 'timer', 'access-credential', 'access-point', 'access-rights',
  'access-user', 'access-zone', 'credential-data-input', 'network-security', 'bitstring-value',
  'characterstring-value', 'date-pattern-value', 'date-value', 'datetime-pattern-value', 'datetime-value',
  'integer-value', 'large-analog-value', 'octetstring-value', 'positive-integer-value', 'time-pattern-value',
  'time-value', 'notification-forwarder', 'alert-enrollment', 'channel', 'lighting-output', 'binary-lighting-output',
  'network-port', 'elevator-group', 'escalator', 'lift', 'staging', 'audit-log', 'audit-reporter', 'color',
  'color-temperature',
];

export function objectTypeName(type: number): string {
  return OBJECT_TYPE_NAMES[type] ?? (type >= 128 ? `proprietary-${type}` : `object-type-${type}`);
}

/** Device-object properties that identify the device: property id → asset fact field. */
export const PROPERTY = {
  APPLICATION_SOFTWARE_VERSION: 12,
  DESCRIPTION: 28,
  FIRMWARE_REVISION: 44,
  LOCATION: 58,
  MODEL_NAME: 70,
  OBJECT_IDENTIFIER: 75,
  OBJECT_NAME: 77,
  VENDOR_IDENTIFIER: 120,
  VENDOR_NAME: 121,
  SERIAL_NUMBER: 372,
} as const;

export const ERROR_CLASS_NAMES: readonly string[] = ['device', 'object', 'property', 'resources', 'security', 'services', 'vt', 'communication'];

export const REJECT_REASON_NAMES: readonly string[] = [
  'other', 'buffer-overflow', 'inconsistent-parameters', 'invalid-parameter-data-type', 'invalid-tag',
  'missing-required-parameter', 'parameter-out-of-range', 'too-many-arguments', 'undefined-enumeration',
  'unrecognized-service',
];

export const ABORT_REASON_NAMES: readonly string[] = [
  'other', 'buffer-overflow', 'invalid-apdu-in-this-state', 'preempted-by-higher-priority-task',
  'segmentation-not-supported', 'security-error', 'insufficient-security', 'window-size-out-of-range',
  'application-exceeded-reply-time', 'out-of-resources', 'tsm-timeout', 'apdu-too-long',
];

export function propertyName(id: number): string | undefined {
  return PROPERTY_NAMES.get(id);
}

export function snake(name: string): string {
  return name.replace(/-/g, '_');
}

// Generated from the standard's enumerations (BACnetPropertyIdentifier, BACnetErrorCode).
export const PROPERTY_NAMES: ReadonlyMap<number, string> = new Map([
  [0, 'acked-transition'], [1, 'ack-required'], [2, 'action'], [3, 'action-text'], [4, 'active-text'],
  [5, 'active-vt-session'], [6, 'alarm-value'], [7, 'alarm-values'], [8, 'all'], [9, 'all-writes-successful'],
  [10, 'apdu-segment-timeout'], [11, 'apdu-timeout'], [12, 'application-software-version'], [13, 'archive'],
  [14, 'bias'], [15, 'change-of-state-count'], [16, 'change-of-state-time'], [17, 'notification-class'],
  [18, 'the-property-in-this-place-was-deleted'], [19, 'controlled-variable-reference'],
  [20, 'controlled-variable-units'], [21, 'controlled-variable-value'], [22, 'cov-increment'], [23, 'datelist'],
  [24, 'daylights-savings-status'], [25, 'deadband'], [26, 'derivative-constant'], [27, 'derivative-constant-units'],
  [28, 'description'], [29, 'description-of-halt'], [30, 'device-address-binding'], [31, 'device-type'],
  [32, 'effective-period'], [33, 'elapsed-active-time'], [34, 'error-limit'], [35, 'event-enable'],
  [36, 'event-state'], [37, 'event-type'], [38, 'exception-schedule'], [39, 'fault-values'], [40, 'feedback-value'],
  [41, 'file-access-method'], [42, 'file-size'], [43, 'file-type'], [44, 'firmware-revision'], [45, 'high-limit'],
  [46, 'inactive-text'], [47, 'in-process'], [48, 'instance-of'], [49, 'integral-constant'],
  [50, 'integral-constant-units'], [51, 'issue-confirmed-notifications'], [52, 'limit-enable'],
  [53, 'list-of-group-members'], [54, 'list-of-object-property-references'], [55, 'list-of-session-keys'],
  [56, 'local-date'], [57, 'local-time'], [58, 'location'], [59, 'low-limit'],
  [60, 'manipulated-variable-reference'], [61, 'maximum-output'], [62, 'max-apdu-length-accepted'],
  [63, 'max-info-frames'], [64, 'max-master'], [65, 'max-pres-value'], [66, 'minimum-off-time'],
  [67, 'minimum-on-time'], [68, 'minimum-output'], [69, 'min-pres-value'], [70, 'model-name'],
  [71, 'modification-date'], [72, 'notify-type'], [73, 'number-of-APDU-retries'], [74, 'number-of-states'],
  [75, 'object-identifier'], [76, 'object-list'], [77, 'object-name'], [78, 'object-property-reference'],
  [79, 'object-type'], [80, 'optional'], [81, 'out-of-service'], [82, 'output-units'], [83, 'event-parameters'],
  [84, 'polarity'], [85, 'present-value'], [86, 'priority'], [87, 'priority-array'], [88, 'priority-for-writing'],
  [89, 'process-identifier'], [90, 'program-change'], [91, 'program-location'], [92, 'program-state'],
  [93, 'proportional-constant'], [94, 'proportional-constant-units'], [95, 'protocol-conformance-class'],
  [96, 'protocol-object-types-supported'], [97, 'protocol-services-supported'], [98, 'protocol-version'],
  [99, 'read-only'], [100, 'reason-for-halt'], [101, 'recipient'], [102, 'recipient-list'], [103, 'reliability'],
  [104, 'relinquish-default'], [105, 'required'], [106, 'resolution'], [107, 'segmentation-supported'],
  [108, 'setpoint'], [109, 'setpoint-reference'], [110, 'state-text'], [111, 'status-flags'], [112, 'system-status'],
  [113, 'time-delay'], [114, 'time-of-active-time-reset'], [115, 'time-of-state-count-reset'],
  [116, 'time-synchronization-recipients'], [117, 'units'], [118, 'update-interval'], [119, 'utc-offset'],
  [120, 'vendor-identifier'], [121, 'vendor-name'], [122, 'vt-class-supported'], [123, 'weekly-schedule'],
  [124, 'attempted-samples'], [125, 'average-value'], [126, 'buffer-size'], [127, 'client-cov-increment'],
  [128, 'cov-resubscription-interval'], [129, 'current-notify-time'], [130, 'event-time-stamp'], [131, 'log-buffer'],
  [132, 'log-device-object-property'], [133, 'enable'], [134, 'log-interval'], [135, 'maximum-value'],
  [136, 'minimum-value'], [137, 'notification-threshold'], [138, 'previous-notify-time'], [139, 'protocol-revision'],
  [140, 'records-since-notification'], [141, 'record-count'], [142, 'start-time'], [143, 'stop-time'],
  [144, 'stop-when-full'], [145, 'total-record-count'], [146, 'valid-samples'], [147, 'window-interval'],
  [148, 'window-samples'], [149, 'maximum-value-time-stamp'], [150, 'minimum-value-time-stamp'],
  [151, 'variance-value'], [152, 'active-cov-subscriptions'], [153, 'backup-failure-timeout'],
  [154, 'configuration-files'], [155, 'database-revision'], [156, 'direct-reading'], [157, 'last-restore-time'],
  [158, 'maintenance-required'], [159, 'member-of'], [160, 'mode'], [161, 'operation-expected'], [162, 'setting'],
  [163, 'silenced'], [164, 'tracking-value'], [165, 'zone-members'], [166, 'life-safety-alarm-values'],
  [167, 'max-segments-accepted'], [168, 'profile-name'], [169, 'auto-slave-discovery'],
  [170, 'manual-slave-address-binding'], [171, 'slave-address-binding'], [172, 'slave-proxy-enable'],
  [173, 'last-notify-record'], [174, 'schedule-default'], [175, 'accepted-modes'], [176, 'adjust-value'],
  [177, 'count'], [178, 'count-before-change'], [179, 'count-change-time'], [180, 'cov-period'],
  [181, 'input-reference'], [182, 'limit-monitoring-interval'], [183, 'logging-object'], [184, 'logging-record'],
  [185, 'prescale'], [186, 'pulse-rate'], [187, 'scale'], [188, 'scale-factor'], [189, 'update-time'],
  [190, 'value-before-change'], [191, 'value-set'], [192, 'value-change-time'], [193, 'align-intervals'],
  [194, 'group-member-names'], [195, 'interval-offset'], [196, 'last-restart-reason'], [197, 'logging-type'],
  [198, 'member-status-flags'], [199, 'notification-period'], [200, 'previous-notify-record'],
  [201, 'requested-update-interval'], [202, 'restart-notification-recipients'], [203, 'time-of-device-restart'],
  [204, 'time-synchronization-interval'], [205, 'trigger'], [206, 'UTC-time-synchronization-recipients'],
  [207, 'node-subtype'], [208, 'node-type'], [209, 'structured-object-list'], [210, 'subordinate-annotations'],
  [211, 'subordinate-list'], [212, 'actual-shed-level'], [213, 'duty-window'], [214, 'expected-shed-level'],
  [215, 'full-duty-baseline'], [216, 'node-subtype'], [217, 'node-type'], [218, 'requested-shed-level'],
  [219, 'shed-duration'], [220, 'shed-level-descriptions'], [221, 'shed-levels'], [222, 'state-description'],
  [226, 'door-alarm-state'], [227, 'door-extended-pulse-time'], [228, 'door-members'],
  [229, 'door-open-too-long-time'], [230, 'door-pulse-time'], [231, 'door-status'], [232, 'door-unlock-delay-time'],
  [233, 'lock-status'], [234, 'masked-alarm-values'], [235, 'secured-status'], [244, 'absentee-limit'],
  [245, 'access-alarm-events'], [246, 'access-doors'], [247, 'access-event'],
  [248, 'access-event-authentication-factor'], [249, 'access-event-credential'], [250, 'access-event-time'],
  [251, 'access-transaction-events'], [252, 'accompaniment'], [253, 'accompaniment-time'], [254, 'activation-time'],
  [255, 'active-authentication-policy'], [256, 'assigned-access-rights'], [257, 'authentication-factors'],
  [258, 'authentication-policy-list'], [259, 'authentication-policy-names'], [260, 'authentication-status'],
  [261, 'authorization-mode'], [262, 'belongs-to'], [263, 'credential-disable'], [264, 'credential-status'],
  [265, 'credentials'], [266, 'credentials-in-zone'], [267, 'days-remaining'], [268, 'entry-points'],
  [269, 'exit-points'], [270, 'expiration-time'], [271, 'extended-time-enable'], [272, 'failed-attempt-events'],
  [273, 'failed-attempts'], [274, 'failed-attempts-time'], [275, 'last-access-event'], [276, 'last-access-point'],
  [277, 'last-credential-added'], [278, 'last-credential-added-time'], [281, 'last-use-time'], [282, 'lockout'],
  [283, 'lockout-relinquish-time'], [284, 'master-exemption'], [285, 'max-failed-attempts'], [286, 'members'],
  [287, 'muster-point'], [288, 'negative-access-rules'], [289, 'number-of-authentication-policies'],
  [290, 'occupancy-count'], [291, 'occupancy-count-adjust'], [292, 'occupancy-count-enable'],
  [293, 'occupancy-exemption'], [294, 'occupancy-lower-limit'], [295, 'occupancy-lower-limit-enforced'],
  [296, 'occupancy-state'], [297, 'occupancy-upper-limit'], [298, 'occupancy-upper-limit-enforced'],
  [299, 'passback-exemption'], [300, 'passback-mode'], [301, 'passback-timeout'], [302, 'positive-access-rules'],
  [303, 'reason-for-disable'], [304, 'supported-formats'], [305, 'supported-format-classes'],
  [306, 'threat-authority'], [307, 'threat-level'], [308, 'trace-flag'], [309, 'transaction-notification-class'],
  [310, 'user-external-identifier'], [311, 'user-information-reference'], [317, 'user-name'], [318, 'user-type'],
  [319, 'uses-remaining'], [320, 'zone-from'], [321, 'zone-to'], [322, 'access-event-tag'],
  [323, 'global-identifier'], [326, 'verification-time'], [327, 'base-device-security-policy'],
  [328, 'distribution-key-revision'], [329, 'do-not-hide'], [330, 'key-sets'], [331, 'last-key-server'],
  [332, 'network-access-security-policies'], [333, 'packet-reorder-time'], [334, 'security-pdu-timeout'],
  [335, 'security-time-window'], [336, 'supported-security-algorithms'], [337, 'update-key-set-timeout'],
  [338, 'backup-and-restore-state'], [339, 'backup-preparation-time'], [340, 'restore-completion-time'],
  [341, 'restore-preparation-time'], [342, 'bit-mask'], [343, 'bit-text'], [344, 'is-utc'], [345, 'group-members'],
  [346, 'group-member-names'], [347, 'member-status-flags'], [348, 'requested-update-interval'],
  [349, 'covu-period'], [350, 'covu-recipients'], [351, 'event-message-texts'], [352, 'event-message-texts-config'],
  [353, 'event-detection-enable'], [354, 'event-algorithm-inhibit'], [355, 'event-algorithm-inhibit-ref'],
  [356, 'time-delay-normal'], [357, 'reliability-evaluation-inhibit'], [358, 'fault-parameters'],
  [359, 'fault-type'], [360, 'local-forwarding-only'], [361, 'process-identifier-filter'],
  [362, 'subscribed-recipients'], [363, 'port-filter'], [364, 'authorization-exemptions'],
  [365, 'allow-group-delay-inhibit'], [366, 'channel-number'], [367, 'control-groups'], [368, 'execution-delay'],
  [369, 'last-priority'], [370, 'write-status'], [371, 'property-list'], [372, 'serial-number'],
  [373, 'blink-warn-enable'], [374, 'default-fade-time'], [375, 'default-ramp-rate'],
  [376, 'default-step-increment'], [377, 'egress-time'], [378, 'in-progress'], [379, 'instantaneous-power'],
  [380, 'lighting-command'], [381, 'lighting-command-default-priority'], [382, 'max-actual-value'],
  [383, 'min-actual-value'], [384, 'power'], [385, 'transition'], [386, 'egress-active'], [387, 'interface-value'],
  [388, 'fault-high-limit'], [389, 'fault-low-limit'], [390, 'low-diff-limit'], [391, 'strike-count'],
  [392, 'time-of-strike-count-reset'], [393, 'default-timeout'], [394, 'initial-timeout'],
  [395, 'last-state-change'], [396, 'state-change-values'], [397, 'timer-running'], [398, 'timer-state'],
  [399, 'apdu-length'], [400, 'bacnet-ip-address'], [401, 'bacnet-ip-default-gateway'],
  [402, 'bacnet-ip-dhcp-enable'], [403, 'bacnet-ip-dhcp-lease-time'], [404, 'bacnet-ip-dhcp-lease-time-remaining'],
  [405, 'bacnet-ip-dhcp-server'], [406, 'bacnet-ip-dns-server'], [407, 'bacnet-ip-global-address'],
  [408, 'bacnet-ip-mode'], [409, 'bacnet-ip-multicast-address'], [410, 'bacnet-ip-nat-traversal'],
  [411, 'bacnet-ip-subnet-mask'], [412, 'bacnet-ip-udp-port'], [413, 'bbmd-accept-fd-registrations'],
  [414, 'bbmd-broadcast-distribution-table'], [415, 'bbmd-foreign-device-table'], [416, 'changes-pending'],
  [417, 'command'], [418, 'fd-bbmd-address'], [419, 'fd-subscription-lifetime'], [420, 'link-speed'],
  [421, 'link-speeds'], [422, 'link-speed-autonegotiate'], [423, 'mac-address'], [424, 'network-interface-name'],
  [425, 'network-number'], [426, 'network-number-quality'], [427, 'network-type'], [428, 'routing-table'],
  [429, 'virtual-mac-address-table'], [430, 'command-time-array'], [431, 'current-command-priority'],
  [432, 'last-command-time'], [433, 'value-source'], [434, 'value-source-array'], [435, 'bacnet-ipv6-mode'],
  [436, 'ipv6-address'], [437, 'ipv6-prefix-length'], [438, 'bacnet-ipv6-udp-port'], [439, 'ipv6-default-gateway'],
  [440, 'bacnet-ipv6-multicast-address'], [441, 'ipv6-dns-server'], [442, 'ipv6-auto-addressing-enable'],
  [443, 'ipv6-dhcp-lease-time'], [444, 'ipv6-dhcp-lease-time-remaining'], [445, 'ipv6-dhcp-server'],
  [446, 'ipv6-zone-index'], [447, 'assigned-landing-calls'], [448, 'car-assigned-direction'],
  [449, 'car-door-command'], [450, 'car-door-status'], [451, 'car-door-text'], [452, 'car-door-zone'],
  [453, 'car-drive-status'], [454, 'car-load'], [455, 'car-load-units'], [456, 'car-mode'],
  [457, 'car-moving-direction'], [458, 'car-position'], [459, 'elevator-group'], [460, 'energy-meter'],
  [461, 'energy-meter-ref'], [462, 'escalator-mode'], [463, 'fault-signals'], [464, 'floor-text'], [465, 'group-id'],
  [466, 'enumeration-value-466-is-unassigned'], [467, 'group-mode'], [468, 'higher-deck'], [469, 'installation-id'],
  [470, 'landing-calls'], [471, 'landing-call-control'], [472, 'landing-door-status'], [473, 'lower-deck'],
  [474, 'machine-room-id'], [475, 'making-car-call'], [476, 'next-stopping-floor'], [477, 'operation-direction'],
  [478, 'passenger-alarm'], [479, 'power-mode'], [480, 'registered-car-call'],
  [481, 'active-cov-multiple-subscriptions'], [482, 'protocol-level'], [483, 'reference-port'],
  [484, 'deployed-profile-location'], [485, 'profile-location'], [486, 'tags'], [487, 'subordinate-node-types'],
  [488, 'subordinate-tags'], [489, 'subordinate-relationship'], [490, 'default-subordinate-relationship'],
  [491, 'represents'], [492, 'default-present-value'], [493, 'present-stage'], [494, 'stages'], [495, 'stage-names'],
  [496, 'target-references'], [497, 'audit-source-reporter'], [498, 'audit-level'],
  [499, 'audit-notification-recipient'], [500, 'audit-priority-filter'], [501, 'auditable-operations'],
  [502, 'delete-on-forward'], [503, 'maximum-send-delay'], [504, 'monitored-objects'], [505, 'send-now'],
  [506, 'floor-number'], [507, 'device-uuid'], [508, 'additional-reference-ports'],
  [509, 'certificate-signing-request-file'], [510, 'command-validation-result'], [511, 'issuer-certificate-files'],
]);
export const ERROR_CODE_NAMES: ReadonlyMap<number, string> = new Map([
  [0, 'other'], [1, 'authentication-failed'], [2, 'configuration-in-progress'], [3, 'device-busy'],
  [4, 'dynamic-creation-not-supported'], [5, 'file-access-denied'], [6, 'incompatible-security-levels'],
  [7, 'inconsistent-parameters'], [8, 'inconsistent-selection-criterion'], [9, 'invalid-data-type'],
  [10, 'invalid-file-access-method'], [11, 'invalid-file-start-position'], [12, 'invalid-operator-name'],
  [13, 'invalid-parameter-data-type'], [14, 'invalid-time-stamp'], [15, 'key-generation-error'],
  [16, 'missing-required-parameter'], [17, 'no-objects-of-specified-type'], [18, 'no-space-for-object'],
  [19, 'no-space-to-add-list-element'], [20, 'no-space-to-write-property'], [21, 'no-vt-sessions-available'],
  [22, 'property-is-not-a-list'], [23, 'object-deletion-not-permitted'], [24, 'object-identifier-already-exists'],
  [25, 'operational-problem'], [26, 'password-failure'], [27, 'read-access-denied'], [28, 'security-not-supported'],
  [29, 'service-request-denied'], [30, 'timeout'], [31, 'unknown-object'], [32, 'unknown-property'],
  [34, 'unknown-vt-class'], [35, 'unknown-vt-session'], [36, 'unsupported-object-type'], [37, 'value-out-of-range'],
  [38, 'vt-session-already-closed'], [39, 'vt-session-termination-failure'], [40, 'write-access-denied'],
  [41, 'character-set-not-supported'], [42, 'invalid-array-index'], [43, 'cov-subscription-failed'],
  [44, 'not-cov-property'], [45, 'optional-functionality-not-supported'], [46, 'invalid-configuration-data'],
  [47, 'datatype-not-supported'], [48, 'duplicate-name'], [49, 'duplicate-object-id'],
  [50, 'property-is-not-an-array'], [51, 'abort-buffer-overflow'], [52, 'abort-invalid-apdu-in-this-state'],
  [53, 'abort-preempted-by-higher-priority-task'], [54, 'abort-segmentation-not-supported'],
  [55, 'abort-proprietary'], [56, 'abort-other'], [57, 'invalid-tag'], [58, 'network-down'],
  [59, 'reject-buffer-overflow'], [60, 'reject-inconsistent-parameters'], [61, 'reject-invalid-parameter-data-type'],
  [62, 'reject-invalid-tag'], [63, 'reject-missing-required-parameter'], [64, 'reject-parameter-out-of-range'],
  [65, 'reject-too-many-arguments'], [66, 'reject-undefined-enumeration'], [67, 'reject-unrecognized-service'],
  [68, 'reject-proprietary'], [69, 'reject-other'], [70, 'unknown-device'], [71, 'unknown-route'],
  [72, 'value-not-initialized'], [73, 'invalid-event-state'], [74, 'no-alarm-configured'], [75, 'log-buffer-full'],
  [76, 'logged-value-purged'], [77, 'no-property-specified'], [78, 'not-configured-for-triggered-logging'],
  [79, 'unknown-subscription'], [80, 'parameter-out-of-range'], [81, 'list-element-not-found'], [82, 'busy'],
  [83, 'communication-disabled'], [84, 'success'], [85, 'access-denied'], [86, 'bad-destination-address'],
  [87, 'bad-destination-device-id'], [88, 'bad-signature'], [89, 'bad-source-address'], [90, 'bad-timestamp'],
  [91, 'cannot-use-key'], [92, 'cannot-verify-message-id'], [93, 'correct-key-revision'],
  [94, 'destination-device-id-required'], [95, 'duplicate-message'], [96, 'encryption-not-configured'],
  [97, 'encryption-required'], [98, 'incorrect-key'], [99, 'invalid-key-data'], [100, 'key-update-in-progress'],
  [101, 'malformed-message'], [102, 'not-key-server'], [103, 'security-not-configured'],
  [104, 'source-security-required'], [105, 'too-many-keys'], [106, 'unknown-authentication-type'],
  [107, 'unknown-key'], [108, 'unknown-key-revision'], [109, 'unknown-source-message'], [110, 'not-router-to-dnet'],
  [111, 'router-busy'], [112, 'unknown-network-message'], [113, 'message-too-long'], [114, 'security-error'],
  [115, 'addressing-error'], [116, 'write-bdt-failed'], [117, 'read-bdt-failed'],
  [118, 'register-foreign-device-failed'], [119, 'read-fdt-failed'], [120, 'delete-fdt-entry-failed'],
  [121, 'distribute-broadcast-failed'], [122, 'unknown-file-size'], [123, 'abort-apdu-too-long'],
  [124, 'abort-application-exceeded-reply-time'], [125, 'abort-out-of-resources'], [126, 'abort-tsm-timeout'],
  [127, 'abort-window-size-out-of-range'], [128, 'file-full'], [129, 'inconsistent-configuration'],
  [130, 'inconsistent-object-type'], [131, 'internal-error'], [132, 'not-configured'], [133, 'out-of-memory'],
  [134, 'value-too-long'], [135, 'abort-insufficient-security'], [136, 'abort-security-error'],
  [137, 'duplicate-entry'], [138, 'invalid-value-in-this-state'], [139, 'invalid-operation-in-this-state'],
  [140, 'list-item-not-numbered'], [141, 'list-item-not-timestamped'], [142, 'invalid-data-encoding'],
  [143, 'bvlc-function-unknown'], [144, 'bvlc-proprietary-function-unknown'], [145, 'header-encoding-error'],
  [146, 'header-not-understood'], [147, 'message-incomplete'], [148, 'not-a-bacnet-sc-hub'],
  [149, 'payload-expected'], [150, 'unexpected-data'], [151, 'node-duplicate-vmac'],
  [152, 'http-unexpected-response-code'], [153, 'http-no-upgrade'], [154, 'http-resource-not-local'],
  [155, 'http-proxy-authentication-failed'], [156, 'http-response-timeout'], [157, 'http-response-syntax-error'],
  [158, 'http-response-value-error'], [159, 'http-response-missing-header'], [160, 'http-websocket-header-error'],
  [161, 'http-upgrade-required'], [162, 'http-upgrade-error'], [163, 'http-temporary-unavailable'],
  [164, 'http-not-a-server'], [165, 'http-error'], [166, 'websocket-scheme-not-supported'],
  [167, 'websocket-unknown-control-message'], [168, 'websocket-close-error'], [169, 'websocket-closed-by-peer'],
  [170, 'websocket-endpoint-leaves'], [171, 'websocket-protocol-error'], [172, 'websocket-data-not-accepted'],
  [173, 'websocket-closed-abnormally'], [174, 'websocket-data-inconsistent'], [175, 'websocket-data-against-policy'],
  [176, 'websocket-frame-too-long'], [177, 'websocket-extension-missing'], [178, 'websocket-request-unavailable'],
  [179, 'websocket-error'], [180, 'tls-client-certificate-error'], [181, 'tls-server-certificate-error'],
  [182, 'tls-client-authentication-failed'], [183, 'tls-server-authentication-failed'],
  [184, 'tls-client-certificate-expired'], [185, 'tls-server-certificate-expired'],
  [186, 'tls-client-certificate-revoked'], [187, 'tls-server-certificate-revoked'], [188, 'tls-error'],
  [189, 'dns-unavailable'], [190, 'dns-name-resolution-failed'], [191, 'dns-resolver-failure'], [192, 'dns-error'],
  [193, 'tcp-connect-timeout'], [194, 'tcp-connection-refused'], [195, 'tcp-closed-by-local'],
  [196, 'tcp-closed-other'], [197, 'tcp-error'], [198, 'ip-address-not-reachable'], [199, 'ip-error'],
]);
