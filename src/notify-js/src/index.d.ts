// Types for the Notify device SDK (hand-written; the code is plain ES modules). Wire shapes: docs/api.md §4.

export type Presence = 'active' | 'idle' | 'away';
export type ConnectivityType = 'wifi' | 'cellular' | 'ethernet' | 'none';
export type Priority = 'low' | 'normal' | 'high' | 'critical';
export type AckAction = 'seen' | 'opened' | 'dismissed';
export type ClearReason = 'seen-elsewhere' | 'dismissed' | 'expired' | 'collapsed' | AckAction;
export type Transport = 'websocket' | 'sse';

/** A notification as the server sends it to a device. */
export interface DeviceNotification {
  id: string;
  category: string;
  title?: string;
  body?: string;
  data?: Record<string, unknown>;
  priority: Priority;
  createdAt: string;
  /** Never show it after this instant; the SDK drops it then (a `clear` with reason `expired`). */
  expiresAt: string;
  /** Sent during quiet hours under `quietHours: silent`: show it without sound or banner. */
  silent?: boolean;
  /** The n-th repeat of the rule's last step: alert again. */
  repeat?: number;
}

/** Part of the device state; only the fields given change on the server. */
export interface StateReport {
  presence?: Presence;
  foreground?: boolean;
  battery?: { level: number; charging: boolean; lowPower?: boolean };
  connectivity?: { type: ConnectivityType; metered?: boolean };
  location?: { lat: number; lon: number; accuracy?: number };
}

export interface NotifyDeviceOptions {
  /** The server, e.g. `https://notify.example.com` (no `/v1`). */
  baseUrl: string | URL;
  /** The device token (`ndt_…`) from `POST /v1/users/{id}/devices`. */
  token: string;
  deviceId?: string;
  /** `auto` (default): WebSocket, and SSE after two WebSockets in a row fail before hello, or at once when there is no WebSocket (no built-in one and no `ws` package). The `transport` event says which and why. */
  transport?: 'auto' | Transport;
  /** WebSocket ping interval in ms (default 25,000; the server closes after 75 s of silence). */
  pingInterval?: number;
  /** Reconnect delay: min(max, initial × factor^attempt), less up to `jitter` of it at random. Defaults 500 ms, 30 s, 2, 0.5. */
  backoff?: { initial?: number; max?: number; factor?: number; jitter?: number };
  /** Watch presence, battery and connectivity in a browser (default true; nothing to watch in Node). */
  sensors?: boolean;
  /** Report location too (default false): opt in only when your app needs it and the user agreed. */
  location?: boolean;
  /** Input-free time after which a focused page counts as idle, in ms (default 60,000). */
  idleAfter?: number;
  /** Show notifications with the Web Notifications API when permission is granted (default false). */
  show?: boolean;
  /** Stand-ins for tests: the global object the sensors watch, WebSocket and fetch implementations. */
  env?: any;
  WebSocket?: any;
  fetch?: typeof fetch;
  /** Where the one warning about falling back to SSE goes (default `console`). */
  logger?: { warn(message: string): void };
}

export interface NotifyDeviceEvents {
  hello: { deviceId: string; serverTime: string; transport: Transport };
  /** Before the first hello, and whenever the transport in use changes: which one, and why (e.g. the `ws` package is missing). */
  transport: { transport: Transport; reason: string };
  notification: { notification: DeviceNotification; repeat: number };
  clear: { notificationId: string; reason: ClearReason; notification: DeviceNotification };
  disconnect: { error: Error | null; retryIn: number };
  state: { state: StateReport };
  error: { error: Error & { code?: string }; fatal: boolean };
  close: { reason: string };
}

export type DeviceStatus = 'idle' | 'connecting' | 'open' | 'closed';

export class NotifyDevice {
  constructor(options: NotifyDeviceOptions);
  readonly deviceId: string | null;
  readonly status: DeviceStatus;
  /** The transport in use (or last tried). */
  readonly transport: Transport | null;
  /** Open notifications by id, in arrival order; acked, cleared and expired ones leave. */
  readonly notifications: Map<string, DeviceNotification>;
  /** Connects and resolves on the server's hello; reconnects by itself until close(). Rejects with NotifyAuthError when the token is refused. */
  connect(): Promise<void>;
  close(): void;
  ack(notificationId: string, action?: AckAction): Promise<void>;
  reportState(state: StateReport): Promise<void>;
  on<K extends keyof NotifyDeviceEvents>(type: K, listener: (event: NotifyDeviceEvents[K]) => void): () => void;
  once<K extends keyof NotifyDeviceEvents>(type: K, listener: (event: NotifyDeviceEvents[K]) => void): () => void;
  off<K extends keyof NotifyDeviceEvents>(type: K, listener: (event: NotifyDeviceEvents[K]) => void): void;
  /** The next event of this type. */
  next<K extends keyof NotifyDeviceEvents>(type: K): Promise<NotifyDeviceEvents[K]>;
}

/** `transport: 'websocket'` was asked for, and this runtime has no WebSocket (install the `ws` package). */
export class NotifyTransportError extends Error {}

export class NotifyAuthError extends Error {
  readonly status: number;
  readonly code?: string;
}

export interface Sensors {
  stop(): void;
  presence(): Presence | undefined;
}

/** Watches a browser's page (or a stand-in `env`) and calls `report` with what changed. */
export function createSensors(env: any, report: (state: StateReport) => void, options?: { idleAfter?: number; location?: boolean }): Sensors;
