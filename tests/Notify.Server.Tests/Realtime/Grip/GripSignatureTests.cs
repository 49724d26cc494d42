using System.Text;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Notify.Server.Realtime.Grip;

namespace Notify.Server.Tests.Realtime.Grip;

public class GripSignatureTests
{
    internal const string Key = "grip-test-key-0123456789-0123456789-0123";

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 27, 9, 0, 0, TimeSpan.Zero));

    /// <summary>A Grip-Sig as Pushpin makes it: HS256, <c>iss: pushpin</c>, an expiry.</summary>
    internal static string Sign(string key, DateTimeOffset now, TimeSpan lifetime, string issuer = "pushpin") =>
        new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Expires = (now + lifetime).UtcDateTime,
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(key)), SecurityAlgorithms.HmacSha256),
        });

    private GripSignature Signature() => new(Key, "pushpin", _time);

    [Fact]
    public async Task ValidateAsync_SignedWithTheKey_IsValid()
    {
        Assert.Null(await Signature().ValidateAsync(Sign(Key, _time.GetUtcNow(), TimeSpan.FromMinutes(10))));
    }

    [Fact]
    public async Task ValidateAsync_WrongKey_IsRefused()
    {
        Assert.NotNull(await Signature().ValidateAsync(Sign("another-key-0123456789-0123456789-012345", _time.GetUtcNow(), TimeSpan.FromMinutes(10))));
    }

    [Fact]
    public async Task ValidateAsync_Expired_IsRefused()
    {
        var token = Sign(Key, _time.GetUtcNow(), TimeSpan.FromMinutes(10));
        _time.Advance(TimeSpan.FromMinutes(11));
        Assert.NotNull(await Signature().ValidateAsync(token));
    }

    [Fact]
    public async Task ValidateAsync_OtherIssuer_IsRefused()
    {
        Assert.NotNull(await Signature().ValidateAsync(Sign(Key, _time.GetUtcNow(), TimeSpan.FromMinutes(10), issuer: "someone")));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("not-a-jwt")]
    public async Task ValidateAsync_MissingOrGarbage_IsRefused(string? token)
    {
        Assert.NotNull(await Signature().ValidateAsync(token));
    }
}
