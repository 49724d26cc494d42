using Microsoft.Extensions.Time.Testing;
using Notify.Channels.Email;
using Notify.Engine.Channels;
using Notify.Engine.Model;
using Notify.Loopback.Smtp;
using static Notify.Channels.Tests.Email.EmailTestKit;

namespace Notify.Channels.Tests.Email;

public sealed class SmtpEmailSenderTests
{
    [Fact]
    public async Task SendAsync_PlainServer_DeliversMessageWithQueueIdAndHeaders()
    {
        await using var server = await StartServerAsync();
        await using var sender = Sender(OptionsFor(server));

        var result = await sender.SendAsync(Mail(Notification(id: "ntf_01JB8X")));

        Assert.Equal(SendOutcome.Sent, result.Outcome);
        Assert.Equal("email", result.Provider);
        Assert.Equal(250, result.Status);
        var received = Assert.Single(await server.WaitForMessagesAsync(1));
        Assert.Equal(received.QueueId, result.MessageId);
        Assert.False(received.Secure);
        Assert.Equal("notify@example.com", received.EnvelopeFrom);
        Assert.Equal(["grace@example.org"], received.EnvelopeTo);
        Assert.Equal("\"Notify\" <notify@example.com>", received.From);
        Assert.Equal("Ada mentioned you", received.Subject);
        Assert.Equal("ntf_01JB8X", received.Header("X-Notify-Notification-Id"));
        Assert.Equal("mention", received.Header("X-Notify-Category"));
        Assert.Equal("auto-generated", received.Header("Auto-Submitted"));
        Assert.Equal("notify.ntf_01JB8X.0@example.com", received.Message.MessageId);
        Assert.Equal(["notify.ntf_01JB8X@example.com"], received.Message.References);
        Assert.Contains("Can you review the launch plan?", received.Text);
        Assert.Contains("Can you review the launch plan?", received.Html);
        Assert.Null(received.Header("Importance"));
    }

    [Fact]
    public async Task SendAsync_RepeatOfSameNotification_NewMessageIdSameThread()
    {
        await using var server = await StartServerAsync();
        await using var sender = Sender(OptionsFor(server));

        await sender.SendAsync(Mail(Notification(id: "ntf_7")));
        await sender.SendAsync(Mail(Notification(id: "ntf_7", repeat: 1)));

        var messages = await server.WaitForMessagesAsync(2);
        Assert.NotEqual(messages[0].Message.MessageId, messages[1].Message.MessageId);
        Assert.Equal(messages[0].Message.References, messages[1].Message.References);
        Assert.All(messages, m => Assert.Equal("ntf_7", m.Header("X-Notify-Notification-Id")));
    }

    [Theory]
    [InlineData(Priority.High, "high", "1")]
    [InlineData(Priority.Critical, "high", "1")]
    [InlineData(Priority.Low, "low", "5")]
    public async Task SendAsync_Priority_SetsImportanceAndXPriority(Priority priority, string importance, string xPriority)
    {
        await using var server = await StartServerAsync();
        await using var sender = Sender(OptionsFor(server));

        await sender.SendAsync(Mail(Notification(priority: priority)));

        var received = Assert.Single(await server.WaitForMessagesAsync(1));
        Assert.Equal(importance, received.Header("Importance"));
        Assert.Equal(xPriority, received.Header("X-Priority"));
    }

    [Fact]
    public async Task SendAsync_StartTlsWithAuth_UpgradesThenAuthenticates()
    {
        await using var server = await StartServerAsync(SmtpLoopbackSecurity.StartTls, "notify", "s3cret");
        await using var sender = Sender(OptionsFor(server));

        var result = await sender.SendAsync(Mail());

        Assert.Equal(SendOutcome.Sent, result.Outcome);
        var received = Assert.Single(await server.WaitForMessagesAsync(1));
        Assert.True(received.Secure);
        Assert.Equal("notify", received.AuthenticatedUser);
        var verbs = server.Commands.Select(c => c.Split(": ")[1]).ToList();
        Assert.True(verbs.IndexOf("STARTTLS") >= 0 && verbs.IndexOf("STARTTLS") < verbs.IndexOf("AUTH"), string.Join(", ", verbs));
    }

