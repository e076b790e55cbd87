// Recording a voice note (or, where the browser allows, a short video) in the page with
// MediaRecorder. The microphone and camera are released as soon as the recording stops.

const TYPES = {
  audio: ["audio/webm;codecs=opus", "audio/ogg;codecs=opus", "audio/mp4", "audio/webm"],
  video: ["video/webm;codecs=vp9,opus", "video/webm;codecs=vp8,opus", "video/webm", "video/mp4"],
};

/** The container type this browser records `kind` in, or null when it cannot. */
export function recordingType(kind) {
  if (!window.MediaRecorder || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return null;
  const types = TYPES[kind] || [];
  return types.find((t) => MediaRecorder.isTypeSupported(t)) || null;
}

const EXTENSIONS = { "audio/mp4": "m4a", "video/mp4": "mp4", "audio/ogg": "ogg" };

/**
 * One recording. start() asks for the microphone (and camera) and starts; it rejects with the
 * browser's error (NotAllowedError, NotFoundError, ...). The recording stops by stop(), or by
 * itself after maxSeconds; then onStop({ file, seconds, limited }) is called. cancel() throws
 * it away. onTick(seconds) is called about four times a second while recording.
 */
export class Recording {
  constructor(kind, { maxSeconds, onTick, onStop, preview } = {}) {
    this.kind = kind;
    this.maxSeconds = maxSeconds;
    this.onTick = onTick;
    this.onStop = onStop;
    this.preview = preview;
    this.stream = null;
    this.recorder = null;
    this.chunks = [];
    this.started = 0;
    this.timer = null;
    this.limited = false;
    this.cancelled = false;
  }

  get seconds() {
    return this.started ? (performance.now() - this.started) / 1000 : 0;
  }

  async start() {
    const type = recordingType(this.kind);
    const constraints = this.kind === "video"
      ? { audio: true, video: { facingMode: "user", width: { ideal: 1280 }, height: { ideal: 720 } } }
      : { audio: { echoCancellation: true, noiseSuppression: true } };
    this.stream = await navigator.mediaDevices.getUserMedia(constraints);
    if (this.cancelled) { this.release(); return; }
    const options = { mimeType: type };
    if (this.kind === "video") options.videoBitsPerSecond = 1_500_000; // 10 minutes stay near 110 MB in memory
    else options.audioBitsPerSecond = 96_000;
    this.recorder = new MediaRecorder(this.stream, options);
    this.recorder.addEventListener("dataavailable", (e) => { if (e.data && e.data.size) this.chunks.push(e.data); });
    this.recorder.addEventListener("stop", () => this.finish());
    if (this.preview && this.kind === "video") {
      this.preview.srcObject = this.stream;
      this.preview.hidden = false;
      this.preview.play().catch(() => { /* a still preview is fine */ });
    }
    this.recorder.start(1000);
    this.started = performance.now();
    // Stop a little before the limit, so the file's own length is within it.
    const limit = Math.max(1, this.maxSeconds - 0.5);
    this.timer = window.setInterval(() => {
      const s = this.seconds;
      if (this.onTick) this.onTick(Math.min(s, this.maxSeconds));
      if (s >= limit) { this.limited = true; this.stop(); }
    }, 250);
  }

  get recording() {
    return Boolean(this.recorder && this.recorder.state === "recording");
  }

  stop() {
    if (this.recording) this.recorder.stop();
  }

  cancel() {
    this.cancelled = true;
    if (this.recording) this.recorder.stop();
    else this.release();
  }

  release() {
    window.clearInterval(this.timer);
    if (this.stream) for (const track of this.stream.getTracks()) track.stop();
    if (this.preview) { this.preview.srcObject = null; this.preview.hidden = true; }
  }

  finish() {
    const seconds = Math.min(this.seconds, this.maxSeconds);
    this.release();
    if (this.cancelled) return;
    const type = (this.recorder.mimeType || recordingType(this.kind) || "").split(";")[0];
    const ext = EXTENSIONS[type] || "webm";
    const name = `${this.kind === "video" ? "video" : "voice-note"}.${ext}`;
    const file = new File(this.chunks, name, { type });
    if (this.onStop) this.onStop({ file, seconds, limited: this.limited });
  }
}
