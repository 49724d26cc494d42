using System.Text;
using System.Text.RegularExpressions;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Logging;
using MimeKit;
using Notify.Engine.Channels;
using Notify.Engine.Model;

namespace Notify.Channels.Email;

/// <summary>
/// The email channel over SMTP (MailKit). One attempt per <see cref="SendAsync"/>, classified for the dispatcher.
/// </summary>
/// <remarks>
/// <para>Connection: ONE connection, authenticated once, is kept open and reused by every send (a gate lets one send at
/// a time use it). Connect, TLS and AUTH cost several round trips and a handshake; a reused connection costs none. A
/// connection idle for <see cref="IdleCheckAfter"/> or more is probed with <c>NOOP</c> first and replaced when the
/// probe fails (the server timed it out or restarted), so a stale connection does not cost a failed attempt. After
/// any failed attempt the connection is closed and the next send opens a fresh one. One connection bounds the rate
/// to one message per server round trip set (hundreds per second to a nearby relay), plenty for follow-up email.</para>
/// <para>Time: <see cref="EmailOptions.Timeout"/> bounds each attempt's talk with the server (measured on the injected
/// <see cref="TimeProvider"/>; MailKit's socket timeout is set to the same value as a backstop). The caller's
/// cancellation is honoured and rethrown; a timeout is <see cref="SendOutcome.Transient"/>.</para>
/// </remarks>
public sealed partial class SmtpEmailSender : IEmailSender, IAsyncDisposable
{
    public const string ProviderName = "email";

    /// <summary>How long a connection may sit unused before a send probes it with <c>NOOP</c> (10 s): back-to-back sends
    /// skip the probe, while a connection left idle long enough for a server to drop it is checked first.</summary>
    public static readonly TimeSpan IdleCheckAfter = TimeSpan.FromSeconds(10);

    private readonly EmailOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<SmtpEmailSender> _logger;
    private readonly EmailTemplates _templates;
    private readonly MailboxAddress _from;
    private readonly string _idDomain;
    private readonly string _host;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private SmtpClient? _client;
    private DateTimeOffset _lastUsed;
    private bool _disposed;

    /// <param name="options">Checked with <see cref="EmailOptions.Validate"/>; a problem throws <see cref="ArgumentException"/>
    /// listing all of them.</param>
    public SmtpEmailSender(EmailOptions options, TimeProvider time, ILogger<SmtpEmailSender> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Validate();
        if (problems.Count > 0) throw new ArgumentException(string.Join(Environment.NewLine, problems), nameof(options));
        _options = options;
        _time = time;
        _logger = logger;
        _templates = new EmailTemplates(options.TemplateDirectory, time);
        _from = MailboxAddress.Parse(options.From!);
        _host = options.Host!;
        var at = _from.Address.LastIndexOf('@');
        _idDomain = at >= 0 && at < _from.Address.Length - 1 ? _from.Address[(at + 1)..] : "notify.invalid";
    }

