using MimeKit;

namespace Notify.Loopback.Smtp;

/// <summary>One message the loopback SMTP server accepted, parsed with MimeKit.</summary>
/// <param name="Session">The number of the connection it came over (1 for the first since the server was created), so
/// tests can see whether a client reused its connection.</param>
/// <param name="Secure">Whether that connection was TLS (implicit or after STARTTLS).</param>
/// <param name="AuthenticatedUser">The user the connection authenticated as, if it did.</param>
/// <param name="EnvelopeFrom">MAIL FROM.</param>
/// <param name="EnvelopeTo">Every accepted RCPT TO.</param>
/// <param name="QueueId">The id returned in the 250 reply ("queued as ...").</param>
public sealed record ReceivedEmail(int Session, bool Secure, string? AuthenticatedUser, string EnvelopeFrom,
    IReadOnlyList<string> EnvelopeTo, string QueueId, MimeMessage Message, byte[] Raw)
{
    public string? From => Message.From.Mailboxes.FirstOrDefault()?.ToString();
    public IReadOnlyList<string> To => Message.To.Mailboxes.Select(m => m.Address).ToList();
    public string? Subject => Message.Subject;
    public string? Text => Message.TextBody;
    public string? Html => Message.HtmlBody;

    /// <summary>The first value of a header, or null.</summary>
    public string? Header(string name) => Message.Headers[name];
}
