using System.Net;
using System.Text.Json;

namespace Notify.Server.Tests.Api;

// Inputs that used to be a 500, or were accepted and failed later (at send time, in the console): each is now a
// 400 problem with a stable code and the field at fault, and nothing is stored.
public sealed partial class BadInputTests
{
    private static void AssertProblem(HttpStatusCode status, JsonElement problem, string code, string field)
    {
        Assert.True(status == HttpStatusCode.BadRequest, $"{(int)status}: {problem}");
        Assert.Equal(code, problem.GetProperty("code").GetString());
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"the problem names '{field}': {problem}");
    }

    [Fact]
    public async Task PutPreferences_NullCategoryPreference_Is400NamingIt()
    {
        var (status, problem) = await SendAsync(HttpMethod.Put, "/v1/users/ana/preferences", """{"categories":{"promo":null}}""");
        AssertProblem(status, problem, "invalid-preferences", "categories.promo");
    }

    [Theory]
    [InlineData("\"mention\\n\"")]
    [InlineData("\"mention\\r\\n\"")]
    [InlineData("\"ment\\u0661on\"")]
    public async Task Notify_CategoryWithTrailingNewlineOrNonAscii_Is400(string category)
    {
        var (status, problem) = await SendAsync(HttpMethod.Post, "/v1/notify", $$"""{"userId":"ana","category":{{category}}}""");
        AssertProblem(status, problem, "invalid-category", "category");
    }

    [Fact]
    public async Task PutPreferences_CategoryWithTrailingNewline_Is400()
    {
        var (status, problem) = await SendAsync(HttpMethod.Put, "/v1/users/ana/preferences", """{"categories":{"mention\n":{"muted":true}}}""");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid-preferences", problem.GetProperty("code").GetString());
    }

    [Theory]
    [InlineData("a@example.com, b@example.com")]
    [InlineData("a@example.com;b@example.com")]
    [InlineData("Ana <a@example.com>")]
    [InlineData("a@example.com\r\nBcc: b@example.com")]
    public async Task PutUser_EmailThatIsNotOneAddress_Is400(string email)
    {
        var (status, problem) = await SendAsync(HttpMethod.Put, "/v1/users/bo", JsonSerializer.Serialize(new { timeZone = "UTC", email }));
        AssertProblem(status, problem, "invalid-email", "email");
        Assert.Equal(HttpStatusCode.NotFound, (await _http.GetAsync("/v1/users/bo")).StatusCode);
    }

    [Theory]
    [InlineData("en\u0007")]
    [InlineData("pt-PT\n")]
    [InlineData("e")]
    [InlineData("<script>")]
    public async Task PutUser_LocaleNotABcp47Tag_Is400(string locale)
    {
        var (status, problem) = await SendAsync(HttpMethod.Put, "/v1/users/bo", JsonSerializer.Serialize(new { timeZone = "UTC", locale }));
        AssertProblem(status, problem, "invalid-field", "locale");
    }

    [Fact]
    public async Task PutUser_ValidEmailAndLocale_AreAccepted()
    {
        var (status, _) = await SendAsync(HttpMethod.Put, "/v1/users/bo", JsonSerializer.Serialize(new { timeZone = "UTC", email = "bo@example.com", locale = "zh-Hant-TW" }));
        Assert.Equal(HttpStatusCode.Created, status);
    }

    [Theory]
    [InlineData("an%E2%80%8Ba")]          // zero-width space
    [InlineData("admin%E2%80%AEnimda")]   // right-to-left override
    [InlineData("%EF%BB%BFana")]          // byte-order mark
    public async Task PutUser_IdWithInvisibleCharacters_Is400(string escapedId)
    {
        var (status, problem) = await SendAsync(HttpMethod.Put, $"/v1/users/{escapedId}", """{"timeZone":"UTC"}""");
        AssertProblem(status, problem, "invalid-id", "userId");
    }
}