    [Fact]
    public async Task SendAsync_ImplicitTlsWithAuth_Delivers()
    {
        await using var server = await StartServerAsync(SmtpLoopbackSecurity.ImplicitTls, "notify", "s3cret");
        await using var sender = Sender(OptionsFor(server));

        var result = await sender.SendAsync(Mail());

        Assert.Equal(SendOutcome.Sent, result.Outcome);
        var received = Assert.Single(await server.WaitForMessagesAsync(1));
        Assert.True(received.Secure);
        Assert.Equal("notify", received.AuthenticatedUser);
        Assert.DoesNotContain(server.Commands, c => c.EndsWith("STARTTLS", StringComparison.Ordinal));
    }

    [Fact]
    public async Task SendAsync_PlainWithAuth_Authenticates()
    {
        await using var server = await StartServerAsync(SmtpLoopbackSecurity.Plain, "notify", "s3cret");
        await using var sender = Sender(OptionsFor(server));

        var result = await sender.SendAsync(Mail());

        Assert.Equal(SendOutcome.Sent, result.Outcome);
        Assert.Equal("notify", Assert.Single(await server.WaitForMessagesAsync(1)).AuthenticatedUser);
    }

    [Fact]
    public async Task SendAsync_WrongPassword_Misconfigured535()
    {
        await using var server = await StartServerAsync(SmtpLoopbackSecurity.StartTls, "notify", "s3cret");
        await using var sender = Sender(OptionsFor(server, o => o.Password = "wrong"));

        var result = await sender.SendAsync(Mail());

        Assert.Equal(SendOutcome.Misconfigured, result.Outcome);
        Assert.Equal(535, result.Status);
        Assert.Contains("authentication", result.Reason, StringComparison.OrdinalIgnoreCase);
        Assert.True(server.AuthFailures >= 1);
        Assert.Empty(server.Messages);
    }

    [Fact]
    public async Task SendAsync_ServerRequiresAuthButNoneConfigured_Misconfigured530()
    {
        await using var server = await StartServerAsync(SmtpLoopbackSecurity.Plain, "notify", "s3cret");
        await using var sender = Sender(OptionsFor(server, o => { o.Username = null; o.Password = null; }));

        var result = await sender.SendAsync(Mail());

        Assert.True(result.Outcome == SendOutcome.Misconfigured, result.ToString());
        Assert.Equal(530, result.Status);
    }

    [Fact]
    public async Task SendAsync_StartTlsRequiredButNotOffered_Misconfigured()
    {
        await using var server = await StartServerAsync(SmtpLoopbackSecurity.Plain);
        await using var sender = Sender(OptionsFor(server, o => o.Security = EmailSecurity.StartTls));

        var result = await sender.SendAsync(Mail());

        Assert.Equal(SendOutcome.Misconfigured, result.Outcome);
        Assert.Contains("STARTTLS", result.Reason);
        Assert.Empty(server.Messages);
    }

    [Fact]
    public async Task SendAsync_ImplicitTlsAgainstPlainServer_MisconfiguredHandshake()
    {
        await using var server = await StartServerAsync(SmtpLoopbackSecurity.Plain);
        await using var sender = Sender(OptionsFor(server, o => o.Security = EmailSecurity.Tls));

        var result = await sender.SendAsync(Mail());

        Assert.Equal(SendOutcome.Misconfigured, result.Outcome);
        Assert.Contains("TLS handshake", result.Reason);
    }

    [Fact]
    public async Task SendAsync_UntrustedCertificate_MisconfiguredHandshake()
    {
        await using var server = await StartServerAsync(SmtpLoopbackSecurity.ImplicitTls);
        await using var sender = Sender(OptionsFor(server, o => o.AllowInvalidCertificate = false));

        var result = await sender.SendAsync(Mail());

        Assert.Equal(SendOutcome.Misconfigured, result.Outcome);
        Assert.Contains("TLS handshake", result.Reason);
        Assert.Empty(server.Messages);
    }

    [Theory]
    [InlineData(550)]
    [InlineData(553)]
    [InlineData(554)]
    public async Task SendAsync_RecipientRefused_Rejected(int code)
    {
        await using var server = await StartServerAsync();
        server.RejectRecipient("gone@example.org", code, "5.1.1 <gone@example.org>: Recipient address rejected");
        await using var sender = Sender(OptionsFor(server));

        var result = await sender.SendAsync(Mail(to: "gone@example.org"));

        Assert.Equal(SendOutcome.Rejected, result.Outcome);
        Assert.Equal(code, result.Status);
        Assert.Contains("Recipient address rejected", result.Reason);
        Assert.Empty(server.Messages);
    }

