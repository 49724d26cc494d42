using System.Text.Json.Nodes;
using Notify.Channels.Webhooks;
using Notify.Client;
using Notify.Client.Apps;
using Notify.Loopback.Webhooks;
using Notify.Server.Tests.Infrastructure;

namespace Notify.Server.Tests.Channels;

/// <summary>Delivery-status webhooks: signed events from the durable outbox to the app's endpoint, retried with backoff.</summary>
public sealed class WebhookTests
{
    private const string Secret = "whsec-0123456789-0123456789";

    private static NotifyTestServer Server(WebhookReceiver receiver, IDictionary<string, string>? rules = null) => new(new Dictionary<string, string?>
    {
        ["Webhooks:default:Url"] = receiver.Url.ToString(),
        ["Webhooks:default:Secret"] = Secret,
    }, rules);

    private static JsonObject Body(ReceivedWebhook hook) => JsonNode.Parse(hook.Body)!.AsObject();

    [Fact]
    public async Task Notify_DeliveredThenSeen_PostsSignedEventsToTheAppsWebhookOnly()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var server = Server(receiver);
        await using var ana = await Scenario.CreateAsync(server);
        var laptop = await ana.RegisterAsync("laptop", Platform.Desktop);
        var client = await ana.ConnectAsync("laptop", Presence.Active);

        var sent = await ana.NotifyAsync();
        await receiver.WaitForAsync(1, Waits.Deadline());
        var delivered = receiver.Received[0];
        var body = Body(delivered);
        Assert.Equal("notification.delivered", (string?)body["type"]);
        Assert.Equal("default", (string?)body["appId"]);
        Assert.Equal(sent.NotificationId, (string?)body["data"]!["notificationId"]);
        Assert.Equal(laptop, (string?)body["data"]!["deviceId"]);
        Assert.Equal("inApp", (string?)body["data"]!["channel"]);
        Assert.Equal((string?)body["id"], delivered.Headers["Notify-Event-Id"]);
        Assert.Equal("notification.delivered", delivered.Headers["Notify-Event-Type"]);
        Assert.True(WebhookSignature.Verify(Secret, delivered.Headers[WebhookSignature.Header], delivered.Body, server.Time.GetUtcNow(), TimeSpan.FromMinutes(5)));
        Assert.False(WebhookSignature.Verify("another-secret-0123456789", delivered.Headers[WebhookSignature.Header], delivered.Body, server.Time.GetUtcNow(), TimeSpan.FromMinutes(5)));
        Assert.False(WebhookSignature.Verify(Secret, delivered.Headers[WebhookSignature.Header], delivered.Body + " ", server.Time.GetUtcNow(), TimeSpan.FromMinutes(5)));
        Assert.False(WebhookSignature.Verify(Secret, delivered.Headers[WebhookSignature.Header], delivered.Body, server.Time.GetUtcNow().AddMinutes(10), TimeSpan.FromMinutes(5)));

        await client.AckAsync(sent.NotificationId, AckAction.Opened);
        await receiver.WaitForAsync(2, Waits.Deadline());
        var seen = Body(receiver.Received[1]);
        Assert.Equal("notification.seen", (string?)seen["type"]);
        Assert.Equal("opened", (string?)seen["data"]!["action"]);

