import { LinkType } from './types.js';

/** Link types the decoder understands (the values of `LinkType`). */
export function isKnownLinkType(linkType: number): boolean {
  switch (linkType) {
    case LinkType.NULL:
    case LinkType.ETHERNET:
    case LinkType.RAW:
    case LinkType.LOOP:
    case LinkType.LINUX_SLL:
    case LinkType.IPV4:
    case LinkType.IPV6:
    case LinkType.LINUX_SLL2:
      return true;
    default:
      return false;
  }
}

/** Short stable name of a LINKTYPE_* value, for reports and warnings (`linktype-<n>` when not decoded). */
export function linkTypeName(linkType: number): string {
  switch (linkType) {
    case LinkType.NULL:
      return 'null';
    case LinkType.ETHERNET:
      return 'ethernet';
    case LinkType.RAW:
      return 'raw';
    case LinkType.LOOP:
      return 'loop';
    case LinkType.LINUX_SLL:
      return 'linux-sll';
    case LinkType.IPV4:
      return 'ipv4';
    case LinkType.IPV6:
      return 'ipv6';
    case LinkType.LINUX_SLL2:
      return 'linux-sll2';
    default:
      return `linktype-${linkType}`;
  }
}
