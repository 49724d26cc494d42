using Notify.Channels.Fcm;

namespace Notify.Channels.Tests.Fcm;

public sealed class FcmOptionsTests
{
    [Fact]
    public void Validate_MissingFile_NamesSettingAndPath()
    {
        var options = new FcmOptions { ServiceAccountFile = "/nowhere/sa.json" };

        var problems = options.Validate();

        Assert.Equal("Channels:Fcm:ServiceAccountFile: file not found at /nowhere/sa.json", Assert.Single(problems));
    }

    [Fact]
    public void Validate_NoFileConfigured_Required()
    {
        var problem = Assert.Single(new FcmOptions().Validate());

        Assert.StartsWith("Channels:Fcm:ServiceAccountFile: required", problem);
    }

    [Fact]
    public void Validate_NotAServiceAccount_Explains()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, """{"type":"authorized_user","client_id":"x"}""");

            var problems = new FcmOptions { ServiceAccountFile = path }.Validate();

            Assert.Contains(problems, p => p.Contains("is not a service-account key"));
            Assert.Contains(problems, p => p.Contains("has no \"private_key\""));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Validate_BadRanges_OneProblemEach()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, """{"type":"service_account","client_email":"a@b","private_key":"k","project_id":"p"}""");
            var options = new FcmOptions
            {
                ServiceAccountFile = path,
                Endpoint = new Uri("ftp://fcm.example"),
                MaxConcurrency = 0,
                Timeout = TimeSpan.Zero,
            };

            var problems = options.Validate();

            Assert.Equal(3, problems.Count);
            Assert.Contains(problems, p => p.StartsWith("Channels:Fcm:Endpoint:"));
            Assert.Contains(problems, p => p.StartsWith("Channels:Fcm:MaxConcurrency:"));
            Assert.Contains(problems, p => p.StartsWith("Channels:Fcm:Timeout:"));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Validate_FileWithoutProjectIdAndNoneConfigured_AsksForProjectId()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, """{"type":"service_account","client_email":"a@b","private_key":"k"}""");

            var problem = Assert.Single(new FcmOptions { ServiceAccountFile = path }.Validate());

            Assert.StartsWith("Channels:Fcm:ProjectId: required", problem);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Constructor_ProjectIdDefaultsToTheFiles()
    {
        await using var host = await FcmTestHost.StartAsync();

        Assert.Equal("notify-test", host.Provider.ProjectId);
        Assert.Equal("fcm", host.Provider.Name);
    }

    [Fact]
    public void Constructor_InvalidOptions_ThrowsWithProblems()
    {
        var e = Assert.Throws<InvalidOperationException>(() => new FcmProvider(new FcmOptions { ServiceAccountFile = "/nowhere/sa.json" },
            TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<FcmProvider>.Instance));

        Assert.Contains("file not found at /nowhere/sa.json", e.Message);
    }
}
