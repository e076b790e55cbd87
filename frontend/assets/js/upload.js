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

// --- Resumable uploads (tus 1.0) for sound and video ---------------------------------------------

const TUS_SRC = "/assets/vendor/tus-js-client/tus.min.js";
const CHUNK_BYTES = 5_000_000; // each PATCH; a dropped connection costs at most this much again
const RETRY_DELAYS = [0, 1000, 3000, 5000, 10000];
let tusLoading = null;

/**
 * tus-js-client (vendored, a classic script that sets window.tus) is loaded only when sound or
 * video is chosen, so writing and pictures never download it.
 */
export function loadTus() {
  if (window.tus) return Promise.resolve(window.tus);
  if (!tusLoading) {
    tusLoading = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = TUS_SRC;
      script.addEventListener("load", () => (window.tus ? resolve(window.tus) : reject(new Error("tus did not load"))));
      script.addEventListener("error", () => {
        tusLoading = null; // a later try may work
        script.remove();
        reject(new Error("tus did not load"));
      });
      document.head.append(script);
    });
  }
  return tusLoading;
}

function httpError(err) {
  const res = err && err.originalResponse;
  const status = res ? res.getStatus() : 0;
  let body = null;
  try { body = res ? JSON.parse(res.getBody()) : null; } catch (e) { body = null; }
  return { status, body };
}

/**
 * Upload one file with tus to `endpoint`. Lost connections are retried by tus-js-client
 * (RETRY_DELAYS); when they run out, or the browser is offline, onStalled() is called and the
 * upload waits: retry() (or the browser coming back online) carries on from the last byte the
 * server has. Nothing about the upload is kept in the browser's storage.
 * Returns { promise, abort, retry }; the promise resolves to the upload id (the last segment of
 * the upload URL) and rejects with an AbortError, or an HttpError carrying {status, body}.
 */
export function resumable(tus, file, endpoint, { onProgress, onRetrying, onStalled, onResumed } = {}) {
  let upload = null;
  let stalled = false;
  let done = false;
  let rejectPromise = null;
  const resume = () => {
    if (!stalled || done) return;
    stalled = false;
    if (onResumed) onResumed();
    upload.start(); // with the URL known, it asks the server for its offset (HEAD) and goes on
  };
  const promise = new Promise((resolve, reject) => {
    rejectPromise = reject;
    upload = new tus.Upload(file, {
      endpoint,
      chunkSize: CHUNK_BYTES,
      retryDelays: RETRY_DELAYS,
      metadata: {}, // no file name or type: the server recognises the file from its bytes
      storeFingerprintForResuming: false,
      removeFingerprintOnSuccess: true,
      onProgress(sent, total) { if (onProgress) onProgress(sent, total); },
      onShouldRetry(err, attempt) {
        const { status } = httpError(err);
        const retry = (status === 0 || status >= 500 || status === 409 || status === 423) && navigator.onLine !== false;
        if (retry && onRetrying) onRetrying(attempt + 1);
        return retry;
      },
      onError(err) {
        const { status, body } = httpError(err);
        if (status >= 400 && status < 500 && status !== 409 && status !== 423) {
          done = true;
          window.removeEventListener("online", resume);
          reject(Object.assign(new Error(err.message), { name: "HttpError", status, body }));
          return;
        }
        stalled = true; // the connection: wait for the browser to come back online, or a retry
        if (onStalled) onStalled(navigator.onLine === false);
      },
      onSuccess() {
        done = true;
        window.removeEventListener("online", resume);
        resolve(upload.url.split("?")[0].split("/").filter(Boolean).pop());
      },
    });
    window.addEventListener("online", resume);
    upload.start();
  });
  return {
    promise,
    retry: resume,
    abort() {
      if (done) return;
      done = true;
      window.removeEventListener("online", resume);
      upload.abort(true).catch(() => { /* the server forgets it when it expires */ });
      rejectPromise(Object.assign(new Error("aborted"), { name: "AbortError" }));
    },
  };
}
