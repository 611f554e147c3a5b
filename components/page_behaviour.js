// What the playground's widgets cannot be asked for from Python, done in the browser page:
// - the schema editor (streamlit-ace, in a same-origin iframe): taller lines, so that fonts
//   with a low underscore (DejaVu Sans Mono on Linux) still draw it inside the line; no live
//   autocompletion (its popup took Enter); the ace theme that matches the page; the schema
//   error's line marked in the gutter. streamlit-ace hard-codes live autocompletion and has
//   no line-height option, hence this.
// - Ctrl/Cmd+Enter in the editor or in a text box of the page asks Python for a run.
// - Each lane's raw stream pane and the entity lists follow the stream while the user stays
//   at the bottom, and stop following once they scroll up.
// - The page's background colour as --iterplay-page-background, for the sticky toolbar.
// - New cards from the session's live channel (components/live_cards.py) show the moment the
//   app makes them, without waiting for Streamlit to draw the whole page again; Streamlit's
//   own copy of each card follows and takes its place.

const EDITOR_FRAMES = "iframe[title='streamlit_ace.streamlit_ace']";
// Lane 0's panes, those of lanes 1-3 (keyed lane<j>-..., DESIGN.md's hooks) and their cards'
// grid (components/lane_cards.py).
const FOLLOWED_PANES = [
  ...["", "lane1-", "lane2-", "lane3-"].map((lane) => `.st-key-${lane}raw-stream`),
  ".st-key-entity-list",
  ".st-key-lanes-entity-list",
];
const EDITOR_LINE_HEIGHT = "1.45";
// streamlit-ace sends an edit 200 ms after the last keystroke; a run waits until it is sent.
const EDITOR_SETTLE_MS = 300;
const AT_BOTTOM_PX = 24;
const SCAN_MS = 250;
// The hook class every card carries (DESIGN.md): lane 0's and lane j's, valid or not.
const CARD_KEY = /^st-key-(?:lane\d+-)?(?:entity|invalid)-card-\d+$/;
// What a card never holds; removed from a live card before it joins the page.
const NEVER_IN_CARDS = "script, style, iframe, frame, object, embed, link, meta, base, form";
// How long the page waits to listen again when the live channel cannot be reached.
const LIVE_RETRY_MS = 500;
const LIVE_RETRY_MAX_MS = 10_000;

let page = null;

export default function (component) {
  if (page === null) page = new PageBehaviour();
  page.requestRun = () => component.setTriggerValue("run", Date.now());
  page.editorMarks = component.data?.editorMarks ?? [];
  page.liveCards.listen(component.data?.liveUrl ?? null);
  page.scan();
  return () => {
    page?.stop();
    page = null;
  };
}

class PageBehaviour {
  constructor() {
    this.requestRun = null;
    this.editorMarks = [];
    this.lastEdit = 0;
    this.tuned = new WeakSet();
    this.undo = [];
    this.liveCards = new LiveCards();
    this.undo.push(() => this.liveCards.close());
    this.listen(document, "keydown", (event) => this.onPageKey(event));
    this.timer = setInterval(() => this.scan(), SCAN_MS);
  }

  listen(target, type, handler, capture = false) {
    target.addEventListener(type, handler, capture);
    this.undo.push(() => target.removeEventListener(type, handler, capture));
  }

  stop() {
    clearInterval(this.timer);
    this.undo.forEach((undo) => undo());
    this.requestRun = null;
  }

  runSoon(delay) {
    setTimeout(() => this.requestRun?.(), Math.max(0, delay));
  }

  // A text area commits its value on Ctrl+Enter in its own handler, which runs before this one.
  onPageKey(event) {
    const target = event.target;
    if (!isRunKey(event) || target.tagName !== "TEXTAREA") return;
    if (target.closest("[data-testid='stMain']")) this.runSoon(0);
  }

  onEditorKey(event) {
    if (!isRunKey(event)) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    this.runSoon(this.lastEdit + EDITOR_SETTLE_MS - performance.now());
  }

  scan() {
    const app = document.querySelector(".stApp");
    if (app) {
      const background = getComputedStyle(app).backgroundColor;
      document.documentElement.style.setProperty("--iterplay-page-background", background);
    }
    document.querySelectorAll(EDITOR_FRAMES).forEach((frame) => {
      const editor = frame.contentDocument?.querySelector(".ace_editor")?.env?.editor;
      if (!editor) return;
      if (!this.tuned.has(editor)) this.tuneEditor(editor, frame.contentDocument);
      this.showEditorState(editor);
    });
    FOLLOWED_PANES.forEach((selector) => {
      document.querySelectorAll(selector).forEach((pane) => {
        if (!this.tuned.has(pane)) this.follow(pane);
      });
    });
  }

