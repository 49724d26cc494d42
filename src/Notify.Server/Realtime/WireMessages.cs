using Notify.Engine.Notifications;

namespace Notify.Server.Realtime;

// The realtime connection's own messages (docs/api.md); notifications and clears come from the engine.

public sealed record HelloMessage(string DeviceId, DateTimeOffset ServerTime) : ServerMessage("hello");

public sealed record PongMessage() : ServerMessage("pong");

public sealed record ErrorMessage(string Code, string Message) : ServerMessage("error");
