using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Notify.Channels.Email;
using Notify.Engine.Channels;
using Notify.Engine.Model;
using Notify.Engine.Notifications;
using Notify.Loopback.Smtp;

namespace Notify.Channels.Tests.Email;

internal static class EmailTestKit
{
    public static readonly DateTimeOffset Start = new(2025, 3, 14, 9, 26, 53, TimeSpan.Zero);

    public static NotificationPayload Notification(string id = "ntf_01JB8X", string category = "mention", string? title = "Ada mentioned you",
        string? body = "Can you review the launch plan?", JsonObject? data = null, Priority priority = Priority.Normal, int? repeat = null) =>
        new(id, category, title, body, data, priority, Start, Start.AddDays(1), null, repeat);

    public static EmailMessage Mail(NotificationPayload? n = null, string to = "grace@example.org", string? locale = "en-GB") =>
        new(to, "u_grace", locale, n ?? Notification());

    public static EmailOptions OptionsFor(SmtpLoopbackServer server, Action<EmailOptions>? change = null)
    {
        var options = new EmailOptions
        {
            Host = server.Host,
            Port = server.Port,
            Security = server.Options.Security switch
            {
                SmtpLoopbackSecurity.ImplicitTls => EmailSecurity.Tls,
                SmtpLoopbackSecurity.StartTls => EmailSecurity.StartTls,
                _ => EmailSecurity.None,
            },
            Username = server.Options.Username,
            Password = server.Options.Password,
            From = "Notify <notify@example.com>",
            AllowInvalidCertificate = true,
            Timeout = TimeSpan.FromSeconds(30),
        };
        change?.Invoke(options);
        return options;
    }

    public static Task<SmtpLoopbackServer> StartServerAsync(SmtpLoopbackSecurity security = SmtpLoopbackSecurity.Plain,
        string? username = null, string? password = null) =>
        SmtpLoopbackServer.StartAsync(new SmtpLoopbackOptions { Security = security, Username = username, Password = password });

    public static SmtpEmailSender Sender(EmailOptions options, FakeTimeProvider? time = null) =>
        new(options, time ?? new FakeTimeProvider(Start), NullLogger<SmtpEmailSender>.Instance);
}
