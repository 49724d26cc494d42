namespace Notify.Loopback.Smtp;

/// <summary>How a client reaches the loopback SMTP server.</summary>
public enum SmtpLoopbackSecurity
{
    /// <summary>Plain SMTP; STARTTLS is not offered.</summary>
    Plain,
    /// <summary>Plain connect, STARTTLS offered (with the generated certificate); AUTH is offered only after it, as
    /// submission servers do.</summary>
    StartTls,
    /// <summary>TLS from the first byte (implicit TLS, as on port 465).</summary>
    ImplicitTls,
}

/// <summary>What the loopback SMTP server offers and requires.</summary>
public sealed class SmtpLoopbackOptions
{
    public SmtpLoopbackSecurity Security { get; init; } = SmtpLoopbackSecurity.Plain;

    /// <summary>With <see cref="Password"/>: AUTH (PLAIN, LOGIN) is required before MAIL (530 otherwise) and a wrong
    /// user name or password is answered 535. Without: no authentication is asked for.</summary>
    public string? Username { get; init; }

    public string? Password { get; init; }

    /// <summary>The largest message accepted (advertised as SIZE; larger is 552), default 10 MB like many providers.</summary>
    public int MaxMessageSize { get; init; } = 10 * 1024 * 1024;

    /// <summary>The name in the greeting and EHLO reply.</summary>
    public string ServerName { get; init; } = "localhost";

    /// <summary>Messages must carry From, Date and Message-ID headers, as large providers require (Gmail refuses a
    /// message without them); violations are answered 550 5.7.1. Default true.</summary>
    public bool RequireRfc5322Headers { get; init; } = true;

    internal bool RequiresAuth => Username is not null && Password is not null;
}
