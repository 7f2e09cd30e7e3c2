// Deterministic, realistic-looking encoded frames for the interop test (no randomness from the
// environment: everything comes from a seeded PRNG, so every run sends the same bytes).

/** mulberry32: a small seeded 32-bit PRNG */
export function prng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n) => Math.floor(next() * n),
    byte: () => Math.floor(next() * 256),
    bytes(n, { zeroRuns = false, nonZero = false } = {}) {
      const out = [];
      while (out.length < n) {
        if (zeroRuns && next() < 0.04) {
          // a run of 2..9 zero bytes (typical of entropy-coded data with long runs of 0 bits)
          const len = 2 + Math.floor(next() * 8);
          for (let i = 0; i < len && out.length < n; i++) out.push(0);
        } else {
          let b = Math.floor(next() * 256);
          if (nonZero && b === 0) b = 1;
          out.push(b);
        }
      }
      return out;
    },
  };
}

export const concat = (...parts) => Uint8Array.from(parts.flatMap((p) => [...p]));
export const hex = (b) => Buffer.from(b).toString('hex');
export const unhex = (h) => Uint8Array.from(Buffer.from(h.replace(/\s+/g, ''), 'hex'));

/** H.264/H.265 emulation prevention (RBSP -> NAL payload), the same rule as the codecs use */
export function emulationPrevent(rbsp) {
  const out = [];
  let zeros = 0;
  for (const b of rbsp) {
    if (zeros >= 2 && b <= 3) {
      out.push(3);
      zeros = 0;
    }
    out.push(b);
    zeros = b === 0 ? zeros + 1 : 0;
  }
  return out;
}

/** A NAL unit payload made from random RBSP with runs of zeros, properly escaped, ending in a stop bit. */
function nalPayload(r, n) {
  const rbsp = r.bytes(n, { zeroRuns: true });
  rbsp.push(0x80); // rbsp_stop_one_bit + alignment: a NAL unit never ends in 0x00
  return emulationPrevent(rbsp);
}

const SC4 = [0, 0, 0, 1];
const SC3 = [0, 0, 1];

// Real-world parameter sets (already escaped NAL units).
const H264_SPS = unhex('6742c01fda014016e84000000300400000 0c83c60ca8'); // Baseline 3.1, 640x360
const H264_PPS = unhex('68ce3c80');
const H264_AUD = unhex('09f0');
const H265_VPS = unhex('40010c01ffff016000000300b0000003000003005dac09');
const H265_SPS = unhex('420101016000000300b0000003000003005da00280802d165959a4932bc05a70800001f480003a9804');
const H265_PPS = unhex('4401c172b46240');

/** Checks that a NAL unit (without start code) contains no start-code emulation. */
function assertNal(nal) {
  for (let i = 0; i + 2 < nal.length; i++) {
    if (nal[i] === 0 && nal[i + 1] === 0 && nal[i + 2] <= 2) throw new Error('start-code emulation inside a NAL unit');
  }
  if (nal[nal.length - 1] === 0) throw new Error('NAL unit ends in 0x00');
  return nal;
}

function annexB(nals, startCode = SC4) {
  return concat(...nals.flatMap((n) => [startCode, assertNal([...n])]));
}

/** SEI NAL (H.264) with one user_data_unregistered message of `size` payload bytes */
function h264Sei(r, size) {
  const sei = [6, 5];
  let s = size;
  while (s >= 255) {
    sei.push(255);
    s -= 255;
  }
  sei.push(s);
  const payload = [
    ...unhex('dc45e9bde6d948b7962cd820d923eeef'), // uuid (x264's)
    ...r.bytes(size - 16, { zeroRuns: true }),
  ];
  return [...sei, ...emulationPrevent([...payload, 0x80])];
}

export const frames = {
  opus(r, size) {
    return concat([0x78], r.bytes(size - 1, { zeroRuns: true }));
  },
  vp8Key(r, size) {
    // frame tag: key_frame=0 (bit 0), version 0, show_frame 1, first_part_size; start code; 640x480
    const firstPart = 0x2b3;
    const tag = (firstPart << 5) | (1 << 4) | 0;
    return concat([tag & 0xff, (tag >> 8) & 0xff, (tag >> 16) & 0xff], [0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01], r.bytes(size - 10, { zeroRuns: true }));
  },
  vp8Delta(r, size) {
    const firstPart = 0x51;
    const tag = (firstPart << 5) | (1 << 4) | 1; // bit 0 = 1: interframe
    return concat([tag & 0xff, (tag >> 8) & 0xff, (tag >> 16) & 0xff], r.bytes(size - 3, { zeroRuns: true }));
  },
  vp9Key(r, size) {
    // frame_marker 2, profile 0, show_existing 0, frame_type 0 (key), show 1; sync code 49 83 42
    return concat([0x82, 0x49, 0x83, 0x42, 0x00, 0x27, 0xf0, 0x1d, 0xf6], r.bytes(size - 9, { zeroRuns: true }));
  },
  vp9Delta(r, size) {
    return concat([0x86, 0x00, 0x40, 0x92], r.bytes(size - 4, { zeroRuns: true }));
  },
  /** SPS, PPS, IDR slice (nal_ref_idc 3, type 5); `startCode` 3 or 4 bytes */
  h264Key(r, size, { startCode = SC4, sei = 0, aud = false, slices = 1 } = {}) {
    const nals = [];
    if (aud) nals.push(H264_AUD);
    nals.push(H264_SPS, H264_PPS);
    if (sei) nals.push(h264Sei(r, sei));
    for (let i = 0; i < slices; i++) nals.push([0x65, 0x88, 0x84, ...nalPayload(r, Math.floor(size / slices))]);
    return annexB(nals, startCode);
  },
  /** one P slice (nal_ref_idc 2, type 1) */
  h264Delta(r, size, { startCode = SC4 } = {}) {
    return annexB([[0x41, 0x9a, 0x02, ...nalPayload(r, size)]], startCode);
  },
  /** SPS, PPS and an SEI, no slice */
  h264ParamsOnly(r, sei) {
    return annexB([H264_SPS, H264_PPS, h264Sei(r, sei)]);
  },
  /** VPS, SPS, PPS, no slice */
  h265ParamsOnly() {
    return annexB([H265_VPS, H265_SPS, H265_PPS]);
  },
  /** VPS, SPS, PPS, IDR_W_RADL (type 19) */
  h265Key(r, size, { startCode = SC4 } = {}) {
    return annexB([H265_VPS, H265_SPS, H265_PPS, [0x26, 0x01, 0xaf, 0x08, ...nalPayload(r, size)]], startCode);
  },
  /** TRAIL_R (type 1) */
  h265Delta(r, size, { startCode = SC4 } = {}) {
    return annexB([[0x02, 0x01, 0xd0, 0x20, ...nalPayload(r, size)]], startCode);
  },
};

/** RBSP un-escaping as done by receivers (00 00 03 -> 00 00) */
export function unescapeRbsp(b) {
  const out = [];
  for (let i = 0; i < b.length; ) {
    if (b.length - i >= 3 && b[i] === 0 && b[i + 1] === 0 && b[i + 2] === 3) {
      out.push(0, 0);
      i += 3;
    } else out.push(b[i++]);
  }
  return Uint8Array.from(out);
}
