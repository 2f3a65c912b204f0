// The demo EHR: discovery -> prefetch from the service's templates against the FHIR server -> hook
// call -> cards -> suggestions applied to the draft / dismissal with a coded reason -> feedback.
// Card text reaches the page only through textContent or renderMarkdown (escape first).
import { renderMarkdown } from "/demo/markdown.js";

const RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm";
const PRESETS = {
  oral: { code: "1483744", display: "naltrexone hydrochloride 50 MG Oral Tablet", dose: 50, frequency: 1, period: 1, unit: "d", route: "Oral route" },
  xr: { code: "637213", display: "naltrexone 380 MG Injection", dose: 380, frequency: 1, period: 4, unit: "wk", route: "Intramuscular route" },
  oxycodone: { code: "1049621", display: "oxycodone hydrochloride 5 MG Oral Tablet", dose: 5, frequency: 4, period: 1, unit: "d", route: "Oral route" },
};
const REASONS = {
  "F10.20": "Alcohol dependence, uncomplicated",
  "F11.20": "Opioid dependence, uncomplicated",
};
const ICD10 = "http://hl7.org/fhir/sid/icd-10-cm";
const DRAFT_ID = "demo-draft";
const MAX_PAGES = 20;
const $ = (id) => document.getElementById(id);

const state = { services: null, draft: null, otherOrders: [] };

function log(text, failed = false) {
  const li = document.createElement("li");
  li.textContent = text;
  if (failed) li.className = "failed";
  $("calls").append(li);
}

function fhirBase() {
  return $("fhir-url").value.trim().replace(/\/+$/, "");
}

function fhirHeaders() {
  const headers = { Accept: "application/fhir+json" };
  const token = $("fhir-token").value.trim();
  if (token) headers.Authorization = `Bearer ${token}`;
  return headers;
}

// --- the draft order ------------------------------------------------------------------------------

function newDraft(presetName) {
  const preset = PRESETS[presetName];
  const start = $("start").value; // empty: the service's "today"
  const draft = {
    resourceType: "MedicationRequest",
    id: DRAFT_ID,
    status: "draft",
    intent: "order",
    subject: { reference: `Patient/${$("patient").value}` },
    medicationCodeableConcept: { coding: [{ system: RXNORM, code: preset.code, display: preset.display }], text: preset.display },
    dosageInstruction: [{
      timing: { repeat: { ...(start ? { boundsPeriod: { start } } : {}), frequency: preset.frequency, period: preset.period, periodUnit: preset.unit } },
      route: { text: preset.route },
      doseAndRate: [{ doseQuantity: { value: preset.dose, unit: "mg", system: "http://unitsofmeasure.org", code: "mg" } }],
    }],
    dispenseRequest: start ? { validityPeriod: { start } } : {},
  };
  const end = $("end").value;
  if (end) draft.dispenseRequest.validityPeriod = { ...(draft.dispenseRequest.validityPeriod ?? {}), end };
  const reason = $("reason").value;
  if (reason) draft.reasonCode = [{ coding: [{ system: ICD10, code: reason, display: REASONS[reason] }], text: REASONS[reason] }];
  return draft;
}

function dosage(draft) {
  draft.dosageInstruction = draft.dosageInstruction?.length ? draft.dosageInstruction : [{}];
  return draft.dosageInstruction[0];
}

function readForm() {
  if (!state.draft) state.draft = newDraft($("med-preset").value === "typed" ? "oral" : $("med-preset").value);
  const draft = state.draft;
  delete draft.meta; // edited by the clinician: no longer the service's suggestion (its tag silences re-alerts)
  const typed = $("med-text").value.trim();
  if (typed) {
    $("med-preset").value = "typed";
    draft.medicationCodeableConcept = { text: typed }; // text only, no code: the service reads the words
  }
  const reason = $("reason").value;
  if (reason) draft.reasonCode = [{ coding: [{ system: ICD10, code: reason, display: REASONS[reason] }], text: REASONS[reason] }];
  else delete draft.reasonCode;
  const d = dosage(draft);
  delete d.text; // the form changed it: the old wording no longer applies
  const repeat = ((d.timing ??= {}).repeat ??= {});
  const set = (obj, key, value) => (value === "" || Number.isNaN(value) ? delete obj[key] : (obj[key] = value));
  set(repeat, "frequency", parseInt($("frequency").value, 10));
  set(repeat, "period", parseFloat($("period").value));
  repeat.periodUnit = $("period-unit").value;
  const dose = parseFloat($("dose").value);
  if (Number.isNaN(dose)) delete d.doseAndRate;
  else d.doseAndRate = [{ doseQuantity: { value: dose, unit: "mg", system: "http://unitsofmeasure.org", code: "mg" } }];
  const dispense = (draft.dispenseRequest ??= {});
  const validity = (dispense.validityPeriod ??= {});
  set(validity, "start", $("start").value);
  set(validity, "end", $("end").value);
  if ($("start").value) repeat.boundsPeriod = { ...(repeat.boundsPeriod ?? {}), start: $("start").value };
  set(dispense, "numberOfRepeatsAllowed", parseInt($("repeats").value, 10));
  showDraft();
}

