/**
 * Service parameters of the BACnet requests and acks otwatch reports on: object/property addressed, restart
 * and communication-control states, file data sizes, I-Am identity, error class/code, and the property values
 * of ReadProperty(-Multiple) acks. Decoding is best effort and bounded: a malformed parameter list sets
 * `malformed` and keeps whatever was decoded before it.
 */
import { APP_TAG, readTag, readUnsigned, objectInstanceOf, objectTypeOf, skipElement, Tag } from './parser.js';
import { CONFIRMED, UNCONFIRMED } from './names.js';

/** Upper bound on tags walked in one service's parameters (defence against pathological nesting). */
export const MAX_TAGS_PER_SERVICE = 4096;

/** What a request addresses and asks for; reused for every request. -1 = absent. */
export class RequestInfo {
  objectType = -1;
  instance = -1;
  property = -1;
  arrayIndex = -1;
  /** reinitializeDevice state / deviceCommunicationControl enable-disable */
  state = -1;
  /** DCC time duration in minutes */
  duration = -1;
  /** a password parameter is present (reinitializeDevice, deviceCommunicationControl) */
  password = false;
  /** property references (RPM/WPM) or list elements */
  count = 0;
  /** bytes of data written / transferred */
  dataBytes = -1;
  /** I-Am */
  maxApdu = -1;
  segmentation = -1;
  vendorId = -1;
  /** Who-Is / Who-Has device instance range */
  low = -1;
  high = -1;
  /** private transfer */
  serviceNumber = -1;
  malformed = false;

  reset(): void {
    this.objectType = -1;
    this.instance = -1;
    this.property = -1;
    this.arrayIndex = -1;
    this.state = -1;
    this.duration = -1;
    this.password = false;
    this.count = 0;
    this.dataBytes = -1;
    this.maxApdu = -1;
    this.segmentation = -1;
    this.vendorId = -1;
    this.low = -1;
    this.high = -1;
    this.serviceNumber = -1;
    this.malformed = false;
  }
}

/** A primitive context tag `n` at p, or null-ish (-1) when the next tag is something else or bad. */
function contextPrimitive(buf: Uint8Array, p: number, end: number, n: number, t: Tag): boolean {
  return readTag(buf, p, end, t) && t.context && !t.opening && !t.closing && t.number === n;
}

/** An opening context tag `n` at p (a function, so callers' narrowing of `t` does not outlive the call). */
function openingTag(buf: Uint8Array, p: number, end: number, n: number, t: Tag): boolean {
  return readTag(buf, p, end, t) && t.opening && t.number === n;
}

function appPrimitive(buf: Uint8Array, p: number, end: number, n: number, t: Tag): boolean {
  return readTag(buf, p, end, t) && !t.context && t.number === n;
}

/** [objTag] ObjectIdentifier, [objTag+1] property, optional [objTag+2] array index. Returns offset after them. */
function objectPropertyRef(buf: Uint8Array, p: number, end: number, objTag: number, info: RequestInfo, t: Tag): number {
  if (!contextPrimitive(buf, p, end, objTag, t) || t.valueLen !== 4) return -1;
  info.objectType = objectTypeOf(buf, t.valueOff);
  info.instance = objectInstanceOf(buf, t.valueOff);
  p = t.next;
  if (p >= end) return p;
  if (!contextPrimitive(buf, p, end, objTag + 1, t)) return p;
  info.property = readUnsigned(buf, t.valueOff, t.valueLen);
  p = t.next;
  if (p < end && contextPrimitive(buf, p, end, objTag + 2, t)) {
    info.arrayIndex = readUnsigned(buf, t.valueOff, t.valueLen);
    p = t.next;
  }
  return p;
}