        // Another app without a webhook: its notifications write no events at all.
        using var other = server.App(NotifyTestServer.OtherAppKey);
        await other.PutUserAsync("bo", new UserRequest { TimeZone = "Europe/Lisbon" });
        await other.RegisterDeviceAsync("bo", new DeviceRegistration { Platform = Platform.Desktop });
        await other.NotifyAsync(new NotifyRequest { UserId = "bo", Category = "mention", Title = "hi" });
        Assert.Equal(2, server.Count("webhook_outbox"));
    }

    [Fact]
    public async Task Webhook_AppAnswersARedirect_IsNotFollowedAndTheAttemptIsRecordedAsFailed()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        // A redirect back to the receiver itself: followed, it would be a second post of the signed body.
        receiver.RedirectNext(receiver.Url);
        await using var server = Server(receiver);
        await using var ana = await Scenario.CreateAsync(server);
        await ana.RegisterAsync("laptop", Platform.Desktop);
        await ana.ConnectAsync("laptop", Presence.Active);

        await ana.NotifyAsync();
        await receiver.WaitForAsync(1, Waits.Deadline());
        await Waits.UntilAsync(() => server.Scalar("SELECT attempts FROM webhook_outbox") is 1L, "the redirected post to be recorded");

        Assert.Single(receiver.Received);
        Assert.NotNull(server.Scalar("SELECT due_at FROM webhook_outbox"));
        var error = (string?)server.Scalar("SELECT last_error FROM webhook_outbox");
        Assert.StartsWith("307", error);
        Assert.Contains("redirects are not followed", error);
    }

    [Fact]
    public async Task Webhook_AppAnswers503WithRetryAfter_IsPostedAgainAfterThatDelayWithTheSameEventId()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.FailNext(1, 503, retryAfterSeconds: 30);
        await using var server = Server(receiver);
        await using var ana = await Scenario.CreateAsync(server);
        await ana.RegisterAsync("laptop", Platform.Desktop);
        await ana.ConnectAsync("laptop", Presence.Active);

        await ana.NotifyAsync();
        await receiver.WaitForAsync(1, Waits.Deadline());
        await Waits.UntilAsync(() => server.Scalar("SELECT attempts FROM webhook_outbox") is 1L, "the failed post to be recorded");
        var failedAt = server.Time.GetUtcNow().ToUnixTimeMilliseconds();
        Assert.Equal(failedAt + 30_000, server.Scalar("SELECT due_at FROM webhook_outbox"));
        Assert.Equal("503 Service Unavailable", server.Scalar("SELECT last_error FROM webhook_outbox"));

        server.Time.Advance(TimeSpan.FromSeconds(30));
        await receiver.WaitForAsync(2, Waits.Deadline());
        Assert.Equal(receiver.Received[0].Headers["Notify-Event-Id"], receiver.Received[1].Headers["Notify-Event-Id"]);
        Assert.Equal(receiver.Received[0].Body, receiver.Received[1].Body);
        await Waits.UntilAsync(() => server.Scalar("SELECT due_at FROM webhook_outbox") is null, "the event to be marked delivered");
        Assert.Equal(2L, server.Scalar("SELECT attempts FROM webhook_outbox"));
    }

    [Fact]
    public async Task Webhook_UnseenThenFollowUpThenTtl_PostsEscalatedAndExpired()
    {
        var rules = new Dictionary<string, string>
        {
            ["default.yaml"] = """
                name: default
                ttl: 30m
                steps:
                  - to: best
                    via: inApp
                    wait: 2m
                  - to: all
                    via: inApp
                """,
        };
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var server = Server(receiver, rules);
        await using var ana = await Scenario.CreateAsync(server);
        await ana.RegisterAsync("laptop", Platform.Desktop);
        await ana.RegisterAsync("phone", Platform.Android);
        await ana.ConnectAsync("laptop", Presence.Active);
        var phone = await ana.ConnectAsync("phone", Presence.Idle);

        var sent = await ana.NotifyAsync();
        await receiver.WaitForAsync(1, Waits.Deadline());
        await Waits.UntilAsync(() => server.Scalar("SELECT COUNT(*) FROM webhook_outbox WHERE due_at IS NOT NULL") is 0L, "the post to be recorded");
        server.Time.Advance(TimeSpan.FromMinutes(2));
        await phone.WaitForNotificationAsync(n => n.Id == sent.NotificationId, Waits.Deadline());
        await receiver.WaitForAsync(3, Waits.Deadline());
        var types = receiver.Received.Select(r => (string?)Body(r)["type"]).ToList();
        Assert.Equal(["notification.delivered", "notification.escalated", "notification.delivered"], types);
        var escalated = Body(receiver.Received[1])["data"]!;
        Assert.Equal(1, (int?)escalated["fromStep"]);
        Assert.Equal(2, (int?)escalated["toStep"]);

        // Let the posts finish on the current clock: a post still in flight when the clock jumps times out and is sent again.
        await Waits.UntilAsync(() => server.Scalar("SELECT COUNT(*) FROM webhook_outbox WHERE due_at IS NOT NULL") is 0L, "the posts to be recorded");
        server.Time.Advance(TimeSpan.FromMinutes(28));
        await receiver.WaitForAsync(4, Waits.Deadline());
        Assert.Equal("notification.expired", (string?)Body(receiver.Received[3])["type"]);
    }

    [Fact]
    public async Task Start_WebhookWithoutSecret_RefusesToStartNamingTheSetting()
    {
        var e = Assert.ThrowsAny<Exception>(() => new NotifyTestServer(new Dictionary<string, string?> { ["Webhooks:default:Url"] = "https://example.com/hook" }));
        Assert.Contains("Webhooks:default", e.ToString(), StringComparison.Ordinal);
    }
}
