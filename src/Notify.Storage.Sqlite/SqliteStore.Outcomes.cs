using System.Text.Json;
using Microsoft.Extensions.Logging;
using Notify.Engine.Learning;
using Notify.Engine.Model;
using Notify.Engine.Notifications;

namespace Notify.Storage.Sqlite;

/// <summary>Outcomes (training data for the response model) in their own table, written behind through the batching
/// writer: a call queues the write and returns, so recording never slows a notification down.</summary>
public sealed partial class SqliteStore : IOutcomeRecorder, IOutcomeSource
{
    private readonly ILogger _logger;

    public void Decided(OutcomeStart s) => Behind(_writer.WriteAsync(b => b.Execute(
        "INSERT OR IGNORE INTO outcomes (delivery_id, notification_id, app_id, user_id, device_id, step, decided_at, wait_ms, features_json) " +
        "VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)",
        s.DeliveryId, s.NotificationId, s.AppId, s.UserId, s.DeviceId, s.Features.Step, Ms(s.DecidedAt),
        s.Wait is { } w ? (long)w.TotalMilliseconds : null, JsonSerializer.Serialize(s.Features, EngineJson.Options))));

    public void Responded(string notificationId, string deviceId, AckAction action, DateTimeOffset at) => Behind(_writer.WriteAsync(b =>
        b.Execute("UPDATE outcomes SET outcome=$3, resolved_at=$4 WHERE notification_id=$1 AND device_id=$2 AND outcome IS NULL",
            notificationId, deviceId, Names.Of(action.ToOutcome()), Ms(at)) +
        b.Execute("UPDATE outcomes SET outcome=$2, resolved_at=$3 WHERE notification_id=$1 AND outcome IS NULL",
            notificationId, Names.Of(OutcomeKind.SeenElsewhere), Ms(at))));

    public void Unanswered(string notificationId, int? step, OutcomeKind kind, DateTimeOffset at) => Behind(_writer.WriteAsync(b => step is { } s
        ? b.Execute("UPDATE outcomes SET outcome=$3, resolved_at=$4 WHERE notification_id=$1 AND step=$2 AND outcome IS NULL",
            notificationId, s, Names.Of(kind), Ms(at))
        : b.Execute("UPDATE outcomes SET outcome=$2, resolved_at=$3 WHERE notification_id=$1 AND outcome IS NULL",
            notificationId, Names.Of(kind), Ms(at))));

    /// <summary>Completes once every outcome queued before the call is written.</summary>
    public Task FlushOutcomesAsync(CancellationToken ct = default) => _writer.WriteAsync(_ => 0, ct);

    public Task<IReadOnlyList<OutcomeRecord>> ReadOutcomesAsync(CancellationToken ct = default) => ReadAsync<IReadOnlyList<OutcomeRecord>>(c => Many(c,
        "SELECT delivery_id, notification_id, app_id, user_id, device_id, decided_at, wait_ms, features_json, outcome, resolved_at FROM outcomes ORDER BY decided_at, delivery_id",
        r => new OutcomeRecord(
            new OutcomeStart(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), Time(r, 5),
                r.IsDBNull(6) ? null : TimeSpan.FromMilliseconds(r.GetInt64(6)),
                JsonSerializer.Deserialize<ResponseFeatures>(r.GetString(7), EngineJson.Options)),
            Names.TryParse<OutcomeKind>(Str(r, 8), out var kind) ? kind : null,
            r.IsDBNull(9) ? null : Time(r, 9))), ct);

    public Task<IReadOnlyList<ResponseRecord>> ReadResponsesAsync(DateTimeOffset since, CancellationToken ct = default) =>
        ReadAsync<IReadOnlyList<ResponseRecord>>(c => Many(c,
            "SELECT app_id, user_id, decided_at, resolved_at FROM outcomes WHERE outcome IN ($2, $3, $4) AND resolved_at IS NOT NULL AND decided_at >= $1 ORDER BY decided_at",
            r => new ResponseRecord(r.GetString(0), r.GetString(1), Time(r, 2), Time(r, 3)),
            Ms(since), Names.Of(OutcomeKind.Seen), Names.Of(OutcomeKind.Opened), Names.Of(OutcomeKind.Dismissed)), ct);

    private void Behind(Task write) => write.ContinueWith(t => LogOutcomeFailed(t.Exception!.GetBaseException()),
        CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Recording an outcome (training data) failed; the notification is not affected")]
    private partial void LogOutcomeFailed(Exception e);
}
