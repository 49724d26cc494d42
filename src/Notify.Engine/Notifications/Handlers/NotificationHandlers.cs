using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Notify.Engine.Notifications.Handlers;

/// <summary>The handlers of a notification's life, one per use case, over one <see cref="PlanRunner"/>.</summary>
public sealed record NotificationHandlers(PlanRunner Runner, AcceptHandler Accept, TimerHandler Timers, AckHandler Acks, HoldHandler Holds,
    SendHandler Sends, ResendHandler Resends)
{
    public static NotificationHandlers Create(PlanRunner runner, ILoggerFactory? loggers = null) => new(runner, new AcceptHandler(runner),
        new TimerHandler(runner), new AckHandler(runner), new HoldHandler(runner),
        new SendHandler(runner, (loggers ?? NullLoggerFactory.Instance).CreateLogger<SendHandler>()), new ResendHandler(runner));
}