function presetOf(draft) {
  const code = draft?.medicationCodeableConcept?.coding?.[0]?.code;
  return Object.keys(PRESETS).find((name) => PRESETS[name].code === code) ?? "typed";
}

// Fill the form from the draft (after a suggestion replaced it).
function writeForm() {
  const draft = state.draft;
  const d = draft?.dosageInstruction?.[0] ?? {};
  const repeat = d.timing?.repeat ?? {};
  $("med-preset").value = presetOf(draft);
  const reasonCode = draft?.reasonCode?.[0]?.coding?.[0]?.code ?? "";
  $("reason").value = REASONS[reasonCode] ? reasonCode : "";
  $("med-text").value = presetOf(draft) === "typed" ? (draft?.medicationCodeableConcept?.text ?? "") : "";
  $("dose").value = d.doseAndRate?.[0]?.doseQuantity?.value ?? "";
  $("frequency").value = repeat.frequency ?? "";
  $("period").value = repeat.period ?? "";
  $("period-unit").value = repeat.periodUnit ?? "d";
  $("start").value = draft?.dispenseRequest?.validityPeriod?.start ?? repeat.boundsPeriod?.start ?? "";
  $("end").value = draft?.dispenseRequest?.validityPeriod?.end ?? "";
  $("repeats").value = draft?.dispenseRequest?.numberOfRepeatsAllowed ?? "";
  showDraft();
}

function describeDose(draft) {
  const d = draft.dosageInstruction?.[0] ?? {};
  const repeat = d.timing?.repeat ?? {};
  const dose = d.doseAndRate?.[0]?.doseQuantity?.value;
  const units = { h: "hour(s)", d: "day(s)", wk: "week(s)", mo: "month(s)" };
  const every = repeat.frequency ? `, ${repeat.frequency} time(s) every ${repeat.period ?? 1} ${units[repeat.periodUnit] ?? ""}` : "";
  return dose === undefined ? "no dose entered" : `${dose} mg${every}`;
}

function showDraft() {
  const draft = state.draft;
  $("draft-json").textContent = draft ? JSON.stringify(draft, null, 2) : "(no draft order)";
  const medication = draft?.medicationCodeableConcept?.text ?? draft?.medicationCodeableConcept?.coding?.[0]?.display;
  $("draft-summary").textContent = draft
    ? `${medication}: ${draft.dosageInstruction?.[0]?.text ?? describeDose(draft)}`
    : "No draft order (removed by a suggestion) - pick a medication to start a new one.";
  const box = $("other-orders");
  box.replaceChildren(...state.otherOrders.map((resource) => {
    const li = document.createElement("li");
    li.textContent = `${resource.resourceType}: ${resource.code?.text ?? resource.medicationCodeableConcept?.text ?? resource.id ?? ""}`;
    return li;
  }));
  $("other-orders-box").hidden = state.otherOrders.length === 0;
}

// --- FHIR reads (the EHR's side) ------------------------------------------------------------------

async function searchAll(query) {
  let url = `${fhirBase()}/${query}`;
  const entry = [];
  for (let page = 0; url && page < MAX_PAGES; page += 1) {
    const response = await fetch(url, { headers: fhirHeaders() });
    log(`GET ${url} -> ${response.status}`, !response.ok);
    if (!response.ok) throw new Error(`FHIR server answered ${response.status} for ${query}`);
    const bundle = await response.json();
    entry.push(...(bundle.entry ?? []));
    url = (bundle.link ?? []).find((link) => link.relation === "next")?.url; // the sandbox stops at page 1
  }
  return { resourceType: "Bundle", type: "searchset", total: entry.length, entry };
}

