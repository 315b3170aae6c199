// CRC-32 of concatenations without the bytes: lets sparse FILL/DONT_CARE runs of any length be checked in O(log n).

/** Multiplies a 32×32 GF(2) matrix (rows as numbers) by a vector. */
function times(mat: Uint32Array, vec: number): number {
  let sum = 0;
  for (let i = 0; vec !== 0; i++, vec >>>= 1) if ((vec & 1) !== 0) sum ^= mat[i]!;
  return sum >>> 0;
}

function square(out: Uint32Array, mat: Uint32Array): void {
  for (let n = 0; n < 32; n++) out[n] = times(mat, mat[n]!);
}

/**
 * CRC-32 (zlib polynomial) of A‖B from crc(A), crc(B) and len(B): the standard "append len(B) zero bits" operator,
 * applied by repeated squaring. `len2` may be any safe integer.
 */
export function crc32Combine(crc1: number, crc2: number, len2: number): number {
  if (len2 <= 0) return crc1 >>> 0;
  const even = new Uint32Array(32);
  const odd = new Uint32Array(32);
  odd[0] = 0xedb88320;
  for (let n = 1, row = 1; n < 32; n++, row <<= 1) odd[n] = row;
  square(even, odd); // operator for two zero bits
  square(odd, even); // four zero bits
  let c = crc1 >>> 0;
  let len = len2;
  do {
    square(even, odd);
    if (len % 2 === 1) c = times(even, c);
    len = Math.floor(len / 2);
    if (len === 0) break;
    square(odd, even);
    if (len % 2 === 1) c = times(odd, c);
    len = Math.floor(len / 2);
  } while (len !== 0);
  return (c ^ crc2) >>> 0;
}

/** CRC-32 of `count` back-to-back copies of a block whose own CRC-32 is `blockCrc` and length `blockLen`. */
export function crc32Repeat(blockCrc: number, blockLen: number, count: number): number {
  let result: number | undefined;
  let acc = blockCrc >>> 0;
  let accLen = blockLen;
  let n = count;
  while (n > 0) {
    if (n % 2 === 1) {
      result = result === undefined ? acc : crc32Combine(result, acc, accLen);
    }
    n = Math.floor(n / 2);
    if (n > 0) {
      acc = crc32Combine(acc, acc, accLen);
      accLen *= 2;
    }
  }
  return result ?? 0;
}
