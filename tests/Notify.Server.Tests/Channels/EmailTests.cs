using Notify.Client;
using Notify.Client.Apps;
using Notify.Loopback.Smtp;
using Notify.Server.Tests.Infrastructure;

namespace Notify.Server.Tests.Channels;

/// <summary>Email end to end: the real server follows up by email through a real SMTP server in-process.</summary>
public sealed class EmailTests
{
    private const string InAppThenEmail = """
        name: default
        ttl: 2h
        steps:
          - to: best
            via: inApp
            wait: 10m
          - to: user
            via: email
        """;

    private static NotifyTestServer Server(SmtpLoopbackServer smtp, string? username = null, string? password = null) => new(new Dictionary<string, string?>
    {
        ["Channels:Email:Host"] = smtp.Host,
        ["Channels:Email:Port"] = smtp.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Channels:Email:Security"] = "none",
        ["Channels:Email:From"] = "Notify <notify@example.com>",
        ["Channels:Email:Username"] = username,
        ["Channels:Email:Password"] = password,
    }, new Dictionary<string, string> { ["default.yaml"] = InAppThenEmail });

    [Fact]
    public async Task FollowUp_UnseenInApp_IsEmailedWithTheSameNotificationId()
    {
        await using var smtp = await SmtpLoopbackServer.StartAsync();
        await using var server = Server(smtp);
        await using var ana = await Scenario.CreateAsync(server, email: "ana@example.com");
        await ana.RegisterAsync("laptop", Platform.Desktop);
        await ana.ConnectAsync("laptop", Presence.Active);

        var sent = await ana.NotifyAsync();
        server.Time.Advance(TimeSpan.FromMinutes(10));

        var mail = (await smtp.WaitForMessagesAsync(1)).Single();
        Assert.Equal(["ana@example.com"], mail.To);
        Assert.Contains("Ana mentioned you", mail.Subject, StringComparison.Ordinal);
        Assert.Contains("in #general", mail.Text, StringComparison.Ordinal);
        Assert.Equal(sent.NotificationId, mail.Message.Headers["X-Notify-Notification-Id"]);
        await Waits.UntilAsync(() => server.Scalar("SELECT status FROM deliveries WHERE channel='email'") is "sent", "the email delivery to be recorded");
        var details = await ana.App.GetNotificationAsync(sent.NotificationId);
        Assert.Equal(("email", "sent"), (details.Attempts.Single().Provider, details.Attempts.Single().Outcome));
        Assert.Null(details.Deliveries.Single(d => d.Channel == Channel.Email).DeviceId);
    }

    [Fact]
    public async Task FollowUp_SmtpRefusesOurPassword_FailsAsAConfigurationErrorShownInHealth()
    {
        await using var smtp = await SmtpLoopbackServer.StartAsync(new SmtpLoopbackOptions { Username = "notify", Password = "right-password" });
        await using var server = Server(smtp, "notify", "wrong-password");
        await using var ana = await Scenario.CreateAsync(server, email: "ana@example.com");
        await ana.RegisterAsync("laptop", Platform.Desktop);

        var sent = await ana.NotifyAsync();
        server.Time.Advance(TimeSpan.FromMinutes(10));
        await Waits.UntilAsync(() => server.Scalar("SELECT status FROM deliveries WHERE channel='email'") is "failed", "the email delivery to fail");

        var details = await ana.App.GetNotificationAsync(sent.NotificationId);
        Assert.Equal("misconfigured", details.Attempts.Single().Outcome);
        Assert.Empty(smtp.Messages);
        using var http = server.Http();
        Assert.Equal("Degraded", await http.GetStringAsync("/health/ready"));
        http.DefaultRequestHeaders.Accept.ParseAdd("application/json");
        var health = System.Text.Json.Nodes.JsonNode.Parse(await http.GetStringAsync("/health/ready"))!;
        Assert.Equal("Degraded", (string?)health["checks"]!["channels"]!["status"]);
        Assert.Contains("email: configuration error", (string?)health["checks"]!["channels"]!["description"], StringComparison.Ordinal);
    }
}
