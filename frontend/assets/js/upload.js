// Sending a multipart form with XMLHttpRequest so the upload can be measured and cancelled.
// The body is assembled here, not by FormData, so each file's exact byte range is known and
// every file gets its own progress bar.

const encoder = new TextEncoder();

function quoteName(value) {
  // What browsers do for form-data names and file names: escape quote, CR and LF.
  return String(value).replace(/"/g, "%22").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

function randomBoundary() {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return `----ScrapbookBoundary${[...bytes].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/**
 * fields: [name, value] pairs; files: [{ name, file }].
 * Returns { body: Blob, contentType, ranges: [[start, end]] per file, total }.
 */
export function buildMultipart(fields, files) {
  const boundary = randomBoundary();
  const parts = [];
  let offset = 0;
  const push = (chunk) => {
    const piece = typeof chunk === "string" ? encoder.encode(chunk) : chunk;
    parts.push(piece);
    offset += piece instanceof Blob ? piece.size : piece.byteLength;
  };
  for (const [name, value] of fields) {
    const text = String(value).replace(/\r?\n/g, "\r\n");
    push(`--${boundary}\r\nContent-Disposition: form-data; name="${quoteName(name)}"\r\n\r\n${text}\r\n`);
  }
  const ranges = [];
  for (const { name, file } of files) {
    push(`--${boundary}\r\nContent-Disposition: form-data; name="${quoteName(name)}"; ` +
      `filename="${quoteName(file.name || "file")}"\r\n` +
      `Content-Type: ${file.type || "application/octet-stream"}\r\n\r\n`);
    const start = offset;
    push(file);
    ranges.push([start, offset]);
    push("\r\n");
  }
  push(`--${boundary}--\r\n`);
  return { body: new Blob(parts), contentType: `multipart/form-data; boundary=${boundary}`, ranges, total: offset };
}

/** Fraction (0..1) of the byte range [start, end) that `loaded` bytes have covered. */
export function rangeProgress(loaded, [start, end]) {
  if (end <= start) return loaded >= end ? 1 : 0;
  return Math.max(0, Math.min(1, (loaded - start) / (end - start)));
}

/**
 * POST the multipart body. Callbacks: onProgress(loadedBytes), onUploaded() once every byte
 * has been sent (the server is then processing). Returns { promise, abort }; the promise
 * resolves to { status, body } for any HTTP answer and rejects on network failure or abort.
 */
export function send(url, multipart, { onProgress, onUploaded } = {}) {
  const xhr = new XMLHttpRequest();
  const promise = new Promise((resolve, reject) => {
    xhr.open("POST", url);
    xhr.setRequestHeader("Content-Type", multipart.contentType);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", (e) => { if (onProgress) onProgress(e.loaded); });
    xhr.upload.addEventListener("load", () => {
      if (onProgress) onProgress(multipart.total);
      if (onUploaded) onUploaded();
    });
    xhr.addEventListener("load", () => {
      let body = null;
      try { body = JSON.parse(xhr.responseText); } catch (e) { body = null; }
      resolve({ status: xhr.status, body });
    });
    xhr.addEventListener("error", () => reject(Object.assign(new Error("network"), { name: "NetworkError" })));
    xhr.addEventListener("abort", () => reject(Object.assign(new Error("aborted"), { name: "AbortError" })));
    xhr.send(multipart.body);
  });
  return { promise, abort: () => xhr.abort() };
}
