// Calls to the public API with the key from this tab's sessionStorage (never localStorage: it goes with the tab).
const KEY = 'notify.key';

export const session = {
  get key() { return sessionStorage.getItem(KEY); },
  get role() { return sessionStorage.getItem(KEY + '.role'); },
  save(key, role) { sessionStorage.setItem(KEY, key); sessionStorage.setItem(KEY + '.role', role); },
  clear() { sessionStorage.removeItem(KEY); sessionStorage.removeItem(KEY + '.role'); },
};

/** A problem answer (RFC 9457) as an Error: status, code, detail, errors, problems. */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail ?? problem?.title ?? `HTTP ${status}`);
    Object.assign(this, { status, code: problem?.code, errors: problem?.errors, problems: problem?.problems });
  }
}

/** fetch with the Bearer key; JSON in and out; throws ApiError on a problem. */
export async function api(method, path, body, { contentType = 'application/json', key = session.key, signal } = {}) {
  const headers = { Authorization: `Bearer ${key}` };
  if (body !== undefined) headers['Content-Type'] = contentType;
  const response = await fetch(path, {
    method, headers, signal,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

/** Adds ?appId= (an admin acts for one app; an app key ignores it). */
export const withApp = (path, appId) => path + (path.includes('?') ? '&' : '?') + 'appId=' + encodeURIComponent(appId);

/** Reads a Server-Sent Events stream over fetch (EventSource cannot send the Authorization header). */
export async function stream(path, onMessage, signal) {
  const response = await fetch(path, { headers: { Authorization: `Bearer ${session.key}` }, signal });
  if (!response.ok) throw new ApiError(response.status, await response.json().catch(() => null));
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = block.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
      if (data) onMessage(JSON.parse(data));
    }
  }
}