    public async Task<SendResult> SendAsync(EmailMessage message, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var id = message.Notification.Id;
        if (!MailboxAddress.TryParse(message.To, out var to) || !to.Address.Contains('@', StringComparison.Ordinal))
            return Fail(id, new SendResult(SendOutcome.Rejected, ProviderName, null, $"'{message.To}' is not an email address"));

        RenderedEmail rendered;
        try
        {
            rendered = await _templates.RenderAsync(message, ct);
        }
        catch (EmailTemplateException e)
        {
            return Fail(id, new SendResult(SendOutcome.Misconfigured, ProviderName, null, "email template " + e.Message));
        }

        var mime = Compose(message, to, rendered);
        await _gate.WaitAsync(ct);
        using var timeout = new CancellationTokenSource(_options.Timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
        try
        {
            var client = await ConnectedClientAsync(linked.Token);
            var response = await client.SendAsync(mime, linked.Token);
            _lastUsed = _time.GetUtcNow();
            var messageId = QueueId(response) ?? mime.MessageId ?? "";
            EmailLog.Sent(_logger, id, messageId);
            return SendResult.Ok(ProviderName, 250, messageId);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            await DropAsync(quit: false);
            throw;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            await DropAsync(quit: false);
            return Fail(id, new SendResult(SendOutcome.Transient, ProviderName, null,
                $"timeout: no answer from {_host}:{_options.EffectivePort} within {_options.Timeout}"));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            var result = Classify(e);
            // The server is alive when it answered with a reply code: say goodbye (QUIT) rather than drop the socket.
            await DropAsync(quit: e is SmtpCommandException { StatusCode: not SmtpStatusCode.ServiceNotAvailable });
            return Fail(id, result, e);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<SmtpClient> ConnectedClientAsync(CancellationToken ct)
    {
        if (_client is { IsConnected: true } existing)
        {
            if (_time.GetUtcNow() - _lastUsed < IdleCheckAfter) return existing;
            try
            {
                await existing.NoOpAsync(ct);
                return existing;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                EmailLog.Stale(_logger, _host, e.Message);
                await DropAsync(quit: false);
            }
        }
        else if (_client is not null)
        {
            await DropAsync(quit: false);
        }

        var client = new SmtpClient { Timeout = (int)Math.Min(int.MaxValue, _options.Timeout.TotalMilliseconds) };
        if (_options.AllowInvalidCertificate)
            client.ServerCertificateValidationCallback = static (_, _, _, _) => true;
        _client = client;
        var security = _options.Security switch
        {
            EmailSecurity.None => SecureSocketOptions.None,
            EmailSecurity.Tls => SecureSocketOptions.SslOnConnect,
            _ => SecureSocketOptions.StartTls,
        };
        await client.ConnectAsync(_host, _options.EffectivePort, security, ct);
        if (!string.IsNullOrEmpty(_options.Username))
            await client.AuthenticateAsync(_options.Username, _options.Password ?? "", ct);
        _lastUsed = _time.GetUtcNow();
        EmailLog.Connected(_logger, _host, _options.EffectivePort, _options.Security, !string.IsNullOrEmpty(_options.Username));
        return client;
    }

    private async Task DropAsync(bool quit)
    {
        var client = _client;
        _client = null;
        if (client is null) return;
        try
        {
            if (quit && client.IsConnected)
            {
                using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(5), _time);
                await client.DisconnectAsync(true, bound.Token);
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Closing a connection we are giving up on: nothing to do if the goodbye fails.
        }
        finally
        {
            client.Dispose();
        }
    }

    internal MimeMessage Compose(EmailMessage message, MailboxAddress to, RenderedEmail rendered)
    {
        var n = message.Notification;
        var local = MessageIdPart(n.Id);
        var mime = new MimeMessage
        {
            Subject = rendered.Subject,
            Date = _time.GetUtcNow(),
            // Stable per notification and repeat: a retry after an ambiguous failure (a timeout after the data went out)
            // carries the same id, and mailbox providers that keep one message per Message-Id (Gmail does) show it once.
            MessageId = $"{local}.{n.Repeat ?? 0}@{_idDomain}",
            Body = new BodyBuilder { TextBody = rendered.Text, HtmlBody = rendered.Html }.ToMessageBody(),
        };
        mime.From.Add(_from);
        mime.To.Add(to);
        // Every email of one notification (first send, repeats) references the same root id, so clients thread them.
        mime.References.Add($"{local}@{_idDomain}");
        mime.Headers.Add("X-Notify-Notification-Id", n.Id);
        mime.Headers.Add("X-Notify-Category", n.Category);
        // RFC 3834: machine-generated, so auto-responders (out-of-office) do not answer it.
        mime.Headers.Add("Auto-Submitted", "auto-generated");
        switch (n.Priority)
        {
            case Priority.High or Priority.Critical:
                mime.Headers.Add(HeaderId.Importance, "high");
                mime.Headers.Add(HeaderId.XPriority, "1");
                break;
            case Priority.Low:
                mime.Headers.Add(HeaderId.Importance, "low");
                mime.Headers.Add(HeaderId.XPriority, "5");
                break;
        }
        return mime;
    }

    private static string MessageIdPart(string id)
    {
        var sb = new StringBuilder("notify.", id.Length + 7);
        foreach (var c in id) sb.Append(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' ? c : '-');
        return sb.ToString();
    }

    /// <summary>The server's queue id from its final reply (Postfix, Exim, SmtpServer: <c>Ok: queued as 4Xyz</c>).</summary>
    internal static string? QueueId(string? response)
    {
        if (string.IsNullOrEmpty(response)) return null;
        var m = QueuedAs().Match(response);
        return m.Success ? m.Groups[1].Value : null;
    }

    [GeneratedRegex(@"queued as\s+<?([A-Za-z0-9._@\-]+)>?", RegexOptions.IgnoreCase)]
    private static partial Regex QueuedAs();

    /// <summary>What a failed attempt means for the dispatcher.</summary>
    internal SendResult Classify(Exception e)
    {
        var where = $"{_host}:{_options.EffectivePort}";
        return e switch
        {
            SmtpCommandException c => ClassifyReply(c),
            AuthenticationException =>
                new(SendOutcome.Misconfigured, ProviderName, 535, $"authentication failed at {where} for user '{_options.Username}': {e.Message}"),
            ServiceNotAuthenticatedException =>
                new(SendOutcome.Misconfigured, ProviderName, 530,
                    $"{where} requires authentication: set Channels:Email:Username and Password ({e.Message})"),
            SslHandshakeException =>
                new(SendOutcome.Misconfigured, ProviderName, null,
                    $"TLS handshake with {where} failed (Security={_options.Security.ToString().ToLowerInvariant()}; a plain port, or a certificate this machine does not trust?): {Innermost(e)}"),
            NotSupportedException when _options.Security == EmailSecurity.StartTls && e.Message.Contains("STARTTLS", StringComparison.OrdinalIgnoreCase) =>
                new(SendOutcome.Misconfigured, ProviderName, null, $"{where} does not offer STARTTLS, which Security=starttls requires"),
            NotSupportedException when e.Message.Contains("authentication", StringComparison.OrdinalIgnoreCase) =>
                new(SendOutcome.Misconfigured, ProviderName, null, $"{where} does not offer AUTH (over this connection), but Username is set: {e.Message}"),
            SmtpProtocolException or IOException or ServiceNotConnectedException or TimeoutException or System.Net.Sockets.SocketException =>
                new(SendOutcome.Transient, ProviderName, null, $"connection to {where}: {Innermost(e)}"),
            _ => new(SendOutcome.Transient, ProviderName, null, $"{e.GetType().Name} talking to {where}: {e.Message}"),
        };
    }

    private SendResult ClassifyReply(SmtpCommandException c)
    {
        var code = (int)c.StatusCode;
        var text = $"{code} {c.Message}".Trim();
        // 530 (authentication required), 534/538 (a stronger mechanism or encryption required), 535 (bad credentials).
        if (code is 530 or 534 or 535 or 538)
            return new(SendOutcome.Misconfigured, ProviderName, code, $"the server refused our authentication: {text}");
        if (code is >= 400 and < 500)
            return new(SendOutcome.Transient, ProviderName, code, text);
        // A permanent refusal of our sender (not of its size) is the From setting, not this message.
        if (c.ErrorCode == SmtpErrorCode.SenderNotAccepted && code != 552)
            return new(SendOutcome.Misconfigured, ProviderName, code, $"the server refused the sender {_from.Address} (Channels:Email:From): {text}");
        if (code >= 500)
            return new(SendOutcome.Rejected, ProviderName, code, text);
        return new(SendOutcome.Transient, ProviderName, code, text);
    }

    private static string Innermost(Exception e)
    {
        var messages = new List<string>();
        for (var x = e; x is not null; x = x.InnerException)
            if (!string.IsNullOrWhiteSpace(x.Message) && !messages.Contains(x.Message)) messages.Add(x.Message);
        return string.Join(" -> ", messages);
    }

    private SendResult Fail(string notificationId, SendResult result, Exception? error = null)
    {
        if (result.Outcome == SendOutcome.Misconfigured) EmailLog.Misconfigured(_logger, notificationId, result.Reason, error);
        else EmailLog.Failed(_logger, notificationId, result.Outcome, result.Status, result.Reason, error);
        return result;
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        await _gate.WaitAsync();
        try
        {
            _disposed = true;
            await DropAsync(quit: true);
        }
        finally
        {
            _gate.Release();
        }
    }
}

internal static partial class EmailLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "SMTP connected to {Host}:{Port} ({Security}, authenticated: {Authenticated})")]
    public static partial void Connected(ILogger logger, string host, int port, EmailSecurity security, bool authenticated);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Email for notification {NotificationId} accepted as {MessageId}")]
    public static partial void Sent(ILogger logger, string notificationId, string messageId);

    [LoggerMessage(Level = LogLevel.Debug, Message = "SMTP connection to {Host} went stale ({Problem}); opening a new one")]
    public static partial void Stale(ILogger logger, string host, string problem);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Email for notification {NotificationId} not sent: {Outcome} {Status} {Reason}")]
    public static partial void Failed(ILogger logger, string notificationId, SendOutcome outcome, int? status, string? reason, Exception? error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Email channel misconfigured (notification {NotificationId}): {Reason}")]
    public static partial void Misconfigured(ILogger logger, string notificationId, string? reason, Exception? error);
}
