using Notify.Channels.Apns;

namespace Notify.Channels.Tests.Apns;

public sealed class ApnsOptionsTests
{
    [Fact]
    public async Task Validate_Complete_NoProblems()
    {
        await using var h = await ApnsHarness.StartAsync();

        Assert.Empty(h.Options.Validate());
    }

    [Fact]
    public void Validate_Empty_NamesEachRequiredKey()
    {
        var problems = new ApnsOptions().Validate();

        Assert.Contains(problems, p => p.StartsWith("Channels:Apns:TeamId: required", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Channels:Apns:KeyId: required", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Channels:Apns:PrivateKeyFile: required", StringComparison.Ordinal));
        Assert.Equal(3, problems.Count);
    }

    [Fact]
    public void Validate_KeyFileMissing_SaysWhere()
    {
        var options = new ApnsOptions { TeamId = "T", KeyId = "K", PrivateKeyFile = "/nowhere/AuthKey_K.p8" };

        Assert.Equal("Channels:Apns:PrivateKeyFile: file not found at /nowhere/AuthKey_K.p8.", Assert.Single(options.Validate()));
    }

    [Fact]
    public void Validate_KeyFileNotPem_SaysWhatIsExpected()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "not a key");
            var options = new ApnsOptions { TeamId = "T", KeyId = "K", PrivateKeyFile = path };

            Assert.Contains("BEGIN PRIVATE KEY", Assert.Single(options.Validate()));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData(19)]
    [InlineData(51)]
    public async Task Validate_TokenLifetimeOutside20To50Minutes_Problem(int minutes)
    {
        await using var h = await ApnsHarness.StartAsync();
        h.Options.TokenLifetime = TimeSpan.FromMinutes(minutes);

        Assert.StartsWith("Channels:Apns:TokenLifetime:", Assert.Single(h.Options.Validate()));
    }

    [Fact]
    public async Task Validate_RelativeEndpointAndZeroTimeout_Problems()
    {
        await using var h = await ApnsHarness.StartAsync();
        h.Options.Endpoint = new Uri("api.push.apple.com", UriKind.Relative);
        h.Options.Timeout = TimeSpan.Zero;

        var problems = h.Options.Validate();

        Assert.Contains(problems, p => p.StartsWith("Channels:Apns:Endpoint:", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Channels:Apns:Timeout:", StringComparison.Ordinal));
    }

    [Fact]
    public void Defaults_TokenLifetimeAndTimeout_AreDocumentedValues()
    {
        var options = new ApnsOptions();

        Assert.Equal(TimeSpan.FromMinutes(40), options.TokenLifetime);
        Assert.Equal(TimeSpan.FromSeconds(10), options.Timeout);
        Assert.Null(options.Endpoint);
    }
}
