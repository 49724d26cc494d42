using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using Notify.Server.Tests.Infrastructure;

namespace Notify.Server.Tests.Api;

/// <summary>
/// The OpenAPI document against the server's real answers: the calls the functional tests make (users, devices, state,
/// notify, ack, settings, rules, listings), each answer's status must be one the document lists for that operation and
/// its JSON body must validate against the schema listed for that status. A client generated from the document can
/// then read every answer. Also: the bearer scheme, and the interactive page at /docs.
/// </summary>
public sealed class OpenApiConformanceTests : IAsyncLifetime
{
    private NotifyTestServer _server = null!;
    private JsonObject _document = null!;
    private readonly List<string> _failures = [];
    private readonly HashSet<string> _exercised = [];

    public async Task InitializeAsync()
    {
        _server = new NotifyTestServer(rules: new Dictionary<string, string>
        {
            ["default.yaml"] = NotifyTestServer.DefaultRule,
            ["mention.yaml"] = "name: mention\nmatch:\n  categories: [mention]\nsteps:\n  - to: best\n    via: inApp\n",
        });
        using var http = _server.Http();
        _document = JsonNode.Parse(await http.GetStringAsync("/openapi/v1.json"))!.AsObject();
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    /// <summary>Sends one request and checks its answer against the document; returns the body.</summary>
    private async Task<JsonElement> CallAsync(string? bearer, string method, string path, string template, string? body = null,
        string contentType = "application/json")
    {
        using var http = _server.Http(bearer);
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        }
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var status = ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var what = $"{method} {path} → {status}";
        _exercised.Add($"{method} {template}");

        var operation = _document["paths"]?[template]?[method.ToLowerInvariant()];
        if (operation is null) { _failures.Add($"{what}: the document has no operation {method} {template}"); return default; }
        if (operation["responses"]?[status] is not { } documented)
        {
            _failures.Add($"{what}: status not documented (documented: {string.Join(", ", operation["responses"]!.AsObject().Select(r => r.Key))}); body {text}");
            return default;
        }
        var mediaType = response.Content.Headers.ContentType?.MediaType;
        if (text.Length == 0)
        {
            if (documented["content"] is JsonObject { Count: > 0 } && status != "204") _failures.Add($"{what}: empty body, but the document describes one");
            return default;
        }
        var schema = documented["content"]?[mediaType ?? ""]?["schema"]
            ?? documented["content"]?.AsObject().Where(c => c.Key.Contains("json", StringComparison.Ordinal)).Select(c => c.Value?["schema"]).FirstOrDefault();
        if (schema is null) { _failures.Add($"{what}: a {mediaType} body, but the document describes none for this status"); return default; }
        var answer = JsonDocument.Parse(text).RootElement.Clone();
        if (Validate(schema, answer) is { } error) _failures.Add($"{what}: {error}\n  body: {text}");
        return answer;
    }

    /// <summary>Null when <paramref name="value"/> fits <paramref name="schema"/>, else the errors.</summary>
    private string? Validate(JsonNode schema, JsonElement value)
    {
        // The component schemas as $defs of one JSON Schema 2020-12 document, which OpenAPI 3.1 schemas are.
        var root = new JsonObject
        {
            ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
            ["allOf"] = new JsonArray(schema.DeepClone()),
            ["$defs"] = _document["components"]?["schemas"]?.DeepClone(),
        };
        var text = root.ToJsonString().Replace("#/components/schemas/", "#/$defs/", StringComparison.Ordinal);
        var result = JsonSchema.FromText(text).Evaluate(value, new EvaluationOptions { OutputFormat = OutputFormat.List });
        if (result.IsValid) return null;
        return string.Join("; ", (result.Details ?? []).Where(d => d.Errors is { Count: > 0 })
            .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}")));
    }

