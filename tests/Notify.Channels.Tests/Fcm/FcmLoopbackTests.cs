using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Notify.Loopback.Fcm;

namespace Notify.Channels.Tests.Fcm;

/// <summary>The loopback refuses what FCM refuses, so a broken adapter fails the other tests.</summary>
public sealed class FcmLoopbackTests
{
    [Fact]
    public async Task Send_WithoutBearerToken_401Unauthenticated()
    {
        await using var host = await FcmTestHost.StartAsync();
        using var http = new HttpClient();

        using var response = await http.PostAsync(new Uri(host.Server.BaseUri, "/v1/projects/notify-test/messages:send"),
            new StringContent("""{"message":{"token":"t"}}""", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("UNAUTHENTICATED", JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Token_AssertionSignedWithOtherKey_InvalidGrantSignature()
    {
        await using var host = await FcmTestHost.StartAsync();
        var forged = Jwt(host, signWith: System.Security.Cryptography.RSA.Create(2048));
        using var http = new HttpClient();

        using var response = await http.PostAsync(host.Server.TokenUri, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "urn:ietf:params:oauth:grant-type:jwt-bearer",
            ["assertion"] = forged,
        }));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("invalid_grant", error["error"]!.GetValue<string>());
        Assert.Equal("Invalid JWT Signature.", error["error_description"]!.GetValue<string>());
    }

    [Fact]
    public async Task Token_WrongGrantType_UnsupportedGrantType()
    {
        await using var host = await FcmTestHost.StartAsync();
        using var http = new HttpClient();

        using var response = await http.PostAsync(host.Server.TokenUri, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
        }));

        Assert.Equal("unsupported_grant_type", JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("""{"message":{"token":"t","data":{"n":1}}}""", "message.data[0].value")]
    [InlineData("""{"message":{"token":"t","data":{"from":"x"}}}""", "message.data")]
    [InlineData("""{"message":{"token":"t","android":{"ttl":"60"}}}""", "message.android.ttl")]
    [InlineData("""{"message":{"token":"t","android":{"ttl":"2419201s"}}}""", "message.android.ttl")]
    [InlineData("""{"message":{"token":"t","android":{"priority":"urgent"}}}""", "message.android.priority")]
    [InlineData("""{"message":{"token":"t","notifcation":{"title":"typo"}}}""", "message.notifcation")]
    [InlineData("""{"message":{"token":"t","apns":{"headers":{"apns-priority":10}}}}""", "message.apns.headers.apns-priority")]
    [InlineData("""{"message":{"token":""}}""", "message.token")]
    public void Validate_WhatFcmRefuses_InvalidArgumentWithField(string body, string field)
    {
        var reply = FcmMessageValidator.Validate(JsonNode.Parse(body));

        Assert.NotNull(reply);
        Assert.Equal(400, reply.Status);
        var error = JsonNode.Parse(reply.Body)!["error"]!;
        Assert.Equal("INVALID_ARGUMENT", error["status"]!.GetValue<string>());
        Assert.Equal(field, error["details"]![1]!["fieldViolations"]![0]!["field"]!.GetValue<string>());
    }

    [Fact]
    public void Validate_OverSizeLimit_InvalidArgument()
    {
        var body = new JsonObject { ["message"] = new JsonObject { ["token"] = "t", ["data"] = new JsonObject { ["big"] = new string('x', 4100) } } };

        var reply = FcmMessageValidator.Validate(body);

        Assert.NotNull(reply);
        Assert.Contains("too big", reply.Body);
    }

    [Fact]
    public void Validate_WellFormedMessage_Accepted()
    {
        var body = JsonNode.Parse("""{"message":{"token":"t","notification":{"title":"a","body":"b"},"data":{"k":"v"},"android":{"priority":"high","ttl":"3600s","collapse_key":"c"},"apns":{"headers":{"apns-priority":"10","apns-expiration":"1767261600"},"payload":{"aps":{"sound":"default"}}}}}""");

        Assert.Null(FcmMessageValidator.Validate(body));
    }

    private static string Jwt(FcmTestHost host, System.Security.Cryptography.RSA signWith)
    {
        static string B64(byte[] b) => Convert.ToBase64String(b).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var now = FcmTestHost.Start.ToUnixTimeSeconds();
        var header = B64(Encoding.UTF8.GetBytes("""{"alg":"RS256","typ":"JWT"}"""));
        var payload = B64(Encoding.UTF8.GetBytes(new JsonObject
        {
            ["iss"] = host.Account.ClientEmail,
            ["scope"] = "https://www.googleapis.com/auth/firebase.messaging",
            ["aud"] = host.Server.TokenUri.ToString(),
            ["iat"] = now,
            ["exp"] = now + 3600,
        }.ToJsonString()));
        var signature = signWith.SignData(Encoding.ASCII.GetBytes(header + "." + payload),
            System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.RSASignaturePadding.Pkcs1);
        return header + "." + payload + "." + B64(signature);
    }
}
