// The list of wallboards: one live summary line per queue.
import { duration, live, percent } from "./wallboard-live.js";

const rows = new Map([...document.querySelectorAll("[data-queue]")].map((row) => [row.dataset.queue, row]));
const statusPill = document.querySelector("[data-status]");

function summary(queue) {
  const parts = [`${queue.waiting} waiting`];
  if (queue.waiting) parts[0] += ` (longest ${duration(queue.longest_wait_seconds)})`;
  parts.push(`${queue.available} of ${queue.logged_in} agents available`);
  const level = percent(queue.service_level);
  if (level !== null) parts.push(`service level ${level} %`);
  parts.push(`${queue.answered} answered, ${queue.abandoned} abandoned today`);
  return parts.join(" · ");
}

function onFrame(frame) {
  for (const queue of frame.queues) {
    const row = rows.get(queue.number);
    if (!row) continue;
    const cell = row.querySelector("[data-summary]");
    cell.textContent = summary(queue);
    cell.classList.toggle("hot", queue.waiting > 0 && queue.available === 0);
  }
}

function onStatus({ live: connected, retryAt }) {
  statusPill.classList.toggle("live", connected);
  statusPill.classList.toggle("offline", !connected && Boolean(retryAt));
  statusPill.textContent = connected ? "live" : retryAt ? "reconnecting" : "connecting";
}

if (rows.size) live("/ws/events", { onFrame, onStatus });