    [Fact]
    public async Task Document_RealAnswers_FitTheDocumentedStatusesAndSchemas()
    {
        const string Admin = NotifyTestServer.AdminKey, App = NotifyTestServer.AppKey;

        await CallAsync(App, "PUT", "/v1/users/ana", "/v1/users/{userId}", """{"timeZone":"Europe/Lisbon","email":"ana@example.com","locale":"pt-PT"}""");
        await CallAsync(App, "PUT", "/v1/users/ana", "/v1/users/{userId}", """{"timeZone":"Europe/Lisbon","email":"ana@example.com"}""");
        await CallAsync(App, "PUT", "/v1/users/ana", "/v1/users/{userId}", """{"timeZone":"Mars/Olympus"}""");
        await CallAsync(App, "GET", "/v1/users/ana", "/v1/users/{userId}");
        await CallAsync(App, "GET", "/v1/users/nobody", "/v1/users/{userId}");
        await CallAsync(null, "GET", "/v1/users/ana", "/v1/users/{userId}");

        var registered = await CallAsync(App, "POST", "/v1/users/ana/devices", "/v1/users/{userId}/devices", """{"platform":"desktop","name":"laptop"}""");
        var deviceId = registered.GetProperty("deviceId").GetString()!;
        var token = registered.GetProperty("deviceToken").GetString()!;
        await CallAsync(App, "POST", "/v1/users/nobody/devices", "/v1/users/{userId}/devices", """{"platform":"desktop"}""");
        await CallAsync(App, "POST", "/v1/users/ana/devices", "/v1/users/{userId}/devices", """{"name":"no platform"}""");
        await CallAsync(App, "PATCH", $"/v1/devices/{deviceId}", "/v1/devices/{deviceId}", """{"name":"work laptop"}""");
        await CallAsync(App, "PATCH", "/v1/devices/dev_unknown", "/v1/devices/{deviceId}", """{"name":"x"}""");
        await CallAsync(App, "PATCH", $"/v1/devices/{deviceId}", "/v1/devices/{deviceId}", $$"""{"name":"{{new string('x', 101)}}"}""");
        await CallAsync(token, "POST", $"/v1/devices/{deviceId}/state", "/v1/devices/{deviceId}/state",
            """{"presence":"active","foreground":true,"battery":{"level":0.8,"charging":false},"connectivity":{"type":"wifi"}}""");
        await CallAsync(token, "POST", $"/v1/devices/{deviceId}/state", "/v1/devices/{deviceId}/state", """{"battery":{"level":7}}""");
        await CallAsync(App, "GET", "/v1/users/ana", "/v1/users/{userId}");

        var sent = await CallAsync(App, "POST", "/v1/notify", "/v1/notify", """{"userId":"ana","category":"mention","title":"Hi","idempotencyKey":"k1","data":{"thread":"t1"}}""");
        await CallAsync(App, "POST", "/v1/notify", "/v1/notify", """{"userId":"ana","category":"mention","title":"Hi","idempotencyKey":"k1","data":{"thread":"t1"}}""");
        await CallAsync(App, "POST", "/v1/notify", "/v1/notify", """{"userId":"ana","category":"mention","ttl":"١s"}""");
        await CallAsync(App, "POST", "/v1/notify", "/v1/notify", """{"userId":"nobody","category":"mention"}""");
        var id = sent.GetProperty("notificationId").GetString()!;
        await CallAsync(App, "GET", $"/v1/notifications/{id}", "/v1/notifications/{id}");
        await CallAsync(App, "GET", "/v1/notifications/ntf_unknown", "/v1/notifications/{id}");
        await CallAsync(token, "POST", $"/v1/notifications/{id}/ack", "/v1/notifications/{id}/ack", """{"action":"seen"}""");
        await CallAsync(token, "POST", $"/v1/notifications/{id}/ack", "/v1/notifications/{id}/ack", """{}""");
        await CallAsync(token, "POST", "/v1/notifications/ntf_unknown/ack", "/v1/notifications/{id}/ack", """{"action":"seen"}""");
        await CallAsync(App, "GET", $"/v1/notifications/{id}", "/v1/notifications/{id}");
        await CallAsync(App, "GET", "/v1/users?limit=10", "/v1/users");
        await CallAsync(App, "GET", "/v1/users/ana/notifications", "/v1/users/{userId}/notifications");
        await CallAsync(App, "GET", "/v1/users/nobody/notifications", "/v1/users/{userId}/notifications");

        await CallAsync(App, "PUT", "/v1/users/ana/quiet-hours", "/v1/users/{userId}/quiet-hours",
            """{"windows":[{"days":["weekdays"],"from":"22:00","to":"07:00"}],"allow":["critical"]}""");
        await CallAsync(App, "PUT", "/v1/users/ana/quiet-hours", "/v1/users/{userId}/quiet-hours", """{"windows":[{"days":["mon"],"from":"11pm","to":"07:00"}]}""");
        await CallAsync(App, "GET", "/v1/users/ana/quiet-hours", "/v1/users/{userId}/quiet-hours");
        await CallAsync(App, "PUT", "/v1/users/ana/preferences", "/v1/users/{userId}/preferences",
            """{"categories":{"mention":{"channels":{"email":false}},"*":{"muted":true}}}""");
        await CallAsync(App, "PUT", "/v1/users/ana/preferences", "/v1/users/{userId}/preferences", """{"categories":{"promo":null}}""");
        await CallAsync(App, "GET", "/v1/users/ana/preferences", "/v1/users/{userId}/preferences");

        await CallAsync(Admin, "GET", "/v1/rules", "/v1/rules");
        await CallAsync(Admin, "GET", "/v1/rules/mention", "/v1/rules/{name}");
        await CallAsync(Admin, "GET", "/v1/rules/nothing", "/v1/rules/{name}");
        const string Billing = "match:\n  category: billing\nsteps:\n  - to: best\n    via: inApp\n";
        await CallAsync(Admin, "PUT", "/v1/rules/billing", "/v1/rules/{name}", Billing, "application/yaml");
        await CallAsync(Admin, "PUT", "/v1/rules/billing", "/v1/rules/{name}", Billing + "ttl: 1h\n", "application/yaml");
        await CallAsync(Admin, "PUT", "/v1/rules/billing", "/v1/rules/{name}", "match:\n  category: billing\nsteps:\n  - to: nobody\n    via: inApp\n", "application/yaml");
        await CallAsync(Admin, "PUT", "/v1/rules/billing", "/v1/rules/{name}", Billing, "text/csv");
        await CallAsync(Admin, "POST", "/v1/rules/validate", "/v1/rules/validate", Billing, "application/yaml");
        await CallAsync(Admin, "DELETE", "/v1/rules/billing", "/v1/rules/{name}");
        await CallAsync(Admin, "DELETE", "/v1/rules/billing", "/v1/rules/{name}");
        await CallAsync(token, "GET", "/v1/rules", "/v1/rules");

        await CallAsync(App, "DELETE", $"/v1/devices/{deviceId}", "/v1/devices/{deviceId}");
        await CallAsync(App, "DELETE", $"/v1/devices/{deviceId}", "/v1/devices/{deviceId}");

        Assert.True(_failures.Count == 0, $"{_failures.Count} answer(s) differ from the document:\n" + string.Join("\n", _failures));

        // Every operation was called, except the streaming ones (WebSocket and SSE, covered by the realtime tests)
        // and simulate (being redesigned).
        var notCalled = _document["paths"]!.AsObject()
            .SelectMany(p => p.Value!.AsObject().Select(m => $"{m.Key.ToUpperInvariant()} {p.Key}"))
            .Where(o => !_exercised.Contains(o) && !o.Contains("/v1/realtime", StringComparison.Ordinal)
                && !o.EndsWith("/devices/events", StringComparison.Ordinal) && o != "POST /v1/simulate")
            .ToList();
        Assert.True(notCalled.Count == 0, "not exercised: " + string.Join(", ", notCalled));
    }

