// The live feed of the agent panel and the supervisor console: /ws/events with the status
// pill and the banner of a lost connection, a clock of server time, and a tick every second.
import { signIn } from "./api.js";
import { t } from "./i18n.js";
import { live } from "./wallboard-live.js";

const POLICY_VIOLATION = 1008; // the socket's session has ended (RFC 6455 §7.4.1)

/** Follow ``path``: ``render(frame)`` on each snapshot and stats frame, ``tick()`` every
 * second while live. Returns ``now()``, the server's time (epoch seconds). */
export function follow(path, { render, tick }) {
  const pill = document.querySelector("[data-status]");
  const banner = document.querySelector("[data-banner]");
  let frame = null;
  let status = { live: false };

  const now = () => (frame ? frame.at + (Date.now() / 1000 - frame.received) : Date.now() / 1000);

  const showStatus = () => {
    pill.classList.toggle("live", status.live);
    pill.classList.toggle("offline", !status.live && Boolean(status.retryAt));
    pill.textContent = t(status.live ? "status.live" : status.retryAt ? "status.reconnecting" : "status.connecting");
    banner.hidden = status.live || !status.retryAt;
    if (!banner.hidden) {
      const seconds = Math.max(0, Math.ceil((status.retryAt - Date.now()) / 1000));
      banner.textContent = seconds ? t("status.lost", { seconds, attempt: status.attempt }) : t("status.lost_now", status);
    }
  };

  live(path, {
    onFrame: (next, received) => {
      frame = { ...next, received };
      render(frame);
    },
    onStatus: (next) => {
      status = next;
      if (next.code === POLICY_VIOLATION) signIn();
      showStatus();
    },
  });
  setInterval(() => {
    showStatus();
    if (frame && status.live) tick();
  }, 1000);
  return now;
}

/** An element ``tag`` with ``text`` and, optionally, ``className``. */
export function element(tag, text = "", className = "") {
  const made = document.createElement(tag);
  made.textContent = text;
  if (className) made.className = className;
  return made;
}

/** Show ``message`` in ``target`` (hidden when empty). */
export function say(target, message) {
  target.textContent = message;
  target.hidden = !message;
}
