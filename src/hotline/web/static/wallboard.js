// One wallboard: fills the tiles and the agents from /ws/events, ticks the clocks every second
// and shows when the figures are stale.
import { language, pauseLabel, t } from "./i18n.js";
import { STATE_LABELS, STATE_ORDER, duration, live, percent, totals, unavailableNote } from "./wallboard-live.js";

const settings = JSON.parse(document.getElementById("wallboard-settings").textContent);
const limits = settings.thresholds;
const tiles = new Map([...document.querySelectorAll("[data-tile]")].map((el) => [el.dataset.tile, el]));
const grid = document.querySelector("[data-agents]");
const legend = document.querySelector("[data-legend]");
const empty = document.querySelector("[data-agents-empty]");
const statusPill = document.querySelector("[data-status]");
const banner = document.querySelector("[data-banner]");
const clock = document.querySelector("[data-clock]");
const cards = new Map();
const CROWDED = 24; // agents: past this many, the tiles shrink

let frame = null; // the last snapshot or stats frame, with `received` (local clock)
let figures = null;
let status = { live: false };

// Server time now: the frame's `at` plus what the local clock says has passed since, so a
// TV whose clock is off still counts the right seconds.
const serverNow = () => frame.at + (Date.now() / 1000 - frame.received);

function level(value, warning, alert) {
  if (value >= alert) return "alert";
  return value >= warning ? "warning" : null;
}

const count = (value) => ({ value: String(value), zero: value === 0 });
const time = (seconds) => ({ value: seconds === null ? "–" : duration(seconds) });
function rate(ratio) {
  const value = percent(ratio);
  return value === null ? { value: "–" } : { value: String(value), unit: "%" };
}

// What each tile shows: {value, unit, level, note, zero}. A note left undefined keeps the
// one the server rendered (the service-level target).
const TILES = {
  waiting: (f) => ({
    ...count(f.waiting),
    level: level(f.waiting, limits.waiting_warning, limits.waiting_alert),
    note: settings.queues.length > 1 ? frame.queues.map((q) => `${q.number}: ${q.waiting}`).join(" · ") : "",
  }),
  longest_wait: (f) => {
    const seconds = f.waiting ? f.longest_wait + (serverNow() - frame.at) : 0;
    return {
      value: duration(seconds),
      zero: !f.waiting,
      level: f.waiting ? level(seconds, limits.longest_wait_warning, limits.longest_wait_alert) : null,
      note: f.waiting ? "" : t("board.nobody_waiting"),
    };
  },
  service_level: (f) => {
    const value = percent(f.service_level);
    const below = value !== null && value < limits.service_level_target;
    return { ...rate(f.service_level), level: value === null ? null : below ? "alert" : "ok" };
  },
  available: (f) => ({ ...count(f.counts.available), note: f.waiting && !f.counts.available ? t("board.none_free") : "" }),
  ringing: (f) => count(f.counts.ringing),
  on_call: (f) => ({
    ...count(f.counts.on_call + f.counts.busy_elsewhere),
    note: f.counts.busy_elsewhere ? t("board.not_from_queue", { count: f.counts.busy_elsewhere }) : "",
  }),
  wrap_up: (f) => count(f.counts.wrap_up),
  paused: (f) => count(f.counts.paused),
  unavailable: (f) => ({
    ...count(f.counts.unavailable),
    note: f.counts.unavailable ? t("board.phone_not_registered") : "",
  }),
  logged_in: (f) => ({ ...count(f.logged_in), note: t("board.of_agents", { count: f.logged_in + f.counts.logged_out }) }),
  offered: (f) => count(f.offered),
  answered: (f) => count(f.answered),
  abandoned: (f) => {
    const share = percent(f.abandon_rate);
    return { ...count(f.abandoned), note: share === null ? "" : t("board.of_offered", { percent: share }) };
  },
  abandon_rate: (f) => rate(f.abandon_rate),
  average_wait: (f) => time(f.average_wait),
  average_talk: (f) => time(f.average_talk),
  estimated_wait: (f) => time(f.estimated_wait),
  callbacks: (f) => count(f.callbacks),
};

function renderTile(name, element) {
  const shown = TILES[name](figures);
  const value = element.querySelector("[data-value]");
  value.textContent = shown.value;
  value.style.setProperty("--chars", shown.value.length + (shown.unit ? 0.6 : 0));
  if (shown.unit) value.append(Object.assign(document.createElement("small"), { textContent: shown.unit }));
  value.classList.toggle("zero", Boolean(shown.zero));
  for (const name of ["ok", "warning", "alert"]) element.classList.toggle(`level-${name}`, shown.level === name);
  if (shown.note !== undefined) element.querySelector("[data-note]").textContent = shown.note;
}

function renderTiles() {
  for (const [name, element] of tiles) renderTile(name, element);
}