    [Fact]
    public void Document_DeclaresTheBearerScheme_AndOnlyRequiresWhatTheServerRequires()
    {
        var scheme = _document["components"]!["securitySchemes"]!["bearer"]!;
        Assert.Equal("http", (string?)scheme["type"]);
        Assert.Equal("bearer", (string?)scheme["scheme"]);
        Assert.NotNull(_document["security"]![0]!["bearer"]);

        var notify = _document["components"]!["schemas"]!["NotifyRequest"]!;
        Assert.Equal(["userId", "category"], notify["required"]!.AsArray().Select(n => (string?)n));
        Assert.Equal("string", (string?)notify["properties"]!["userId"]!["type"]);
        Assert.Equal(204, int.Parse(_document["paths"]!["/v1/devices/{deviceId}"]!["delete"]!["responses"]!.AsObject().Where(r => r.Key.StartsWith('2')).Single().Key,
            System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task Docs_ServesTheInteractivePage()
    {
        using var http = _server.Http();
        using var response = await http.GetAsync("/docs/");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        var page = await response.Content.ReadAsStringAsync();
        Assert.Contains("\"url\":\"openapi/v1.json\"", page);
        // Its script is served by the server itself (no CDN: the API page works offline).
        using var script = await http.GetAsync("/docs/scalar.js");
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
    }
}
