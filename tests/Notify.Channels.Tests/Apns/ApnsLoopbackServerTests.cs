using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Notify.Loopback.Apns;

namespace Notify.Channels.Tests.Apns;

/// <summary>The loopback APNs refuses what Apple refuses, so an adapter that gets these wrong fails its tests.
/// Requests here are made by hand, not by the adapter.</summary>
public sealed class ApnsLoopbackServerTests : IAsyncLifetime
{
    private ApnsHarness _h = null!;
    private readonly HttpClient _http = new();

    public async Task InitializeAsync() => _h = await ApnsHarness.StartAsync();

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _h.DisposeAsync();
    }

    [Fact]
    public async Task Post_ValidRequest_200EchoingApnsId()
    {
        var id = Guid.NewGuid().ToString("D");

        var response = await PostAsync(headers: new() { ["apns-id"] = id });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(new Version(2, 0), response.Version);
        Assert.Equal(id, response.Headers.GetValues("apns-id").Single());
        Assert.Equal(id, Assert.Single(await _h.Server.WaitForDeliveredAsync(1)).ApnsId);
    }

    [Fact]
    public async Task Post_NoAuthorization_403MissingProviderToken()
    {
        var response = await PostAsync(jwt: "");

        await AssertReplyAsync(response, 403, "MissingProviderToken");
    }

    [Fact]
    public async Task Post_TokenOlderThanAnHour_403ExpiredProviderToken()
    {
        var response = await PostAsync(jwt: Jwt(iat: ApnsHarness.Start.AddMinutes(-61)));

        await AssertReplyAsync(response, 403, "ExpiredProviderToken");
    }

    [Theory]
    [InlineData("HS256", null, null)]
    [InlineData("ES256", "UNKNOWNKID", null)]
    [InlineData("ES256", null, "OTHERTEAM1")]
    public async Task Post_TokenWithWrongAlgKidOrTeam_403InvalidProviderToken(string alg, string? kid, string? iss)
    {
        var response = await PostAsync(jwt: Jwt(alg: alg, kid: kid, iss: iss));

        await AssertReplyAsync(response, 403, "InvalidProviderToken");
    }

    [Fact]
    public async Task Post_TokenInPaddedBase64_403InvalidProviderToken()
    {
        var parts = Jwt().Split('.');
        var padded = string.Join('.', parts.Select(p => p + new string('=', (4 - p.Length % 4) % 4)));
        Assert.Contains('=', padded);

        var response = await PostAsync(jwt: padded);

        await AssertReplyAsync(response, 403, "InvalidProviderToken");
    }

    [Fact]
    public async Task Post_NoTopic_400MissingTopic()
    {
        var response = await PostAsync(headers: new() { ["apns-topic"] = null });

        await AssertReplyAsync(response, 400, "MissingTopic");
    }

    [Fact]
    public async Task Post_BackgroundAtPriority10_400BadPriority()
    {
        var response = await PostAsync(headers: new() { ["apns-push-type"] = "background", ["apns-priority"] = "10" });

        await AssertReplyAsync(response, 400, "BadPriority");
    }

    [Fact]
    public async Task Post_UnknownPushType_400InvalidPushType()
    {
        var response = await PostAsync(headers: new() { ["apns-push-type"] = "banner" });

        await AssertReplyAsync(response, 400, "InvalidPushType");
    }

    [Fact]
    public async Task Post_CollapseIdOver64Bytes_400BadCollapseId()
    {
        var response = await PostAsync(headers: new() { ["apns-collapse-id"] = new string('c', 65) });

        await AssertReplyAsync(response, 400, "BadCollapseId");
    }

    [Fact]
    public async Task Post_PayloadOver4096Bytes_413PayloadTooLarge()
    {
        var body = new JsonObject { ["aps"] = new JsonObject { ["alert"] = new JsonObject { ["body"] = new string('x', 4100) } } }.ToJsonString();

        var response = await PostAsync(body: body);

        await AssertReplyAsync(response, 413, "PayloadTooLarge");
        Assert.Equal(Encoding.UTF8.GetByteCount(body), Assert.Single(_h.Server.Received).Body.Length);
    }

    [Fact]
    public async Task Post_ShortDeviceToken_400BadDeviceToken()
    {
        var response = await PostAsync(deviceToken: "f6e5d4c3b2a1");

        await AssertReplyAsync(response, 400, "BadDeviceToken");
    }

    [Fact]
    public async Task Post_ScriptedUnregistered_410WithTimestampInMilliseconds()
    {
        var token = ApnsLoopbackServer.NewDeviceToken();
        _h.Server.ScriptToken(token, ApnsReply.Unregistered());

        var response = await PostAsync(deviceToken: token);

        var body = await AssertReplyAsync(response, 410, "Unregistered");
        Assert.Equal(ApnsHarness.Start.ToUnixTimeMilliseconds(), (long?)body["timestamp"]);
        // Another token is unaffected.
        Assert.Equal(HttpStatusCode.OK, (await PostAsync()).StatusCode);
    }

    [Fact]
    public async Task Post_ScriptedTooManyRequests_429WithRetryAfterThenRecovers()
    {
        _h.Server.ScriptNext(ApnsReply.TooManyRequests(TimeSpan.FromSeconds(30)));

        var limited = await PostAsync();
        var next = await PostAsync();

        await AssertReplyAsync(limited, 429, "TooManyRequests");
        Assert.Equal(TimeSpan.FromSeconds(30), limited.Headers.RetryAfter?.Delta);
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
    }

    private async Task<HttpResponseMessage> PostAsync(string? deviceToken = null, string? jwt = null, string? body = null,
        Dictionary<string, string?>? headers = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_h.Server.BaseUri, "/3/device/" + (deviceToken ?? ApnsLoopbackServer.NewDeviceToken())))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new StringContent(body ?? """{"aps":{"alert":{"body":"hi"}}}""", Encoding.UTF8, "application/json"),
        };
        var all = new Dictionary<string, string?>
        {
            ["authorization"] = (jwt ?? Jwt()) is { Length: > 0 } token ? "bearer " + token : null,
            ["apns-topic"] = "com.example.chat",
            ["apns-push-type"] = "alert",
            ["apns-priority"] = "10",
        };
        foreach (var (name, value) in headers ?? []) all[name] = value;
        foreach (var (name, value) in all)
            if (value is not null) request.Headers.TryAddWithoutValidation(name, value);
        return await _http.SendAsync(request);
    }

    private static async Task<JsonObject> AssertReplyAsync(HttpResponseMessage response, int status, string reason)
    {
        Assert.Equal(status, (int)response.StatusCode);
        var body = (JsonObject)JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(reason, (string?)body["reason"]);
        return body;
    }

    /// <summary>A provider token signed with the harness key by hand, with any field overridden.</summary>
    private string Jwt(string alg = "ES256", string? kid = null, string? iss = null, DateTimeOffset? iat = null)
    {
        using var key = ECDsa.Create();
        key.ImportFromPem(File.ReadAllText(_h.Key.PrivateKeyFile));
        var header = Base64Url(new JsonObject { ["alg"] = alg, ["kid"] = kid ?? _h.Key.KeyId }.ToJsonString());
        var claims = Base64Url(new JsonObject { ["iss"] = iss ?? _h.Key.TeamId, ["iat"] = (iat ?? ApnsHarness.Start).ToUnixTimeSeconds() }.ToJsonString());
        var signature = key.SignData(Encoding.ASCII.GetBytes(header + "." + claims), HashAlgorithmName.SHA256,
            DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        return header + "." + claims + "." + Base64Url(signature);
    }

    private static string Base64Url(string text) => Base64Url(Encoding.UTF8.GetBytes(text));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