function card(agent) {
  let element = cards.get(agent.number);
  if (!element) {
    element = document.createElement("li");
    element.className = "agent";
    element.dataset.agent = agent.number;
    for (const part of ["name", "state", "since"]) {
      element.append(Object.assign(document.createElement("span"), { className: `agent-${part}` }));
    }
    cards.set(agent.number, element);
  }
  const [name, state, since] = element.children;
  element.dataset.state = agent.state;
  element.dataset.since = agent.state_since;
  element.title = `${agent.name || agent.number} (${agent.number})`;
  name.textContent = agent.name || agent.number;
  const reason = agent.state === "paused" && agent.pause_reason ? ` · ${pauseLabel(agent.pause_reason)}` : "";
  state.textContent = (STATE_LABELS[agent.state] || agent.state) + reason + unavailableNote(agent);
  since.textContent = duration(serverNow() - agent.state_since);
  return element;
}

// Busy with a caller first, then by state; within a state, longest in it first.
const rank = (agent) => STATE_ORDER.indexOf(agent.state);
const byState = (a, b) => rank(a) - rank(b) || a.state_since - b.state_since;

function renderAgents() {
  if (!grid) return;
  const shown = frame.agents.filter((agent) => agent.state !== "logged_out").sort(byState);
  const keep = new Set(shown.map((agent) => agent.number));
  for (const [number, element] of cards) {
    if (!keep.has(number)) {
      element.remove();
      cards.delete(number);
    }
  }
  const ordered = shown.map(card);
  // Moving a card restarts its animation: only reorder when the order changed.
  if (ordered.some((element, at) => grid.children[at] !== element) || grid.children.length !== ordered.length) {
    grid.replaceChildren(...ordered);
  }
  empty.hidden = shown.length > 0;
  document.body.classList.toggle("crowded", shown.length > CROWDED);
  legend.replaceChildren(
    ...STATE_ORDER.map((state) => {
      const item = Object.assign(document.createElement("li"), { textContent: `${STATE_LABELS[state]} ` });
      item.dataset.state = state;
      item.append(Object.assign(document.createElement("b"), { textContent: figures.counts[state] }));
      return item;
    }),
  );
  fitAgents();
}

// The largest type at which every agent fits: more agents, more columns, smaller type.
function fitAgents() {
  const count = grid.children.length;
  if (!count) return;
  const width = grid.clientWidth;
  const height = grid.clientHeight;
  const biggest = window.innerHeight * 0.042;
  let best = { font: 0, columns: 1 };
  for (let columns = 1; columns <= Math.min(count, 10); columns += 1) {
    const rows = Math.ceil(count / columns);
    // A row is 2.1 em tall with 0.3 em between rows; a card wants about 11 em of width.
    const font = Math.min(biggest, height / (rows * 2.4), width / (columns * 11.3));
    if (font > best.font) best = { font, columns };
  }
  grid.style.setProperty("--agent-font", `${best.font.toFixed(1)}px`);
  grid.style.setProperty("--agent-columns", best.columns);
  grid.style.setProperty("--agent-row", `${(best.font * 2.1).toFixed(1)}px`);
}

function tick() {
  clock.textContent = new Date().toLocaleTimeString(language, { hour: "2-digit", minute: "2-digit" });
  if (!status.live) {
    const seconds = Math.max(0, Math.ceil((status.retryAt - Date.now()) / 1000));
    const unknown = status.code === 4404 ? `${status.reason || "Unknown queue"}. ` : "";
    const lost = seconds ? t("status.lost", { seconds, attempt: status.attempt }) : t("status.lost_now", status);
    banner.textContent = status.retryAt ? `${unknown}${lost}` : t("status.connecting_long");
  }
  if (!frame || !status.live) return; // stale figures stand still
  if (tiles.has("longest_wait")) renderTile("longest_wait", tiles.get("longest_wait"));
  const now = serverNow();
  for (const element of cards.values()) {
    element.lastChild.textContent = duration(now - Number(element.dataset.since));
  }
}

function onStatus(next) {
  status = next;
  document.body.classList.toggle("offline", !next.live);
  statusPill.classList.toggle("live", next.live);
  statusPill.classList.toggle("offline", !next.live);
  statusPill.textContent = t(next.live ? "status.live" : next.retryAt ? "status.reconnecting" : "status.connecting");
  banner.hidden = next.live || !next.retryAt; // not while the first connection opens
  tick();
}

function onFrame(next, received) {
  frame = { ...next, received };
  figures = totals(frame.queues, frame.agents);
  renderTiles();
  renderAgents();
}

onStatus({ live: false });
live(settings.events, { onFrame, onStatus });
setInterval(tick, 1000);
window.addEventListener("resize", () => grid && fitAgents());
