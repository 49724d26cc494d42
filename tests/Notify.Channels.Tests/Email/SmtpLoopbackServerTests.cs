using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;
using Notify.Loopback.Smtp;

namespace Notify.Channels.Tests.Email;

/// <summary>The loopback server refuses what real servers refuse, so a broken adapter fails the tests.</summary>
public sealed class SmtpLoopbackServerTests
{
    private static MimeMessage Message(bool withDate = true, bool withMessageId = true, string body = "hello")
    {
        var m = new MimeMessage { Subject = "s", Body = new TextPart("plain") { Text = body } };
        m.From.Add(MailboxAddress.Parse("a@example.com"));
        m.To.Add(MailboxAddress.Parse("b@example.org"));
        if (!withDate) m.Headers.Remove(HeaderId.Date);
        if (withMessageId) m.MessageId = MimeKit.Utils.MimeUtils.GenerateMessageId("example.com");
        else m.Headers.Remove(HeaderId.MessageId);
        return m;
    }

    private static async Task<SmtpClient> ConnectAsync(SmtpLoopbackServer server)
    {
        var client = new SmtpClient { Timeout = 10_000, ServerCertificateValidationCallback = (_, _, _, _) => true };
        var security = server.Options.Security switch
        {
            SmtpLoopbackSecurity.ImplicitTls => SecureSocketOptions.SslOnConnect,
            SmtpLoopbackSecurity.StartTls => SecureSocketOptions.StartTls,
            _ => SecureSocketOptions.None,
        };
        await client.ConnectAsync(server.Host, server.Port, security);
        return client;
    }

    [Theory]
    [InlineData(false, true, "Date")]
    [InlineData(true, false, "Message-ID")]
    public async Task Send_MissingRequiredHeader_Refused550(bool withDate, bool withMessageId, string header)
    {
        await using var server = await SmtpLoopbackServer.StartAsync();
        using var client = await ConnectAsync(server);

        var error = await Assert.ThrowsAsync<SmtpCommandException>(() => client.SendAsync(Message(withDate, withMessageId)));

        Assert.Equal(550, (int)error.StatusCode);
        Assert.Contains(header, error.Message);
        Assert.Empty(server.Messages);
    }

    [Fact]
    public async Task Send_LargerThanMaxMessageSize_Refused552()
    {
        await using var server = await SmtpLoopbackServer.StartAsync(new SmtpLoopbackOptions { MaxMessageSize = 1024 });
        using var client = await ConnectAsync(server);

        var error = await Assert.ThrowsAsync<SmtpCommandException>(() => client.SendAsync(Message(body: new string('x', 4096))));

        Assert.Equal(552, (int)error.StatusCode);
        Assert.Empty(server.Messages);
    }

    [Fact]
    public async Task Authenticate_StartTlsServerBeforeUpgrade_AuthNotOffered()
    {
        await using var server = await SmtpLoopbackServer.StartAsync(new SmtpLoopbackOptions
        {
            Security = SmtpLoopbackSecurity.StartTls, Username = "u", Password = "p",
        });
        using var client = new SmtpClient { Timeout = 10_000 };

        await client.ConnectAsync(server.Host, server.Port, SecureSocketOptions.None);

        Assert.True(client.Capabilities.HasFlag(SmtpCapabilities.StartTLS));
        Assert.False(client.Capabilities.HasFlag(SmtpCapabilities.Authentication));
    }

    [Fact]
    public async Task WaitForMessagesAsync_FewerArrive_TimesOutNamingWhatCame()
    {
        await using var server = await SmtpLoopbackServer.StartAsync();

        var error = await Assert.ThrowsAsync<TimeoutException>(() => server.WaitForMessagesAsync(1, TimeSpan.FromMilliseconds(50)));

        Assert.Contains("got 0", error.Message);
    }

    [Fact]
    public async Task RestartAsync_AfterStop_ListensOnTheSamePort()
    {
        await using var server = await SmtpLoopbackServer.StartAsync();
        var port = server.Port;

        await server.StopAsync();
        Assert.False(server.IsRunning);
        await server.RestartAsync();
        using var client = await ConnectAsync(server);
        await client.SendAsync(Message());

        Assert.Equal(port, server.Port);
        Assert.Single(await server.WaitForMessagesAsync(1));
    }
}
