// A small BlurHash decoder (https://blurha.sh, algorithm by Wolt, MIT licence); written for Scrapbook.
const CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz#$%*+,-.:;=?@[]^_{|}~";

function decode83(str) {
  let value = 0;
  for (const ch of str) {
    const digit = CHARS.indexOf(ch);
    if (digit < 0) throw new Error("invalid blurhash");
    value = value * 83 + digit;
  }
  return value;
}

function toLinear(v) {
  const c = v / 255;
  return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
}

function toSrgb(v) {
  const c = Math.max(0, Math.min(1, v));
  return c <= 0.0031308 ? Math.round(c * 12.92 * 255) : Math.round((1.055 * c ** (1 / 2.4) - 0.055) * 255);
}

const signPow = (v, e) => Math.sign(v) * Math.abs(v) ** e;

/** Decode to RGBA pixels (width x height). Throws on a malformed hash. */
export function decode(hash, width, height, punch = 1) {
  if (!hash || hash.length < 6) throw new Error("invalid blurhash");
  const size = decode83(hash[0]);
  const nx = (size % 9) + 1;
  const ny = Math.floor(size / 9) + 1;
  if (hash.length !== 4 + 2 * nx * ny) throw new Error("invalid blurhash length");
  const maxAc = (decode83(hash[1]) + 1) / 166;
  const colours = new Array(nx * ny);
  const dc = decode83(hash.slice(2, 6));
  colours[0] = [toLinear(dc >> 16), toLinear((dc >> 8) & 255), toLinear(dc & 255)];
  for (let i = 1; i < nx * ny; i += 1) {
    const v = decode83(hash.slice(4 + i * 2, 6 + i * 2));
    colours[i] = [Math.floor(v / 361), Math.floor(v / 19) % 19, v % 19]
      .map((q) => signPow((q - 9) / 9, 2) * maxAc * punch);
  }
  const pixels = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      let r = 0; let g = 0; let b = 0;
      for (let j = 0; j < ny; j += 1) {
        const by = Math.cos((Math.PI * y * j) / height);
        for (let i = 0; i < nx; i += 1) {
          const basis = Math.cos((Math.PI * x * i) / width) * by;
          const c = colours[i + j * nx];
          r += c[0] * basis; g += c[1] * basis; b += c[2] * basis;
        }
      }
      const p = 4 * (x + y * width);
      pixels[p] = toSrgb(r); pixels[p + 1] = toSrgb(g); pixels[p + 2] = toSrgb(b); pixels[p + 3] = 255;
    }
  }
  return pixels;
}

const cache = new Map();
/** A small PNG data: URL for a hash, or "" if it cannot be decoded. */
export function blurhashDataUrl(hash, width = 32, height = 32) {
  if (!hash) return "";
  if (cache.has(hash)) return cache.get(hash);
  let url = "";
  try {
    const canvas = document.createElement("canvas");
    canvas.width = width; canvas.height = height;
    const ctx = canvas.getContext("2d");
    const image = ctx.createImageData(width, height);
    image.data.set(decode(hash, width, height));
    ctx.putImageData(image, 0, 0);
    url = canvas.toDataURL("image/png");
  } catch (e) { url = ""; }
  cache.set(hash, url);
  return url;
}
