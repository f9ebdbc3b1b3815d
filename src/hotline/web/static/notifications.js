// The notification centre of the console and the agent panel: the history from
// /api/notifications, new ones live from the page's WebSocket (wallboard-live.js hands them on
// as "hotline:notification" events), an unread count, a sound for the kinds the user chose,
// and acknowledging one or all.
import { post } from "./api.js";
import { t } from "./i18n.js";

const root = document.querySelector("[data-notify]");
const count = root.querySelector("[data-notify-count]");
const panel = root.querySelector("[data-notify-panel]");
const toggle = root.querySelector("[data-notify-toggle]");
const list = root.querySelector("[data-notify-list]");
const none = root.querySelector("[data-notify-none]");
const sound = root.querySelector("[data-notify-sound]");
const items = new Map(); // id -> notification, newest first when listed

async function load() {
  const response = await fetch("/api/notifications?limit=50", { credentials: "same-origin" });
  if (!response.ok) return;
  const body = await response.json();
  // Merged, not replaced: a notification may have come live while the list was on its way.
  for (const item of body.items) if (!items.has(item.id)) items.set(item.id, item);
  render();
  root.dataset.loaded = "true";
}

function title(item) {
  const cleared = item.phase === "cleared" ? "_cleared" : "";
  const key = `notify.${item.kind}${cleared}`;
  const text = t(key);
  return text === key ? t(`notify.${item.kind}`) : text;
}

function details(item) {
  const facts = item.facts || {};
  const parts = [];
  if (item.queue) parts.push(t("notify.queue", { queue: item.queue }));
  if (facts.number) parts.push(t("notify.caller", { number: facts.number }));
  if (facts.wait !== undefined && facts.wait !== null) parts.push(t("notify.waited", { seconds: facts.wait }));
  if (facts.agent) parts.push(t("notify.agent", { agent: facts.agent }));
  if (facts.waiting) parts.push(t("notify.waiting", { count: facts.waiting }));
  if (facts.service_level !== undefined) parts.push(t("notify.level", { percent: facts.service_level }));
  if (facts.problem) parts.push(facts.problem);
  return parts.join(" · ");
}

function render() {
  const sorted = [...items.values()].sort((a, b) => b.id - a.id);
  const unread = sorted.filter((item) => !item.acked).length;
  count.textContent = String(unread);
  count.hidden = unread === 0;
  toggle.title = t("notify.unread", { count: unread });
  none.hidden = sorted.length > 0;
  list.replaceChildren(...sorted.map(row));
}

function row(item) {
  const li = document.createElement("li");
  li.className = item.acked ? "notify-item" : "notify-item unread";
  li.dataset.notification = String(item.id);
  li.dataset.kind = item.kind;
  const when = new Date(item.updated_at * 1000).toLocaleTimeString();
  const head = document.createElement("strong");
  head.textContent = title(item);
  const text = document.createElement("span");
  text.className = "muted small";
  text.textContent = `${when} · ${details(item)}`;
  li.append(head, text);
  if (!item.acked) {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = t("notify.ack");
    button.addEventListener("click", () => ack(item));
    li.append(button);
  }
  return li;
}

async function ack(item) {
  const response = await post(`/api/notifications/${item.id}/ack`);
  if (response.ok) {
    item.acked = true;
    render();
  }
}

async function ackAll() {
  const response = await post("/api/notifications/ack");
  if (response.ok) {
    for (const item of items.values()) item.acked = true;
    render();
  }
}

function arrived(frame) {
  const known = items.get(frame.id);
  items.set(frame.id, {
    id: frame.id, kind: frame.kind, queue: frame.queue, phase: frame.phase, facts: frame.facts,
    call_id: frame.call_id, created_at: known ? known.created_at : frame.at, updated_at: frame.at,
    acked: false,
  });
  render();
  if (frame.sound) {
    sound.currentTime = 0;
    sound.play().then(() => {
      sound.dataset.played = String(Number(sound.dataset.played || 0) + 1);
    }).catch(() => {
      // The browser refuses sound before the user touched the page: the count still shows.
    });
  }
}

toggle.addEventListener("click", () => {
  panel.hidden = !panel.hidden;
  toggle.setAttribute("aria-expanded", String(!panel.hidden));
});
root.querySelector("[data-notify-ack-all]").addEventListener("click", ackAll);
window.addEventListener("hotline:notification", (event) => arrived(event.detail));
load();
