/**
 * Frame-by-frame comparison of the function codes we extract with tshark's. `ours` maps frame → codes we
 * attribute to that frame (requests and responses); `theirs` is tshark's. Agreement is counted over the frames
 * tshark reports.
 */
export interface Agreement {
  frames: number;
  agreeing: number;
  disagreements: string[];
}

export function compareCodes(file: string, ours: Map<number, Set<number>>, theirs: Map<number, Set<number>>): Agreement {
  const result: Agreement = { frames: 0, agreeing: 0, disagreements: [] };
  for (const [frame, codes] of theirs) {
    if (codes.size === 0) continue;
    result.frames++;
    const mine = ours.get(frame) ?? new Set<number>();
    const same = mine.size === codes.size && [...codes].every((c) => mine.has(c));
    if (same) result.agreeing++;
    else result.disagreements.push(`${file} frame ${frame}: tshark [${[...codes].join(',')}] otwatch [${[...mine].join(',')}]`);
  }
  return result;
}

export function addCode(map: Map<number, Set<number>>, frame: number | undefined, code: number): void {
  if (frame === undefined) return;
  let set = map.get(frame);
  if (!set) map.set(frame, (set = new Set()));
  set.add(code);
}

export const parseNumber = (v: string): number => (v.startsWith('0x') ? parseInt(v, 16) : Number(v));

/**
 * Frames that repeat TCP payload already seen in the same direction (same stream, sequence number and length).
 * tshark dissects them again; our reassembly delivers each byte once, so they are not operations for us.
 */
export async function tcpRepeatedFrames(file: string): Promise<Set<number>> {
  const { tsharkFields } = await import('./trace.js');
  const seen = new Set<string>();
  const repeated = new Set<number>();
  for (const [frame, [stream = [], src = [], port = [], seq = [], len = []]] of tsharkFields(file, 'tcp.len > 0', ['tcp.stream', 'ip.src', 'tcp.srcport', 'tcp.seq', 'tcp.len'])) {
    const key = `${stream[0]}|${src[0]}|${port[0]}|${seq[0]}|${len[0]}`;
    if (seen.has(key)) repeated.add(frame);
    seen.add(key);
  }
  return repeated;
}