  tuneEditor(editor, frameDocument) {
    this.tuned.add(editor);
    editor.setOption("enableLiveAutocompletion", false);
    // The JSON worker would replace the schema error's gutter mark with its own findings.
    editor.session.setUseWorker(false);
    editor.container.style.lineHeight = EDITOR_LINE_HEIGHT;
    editor.renderer.updateFontSize();
    const onChange = () => {
      this.lastEdit = performance.now();
    };
    editor.on("change", onChange);
    this.undo.push(() => editor.off("change", onChange));
    this.listen(frameDocument, "keydown", (event) => this.onEditorKey(event), true);
  }

  showEditorState(editor) {
    const theme = pageIsDark() ? "ace/theme/tomorrow_night" : "ace/theme/tomorrow";
    if (editor.getTheme() !== theme) editor.setTheme(theme);
    const marks = JSON.stringify(this.editorMarks);
    if (JSON.stringify(editor.session.getAnnotations()) !== marks) {
      editor.session.setAnnotations(JSON.parse(marks));
    }
  }

  // Scrolled to the bottom by us or by the user: follow; scrolled up by the user: stay put.
  // A wheel turned up, a key or a press on the pane (its scroll bar) says so at once: waiting
  // for the scroll event would let the next arrival cancel the user's smooth scroll.
  follow(pane) {
    this.tuned.add(pane);
    let pinned = true;
    let held = false;
    let followedTo = 0;
    this.listen(pane, "wheel", (event) => {
      if (event.deltaY < 0) pinned = false;
    });
    this.listen(pane, "keydown", () => {
      pinned = false;
    });
    this.listen(pane, "pointerdown", () => {
      held = true;
    });
    this.listen(document, "pointerup", () => {
      held = false;
    });
    // Only a scroll down to the bottom pins the pane again: the first steps of the user's
    // smooth scroll up still end near the bottom, and re-pinning there undid the scroll.
    let lastTop = pane.scrollTop;
    this.listen(pane, "scroll", () => {
      const top = pane.scrollTop;
      const atBottom = pane.scrollHeight - top - pane.clientHeight < AT_BOTTOM_PX;
      const down = top >= lastTop;
      lastTop = top;
      pinned = (atBottom && down) || (!held && pinned && top >= followedTo - 1);
    });
    // Scrolled in the next frame, not in the observer: reading scrollHeight there would lay
    // out the page after every update, once per update instead of once per frame, and the
    // next lane's card would wait for those layouts.
    let frameAsked = false;
    const scrollToBottom = () => {
      frameAsked = false;
      if (!pinned || held) return;
      pane.scrollTop = pane.scrollHeight;
      followedTo = pane.scrollTop;
    };
    const observer = new MutationObserver(() => {
      if (!pinned || held || frameAsked) return;
      frameAsked = true;
      requestAnimationFrame(scrollToBottom);
    });
    observer.observe(pane, { childList: true, subtree: true, characterData: true });
    this.undo.push(() => observer.disconnect());
  }
}

// Each message of the live channel is one card and the container it goes to (keyed per run,
// components/live_cards.py): shown at once, or as soon as the container is on the page, and
// taken away when Streamlit's own copy of the card (same hook class) comes into the container.
// The observer runs before the browser paints, so the page never shows, and no script finds,
// both copies. It looks only at what each change added (a stream of 2,000 cards must not cost
// a walk of the page per card), and remembers which cards Streamlit has drawn in each container,
// for a message that comes after Streamlit's copy. A container's live cards sit in one block
// after everything Streamlit put there (CSS order), so they follow its cards in order; in a
// list the block takes the place (and the one gap) of the element Streamlit's copies will come
// in, so the list never shrinks when they do, and a list that follows the stream keeps
// following it.
class LiveCards {
  constructor() {
    this.url = null;
    this.source = null;
    this.run = null;
    this.shown = new Map(); // hook class -> the live copy on the page
    this.waiting = []; // {key, target, copy}: their container is not on the page yet
    this.drawn = new WeakMap(); // container -> the hook classes of Streamlit's cards in it
    this.blocks = new WeakMap(); // container -> its block of live cards
    this.observer = new MutationObserver((records) => this.onChanges(records));
  }

  listen(url) {
    if (url === this.url) return;
    this.close();
    this.url = url;
    if (!url) return;
    this.source = new EventSource(url);
    this.source.onopen = () => {
      this.failures = 0;
    };
    this.source.onerror = () => this.onStreamError(url);
    this.source.onmessage = (event) => this.add(JSON.parse(event.data));
    this.observer.observe(document.body, { childList: true, subtree: true });
  }

