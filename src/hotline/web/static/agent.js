// The agent panel: the signed-in agent's state, current call, queues and day, live from
// /ws/events, and its own actions through the REST API.
import { failure, post } from "./api.js";
import { pauseLabel, t } from "./i18n.js";
import { follow, say } from "./page-live.js";
import { duration, unavailableNote } from "./wallboard-live.js";

const settings = JSON.parse(document.getElementById("page-settings").textContent);
const me = settings.agent;
const names = Object.fromEntries(settings.queues.map((queue) => [queue.number, queue.name]));
const find = (selector) => document.querySelector(selector);
const error = find("[data-error]");

let agent = null; // this agent, as the last frame or action gave it
let call = null; // its current call (ringing or connected), or null
let frame = null;
const now = settings.events ? follow(settings.events, { render: onFrame, tick: renderClocks }) : () => Date.now() / 1000;

function onFrame(next) {
  frame = next;
  agent = next.agents.find((item) => item.number === me) || agent;
  call = next.calls.find((item) => item.agent === me) || next.calls.find((item) => item.ringing.includes(me)) || null;
  render();
}

function render() {
  if (!agent) return;
  const state = find("[data-my-state]");
  state.dataset.state = agent.state;
  state.textContent =
    t(`state.${agent.state}`) + unavailableNote(agent) + (agent.pause_reason ? ` · ${pauseLabel(agent.pause_reason)}` : "");
  const loggedIn = agent.logged_in_queues.length > 0;
  find('[data-action="login"]').disabled = agent.logged_in_queues.length === agent.queues.length;
  find('[data-action="logout"]').disabled = !loggedIn;
  find('[data-action="pause"]').disabled = !loggedIn;
  find('[data-action="unpause"]').hidden = agent.pause_reason === null;
  if (agent.pause_reason) find("[data-reason]").value = agent.pause_reason;
  renderQueues();
  renderCall();
  renderClocks();
}

function renderQueues() {
  for (const row of document.querySelectorAll("[data-queue]")) {
    const number = row.dataset.queue;
    const joined = agent.logged_in_queues.includes(number);
    row.classList.toggle("joined", joined);
    row.querySelector("[data-queue-in]").textContent = t(joined ? "agent.in_queue" : "agent.not_in_queue");
    row.querySelector("[data-queue-toggle]").textContent = t(joined ? "agent.queue_logout" : "agent.queue_login");
    const queue = frame && frame.queues.find((item) => item.number === number);
    if (queue) row.querySelector("[data-waiting]").textContent = queue.waiting;
  }
}

function renderCall() {
  find("[data-no-call]").hidden = call !== null;
  find("[data-call]").hidden = call === null;
  if (call) {
    find("[data-caller-number]").textContent = call.caller;
    find("[data-caller-name]").textContent = call.caller_name || "";
    find("[data-call-queue]").textContent = call.queue ? `${call.queue} ${names[call.queue] || ""}`.trim() : t("time.none");
  }
}

// Everything that counts seconds, between frames too.
function renderClocks() {
  if (!agent) return;
  const at = now();
  find("[data-my-since]").textContent = t("agent.for", { duration: duration(at - agent.state_since) });
  const wrapUp = agent.wrap_up_ends_at;
  find("[data-wrap-up]").hidden = wrapUp === null;
  if (wrapUp !== null) find("[data-wrap-up-left]").textContent = t("agent.wrap_up_left", { duration: duration(wrapUp - at) });
  if (call) {
    const waited = call.wait_seconds ?? (call.queued_at !== null ? at - call.queued_at : null);
    find("[data-call-waited]").textContent = waited === null ? t("time.none") : duration(waited);
    find("[data-call-time]").textContent = call.answered_at === null ? t("time.none") : duration(at - call.answered_at);
  }
  find("[data-answered]").textContent = agent.answered;
  find("[data-average-talk]").textContent = agent.answered ? duration(agent.talk_seconds / agent.answered) : t("time.none");
  const pausing = agent.pause_reason !== null && frame ? at - frame.at : 0;
  find("[data-paused]").textContent = duration(agent.paused_seconds + pausing);
  if (!frame) return;
  for (const row of document.querySelectorAll("[data-queue]")) {
    const queue = frame.queues.find((item) => item.number === row.dataset.queue);
    const longest = queue && queue.waiting ? queue.longest_wait_seconds + (at - frame.at) : null;
    row.querySelector("[data-longest]").textContent = longest === null ? t("time.none") : duration(longest);
  }
}

async function act(action, body) {
  say(error, "");
  const response = await post(`/api/agents/${encodeURIComponent(me)}/${action}`, body);
  if (!response.ok) {
    say(error, await failure(response));
    return;
  }
  agent = await response.json(); // at once; the next frame confirms it
  render();
}

for (const button of document.querySelectorAll("[data-action]")) {
  const action = button.dataset.action;
  if (action === "pause") continue; // the form's submit
  button.addEventListener("click", () => act(action));
}
find("[data-pause]").addEventListener("submit", (event) => {
  event.preventDefault();
  act("pause", { reason: find("[data-reason]").value });
});
for (const row of document.querySelectorAll("[data-queue]")) {
  row.querySelector("[data-queue-toggle]").addEventListener("click", () => {
    const joined = agent && agent.logged_in_queues.includes(row.dataset.queue);
    act(joined ? "logout" : "login", { queue: row.dataset.queue });
  });
}