/** Length of the contents between an opening context tag `n` at p and its closing tag; -1 if not there. */
function constructedLength(buf: Uint8Array, p: number, end: number, n: number, t: Tag): number {
  if (!readTag(buf, p, end, t) || !t.opening || t.number !== n) return -1;
  const start = t.next;
  const after = skipElement(buf, p, end, t, MAX_TAGS_PER_SERVICE);
  if (after < 0) return -1;
  return after - start - (n >= 15 ? 2 : 1);
}

/** Walks the top level of a parameter list for the first object identifier in context tag `n`. */
function findContextObject(buf: Uint8Array, p: number, end: number, n: number, info: RequestInfo, t: Tag): void {
  for (let i = 0; p < end && i < 16; i++) {
    if (!readTag(buf, p, end, t)) {
      info.malformed = true;
      return;
    }
    if (t.context && !t.opening && !t.closing && t.number === n && t.valueLen === 4) {
      info.objectType = objectTypeOf(buf, t.valueOff);
      info.instance = objectInstanceOf(buf, t.valueOff);
      return;
    }
    const next = skipElement(buf, p, end, t, MAX_TAGS_PER_SERVICE);
    if (next < 0) {
      info.malformed = true;
      return;
    }
    p = next;
  }
}

/** Sums the octet strings of AtomicWriteFile's stream/record access. */
function fileDataBytes(buf: Uint8Array, p: number, end: number, info: RequestInfo, t: Tag): void {
  if (!readTag(buf, p, end, t) || !t.opening || t.number > 1) {
    info.malformed = true;
    return;
  }
  const which = t.number;
  p = t.next;
  let bytes = 0;
  for (let i = 0; p < end && i < MAX_TAGS_PER_SERVICE; i++) {
    if (!readTag(buf, p, end, t)) {
      info.malformed = true;
      break;
    }
    if (t.closing && t.number === which) break;
    if (!t.context && t.number === APP_TAG.OCTET_STRING) {
      bytes += t.valueLen;
      info.count++;
    }
    p = t.next;
  }
  info.dataBytes = bytes;
}

