// Stable hashes for spreading clients over POPs the routes cannot tell apart (rendezvous hashing): every POP
// scores the client's prefix, the highest score wins. The same prefix always gets the same POP, prefixes spread
// evenly, and taking a POP out moves only the clients it had. Integer arithmetic only, and every hash is an int32
// (a uint32 above 2^31 would be a heap number whenever it crosses a call the JIT did not inline).

/** MurmurHash3's 32-bit finalizer: every input bit affects every output bit. */
export function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}

/** Hash of a prefix (four words, host bits zero, and its length). */
export function hashPrefix(a: number, b: number, c: number, d: number, length: number): number {
  // | 0: length + 0x9e3779b9 is above 2^31, a double, boxed when it crosses a call the JIT did not inline (the
  // same bits after mix32's first ToInt32: the hashes are unchanged).
  let h = mix32((length + 0x9e3779b9) | 0);
  h = mix32(h ^ a);
  h = mix32(h ^ b);
  h = mix32(h ^ c);
  return mix32(h ^ d);
}

/** FNV-1a of a POP's name, mixed: its rendezvous seed, the same whatever the POP's place in the file. */
export function hashName(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return mix32(h);
}

/** A POP's rendezvous score for a prefix hash. */
export function rendezvousScore(prefixHash: number, seed: number): number {
  return mix32(prefixHash ^ seed);
}
