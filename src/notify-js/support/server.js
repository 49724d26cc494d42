// Starts the real Notify server (the built Notify.Server.dll) for a test: a temp folder with a SQLite file and a
// rule, fresh keys, a port the OS picks. Skips, with the reason, when the dotnet build output is missing.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';

const here = dirname(fileURLToPath(import.meta.url));

export const RULE = `name: default
ttl: 1h
steps:
  - to: best
    via: inApp
    wait: 10m
`;

/** The server build to run, or null: NOTIFY_SERVER_DLL, else src/Notify.Server's Debug or Release output. */
export function serverDll() {
  const candidates = [process.env.NOTIFY_SERVER_DLL,
    ...['Debug', 'Release'].map((c) => resolve(here, `../../Notify.Server/bin/${c}/net10.0/Notify.Server.dll`))];
  return candidates.find((p) => p && existsSync(p)) ?? null;
}

/** Why the server tests cannot run here, or null when they can. */
export function skipReason() {
  if (!serverDll()) return 'Notify.Server.dll not built: run `dotnet build src/Notify.Server` (or set NOTIFY_SERVER_DLL)';
  if (spawnSync('dotnet', ['--version']).status !== 0) return 'dotnet is not on PATH';
  return false;
}

export async function startServer() {
  const home = mkdtempSync(join(tmpdir(), 'notify-js-'));
  mkdirSync(join(home, 'rules'));
  writeFileSync(join(home, 'rules', 'default.yaml'), RULE);
  const appKey = randomBytes(20).toString('hex');
  const adminKey = randomBytes(20).toString('hex');
  const child = spawn('dotnet', [serverDll(), '--urls', 'http://127.0.0.1:0'], {
    cwd: home,
    env: {
      ...process.env,
      ASPNETCORE_ENVIRONMENT: 'Production',
      Storage__Sqlite__Path: join(home, 'notify.db'),
      Rules__Directory: join(home, 'rules'),
      Auth__AdminKeys__0: adminKey,
      Auth__Apps__0__Id: 'default',
      Auth__Apps__0__Keys__0: appKey,
      Logging__LogLevel__Default: 'Warning',
      'Logging__LogLevel__Microsoft.Hosting.Lifetime': 'Information',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const baseUrl = await new Promise((resolveUrl, reject) => {
    const onData = (chunk) => {
      output += chunk;
      const match = /Now listening on: (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) resolveUrl(match[1]);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`The server exited (${code}) before listening:\n${output}`)));
  });

  const call = async (method, path, body, key = appKey) => {
    const response = await fetch(baseUrl + path, {
      method,
      headers: { Authorization: `Bearer ${key}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path} → ${response.status} ${text}`);
    return text ? JSON.parse(text) : null;
  };

  return {
    baseUrl,
    appKey,
    adminKey,
    call,
    /** A user with one registered device; returns its id and token. */
    async device(userId = 'ana', name = 'Ana browser') {
      await call('PUT', `/v1/users/${userId}`, { timeZone: 'Europe/Lisbon' });
      const { deviceId, deviceToken } = await call('POST', `/v1/users/${userId}/devices`, { platform: 'web', name });
      return { deviceId, token: deviceToken };
    },
    notify: (userId, title, extra = {}) => call('POST', '/v1/notify', { userId, category: 'mention', title, ...extra }),
    async stop() {
      child.kill('SIGTERM');
      if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
      rmSync(home, { recursive: true, force: true });
    },
  };
}