  // Each stream ends after a few seconds and the browser opens the next one at once. When that
  // fails again before any stream opened (the server is away), it would try every 20 ms: wait
  // instead, longer each time. A refused token (404) closes the stream for good; the page gets
  // a new one when its session does.
  onStreamError(url) {
    this.failures = (this.failures ?? 0) + 1;
    if (this.failures < 2 || this.source?.readyState === EventSource.CLOSED) return;
    this.close();
    const wait = Math.min(LIVE_RETRY_MAX_MS, LIVE_RETRY_MS * 2 ** (this.failures - 2));
    this.retry = setTimeout(() => this.listen(url), wait);
  }

  close() {
    clearTimeout(this.retry);
    this.source?.close();
    this.source = null;
    this.url = null;
    this.observer.disconnect();
    this.forget();
  }

  forget() {
    this.shown.forEach((copy) => copy.remove());
    this.shown.clear();
    this.waiting = [];
  }

  // One message holds the cards one batch of the stream completed, each a top-level element.
  add({ run, target, html }) {
    if (run !== this.run) {
      this.forget(); // a new run: the last one's copies are not its cards
      this.run = run;
    }
    for (const card of [...cleanCards(html).children]) {
      const key = [card, ...card.querySelectorAll("[class*='st-key-']")]
        .flatMap((element) => [...element.classList])
        .find((name) => CARD_KEY.test(name));
      if (!key) continue;
      card.style.order = "1"; // in the lanes' grid, a grid item after Streamlit's
      const copy = document.createElement("div");
      copy.className = "iterplay-live-card";
      copy.style.display = "contents";
      copy.append(card);
      this.place({ key, target, copy });
    }
  }

  // Show the copy at the end of its container, unless Streamlit's copy is there already.
  place(card) {
    const container = document.querySelector(card.target);
    if (!container) {
      this.waiting.push(card);
      return;
    }
    if (this.drawn.get(container)?.has(card.key)) return;
    this.block(container).append(card.copy);
    this.shown.set(card.key, card.copy);
  }

  block(container) {
    let block = this.blocks.get(container);
    if (!block) {
      block = document.createElement("div");
      block.className = "iterplay-live-cards";
      // In the lanes' grid the block takes no box, and each card is a grid item in its column.
      if (getComputedStyle(container).display === "grid") block.style.display = "contents";
      else block.style.width = "100%"; // as wide as Streamlit's elements in the list
      block.style.order = "1";
      this.blocks.set(container, block);
    }
    if (block.parentNode !== container) container.append(block);
    block.hidden = false;
    return block;
  }

  onChanges(records) {
    for (const record of records) {
      for (const node of record.addedNodes) {
        if (node.nodeType === Node.ELEMENT_NODE) this.noteDrawn(node);
      }
    }
    if (this.waiting.length > 0) {
      const waiting = this.waiting;
      this.waiting = [];
      waiting.forEach((card) => this.place(card));
    }
  }

  // Streamlit added ``node``: note the cards in it, and take their live copies away.
  noteDrawn(node) {
    if (node.closest(".iterplay-live-cards")) return; // one of ours
    const cards = node.matches("[class*='-card-']") ? [node] : [];
    cards.push(...node.querySelectorAll("[class*='-card-']"));
    for (const card of cards) {
      const key = [...card.classList].find((name) => CARD_KEY.test(name));
      if (!key) continue;
      const container = card.closest("[class*='entity-cards']");
      if (container) {
        if (!this.drawn.has(container)) this.drawn.set(container, new Set());
        this.drawn.get(container).add(key);
      }
      const copy = this.shown.get(key);
      if (copy && (!container || !copy.isConnected || container.contains(copy))) {
        const block = copy.parentNode;
        copy.remove();
        this.shown.delete(key);
        if (block && block.childElementCount === 0) block.hidden = true;
      }
    }
  }
}

// The cards' HTML comes from the app (values escaped, as for Streamlit's st.html); parsed in
// a template, where nothing runs, and stripped of what a card never holds before it is shown.
function cleanCards(html) {
  const template = document.createElement("template");
  template.innerHTML = html;
  template.content.querySelectorAll(NEVER_IN_CARDS).forEach((element) => element.remove());
  template.content.querySelectorAll("*").forEach((element) => {
    [...element.attributes].forEach(({ name, value }) => {
      if (/^on/i.test(name) || /^\s*javascript:/i.test(value)) element.removeAttribute(name);
    });
  });
  return template.content;
}

function isRunKey(event) {
  return event.key === "Enter" && (event.ctrlKey || event.metaKey);
}

function pageIsDark() {
  const app = document.querySelector(".stApp");
  const rgb = app ? getComputedStyle(app).backgroundColor.match(/\d+/g) : null;
  if (!rgb) return false;
  const [r, g, b] = rgb.map(Number);
  return 0.2126 * r + 0.7152 * g + 0.0722 * b < 128;
}
