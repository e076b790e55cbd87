// About, guidelines and the 404 page: only the shared header behaviour.
import { initChrome } from "../lib.js";

initChrome();
