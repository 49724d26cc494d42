using System.Buffers;
using System.Net;
using SmtpServer;
using SmtpServer.Authentication;
using SmtpServer.ComponentModel;
using SmtpServer.Mail;
using SmtpServer.Net;
using SmtpServer.Protocol;
using SmtpServer.Storage;
using MimeKit;
using System.Security.Cryptography.X509Certificates;

namespace Notify.Loopback.Smtp;

/// <summary>
/// A real SMTP server in this process (NuGet SmtpServer) on 127.0.0.1 and a free port: plain, STARTTLS or implicit
/// TLS with a generated self-signed certificate, optional required AUTH, SIZE. It records every message (parsed with
/// MimeKit) and can be scripted to refuse recipients, fail the next messages with any reply code, stall, or stop
/// entirely and come back on the same port.
/// </summary>
public sealed class SmtpLoopbackServer : IAsyncDisposable
{
    private readonly SmtpLoopbackOptions _options;
    private readonly object _lock = new();
    private readonly List<ReceivedEmail> _messages = [];
    private readonly List<(int Count, TaskCompletionSource<IReadOnlyList<ReceivedEmail>> Done)> _waiters = [];
    private readonly Dictionary<string, SmtpResponse> _recipientReplies = new(StringComparer.OrdinalIgnoreCase);
    private readonly Queue<SmtpResponse> _nextReplies = new();
    private readonly Dictionary<string, SmtpResponse> _senderReplies = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<string> _commands = [];
    private int _stallNext;
    private TaskCompletionSource _stallRelease = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _stalled = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _sessions;
    private int _authFailures;
    private long _queueIds;
    private CancellationTokenSource? _stop;
    private Task? _running;

    private SmtpLoopbackServer(SmtpLoopbackOptions options)
    {
        _options = options;
        Certificate = options.Security == SmtpLoopbackSecurity.Plain ? null : LoopbackCertificate.Create(options.ServerName);
    }

    /// <summary>Starts a server on 127.0.0.1 and a free port.</summary>
    public static async Task<SmtpLoopbackServer> StartAsync(SmtpLoopbackOptions? options = null)
    {
        var server = new SmtpLoopbackServer(options ?? new SmtpLoopbackOptions());
        await server.ListenAsync(0);
        return server;
    }

    public string Host => "127.0.0.1";

    /// <summary>The port it listens on; the same after <see cref="RestartAsync"/>.</summary>
    public int Port { get; private set; }

    /// <summary>The self-signed certificate it presents (null for <see cref="SmtpLoopbackSecurity.Plain"/>).</summary>
    public X509Certificate2? Certificate { get; }

    /// <summary>What it was started with.</summary>
    public SmtpLoopbackOptions Options => _options;

    public bool IsRunning => _running is { IsCompleted: false };

    /// <summary>Connections accepted so far (across restarts).</summary>
    public int SessionCount => Volatile.Read(ref _sessions);

    /// <summary>AUTH attempts refused with 535.</summary>
    public int AuthFailures => Volatile.Read(ref _authFailures);

    /// <summary>Every command received, in order, as "session: VERB" (e.g. "2: STARTTLS").</summary>
    public IReadOnlyList<string> Commands { get { lock (_lock) return _commands.ToList(); } }

    public IReadOnlyList<ReceivedEmail> Messages { get { lock (_lock) return _messages.ToList(); } }

    /// <summary>Completes when at least <paramref name="count"/> messages were accepted; a deadline, not a delay
    /// (default 10 s), after which it throws <see cref="TimeoutException"/> naming what did arrive.</summary>
    public async Task<IReadOnlyList<ReceivedEmail>> WaitForMessagesAsync(int count, TimeSpan? timeout = null)
    {
        TaskCompletionSource<IReadOnlyList<ReceivedEmail>> done;
        lock (_lock)
        {
            if (_messages.Count >= count) return _messages.ToList();
            done = new(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((count, done));
        }
        try
        {
            return await done.Task.WaitAsync(timeout ?? TimeSpan.FromSeconds(10));
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"Expected {count} messages at the loopback SMTP server, got {Messages.Count}.");
        }
    }

    /// <summary>RCPT TO this address is answered with <paramref name="code"/> (default 550 mailbox unavailable).</summary>
    public void RejectRecipient(string address, int code = 550, string text = "5.1.1 Requested action not taken: mailbox unavailable")
    {
        lock (_lock) _recipientReplies[address] = new SmtpResponse((SmtpReplyCode)code, text);
    }

