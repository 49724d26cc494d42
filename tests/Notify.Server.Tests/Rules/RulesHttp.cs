using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Notify.Engine.Rules;
using Notify.Server.Tests.Infrastructure;

namespace Notify.Server.Tests.Rules;

/// <summary>Calls of the rules API as an operator would make them (curl with a YAML body), and waiting for the folder.</summary>
internal static class RulesHttp
{
    public const string Billing = """
        match:
          category: billing
        ttl: 1h
        steps:
          - to: best
            via: inApp
        """;

    public static async Task<(HttpStatusCode Status, JsonElement Body)> SendAsync(this HttpClient http, HttpMethod method, string path,
        string? body = null, string contentType = "application/yaml")
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(contentType);
        }
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var json = response.Content.Headers.ContentType?.MediaType?.Contains("json", StringComparison.Ordinal) == true;
        return (response.StatusCode, json && text.Length > 0 ? JsonDocument.Parse(text).RootElement.Clone() : default);
    }

    public static Task<(HttpStatusCode Status, JsonElement Body)> PutRuleAsync(this HttpClient http, string name, string yaml,
        string contentType = "application/yaml") => http.SendAsync(HttpMethod.Put, $"/v1/rules/{name}", yaml, contentType);

    public static Task<(HttpStatusCode Status, JsonElement Body)> GetRuleAsync(this HttpClient http, string name) =>
        http.SendAsync(HttpMethod.Get, $"/v1/rules/{name}");

    public static RuleSet Rules(this NotifyTestServer server) => server.Services.GetRequiredService<RuleSet>();

    public static string RulesFolder(this NotifyTestServer server) => Path.Combine(server.Directory, "rules");

    /// <summary>Awaits the watcher (real disk events, real debounce) until the live rules say so.</summary>
    public static Task WaitForRulesAsync(this NotifyTestServer server, Func<RuleSet, bool> condition) =>
        server.Rules().WaitUntilAsync(condition, Waits.Deadline());

    public static List<(int Line, int Column, string Message)> Problems(this JsonElement body) =>
        [.. body.GetProperty("problems").EnumerateArray()
            .Select(p => (p.GetProperty("line").GetInt32(), p.GetProperty("column").GetInt32(), p.GetProperty("message").GetString()!))];
}