export function decodeConfirmedRequest(service: number, buf: Uint8Array, off: number, end: number, info: RequestInfo, t: Tag): void {
  info.reset();
  let p = off;
  switch (service) {
    case CONFIRMED.READ_PROPERTY:
    case CONFIRMED.READ_RANGE:
    case CONFIRMED.ADD_LIST_ELEMENT:
    case CONFIRMED.REMOVE_LIST_ELEMENT:
    case CONFIRMED.WRITE_PROPERTY: {
      p = objectPropertyRef(buf, p, end, 0, info, t);
      if (p < 0) {
        info.malformed = true;
        return;
      }
      if (service !== CONFIRMED.READ_PROPERTY && service !== CONFIRMED.READ_RANGE && p < end) {
        // propertyValue / listOfElements, both [3]
        const n = constructedLength(buf, p, end, 3, t);
        if (n >= 0) info.dataBytes = n;
        else info.malformed = true;
      }
      return;
    }
    case CONFIRMED.READ_PROPERTY_MULTIPLE:
    case CONFIRMED.WRITE_PROPERTY_MULTIPLE:
      accessSpecifications(buf, p, end, service === CONFIRMED.WRITE_PROPERTY_MULTIPLE, info, t);
      return;
    case CONFIRMED.ATOMIC_READ_FILE:
    case CONFIRMED.ATOMIC_WRITE_FILE:
    case CONFIRMED.DELETE_OBJECT:
      if (!appPrimitive(buf, p, end, APP_TAG.OBJECT_ID, t) || t.valueLen !== 4) {
        info.malformed = true;
        return;
      }
      info.objectType = objectTypeOf(buf, t.valueOff);
      info.instance = objectInstanceOf(buf, t.valueOff);
      if (service === CONFIRMED.ATOMIC_WRITE_FILE) fileDataBytes(buf, t.next, end, info, t);
      return;
    case CONFIRMED.CREATE_OBJECT:
      // objectSpecifier [0] { objectType [0] | objectIdentifier [1] }, then optional initial values [1]
      if (!openingTag(buf, p, end, 0, t)) {
        info.malformed = true;
        return;
      }
      if (!readTag(buf, t.next, end, t) || !t.context || t.opening || t.closing) {
        info.malformed = true;
        return;
      }
      if (t.number === 0) info.objectType = readUnsigned(buf, t.valueOff, t.valueLen);
      else if (t.number === 1 && t.valueLen === 4) {
        info.objectType = objectTypeOf(buf, t.valueOff);
        info.instance = objectInstanceOf(buf, t.valueOff);
      } else info.malformed = true;
      return;
    case CONFIRMED.REINITIALIZE_DEVICE:
      if (!contextPrimitive(buf, p, end, 0, t)) {
        info.malformed = true;
        return;
      }
      info.state = readUnsigned(buf, t.valueOff, t.valueLen);
      info.password = t.next < end && contextPrimitive(buf, t.next, end, 1, t);
      return;
    case CONFIRMED.DEVICE_COMMUNICATION_CONTROL:
      if (contextPrimitive(buf, p, end, 0, t)) {
        info.duration = readUnsigned(buf, t.valueOff, t.valueLen);
        p = t.next;
      }
      if (!contextPrimitive(buf, p, end, 1, t)) {
        info.malformed = true;
        return;
      }
      info.state = readUnsigned(buf, t.valueOff, t.valueLen);
      info.password = t.next < end && contextPrimitive(buf, t.next, end, 2, t);
      return;
    case CONFIRMED.CONFIRMED_PRIVATE_TRANSFER:
      privateTransfer(buf, p, end, info, t);
      return;
    case CONFIRMED.SUBSCRIBE_COV:
    case CONFIRMED.SUBSCRIBE_COV_PROPERTY:
      findContextObject(buf, p, end, 1, info, t);
      return;
    case CONFIRMED.ACKNOWLEDGE_ALARM:
    case 1: // confirmedCOVNotification: monitoredObjectIdentifier [2]
      findContextObject(buf, p, end, 2, info, t);
      return;
    default:
      return;
  }
}

function privateTransfer(buf: Uint8Array, p: number, end: number, info: RequestInfo, t: Tag): void {
  if (!contextPrimitive(buf, p, end, 0, t)) {
    info.malformed = true;
    return;
  }
  info.vendorId = readUnsigned(buf, t.valueOff, t.valueLen);
  if (!contextPrimitive(buf, t.next, end, 1, t)) {
    info.malformed = true;
    return;
  }
  info.serviceNumber = readUnsigned(buf, t.valueOff, t.valueLen);
}

/**
 * ReadAccessSpecification / WriteAccessSpecification lists: records the first object and property, counts
 * property references, and (writes) sums the value bytes.
 */
function accessSpecifications(buf: Uint8Array, p: number, end: number, write: boolean, info: RequestInfo, t: Tag): void {
  let bytes = 0;
  for (let spec = 0; p < end && spec < MAX_TAGS_PER_SERVICE; spec++) {
    if (!contextPrimitive(buf, p, end, 0, t) || t.valueLen !== 4) {
      info.malformed = true;
      return;
    }
    if (spec === 0) {
      info.objectType = objectTypeOf(buf, t.valueOff);
      info.instance = objectInstanceOf(buf, t.valueOff);
    }
    if (!openingTag(buf, t.next, end, 1, t)) {
      info.malformed = true;
      return;
    }
    p = t.next;
    for (let i = 0; i < MAX_TAGS_PER_SERVICE; i++) {
      if (!readTag(buf, p, end, t)) {
        info.malformed = true;
        return;
      }
      if (t.closing) {
        if (t.number !== 1) {
          info.malformed = true;
          return;
        }
        p = t.next;
        break;
      }
      if (t.context && !t.opening && t.number === 0) {
        if (info.count === 0) info.property = readUnsigned(buf, t.valueOff, t.valueLen);
        info.count++;
        p = t.next;
        continue;
      }
      if (write && t.opening && t.number === 2) {
        const start = t.next;
        const after = skipElement(buf, p, end, t, MAX_TAGS_PER_SERVICE);
        if (after < 0) {
          info.malformed = true;
          return;
        }
        bytes += after - 1 - start;
        p = after;
        continue;
      }
      const next = skipElement(buf, p, end, t, MAX_TAGS_PER_SERVICE);
      if (next < 0) {
        info.malformed = true;
        return;
      }
      p = next;
    }
  }
  if (write) info.dataBytes = bytes;
}

