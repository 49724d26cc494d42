using Notify.Channels.Email;

namespace Notify.Channels.Tests.Email;

public sealed class EmailOptionsTests
{
    [Theory]
    [InlineData(EmailSecurity.None, 25)]
    [InlineData(EmailSecurity.StartTls, 587)]
    [InlineData(EmailSecurity.Tls, 465)]
    public void EffectivePort_NoPortGiven_DefaultOfTheSecurityMode(EmailSecurity security, int port)
    {
        Assert.Equal(port, new EmailOptions { Security = security }.EffectivePort);
        Assert.Equal(2525, new EmailOptions { Security = security, Port = 2525 }.EffectivePort);
    }

    [Fact]
    public void Validate_Complete_NoProblems()
    {
        var options = new EmailOptions { Host = "smtp.example.com", From = "Example <notify@example.com>", Username = "u", Password = "p" };

        Assert.Empty(options.Validate());
    }

    [Fact]
    public void Validate_MissingHostAndFrom_NamesBothKeys()
    {
        var problems = new EmailOptions().Validate();

        Assert.Contains(problems, p => p.StartsWith("Channels:Email:Host:", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Channels:Email:From:", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("not an address")]
    [InlineData("Example <>")]
    public void Validate_UnparsableFrom_Problem(string from)
    {
        var problems = new EmailOptions { Host = "h", From = from }.Validate();

        Assert.Contains(problems, p => p.StartsWith("Channels:Email:From:", StringComparison.Ordinal) && p.Contains(from, StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_UsernameWithoutPassword_Problem()
    {
        var problems = new EmailOptions { Host = "h", From = "a@b.c", Username = "u" }.Validate();

        Assert.Contains(problems, p => p.StartsWith("Channels:Email:Password:", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_MissingTemplateFolder_ProblemWithPath()
    {
        var problems = new EmailOptions { Host = "h", From = "a@b.c", TemplateDirectory = "/nonexistent/templates" }.Validate();

        Assert.Contains("Channels:Email:TemplateDirectory: folder not found at /nonexistent/templates.", problems);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(70000)]
    public void Validate_PortOutOfRange_Problem(int port)
    {
        var problems = new EmailOptions { Host = "h", From = "a@b.c", Port = port }.Validate();

        Assert.Contains(problems, p => p.StartsWith("Channels:Email:Port:", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_ZeroTimeout_Problem()
    {
        var problems = new EmailOptions { Host = "h", From = "a@b.c", Timeout = TimeSpan.Zero }.Validate();

        Assert.Contains(problems, p => p.StartsWith("Channels:Email:Timeout:", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("starttls", EmailSecurity.StartTls)]
    [InlineData("TLS", EmailSecurity.Tls)]
    [InlineData("none", EmailSecurity.None)]
    public void Security_ConfigurationText_ParsesCaseInsensitively(string text, EmailSecurity expected)
    {
        // The configuration binder converts enums with TypeDescriptor's EnumConverter, which ignores case.
        var converted = System.ComponentModel.TypeDescriptor.GetConverter(typeof(EmailSecurity)).ConvertFromInvariantString(text);

        Assert.Equal(expected, converted);
    }

    [Fact]
    public void Constructor_InvalidOptions_ThrowsListingProblems()
    {
        var error = Assert.Throws<ArgumentException>(() => new SmtpEmailSender(new EmailOptions(), TimeProvider.System,
            Microsoft.Extensions.Logging.Abstractions.NullLogger<SmtpEmailSender>.Instance));

        Assert.Contains("Channels:Email:Host", error.Message);
    }
}