    /// <summary>MAIL FROM this address is answered with <paramref name="code"/> (default 553 sender not allowed).</summary>
    public void RejectSender(string address, int code = 553, string text = "5.7.1 Sender address rejected: not owned by user")
    {
        lock (_lock) _senderReplies[address] = new SmtpResponse((SmtpReplyCode)code, text);
    }

    /// <summary>The next <paramref name="count"/> messages are answered at the end of DATA with <paramref name="code"/>
    /// (default 451 local error) instead of being accepted. After a 421 the session stays open; clients close it, as
    /// the code tells them to.</summary>
    public void FailNextMessages(int count, int code = 451, string text = "4.3.0 Requested action aborted: local error in processing")
    {
        lock (_lock)
            for (var i = 0; i < count; i++) _nextReplies.Enqueue(new SmtpResponse((SmtpReplyCode)code, text));
    }

    /// <summary>The next <paramref name="count"/> messages get no reply to DATA until <see cref="ReleaseStalled"/>
    /// (or the server stops): a server that hangs. <see cref="Stalled"/> completes when one is being held.</summary>
    public void StallNextMessages(int count)
    {
        lock (_lock)
        {
            _stallNext = count;
            _stalled = new(TaskCreationOptions.RunContinuationsAsynchronously);
            _stallRelease = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    public Task Stalled { get { lock (_lock) return _stalled.Task; } }

    public void ReleaseStalled() { lock (_lock) _stallRelease.TrySetResult(); }

    /// <summary>Forgets every scripted reply.</summary>
    public void ClearScript()
    {
        lock (_lock)
        {
            _recipientReplies.Clear();
            _senderReplies.Clear();
            _nextReplies.Clear();
            _stallNext = 0;
            _stallRelease.TrySetResult();
        }
    }

    /// <summary>Stops listening and drops every open connection (an outage); <see cref="RestartAsync"/> brings it back.</summary>
    public async Task StopAsync()
    {
        var stop = _stop;
        var running = _running;
        if (stop is null || running is null) return;
        _stop = null;
        ReleaseStalled();
        await stop.CancelAsync();
        try
        {
            await running.WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (OperationCanceledException)
        {
            // The server's loop ends by cancellation.
        }
        stop.Dispose();
    }

    /// <summary>Listens again on the same port, keeping what was recorded.</summary>
    public async Task RestartAsync()
    {
        await StopAsync();
        await ListenAsync(Port);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        lock (_lock)
            foreach (var (_, done) in _waiters) done.TrySetCanceled();
        Certificate?.Dispose();
    }

    private async Task ListenAsync(int port)
    {
        var endpoint = new EndpointDefinitionBuilder()
            .Endpoint(new IPEndPoint(IPAddress.Loopback, port))
            .IsSecure(_options.Security == SmtpLoopbackSecurity.ImplicitTls)
            .AuthenticationRequired(_options.RequiresAuth)
            // Like submission servers: AUTH only over TLS, unless the server has no TLS at all.
            .AllowUnsecureAuthentication(_options.Security == SmtpLoopbackSecurity.Plain);
        if (Certificate is not null) endpoint.Certificate(Certificate);

        var serverOptions = new SmtpServerOptionsBuilder()
            .ServerName(_options.ServerName)
            .Endpoint(endpoint.Build())
            .MaxMessageSize(_options.MaxMessageSize)
            .Build();

        var started = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var listeners = new EndpointListenerFactory();
        listeners.EndpointStarted += (_, e) => started.TrySetResult(((IPEndPoint)e.LocalEndPoint).Port);

        var services = new SmtpServer.ComponentModel.ServiceProvider();
        services.Add(listeners);
        services.Add(new Store(this));
        services.Add(new Filter(this));
        if (_options.RequiresAuth) services.Add(new Authenticator(this));

        var server = new SmtpServer.SmtpServer(serverOptions, services);
        server.SessionCreated += (_, e) =>
        {
            var session = Interlocked.Increment(ref _sessions);
            e.Context.Properties["loopback:session"] = session;
            e.Context.CommandExecuting += (_, c) => { lock (_lock) _commands.Add($"{session}: {c.Command.Name}"); };
        };
        _stop = new CancellationTokenSource();
        _running = server.StartAsync(_stop.Token);
        try
        {
            var first = await Task.WhenAny(started.Task, _running).WaitAsync(TimeSpan.FromSeconds(10));
            if (first != started.Task) await _running; // it failed to bind: surface why
        }
        catch (TimeoutException)
        {
            throw new InvalidOperationException($"The loopback SMTP server did not start listening on 127.0.0.1:{port}.");
        }
        if (!started.Task.IsCompleted) throw new InvalidOperationException($"The loopback SMTP server stopped before listening on 127.0.0.1:{port}.");
        Port = await started.Task;
    }

    private SmtpResponse Accept(ISessionContext context, IMessageTransaction transaction, ReadOnlySequence<byte> buffer)
    {
        var raw = buffer.ToArray();
        MimeMessage message;
        try
        {
            using var stream = new MemoryStream(raw);
            message = MimeMessage.Load(stream);
        }
        catch (FormatException e)
        {
            return new SmtpResponse(SmtpReplyCode.TransactionFailed, "5.6.0 Message could not be parsed: " + e.Message);
        }
        if (_options.RequireRfc5322Headers)
        {
            foreach (var header in new[] { "From", "Date", "Message-ID" })
                if (message.Headers[header] is null)
                    return new SmtpResponse(SmtpReplyCode.MailboxUnavailable, $"5.7.1 Messages missing a valid {header} header are not accepted.");
            if (message.From.Mailboxes.FirstOrDefault() is null)
                return new SmtpResponse(SmtpReplyCode.MailboxUnavailable, "5.7.1 Messages missing a valid address in From: header are not accepted.");
        }

        var queueId = $"LB{Interlocked.Increment(ref _queueIds):D6}";
        var session = context.Properties.TryGetValue("loopback:session", out var s) ? (int)s : 0;
        var received = new ReceivedEmail(session, context.Pipe.IsSecure, context.Authentication.IsAuthenticated ? context.Authentication.User : null,
            transaction.From.AsAddress(), transaction.To.Select(t => t.AsAddress()).ToList(), queueId, message, raw);
        lock (_lock)
        {
            _messages.Add(received);
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_messages.Count < _waiters[i].Count) continue;
                _waiters[i].Done.TrySetResult(_messages.ToList());
                _waiters.RemoveAt(i);
            }
        }
        return new SmtpResponse(SmtpReplyCode.Ok, $"2.0.0 Ok: queued as {queueId}");
    }

    private sealed class Store(SmtpLoopbackServer server) : MessageStore
    {
        public override async Task<SmtpResponse> SaveAsync(ISessionContext context, IMessageTransaction transaction,
            ReadOnlySequence<byte> buffer, CancellationToken cancellationToken)
        {
            SmtpResponse? scripted = null;
            Task? stall = null;
            lock (server._lock)
            {
                if (server._stallNext > 0)
                {
                    server._stallNext--;
                    server._stalled.TrySetResult();
                    stall = server._stallRelease.Task;
                }
                else if (server._nextReplies.Count > 0)
                {
                    scripted = server._nextReplies.Dequeue();
                }
            }
            if (stall is not null) await stall.WaitAsync(cancellationToken);
            if (scripted is not null) return scripted;
            return server.Accept(context, transaction, buffer);
        }
    }

    private sealed class Filter(SmtpLoopbackServer server) : MailboxFilter
    {
        public override Task<bool> CanAcceptFromAsync(ISessionContext context, IMailbox from, int size, CancellationToken cancellationToken)
        {
            SmtpResponse? reply;
            lock (server._lock) server._senderReplies.TryGetValue(from.AsAddress(), out reply);
            if (reply is not null) throw new SmtpResponseException(reply);
            return Task.FromResult(true);
        }

        public override Task<bool> CanDeliverToAsync(ISessionContext context, IMailbox to, IMailbox from, CancellationToken cancellationToken)
        {
            SmtpResponse? reply;
            lock (server._lock) server._recipientReplies.TryGetValue(to.AsAddress(), out reply);
            if (reply is not null) throw new SmtpResponseException(reply);
            return Task.FromResult(true);
        }
    }

    private sealed class Authenticator(SmtpLoopbackServer server) : UserAuthenticator
    {
        public override Task<bool> AuthenticateAsync(ISessionContext context, string user, string password, CancellationToken cancellationToken)
        {
            var ok = user == server._options.Username && password == server._options.Password;
            if (!ok) Interlocked.Increment(ref server._authFailures);
            return Task.FromResult(ok);
        }
    }
}
