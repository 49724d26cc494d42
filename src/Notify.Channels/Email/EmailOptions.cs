using MimeKit;

namespace Notify.Channels.Email;

/// <summary>How the SMTP connection is protected (<c>Channels:Email:Security</c>, bound case-insensitively).</summary>
public enum EmailSecurity
{
    /// <summary>Plain SMTP, never upgraded (port 25 by default). Only for a relay on the same host or a trusted network.</summary>
    None,
    /// <summary>Plain connect, then <c>STARTTLS</c>, required: a server that does not offer it is a configuration error
    /// (port 587, "submission", by default).</summary>
    StartTls,
    /// <summary>TLS from the first byte, "implicit TLS" (port 465 by default).</summary>
    Tls,
}

/// <summary>Section <c>Channels:Email</c>: the SMTP server notification emails go through.</summary>
public sealed class EmailOptions
{
    /// <summary>The SMTP server's host name (required), e.g. <c>smtp.example.com</c>. With <see cref="EmailSecurity.StartTls"/>
    /// or <see cref="EmailSecurity.Tls"/> it must match the server's certificate.</summary>
    public string? Host { get; set; }

    /// <summary>The server's port (default by <see cref="Security"/>: 25 for <c>none</c>, 587 for <c>starttls</c>, 465 for <c>tls</c>,
    /// the ports those modes are registered on).</summary>
    public int? Port { get; set; }

    /// <summary>How the connection is protected (default <c>starttls</c>: what mail submission services expect on 587).</summary>
    public EmailSecurity Security { get; set; } = EmailSecurity.StartTls;

    /// <summary>The SMTP user name (optional). Authentication happens only when it is given, and then
    /// <see cref="Password"/> is required too.</summary>
    public string? Username { get; set; }

    /// <summary>The SMTP password or app password (optional; required with <see cref="Username"/>).</summary>
    public string? Password { get; set; }

    /// <summary>The sender (required): <c>notify@example.com</c> or <c>Example &lt;notify@example.com&gt;</c>. Its domain is
    /// also the right-hand side of the <c>Message-Id</c>s.</summary>
    public string? From { get; set; }

    /// <summary>A folder of Liquid templates that override the built-in ones (optional): <c>{category}.subject.liquid</c>,
    /// <c>{category}.text.liquid</c>, <c>{category}.html.liquid</c>, falling back to <c>default.*</c> and then to the
    /// built-in template. An edited file is picked up at the next send (its timestamp is checked); no restart needed.</summary>
    public string? TemplateDirectory { get; set; }

    /// <summary>How long one attempt may spend talking to the server: connect, TLS, authentication and the message
    /// (default 30 s: a healthy server answers in well under a second, and the dispatcher retries a timeout).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Accept any server certificate (default false). Only for a local test server with a self-signed
    /// certificate: it lets anyone on the path read the mail and the password.</summary>
    public bool AllowInvalidCertificate { get; set; }

    /// <summary>The port in effect: <see cref="Port"/>, or the default of <see cref="Security"/>.</summary>
    public int EffectivePort => Port ?? Security switch
    {
        EmailSecurity.None => 25,
        EmailSecurity.Tls => 465,
        _ => 587,
    };

    /// <summary>Every problem with this configuration, each naming its key; empty when it can be used.</summary>
    public IReadOnlyList<string> Validate()
    {
        const string p = "Channels:Email:";
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(Host))
            problems.Add($"{p}Host: required (the SMTP server's host name, e.g. smtp.example.com).");
        if (Port is < 1 or > 65535)
            problems.Add($"{p}Port: {Port} is not a TCP port; use 1-65535 or leave it out for the default of the security mode ({EffectivePortFor(Security)}).");
        if (!Enum.IsDefined(Security))
            problems.Add($"{p}Security: '{Security}' is not one of none, starttls, tls.");
        if (string.IsNullOrWhiteSpace(From))
            problems.Add($"{p}From: required, e.g. \"Example <notify@example.com>\".");
        else if (!MailboxAddress.TryParse(From, out var from) || !from.Address.Contains('@', StringComparison.Ordinal))
            problems.Add($"{p}From: '{From}' is not an address; write notify@example.com or \"Example <notify@example.com>\".");
        if (!string.IsNullOrEmpty(Username) && string.IsNullOrEmpty(Password))
            problems.Add($"{p}Password: required when Username is given (authentication happens only with both).");
        if (string.IsNullOrEmpty(Username) && !string.IsNullOrEmpty(Password))
            problems.Add($"{p}Username: required when Password is given.");
        if (!string.IsNullOrWhiteSpace(TemplateDirectory) && !Directory.Exists(TemplateDirectory))
            problems.Add($"{p}TemplateDirectory: folder not found at {TemplateDirectory}.");
        if (Timeout <= TimeSpan.Zero || Timeout > TimeSpan.FromMinutes(10))
            problems.Add($"{p}Timeout: {Timeout} is out of range; use more than 0 and at most 10 minutes (default 00:00:30).");
        return problems;
    }

    private static int EffectivePortFor(EmailSecurity security) => new EmailOptions { Security = security }.EffectivePort;
}
