// The live feed shared by the wallboard pages: one WebSocket to /ws/events that renders the
// snapshot and every stats frame, and comes back by itself (with backoff) when the server goes
// away. Also the figures the pages compute from a frame.

import { t } from "./i18n.js";

// Agents are listed in this order: who is busy with a caller first.
export const STATE_ORDER = [
  "ringing", "on_call", "busy_elsewhere", "wrap_up", "available", "paused", "unavailable", "logged_out",
];
export const STATE_LABELS = Object.fromEntries(STATE_ORDER.map((state) => [state, t(`state.${state}`)]));

// The catalog key of why an agent's phone cannot be reached (hotline.agent_phones' reasons).
const UNAVAILABLE_REASONS = {
  "not registered": "unavailable.not_registered",
  unregistered: "unavailable.unregistered",
  expired: "unavailable.expired",
};

/** " · why" after an unavailable agent's state, in the page's words; "" otherwise. */
export function unavailableNote(agent) {
  const key = agent.state === "unavailable" && UNAVAILABLE_REASONS[agent.unavailable_reason];
  return key ? ` · ${t(key)}` : "";
}

const FIRST_RETRY_MS = 500;
const LAST_RETRY_MS = 8000;
// The server sends stats at least every 5 s; silence for longer means a dead connection
// that TCP has not noticed yet (a server killed, a cable pulled).
const SILENCE_MS = 12000;

/** Connect to ``path`` and keep connected. ``onFrame(frame, receivedAt)`` gets snapshot and
 * stats frames; ``onStatus({live, attempt, retryAt, code, reason})`` follows the connection. */
export function live(path, { onFrame, onStatus }) {
  let attempt = 0;
  let watchdog = 0;

  const open = () => {
    const url = new URL(path, location.href);
    url.protocol = url.protocol.replace("http", "ws"); // secure when the page is
    // A TV opens its board with ?token= (no keyboard to sign in): the feed needs it too.
    const token = new URLSearchParams(location.search).get("token");
    if (token) url.searchParams.set("token", token);
    const socket = new WebSocket(url);
    const quiet = () => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => lost(socket, { code: 4000, reason: "no data" }), SILENCE_MS);
    };
    socket.onopen = quiet;
    socket.onmessage = (message) => {
      quiet();
      const frame = JSON.parse(message.data);
      if (frame.type === "snapshot" || frame.type === "stats") {
        attempt = 0;
        onStatus({ live: true });
        onFrame(frame, Date.now() / 1000);
      } else if (frame.type === "notification") {
        // For the notification centre (notifications.js), which shares this socket.
        window.dispatchEvent(new CustomEvent("hotline:notification", { detail: frame }));
      }
    };
    socket.onclose = (event) => lost(socket, event);
  };

  const lost = (socket, { code, reason }) => {
    socket.onclose = socket.onmessage = socket.onopen = null;
    socket.close();
    clearTimeout(watchdog);
    const delay = Math.min(LAST_RETRY_MS, FIRST_RETRY_MS * 2 ** attempt) * (0.8 + 0.4 * Math.random());
    attempt += 1;
    onStatus({ live: false, attempt, retryAt: Date.now() + delay, code, reason });
    setTimeout(open, delay);
  };

  open();
}

/** ``75`` -> ``"1:15"``, ``3725`` -> ``"1:02:05"``. */
export function duration(seconds) {
  const total = Math.max(0, Math.floor(seconds));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const rest = String(total % 60).padStart(2, "0");
  return hours ? `${hours}:${String(minutes).padStart(2, "0")}:${rest}` : `${minutes}:${rest}`;
}

/** A ratio 0..1 as a whole percentage, or null. */
export function percent(ratio) {
  return ratio === null || ratio === undefined ? null : Math.round(ratio * 100);
}

const sum = (queues, key) => queues.reduce((total, queue) => total + (queue[key] || 0), 0);

// An average over several queues, each weighted by its answered calls.
function weighted(queues, key) {
  const counted = queues.filter((queue) => queue[key] !== null && queue.answered > 0);
  const weight = sum(counted, "answered");
  return weight ? counted.reduce((total, q) => total + q[key] * q.answered, 0) / weight : null;
}

/** The figures of one board from the queues and agents of a frame. Agents shared by several
 * queues count once; ``longest_wait`` is as of the frame's ``at``. */
export function totals(queues, agents) {
  const counts = Object.fromEntries(STATE_ORDER.map((state) => [state, 0]));
  for (const agent of agents) counts[agent.state] = (counts[agent.state] || 0) + 1;
  const waitingQueues = queues.filter((queue) => queue.waiting > 0);
  const answered = sum(queues, "answered");
  const offered = sum(queues, "offered");
  const estimates = queues.map((q) => q.estimated_wait_seconds).filter((s) => s !== null);
  return {
    counts,
    logged_in: agents.length - counts.logged_out,
    waiting: sum(queues, "waiting"),
    longest_wait: Math.max(0, ...waitingQueues.map((queue) => queue.longest_wait_seconds)),
    offered,
    answered,
    abandoned: sum(queues, "abandoned"),
    callbacks: sum(queues, "callbacks_pending"),
    service_level: answered ? sum(queues, "answered_within_sla") / answered : null,
    abandon_rate: offered ? sum(queues, "abandoned") / offered : null,
    average_wait: weighted(queues, "average_wait_seconds"),
    average_talk: weighted(queues, "average_talk_seconds"),
    estimated_wait: estimates.length ? Math.max(...estimates) : null,
  };
}
