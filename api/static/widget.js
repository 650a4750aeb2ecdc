/*! Announcements QA chat widget. Vanilla JavaScript: no build step, no framework, no requests
 * except to its own API. Embed with one tag:
 *
 *   <script src="https://HOST/widget.js" data-api="https://HOST" defer></script>
 *
 * Options, all data-* attributes of that script tag, all optional:
 *   data-api           Base URL of the API (default: the origin widget.js was loaded from)
 *   data-title         Panel heading (default "Ask the announcements")
 *   data-placeholder   Placeholder of the question box (default "Ask a question…")
 *   data-greeting      First message shown in the panel
 *   data-button-label  Text of the launcher button (default "Ask")
 *   data-accent        Accent colour, any CSS colour (default "#1a56db")
 *   data-position      "right" (default) or "left": the corner of the button and panel
 *   data-open          "true" (or present without a value) opens the panel on page load
 *   data-top-k         Passages retrieved per question, 1-50 (default: the server's setting)
 *   data-answerer      "extractive" or "llm" (default: the server's QA_ANSWERER)
 *
 * Everything from the API or the documents is inserted as text, never as HTML; only http(s)
 * URLs become links. Styles live in a Shadow DOM, so the page's CSS neither leaks in nor out.
 */
(() => {
  "use strict";
  const script = document.currentScript || document.querySelector('script[src*="widget.js"]');
  if (!script || script.__qaWidget) return;
  script.__qaWidget = true;
  const d = script.dataset;
  const MAX_MESSAGES = 20;
  const MAX_CHARS = 8000;
  const ABSTAIN = "The announcements don't say.";
  const scriptOrigin = (() => {
    try {
      return new URL(script.src, location.href).origin;
    } catch (e) {
      return location.origin;
    }
  })();
  const api = (d.api || scriptOrigin).replace(/\/+$/, "");
  const opts = {
    title: d.title || "Ask the announcements",
    placeholder: d.placeholder || "Ask a question…",
    greeting: d.greeting || "Ask me about the announcements. Every answer quotes its source.",
    label: d.buttonLabel || "Ask",
    accent: window.CSS && CSS.supports && d.accent && CSS.supports("color", d.accent) ? d.accent : "#1a56db",
    left: d.position === "left",
    open: d.open === "" || d.open === "true",
    topK: /^\d+$/.test(d.topK || "") ? Number(d.topK) : null,
    answerer: ["extractive", "llm"].includes(d.answerer) ? d.answerer : null,
  };

  const CSS_TEXT = `
:host{all:initial!important;display:block!important}
.root{all:initial;position:fixed;z-index:2147483000;bottom:20px;right:20px;display:block;
font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:#1f2328;
text-align:left;direction:ltr;letter-spacing:normal;word-spacing:normal;text-transform:none}
.root.left{right:auto;left:20px}
.root *,.root *::before,.root *::after{box-sizing:border-box}
button,input{font:inherit;margin:0;letter-spacing:inherit}
button{cursor:pointer}
:focus-visible{outline:3px solid #f5a623;outline-offset:2px}
.launcher{display:flex;align-items:center;gap:8px;height:48px;padding:0 18px;border:0;border-radius:24px;
background:var(--accent);color:#fff;font-size:15px;font-weight:600;box-shadow:0 4px 14px rgba(0,0,0,.25)}
.launcher svg{width:20px;height:20px;fill:currentColor}
.panel{position:absolute;bottom:60px;right:0;width:380px;max-width:calc(100vw - 24px);height:560px;
max-height:calc(100vh - 100px);display:flex;flex-direction:column;background:#fff;border:1px solid #d0d7de;
border-radius:12px;box-shadow:0 12px 40px rgba(0,0,0,.25);overflow:hidden}
.left .panel{right:auto;left:0}
.panel[hidden]{display:none}
.head{display:flex;align-items:center;justify-content:space-between;gap:8px;padding:8px 8px 8px 16px;
background:var(--accent);color:#fff}
h2{margin:0;font-size:16px;font-weight:600;line-height:1.3}
.close{width:36px;height:36px;border:0;border-radius:6px;background:transparent;color:#fff;font-size:24px;line-height:1}
.log{flex:1;overflow-y:auto;padding:12px;display:flex;flex-direction:column;gap:10px;background:#f6f8fa}
.msg{max-width:92%;padding:8px 12px;border-radius:12px;overflow-wrap:anywhere}
.text{white-space:pre-wrap}
.user{align-self:flex-end;background:var(--accent);color:#fff}
.bot{align-self:flex-start;background:#fff;border:1px solid #d0d7de}
.abstained .text{font-style:italic;color:#57606a}
.error{align-self:stretch;max-width:none;background:#fff1f0;border:1px solid #cf222e;color:#82071e}
.chips{display:flex;flex-wrap:wrap;gap:6px;margin-top:8px}
.chip{min-width:30px;height:30px;padding:0 9px;border:1px solid var(--accent);border-radius:15px;background:#fff;
color:var(--accent);font-size:13px;font-weight:600}
.chip[aria-expanded=true]{background:var(--accent);color:#fff}
.cite{margin-top:8px;padding:8px 10px;border-left:3px solid var(--accent);background:#f6f8fa;font-size:13px}
.cite[hidden]{display:none}
.cite-title{font-weight:600}
.meta,.note{color:#57606a;font-size:12px}
.note{margin-top:6px}
blockquote{margin:6px 0 0;white-space:pre-wrap}
mark{background:#ffe58f;color:inherit;padding:0 1px;border-radius:2px}
a{color:#0b5cad;text-decoration:underline}
.related{margin:6px 0 0;padding-left:18px}
form{display:flex;gap:8px;padding:10px;border-top:1px solid #d0d7de;background:#fff}
input{flex:1;min-width:0;height:40px;padding:0 12px;border:1px solid #8c959f;border-radius:8px;background:#fff;
color:#1f2328;font-size:16px}
.send{height:40px;padding:0 14px;border:0;border-radius:8px;background:var(--accent);color:#fff;font-weight:600}
.send:disabled{opacity:.6;cursor:default}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
@media (max-width:480px){.root,.root.left{bottom:12px;right:12px;left:auto}.root.left{left:12px;right:auto}
.panel,.left .panel{position:fixed;top:8px;left:8px;right:8px;bottom:72px;width:auto;max-width:none;height:auto;
max-height:none}}`;

  // A DOM node; strings among the children become text nodes (Element.append), never HTML.
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (key === "class") node.className = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value);
    }
    node.append(...children.filter((c) => c !== null && c !== undefined && c !== ""));
    return node;
  }

  function safeUrl(value) {
    try {
      const url = new URL(String(value));
      return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
    } catch (e) {
      return null;
    }
  }

  function link(url, text) {
    const href = safeUrl(url);
    return href ? el("a", { href, target: "_blank", rel: "noopener noreferrer" }, text) : el("span", {}, text);
  }

  function icon() {
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    const path = document.createElementNS(ns, "path");
    path.setAttribute("d", "M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z");
    svg.append(path);
    return svg;
  }

  // --- the widget's DOM ---------------------------------------------------------------------
  const host = el("div", { "data-qa-widget": "" });
  const shadow = host.attachShadow({ mode: "open" });
  if (window.CSSStyleSheet && "adoptedStyleSheets" in shadow && "replaceSync" in CSSStyleSheet.prototype) {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS_TEXT); // a constructed sheet passes a strict style-src CSP
    shadow.adoptedStyleSheets = [sheet];
  } else {
    shadow.append(el("style", {}, CSS_TEXT));
  }
  const live = el("div", { class: "sr", role: "status", "aria-live": "polite" });
  const log = el("div", { class: "log", role: "log", "aria-live": "off", "aria-label": "Conversation" });
  const input = el("input", {
    id: "q",
    type: "text",
    autocomplete: "off",
    maxlength: "2000",
    placeholder: opts.placeholder,
  });
  const send = el("button", { class: "send", type: "submit" }, "Send");
  const form = el("form", { onsubmit: submit }, el("label", { class: "sr", for: "q" }, "Your question"), input, send);
  const closeButton = el("button", { class: "close", type: "button", "aria-label": "Close", onclick: close }, "×");
  const panel = el(
    "section",
    { class: "panel", id: "panel", role: "dialog", "aria-labelledby": "title", hidden: "" },
    el("div", { class: "head" }, el("h2", { id: "title" }, opts.title), closeButton),
    log,
    form,
  );
  const launcher = el(
    "button",
    { class: "launcher", type: "button", "aria-expanded": "false", "aria-controls": "panel", onclick: toggle },
    icon(),
    el("span", {}, opts.label),
  );
  const root = el("div", { class: opts.left ? "root left" : "root", onkeydown: onKey }, panel, launcher, live);
  root.style.setProperty("--accent", opts.accent); // CSSOM, not a style attribute: CSP-safe
  shadow.append(root);
  log.append(el("div", { class: "msg bot" }, el("div", { class: "text" }, opts.greeting)));

  const history = []; // completed exchanges: {role, content}
  let busy = false;
  let citeCount = 0;

  function isOpen() {
    return !panel.hidden;
  }
  function open(focus = true) {
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    if (focus) input.focus();
  }
  function close() {
    panel.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    launcher.focus();
  }
  function toggle() {
    if (isOpen()) close();
    else open();
  }
  function onKey(event) {
    if (event.key === "Escape" && isOpen()) {
      event.preventDefault();
      close();
    }
  }
  function announce(text) {
    live.textContent = "";
    setTimeout(() => (live.textContent = text), 50); // a fresh node change is announced again
  }
  function scroll() {
    log.scrollTop = log.scrollHeight;
  }

  // --- sending ------------------------------------------------------------------------------
  function submit(event) {
    event.preventDefault();
    const question = input.value.trim();
    if (!question || busy) return;
    input.value = "";
    ask(question);
  }

  function conversation(question) {
    const messages = history.concat([{ role: "user", content: question }]);
    const size = () => messages.reduce((n, m) => n + m.content.length, 0);
    while (messages.length > 1 && (messages.length > MAX_MESSAGES || size() > MAX_CHARS)) messages.shift();
    return messages;
  }

  async function ask(question) {
    busy = true;
    send.disabled = true;
    log.setAttribute("aria-busy", "true");
    log.append(el("div", { class: "msg user" }, el("div", { class: "text" }, question)));
    const view = answerView();
    scroll();
    const body = { messages: conversation(question), stream: true };
    if (opts.topK) body.top_k = opts.topK;
    if (opts.answerer) body.answerer = opts.answerer;
    try {
      const answer = await fetchAnswer(body, view);
      // The documents this answer cited: the server answers a follow-up from them first.
      const cited = [...new Set((answer.citations || []).map((c) => String(c.doc_id)))].slice(0, 50);
      const reply = { role: "assistant", content: answer.text };
      if (cited.length) reply.doc_ids = cited;
      history.push({ role: "user", content: question }, reply);
    } catch (error) {
      view.fail(error.userMessage || "The answer was interrupted. Please try again.");
    } finally {
      busy = false;
      send.disabled = false;
      log.removeAttribute("aria-busy");
      scroll();
    }
  }

  function failure(message) {
    const error = new Error(message);
    error.userMessage = message;
    return error;
  }

  async function fetchAnswer(body, view) {
    let response;
    try {
      response = await fetch(api + "/v1/chat", {
        method: "POST",
        mode: "cors",
        credentials: "omit",
        headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
        body: JSON.stringify(body),
      });
    } catch (e) {
      throw failure(
        `Could not reach the answer service at ${api}. Check your connection; ` +
          "if this keeps happening, this site may not be allowed to use the service (CORS).",
      );
    }
    if (!response.ok) throw failure(await describeError(response));
    const type = response.headers.get("Content-Type") || "";
    if (type.includes("application/json")) {
      const answer = await response.json();
      view.citations(answer.citations || []);
      view.done(answer);
      return answer;
    }
    return readEvents(response, view);
  }

  async function describeError(response) {
    let detail = "";
    try {
      const data = await response.json();
      detail = (data && data.error && data.error.message) || "";
    } catch (e) {
      // not JSON: the status says enough
    }
    const status = response.status;
    if (status === 503) return "The answer service is starting up or unavailable. Please try again shortly.";
    if (status === 429) return "Too many questions at once. Please wait a moment and try again.";
    if (status >= 400 && status < 500) {
      return `The question could not be answered (HTTP ${status})` + (detail ? `: ${detail}` : ".");
    }
    return `The answer service failed (HTTP ${status}). Please try again later.`;
  }

  async function readEvents(response, view) {
    let answer = null;
    const handle = (name, data) => {
      if (name === "citations") view.citations(data.citations || []);
      else if (name === "delta") view.delta(String(data.text || ""));
      else if (name === "done") answer = view.done(data);
      else if (name === "error") throw failure(String((data.error && data.error.message) || "The answer failed."));
    };
    const parse = (block) => {
      let name = "message";
      const lines = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event:")) name = line.slice(6).trim();
        else if (line.startsWith("data:")) lines.push(line.slice(5).replace(/^ /, ""));
      }
      if (lines.length) handle(name, JSON.parse(lines.join("\n")));
    };
    if (!response.body || !response.body.getReader) {
      (await response.text()).replace(/\r\n/g, "\n").split("\n\n").forEach(parse);
    } else {
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer = (buffer + decoder.decode(value, { stream: true })).replace(/\r\n/g, "\n");
        let cut;
        while ((cut = buffer.indexOf("\n\n")) >= 0) {
          parse(buffer.slice(0, cut));
          buffer = buffer.slice(cut + 2);
        }
      }
      if (buffer.trim()) parse(buffer);
    }
    if (!answer) throw failure("The answer was interrupted before it was complete. Please try again.");
    return answer;
  }

  // --- one answer in the log ------------------------------------------------------------------
  function answerView() {
    const text = el("div", { class: "text" });
    const chips = el("div", { class: "chips", role: "group", "aria-label": "Sources" });
    const detail = el("div", { class: "cite", id: `cite-${++citeCount}`, hidden: "" });
    const box = el("div", { class: "msg bot", "data-state": "streaming" }, text);
    log.append(box);
    let cites = [];

    function showCitation(index, chip) {
      const wasOpen = chip.getAttribute("aria-expanded") === "true";
      chips.querySelectorAll(".chip").forEach((c) => c.setAttribute("aria-expanded", "false"));
      detail.replaceChildren();
      if (wasOpen) {
        detail.hidden = true;
        return;
      }
      const c = cites[index];
      chip.setAttribute("aria-expanded", "true");
      const meta = [c.date, c.source].filter(Boolean).join(" · ");
      // A passage answer is the quote itself: it is shown once, as the answer.
      const whole = c.answer_start === c.start && c.answer_end === c.end;
      detail.append(
        el("div", { class: "cite-title" }, String(c.title || c.doc_id || "Untitled")),
        meta ? el("div", { class: "meta" }, String(meta)) : null,
        whole ? null : quote(c),
        safeUrl(c.url) ? el("div", { class: "meta" }, link(c.url, "Read the source")) : null,
      );
      detail.hidden = false;
      scroll();
    }

    return {
      citations(list) {
        cites = Array.isArray(list) ? list : [];
        chips.replaceChildren();
        cites.forEach((c, i) => {
          const chip = el(
            "button",
            {
              class: "chip",
              type: "button",
              "aria-expanded": "false",
              "aria-controls": detail.id,
              "aria-label": `Source ${i + 1}: ${c.title || c.doc_id || ""}`,
            },
            String(i + 1),
          );
          chip.addEventListener("click", () => showCitation(i, chip));
          chips.append(chip);
        });
        if (cites.length && !chips.isConnected) box.append(chips, detail);
      },
      delta(piece) {
        text.append(piece);
        scroll();
      },
      done(answer) {
        text.textContent = String(answer.text || "");
        if (answer.abstained) {
          box.classList.add("abstained");
          if (!answer.text) text.textContent = ABSTAIN;
          const related = (answer.related || []).filter((r) => r && r.title);
          if (related.length) {
            box.append(
              el("div", { class: "note" }, "Related articles that may help:"),
              el(
                "ul",
                { class: "related" },
                ...related.map((r) => el("li", {}, link(r.url, String(r.title)), r.date ? ` (${r.date})` : "")),
              ),
            );
          }
        }
        if (Array.isArray(answer.citations) && answer.citations.length) this.citations(answer.citations);
        const dropped = (answer.dropped_claims || []).filter((c) => c && c.text);
        if (dropped.length) {
          // What the model wrote but the sources do not support: shown struck through, with the reason.
          box.append(
            el("div", { class: "note" }, "Removed, not supported by the sources:"),
            el(
              "ul",
              { class: "related" },
              ...dropped.map((c) => el("li", { class: "note" }, el("s", {}, String(c.text)), ` (${c.reason})`)),
            ),
          );
        }
        if (answer.note) box.append(el("div", { class: "note" }, String(answer.note)));
        box.setAttribute("data-state", "done");
        const sources = cites.length ? ` (${cites.length} source${cites.length > 1 ? "s" : ""})` : "";
        announce(`Answer: ${text.textContent}${sources}`);
        scroll();
        const cited = Array.isArray(answer.citations) ? answer.citations.filter((c) => c && c.doc_id) : [];
        return { text: text.textContent, abstained: !!answer.abstained, citations: cited };
      },
      fail(message) {
        box.className = "msg error";
        box.setAttribute("data-state", "error");
        box.setAttribute("role", "alert");
        box.replaceChildren(el("div", { class: "text" }, message));
        announce(message);
      },
    };
  }

  // The quoted sentence with the answer span in a <mark>. Offsets count code points (Python),
  // so the quote is split as an array of code points, not UTF-16 units.
  function quote(c) {
    const chars = Array.from(String(c.quote || ""));
    const box = el("blockquote");
    let a = c.answer_start;
    let b = c.answer_end;
    if (Number.isInteger(a) && Number.isInteger(b) && Number.isInteger(c.start)) {
      a -= c.start;
      b -= c.start;
    }
    if (Number.isInteger(a) && Number.isInteger(b) && a >= 0 && a < b && b <= chars.length) {
      box.append(
        document.createTextNode(chars.slice(0, a).join("")),
        el("mark", {}, chars.slice(a, b).join("")),
        document.createTextNode(chars.slice(b).join("")),
      );
    } else {
      box.append(document.createTextNode(chars.join("")));
    }
    return box;
  }

  function mount() {
    document.body.append(host);
    if (opts.open) open(false); // do not take the focus from the page on load
  }
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