async function loadPatients() {
  const select = $("patient");
  try {
    const bundle = await searchAll("Patient?_count=100");
    const ids = bundle.entry.map((e) => e.resource?.id).filter(Boolean).sort();
    const wanted = new URLSearchParams(location.search).get("patientId") ?? select.value;
    select.replaceChildren(...ids.map((id) => new Option(id, id)));
    if (ids.includes(wanted)) select.value = wanted;
    $("status").textContent = `${ids.length} patients`;
  } catch (error) {
    $("status").textContent = `Could not list patients: ${error.message}`;
  }
}

function fill(template, context) {
  return template.replace(/\{\{\s*context\.(\w+)\s*\}\}/g, (_, key) => encodeURIComponent(context[key] ?? ""));
}

async function buildPrefetch(templates, context) {
  const prefetch = {};
  await Promise.all(Object.entries(templates ?? {}).map(async ([key, template]) => {
    try {
      prefetch[key] = await searchAll(fill(template, context));
    } catch (error) {
      log(`prefetch ${key} left out (${error.message}); the service will query the FHIR server`, true);
    }
  }));
  return prefetch;
}

// --- the CDS client -------------------------------------------------------------------------------

async function discover() {
  if (!state.services) {
    const response = await fetch("/cds-services", { headers: { Accept: "application/json" } });
    log(`GET /cds-services -> ${response.status}`, !response.ok);
    state.services = (await response.json()).services;
  }
  return state.services;
}

async function callHook(hook) {
  if (state.draft) state.draft.subject = { reference: `Patient/${$("patient").value}` };
  showDraft();
  $("status").textContent = `Calling ${hook}...`;
  $("cards").replaceChildren();
  try {
    const service = (await discover()).find((s) => s.hook === hook);
    const patientId = $("patient").value;
    const drafts = state.draft ? [state.draft] : [];
    const context = {
      userId: "Practitioner/demo-clinician",
      patientId,
      draftOrders: { resourceType: "Bundle", type: "collection", entry: drafts.map((resource) => ({ resource })) },
    };
    if (hook === "order-select") context.selections = drafts.map((r) => `MedicationRequest/${r.id}`);
    const body = {
      hook,
      hookInstance: crypto.randomUUID(),
      fhirServer: fhirBase(),
      context,
      prefetch: await buildPrefetch(service.prefetch, context),
    };
    const token = $("fhir-token").value.trim();
    if (token) body.fhirAuthorization = { access_token: token, token_type: "Bearer", expires_in: 300, scope: "patient/*.read", subject: "demo-ehr" };
    const response = await fetch(`/cds-services/${service.id}`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(body),
    });
    const answer = await response.json();
    log(`POST /cds-services/${service.id} -> ${response.status} (${answer.cards?.length ?? 0} cards)`, !response.ok);
    if (!response.ok) throw new Error(answer.message ?? `HTTP ${response.status}`);
    $("cards").replaceChildren(...answer.cards.map((card) => renderCard(card, service.id)));
    $("status").textContent = `${answer.cards.length} card(s) from ${service.id}`;
  } catch (error) {
    $("status").textContent = `Call failed: ${error.message}`;
  }
}

async function sendFeedback(serviceId, item) {
  const response = await fetch(`/cds-services/${serviceId}/feedback`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ feedback: [{ ...item, outcomeTimestamp: new Date().toISOString() }] }),
  });
  log(`POST /cds-services/${serviceId}/feedback (${item.outcome}) -> ${response.status}`, !response.ok);
  return response.ok;
}

// --- cards ----------------------------------------------------------------------------------------

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function safeUrl(url) {
  try {
    const parsed = new URL(url);
    return ["http:", "https:"].includes(parsed.protocol) ? parsed.href : null;
  } catch {
    return null;
  }
}

function applyAction(action) {
  const resource = action.resource;
  if (action.type === "delete") {
    const [, id] = String(action.resourceId ?? "").split("/");
    if (state.draft && id === state.draft.id) state.draft = null;
    state.otherOrders = state.otherOrders.filter((r) => r.id !== id);
  } else if (action.type === "update" && resource?.resourceType === "MedicationRequest" && resource.id === state.draft?.id) {
    state.draft = structuredClone(resource); // all of it: medication, dose, timing, dates, course
  } else if (action.type === "update" && resource && !state.draft) {
    state.draft = structuredClone(resource);
  } else if (resource) {
    state.otherOrders = [...state.otherOrders.filter((r) => !r.id || r.id !== resource.id), structuredClone(resource)];
  }
}