export function decodeUnconfirmedRequest(service: number, buf: Uint8Array, off: number, end: number, info: RequestInfo, t: Tag): void {
  info.reset();
  let p = off;
  switch (service) {
    case UNCONFIRMED.I_AM:
      if (!appPrimitive(buf, p, end, APP_TAG.OBJECT_ID, t) || t.valueLen !== 4) break;
      info.objectType = objectTypeOf(buf, t.valueOff);
      info.instance = objectInstanceOf(buf, t.valueOff);
      if (!appPrimitive(buf, t.next, end, APP_TAG.UNSIGNED, t)) break;
      info.maxApdu = readUnsigned(buf, t.valueOff, t.valueLen);
      if (!appPrimitive(buf, t.next, end, APP_TAG.ENUMERATED, t)) break;
      info.segmentation = readUnsigned(buf, t.valueOff, t.valueLen);
      if (!appPrimitive(buf, t.next, end, APP_TAG.UNSIGNED, t)) break;
      info.vendorId = readUnsigned(buf, t.valueOff, t.valueLen);
      return;
    case UNCONFIRMED.I_HAVE:
      // deviceIdentifier, objectIdentifier, objectName: report the object, the device goes to `low`.
      if (!appPrimitive(buf, p, end, APP_TAG.OBJECT_ID, t) || t.valueLen !== 4) break;
      info.low = objectInstanceOf(buf, t.valueOff);
      if (!appPrimitive(buf, t.next, end, APP_TAG.OBJECT_ID, t) || t.valueLen !== 4) break;
      info.objectType = objectTypeOf(buf, t.valueOff);
      info.instance = objectInstanceOf(buf, t.valueOff);
      return;
    case UNCONFIRMED.WHO_IS:
    case UNCONFIRMED.WHO_HAS:
      if (p < end && contextPrimitive(buf, p, end, 0, t)) {
        info.low = readUnsigned(buf, t.valueOff, t.valueLen);
        if (!contextPrimitive(buf, t.next, end, 1, t)) break;
        info.high = readUnsigned(buf, t.valueOff, t.valueLen);
        p = t.next;
      }
      if (service === UNCONFIRMED.WHO_IS) {
        if (p !== end) break;
        return;
      }
      if (!readTag(buf, p, end, t) || !t.context) break;
      if (t.number === 2 && t.valueLen === 4) {
        info.objectType = objectTypeOf(buf, t.valueOff);
        info.instance = objectInstanceOf(buf, t.valueOff);
      } else if (t.number !== 3) break;
      return;
    case UNCONFIRMED.PRIVATE_TRANSFER:
      privateTransfer(buf, p, end, info, t);
      return;
    case 2: // unconfirmedCOVNotification: monitoredObjectIdentifier [2]
    case 3: // unconfirmedEventNotification: eventObjectIdentifier [2]
      findContextObject(buf, p, end, 2, info, t);
      return;
    default:
      return;
  }
  info.malformed = true;
}

/**
 * Error PDU parameters: error class and code, the first two application-tagged enumerations (some services
 * wrap them in a constructed [0] with extra parameters). Returns class << 16 | code, or -1.
 */
