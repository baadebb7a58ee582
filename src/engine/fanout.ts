/**
 * Where the engine's events and flow summaries go: the inventory, then the detector, then the caller's
 * callback (in that order, which the output depends on: the detector reads what the inventory learned).
 * Which consumers exist is fixed for a run, so the per-event path is chosen once here instead of being
 * tested on every one of the run's events (hundreds of thousands on a large capture).
 */
import type { FlowSummary } from '../decode/flow-types.js';
import type { Endpoint, EventSink, OperationKind, OperationResult, OtEvent, ProtocolName } from '../events/types.js';

export interface EventConsumer {
  onEvent(event: OtEvent): void;
  onFlowEnd(summary: FlowSummary): void;
  /** an operation counted without its event (see EventSink.countOperation) */
  countOperation(captureIndex: number, flowId: number, protocol: ProtocolName, kind: OperationKind, src: Endpoint, dst: Endpoint): void;
}

/** A consumer that also wants the file the event came from (the detector). */
export interface FileEventConsumer {
  onEvent(event: OtEvent, file: string): void;
  onFlowEnd(summary: FlowSummary, file: string): void;
  wantsOperation(kind: OperationKind, protocol: ProtocolName, result: OperationResult): boolean;
}

export type EventCallback = (event: OtEvent, file: string) => void;
export type FlowEndCallback = (summary: FlowSummary, file: string) => void;

export class EventFanout implements EventSink {
  /** events emitted so far */
  events = 0;
  /** the capture file being read: handed to the consumers that want it */
  file = '';
  readonly emit: (event: OtEvent) => void;
  readonly flowEnd: (summary: FlowSummary) => void;
  /**
   * The counting path (EventSink.wantsOperation/countOperation): absent when the caller takes every event
   * (--events), so analyzers then build each one.
   */
  readonly wantsOperation?: (protocol: ProtocolName, kind: OperationKind, result: OperationResult) => boolean;
  readonly countOperation?: (captureIndex: number, flowId: number, protocol: ProtocolName, kind: OperationKind, src: Endpoint, dst: Endpoint) => void;

  constructor(
    inventory: EventConsumer,
    detector: FileEventConsumer | null,
    onEvent: EventCallback | undefined,
    onFlowEnd: FlowEndCallback | undefined,
  ) {
    if (onEvent === undefined) {
      this.wantsOperation = detector === null ? () => false : (protocol, kind, result) => detector.wantsOperation(kind, protocol, result);
      this.countOperation = (captureIndex, flowId, protocol, kind, src, dst) => {
        this.events++;
        inventory.countOperation(captureIndex, flowId, protocol, kind, src, dst);
      };
    }
    if (detector === null) {
      this.emit = onEvent === undefined
        ? (e) => { this.events++; inventory.onEvent(e); }
        : (e) => { this.events++; inventory.onEvent(e); onEvent(e, this.file); };
      this.flowEnd = onFlowEnd === undefined
        ? (s) => { inventory.onFlowEnd(s); }
        : (s) => { inventory.onFlowEnd(s); onFlowEnd(s, this.file); };
    } else {
      this.emit = onEvent === undefined
        ? (e) => { this.events++; inventory.onEvent(e); detector.onEvent(e, this.file); }
        : (e) => { this.events++; inventory.onEvent(e); detector.onEvent(e, this.file); onEvent(e, this.file); };
      this.flowEnd = onFlowEnd === undefined
        ? (s) => { inventory.onFlowEnd(s); detector.onFlowEnd(s, this.file); }
        : (s) => { inventory.onFlowEnd(s); detector.onFlowEnd(s, this.file); onFlowEnd(s, this.file); };
    }
  }
}
