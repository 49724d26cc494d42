// device.html: this browser tab as a device, through the JavaScript SDK served at /console/sdk/.
import { NotifyDevice } from '../sdk/index.js';

const $ = (id) => document.getElementById(id);
let device = null;

function inboxItem(n) {
  const item = document.createElement('li');
  item.dataset.id = n.id;
  item.textContent = `${n.title ?? n.category} ${n.body ?? ''} `;
  const seen = document.createElement('button');
  seen.type = 'button'; seen.className = 'link'; seen.textContent = 'Mark seen';
  seen.addEventListener('click', async () => {
    seen.disabled = true;
    try {
      await device.ack(n.id, 'seen');
      // The SDK's 'clear' removes the item when it still holds the notification; say so here in every case.
      item.classList.add('seen');
      seen.replaceWith(Object.assign(document.createElement('span'), { className: 'badge ok', textContent: 'seen' }));
    } catch (error) {
      seen.disabled = false;
      item.append(Object.assign(document.createElement('span'), { className: 'error', textContent: ` ${error.message}` }));
    }
  });
  item.append(seen);
  return item;
}

function start(token) {
  sessionStorage.setItem('notify.deviceToken', token);
  device?.close();
  device = new NotifyDevice({ baseUrl: location.origin, token, show: true });
  device.on('hello', () => { $('status').textContent = 'connected'; $('status').className = 'badge ok'; });
  device.on('transport', (e) => { $('transport').textContent = `over ${e.transport}`; $('transport').title = e.reason; });
  device.on('disconnect', (e) => { $('status').textContent = `reconnecting in ${Math.round(e.retryIn / 100) / 10} s`; $('status').className = 'badge warn'; });
  device.on('error', (e) => { if (e.fatal) { $('status').textContent = e.error.message; $('status').className = 'badge bad'; } });
  device.on('notification', ({ notification: n }) => {
    $('inbox').querySelector(`[data-id="${CSS.escape(n.id)}"]`)?.remove(); // a repeat replaces its earlier line
    $('inbox').prepend(inboxItem(n));
  });
  device.on('clear', (e) => $('inbox').querySelector(`[data-id="${CSS.escape(e.notificationId)}"]`)?.remove());
  device.connect().catch(() => {});
}

$('connect').addEventListener('submit', (e) => { e.preventDefault(); start($('token').value.trim()); });
$('active').addEventListener('click', () => device?.reportState({ presence: 'active', foreground: true }));
const fromHash = new URLSearchParams(location.hash.slice(1)).get('token');
if (fromHash) history.replaceState(null, '', location.pathname); // keep the token out of the address bar
const saved = fromHash ?? sessionStorage.getItem('notify.deviceToken');
if (saved) { $('token').value = saved; start(saved); }
