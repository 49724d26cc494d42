// Small DOM helpers: h() builds elements; text is always set as text, never as HTML.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k in el && typeof v !== 'string') el[k] = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

export function toast(message) {
  const t = document.getElementById('toast');
  t.textContent = message;
  t.classList.add('show');
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => t.classList.remove('show'), 2500);
}

/** "3 min ago" for an instant, with the exact time as the title. */
export function ago(iso, now = Date.now()) {
  if (!iso) return h('span', { class: 'muted' }, 'never');
  const s = Math.round((now - Date.parse(iso)) / 1000);
  const text = s < 5 ? 'just now' : s < 60 ? `${s} s ago` : s < 3600 ? `${Math.round(s / 60)} min ago` : s < 86400 ? `${Math.round(s / 3600)} h ago` : `${Math.round(s / 86400)} d ago`;
  return h('time', { datetime: iso, title: new Date(iso).toLocaleString() }, text);
}

/** An instant shown in a given IANA zone, e.g. "Fri 27 Nov, 22:00". */
export function inZone(iso, timeZone) {
  if (!iso) return '';
  return new Intl.DateTimeFormat('en-GB', { timeZone, weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' }).format(new Date(iso));
}

/** An instant's time of day in a given IANA zone, with seconds, e.g. "22:00:05". */
export function timeInZone(iso, timeZone) {
  if (!iso) return '';
  return new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }).format(new Date(iso));
}

/** An instant's date and time in a given IANA zone, e.g. "Fri 27 Nov, 22:00:05". */
export function dateTimeInZone(iso, timeZone) {
  if (!iso) return '';
  return new Intl.DateTimeFormat('en-GB', { timeZone, weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }).format(new Date(iso));
}

export function errorBox(error) {
  return h('p', { class: 'error', role: 'alert' }, error.message);
}