    [Theory]
    [InlineData(552)]
    [InlineData(554)]
    [InlineData(550)]
    public async Task SendAsync_MessageRefusedAtData_Rejected(int code)
    {
        await using var server = await StartServerAsync();
        server.FailNextMessages(1, code, "5.7.1 Message refused");
        await using var sender = Sender(OptionsFor(server));

        var result = await sender.SendAsync(Mail());

        Assert.Equal(SendOutcome.Rejected, result.Outcome);
        Assert.Equal(code, result.Status);
    }

    [Fact]
    public async Task SendAsync_MessageLargerThanServerAllows_Rejected552()
    {
        await using var server = await SmtpLoopbackServer.StartAsync(new SmtpLoopbackOptions { MaxMessageSize = 2048 });
        await using var sender = Sender(OptionsFor(server));

        var result = await sender.SendAsync(Mail(Notification(body: new string('x', 8000))));

        Assert.Equal(SendOutcome.Rejected, result.Outcome);
        Assert.Equal(552, result.Status);
        Assert.Empty(server.Messages);
    }

    [Fact]
    public async Task SendAsync_SenderRefused_Misconfigured()
    {
        await using var server = await StartServerAsync();
        server.RejectSender("notify@example.com");
        await using var sender = Sender(OptionsFor(server));

        var result = await sender.SendAsync(Mail());

        Assert.Equal(SendOutcome.Misconfigured, result.Outcome);
        Assert.Equal(553, result.Status);
        Assert.Contains("Channels:Email:From", result.Reason);
    }

    [Theory]
    [InlineData(421)]
    [InlineData(450)]
    [InlineData(451)]
    [InlineData(452)]
    public async Task SendAsync_TemporaryFailure_TransientThenNextSendSucceeds(int code)
    {
        await using var server = await StartServerAsync();
        server.FailNextMessages(1, code, "4.3.0 Try again later");
        await using var sender = Sender(OptionsFor(server));

        var failed = await sender.SendAsync(Mail());
        var retried = await sender.SendAsync(Mail());

        Assert.Equal(SendOutcome.Transient, failed.Outcome);
        Assert.Equal(code, failed.Status);
        Assert.Equal(SendOutcome.Sent, retried.Outcome);
        Assert.Single(await server.WaitForMessagesAsync(1));
    }

    [Fact]
    public async Task SendAsync_TemporaryRecipientFailure_Transient()
    {
        await using var server = await StartServerAsync();
        server.RejectRecipient("full@example.org", 452, "4.2.2 Mailbox full");
        await using var sender = Sender(OptionsFor(server));

        var result = await sender.SendAsync(Mail(to: "full@example.org"));

        Assert.Equal(SendOutcome.Transient, result.Outcome);
        Assert.Equal(452, result.Status);
    }

    [Fact]
    public async Task SendAsync_InvalidAddress_RejectedWithoutConnecting()
    {
        await using var server = await StartServerAsync();
        await using var sender = Sender(OptionsFor(server));

        var result = await sender.SendAsync(Mail(to: "not an address"));

        Assert.Equal(SendOutcome.Rejected, result.Outcome);
        Assert.Equal(0, server.SessionCount);
    }

    [Fact]
    public async Task SendAsync_SeveralSends_ReuseOneAuthenticatedConnection()
    {
        await using var server = await StartServerAsync(SmtpLoopbackSecurity.StartTls, "notify", "s3cret");
        await using var sender = Sender(OptionsFor(server));

        for (var i = 0; i < 5; i++)
            Assert.Equal(SendOutcome.Sent, (await sender.SendAsync(Mail(Notification(id: $"ntf_{i}")))).Outcome);

        var messages = await server.WaitForMessagesAsync(5);
        Assert.Equal(1, server.SessionCount);
        Assert.All(messages, m => Assert.Equal(messages[0].Session, m.Session));
        Assert.Single(server.Commands, c => c.EndsWith("AUTH", StringComparison.Ordinal));
    }