export function decodeError(buf: Uint8Array, off: number, end: number, t: Tag): number {
  let p = off;
  let errorClass = -1;
  for (let i = 0; p < end && i < 16; i++) {
    if (!readTag(buf, p, end, t)) return -1;
    if (t.opening) {
      p = t.next;
      continue;
    }
    if (!t.context && t.number === APP_TAG.ENUMERATED) {
      const v = readUnsigned(buf, t.valueOff, t.valueLen);
      if (v < 0 || v > 0xffff) return -1;
      if (errorClass < 0) errorClass = v;
      else return errorClass * 65536 + v;
    } else if (errorClass >= 0) return -1;
    p = t.next;
  }
  return -1;
}

/** Receives each property value of a ReadProperty(-Multiple) ack. */
export interface PropertyVisitor {
  onPropertyValue(objectType: number, instance: number, property: number, arrayIndex: number, buf: Uint8Array, valueOff: number, valueEnd: number): void;
}

/** ReadProperty-ACK: objectIdentifier [0], propertyIdentifier [1], arrayIndex [2]?, propertyValue [3]. */
export function visitReadPropertyAck(buf: Uint8Array, off: number, end: number, t: Tag, info: RequestInfo, visitor: PropertyVisitor): boolean {
  info.reset();
  const p = objectPropertyRef(buf, off, end, 0, info, t);
  if (p < 0 || info.property < 0) return false;
  if (!readTag(buf, p, end, t) || !t.opening || t.number !== 3) return false;
  const valueOff = t.next;
  const after = skipElement(buf, p, end, t, MAX_TAGS_PER_SERVICE);
  if (after < 0) return false;
  visitor.onPropertyValue(info.objectType, info.instance, info.property, info.arrayIndex, buf, valueOff, after - 1);
  return true;
}

/**
 * ReadPropertyMultiple-ACK: a list of { objectIdentifier [0], listOfResults [1] { propertyIdentifier [2],
 * arrayIndex [3]?, readResult: propertyValue [4] | propertyAccessError [5] } }. Values are visited; errors
 * are skipped. Records the first object/property in `info`.
 */
export function visitReadPropertyMultipleAck(buf: Uint8Array, off: number, end: number, t: Tag, info: RequestInfo, visitor: PropertyVisitor): boolean {
  info.reset();
  let p = off;
  let tags = 0;
  while (p < end) {
    if (!contextPrimitive(buf, p, end, 0, t) || t.valueLen !== 4) return false;
    const objectType = objectTypeOf(buf, t.valueOff);
    const instance = objectInstanceOf(buf, t.valueOff);
    if (info.objectType < 0) {
      info.objectType = objectType;
      info.instance = instance;
    }
    if (!openingTag(buf, t.next, end, 1, t)) return false;
    p = t.next;
    let property = -1;
    let arrayIndex = -1;
    for (;;) {
      if (++tags > MAX_TAGS_PER_SERVICE || !readTag(buf, p, end, t)) return false;
      if (t.closing) {
        if (t.number !== 1) return false;
        p = t.next;
        break;
      }
      if (!t.opening && t.context && t.number === 2) {
        property = readUnsigned(buf, t.valueOff, t.valueLen);
        arrayIndex = -1;
        if (info.property < 0) info.property = property;
        info.count++;
        p = t.next;
        continue;
      }
      if (!t.opening && t.context && t.number === 3) {
        arrayIndex = readUnsigned(buf, t.valueOff, t.valueLen);
        p = t.next;
        continue;
      }
      if (t.opening && (t.number === 4 || t.number === 5)) {
        const which = t.number;
        const valueOff = t.next;
        const after = skipElement(buf, p, end, t, MAX_TAGS_PER_SERVICE);
        if (after < 0) return false;
        if (which === 4 && property >= 0) visitor.onPropertyValue(objectType, instance, property, arrayIndex, buf, valueOff, after - 1);
        p = after;
        continue;
      }
      return false;
    }
  }
  return true;
}