function renderCard(card, serviceId) {
  const indicator = ["critical", "warning", "info"].includes(card.indicator) ? card.indicator : "info";
  const article = element("article", `card indicator-${indicator}`);
  article.dataset.indicator = indicator;
  article.dataset.rule = card.source?.topic?.code ?? "";
  const head = element("header");
  head.append(element("span", "badge", indicator), element("h3", "summary", card.summary ?? ""));
  const detail = element("div", "detail");
  detail.innerHTML = renderMarkdown(card.detail ?? ""); // escape-first renderer
  const source = element("p", "source", "Source: ");
  const href = safeUrl(card.source?.url);
  if (href) {
    const link = element("a", "", card.source?.label ?? href);
    link.href = href;
    link.target = "_blank";
    link.rel = "noopener noreferrer";
    source.append(link);
  } else {
    source.append(card.source?.label ?? "");
  }
  const stateLine = element("p", "state");
  const actions = element("div", "actions");
  const buttons = [];
  for (const suggestion of card.suggestions ?? []) {
    const button = element("button", `suggestion${suggestion.isRecommended ? " recommended" : ""}`, suggestion.label ?? "Apply");
    button.type = "button";
    button.addEventListener("click", async () => {
      (suggestion.actions ?? []).forEach(applyAction);
      writeForm();
      if (card.selectionBehavior === "at-most-one") buttons.forEach((b) => (b.disabled = true));
      else button.disabled = true;
      const ok = await sendFeedback(serviceId, { card: card.uuid, outcome: "accepted", acceptedSuggestions: [{ id: suggestion.uuid }] });
      stateLine.textContent = `Accepted: ${suggestion.label}${ok ? "" : " (feedback not stored)"}`;
    });
    buttons.push(button);
  }
  actions.append(...buttons);
  const reasons = card.overrideReasons ?? [];
  const select = element("select", "override-reason");
  select.append(new Option("Dismiss - reason...", ""), ...reasons.map((r, i) => new Option(r.display ?? r.code, String(i))));
  select.setAttribute("aria-label", "override reason");
  const comment = element("input", "comment");
  comment.placeholder = "comment (optional)";
  const dismiss = element("button", "dismiss", "Dismiss");
  dismiss.type = "button";
  dismiss.addEventListener("click", async () => {
    const item = { card: card.uuid, outcome: "overridden" };
    const chosen = reasons[Number(select.value)];
    if (select.value !== "" && chosen) {
      item.overrideReason = { reason: { system: chosen.system, code: chosen.code, display: chosen.display } };
      if (comment.value.trim()) item.overrideReason.userComment = comment.value.trim();
    }
    const ok = await sendFeedback(serviceId, item);
    article.classList.add("dismissed");
    [...buttons, select, comment, dismiss].forEach((b) => (b.disabled = true));
    stateLine.textContent = `Dismissed${chosen && select.value !== "" ? `: ${chosen.display ?? chosen.code}` : ""}${ok ? "" : " (feedback not stored)"}`;
  });
  if (reasons.length) actions.append(select, comment);
  actions.append(dismiss);
  article.append(head, detail, source, actions, stateLine);
  return article;
}

// --- start ----------------------------------------------------------------------------------------

function start() {
  const params = new URLSearchParams(location.search);
  $("fhir-url").value = params.get("fhirServiceUrl") ?? "";
  $("fhir-token").value = params.get("fhirToken") ?? "";
  $("med-preset").addEventListener("change", () => {
    if ($("med-preset").value !== "typed") {
      $("med-text").value = "";
      state.draft = newDraft($("med-preset").value);
      writeForm();
    }
  });
  for (const id of ["med-text", "reason", "dose", "frequency", "period", "period-unit", "start", "end", "repeats"]) {
    $(id).addEventListener("change", readForm);
  }
  $("load-patients").addEventListener("click", loadPatients);
  $("check-select").addEventListener("click", () => callHook("order-select"));
  $("check-sign").addEventListener("click", () => callHook("order-sign"));
  state.draft = newDraft("oral");
  writeForm();
  document.body.dataset.ready = "true";
  if ($("fhir-url").value) loadPatients();
}

start();