    [Fact]
    public async Task SendAsync_ConcurrentSends_AllDeliveredOverOneConnection()
    {
        await using var server = await StartServerAsync();
        await using var sender = Sender(OptionsFor(server));

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => sender.SendAsync(Mail(Notification(id: $"ntf_{i}")))));

        Assert.All(results, r => Assert.Equal(SendOutcome.Sent, r.Outcome));
        Assert.Equal(8, (await server.WaitForMessagesAsync(8)).Select(m => m.Header("X-Notify-Notification-Id")).Distinct().Count());
        Assert.Equal(1, server.SessionCount);
    }

    [Fact]
    public async Task SendAsync_ServerDown_TransientThenReconnectsAfterRestart()
    {
        await using var server = await StartServerAsync();
        var time = new FakeTimeProvider(Start);
        await using var sender = Sender(OptionsFor(server), time);
        Assert.Equal(SendOutcome.Sent, (await sender.SendAsync(Mail())).Outcome);

        await server.StopAsync();
        time.Advance(TimeSpan.FromMinutes(1));
        var down = await sender.SendAsync(Mail());
        await server.RestartAsync();
        var up = await sender.SendAsync(Mail());

        Assert.Equal(SendOutcome.Transient, down.Outcome);
        Assert.Contains($"{server.Host}:{server.Port}", down.Reason);
        Assert.Equal(SendOutcome.Sent, up.Outcome);
        Assert.Equal(2, (await server.WaitForMessagesAsync(2)).Count);
        Assert.Equal(2, server.SessionCount);
    }

    [Fact]
    public async Task SendAsync_IdleConnectionDroppedByRestart_ProbesWithNoopAndReconnects()
    {
        await using var server = await StartServerAsync();
        var time = new FakeTimeProvider(Start);
        await using var sender = Sender(OptionsFor(server), time);
        Assert.Equal(SendOutcome.Sent, (await sender.SendAsync(Mail())).Outcome);

        await server.RestartAsync();
        time.Advance(TimeSpan.FromMinutes(1));
        var result = await sender.SendAsync(Mail());

        Assert.Equal(SendOutcome.Sent, result.Outcome);
        var messages = await server.WaitForMessagesAsync(2);
        Assert.NotEqual(messages[0].Session, messages[1].Session);
    }

    [Fact]
    public async Task SendAsync_IdleHealthyConnection_ProbedAndReused()
    {
        await using var server = await StartServerAsync();
        var time = new FakeTimeProvider(Start);
        await using var sender = Sender(OptionsFor(server), time);
        await sender.SendAsync(Mail());

        time.Advance(TimeSpan.FromMinutes(1));
        var result = await sender.SendAsync(Mail());

        Assert.Equal(SendOutcome.Sent, result.Outcome);
        Assert.Equal(1, server.SessionCount);
        Assert.Contains(server.Commands, c => c.EndsWith("NOOP", StringComparison.Ordinal));
    }

    [Fact]
    public async Task SendAsync_ServerStallsPastTimeout_Transient()
    {
        await using var server = await StartServerAsync();
        var time = new FakeTimeProvider(Start);
        await using var sender = Sender(OptionsFor(server, o => o.Timeout = TimeSpan.FromSeconds(20)), time);
        server.StallNextMessages(1);

        var sending = sender.SendAsync(Mail());
        await server.Stalled.WaitAsync(TimeSpan.FromSeconds(10));
        time.Advance(TimeSpan.FromSeconds(20));
        var result = await sending.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(SendOutcome.Transient, result.Outcome);
        Assert.Contains("timeout", result.Reason);
        server.ReleaseStalled();
        Assert.Equal(SendOutcome.Sent, (await sender.SendAsync(Mail())).Outcome);
    }

    [Fact]
    public async Task SendAsync_CallerCancels_ThrowsOperationCanceled()
    {
        await using var server = await StartServerAsync();
        await using var sender = Sender(OptionsFor(server));
        server.StallNextMessages(1);
        using var cts = new CancellationTokenSource();

        var sending = sender.SendAsync(Mail(), cts.Token);
        await server.Stalled.WaitAsync(TimeSpan.FromSeconds(10));
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sending.WaitAsync(TimeSpan.FromSeconds(10)));
        server.ReleaseStalled();
        Assert.Equal(SendOutcome.Sent, (await sender.SendAsync(Mail())).Outcome);
    }

    [Fact]
    public async Task SendAsync_BrokenTemplate_MisconfiguredWithFileAndLine()
    {
        var dir = Directory.CreateTempSubdirectory("notify-email-");
        try
        {
            await File.WriteAllTextAsync(Path.Combine(dir.FullName, "mention.subject.liquid"), "Hello\n{% if notification.title %}unclosed");
            await using var server = await StartServerAsync();
            await using var sender = Sender(OptionsFor(server, o => o.TemplateDirectory = dir.FullName));

            var result = await sender.SendAsync(Mail());

            Assert.Equal(SendOutcome.Misconfigured, result.Outcome);
            Assert.Contains("mention.subject.liquid", result.Reason);
            Assert.Contains("line 2", result.Reason);
            Assert.Equal(0, server.SessionCount);
        }
        finally
        {
            dir.Delete(true);
        }
    }
}
