// Moderation dashboard: sign in, the queue with previews, corrections, decisions with the
// keyboard (j/k/a/h/r/?, which a moderator can turn off), and the audit log. Every
// state-changing request sends X-CSRF-Token. Its parts are in this folder; their shared
// state is the one object in state.js.
import { api, initChrome } from "../lib.js";
import { wireAudit } from "./audit.js";
import { wireKeys } from "./keys.js";
import { wireQueue } from "./queue.js";
import { showSignIn, startDashboard, wireSession } from "./session.js";

initChrome();
wireSession();
wireQueue();
wireAudit();
wireKeys();

api("/api/admin/session")
  .then(startDashboard)
  .catch(() => showSignIn());
