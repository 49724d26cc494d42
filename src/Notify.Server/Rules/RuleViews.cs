using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Microsoft.Net.Http.Headers;
using Notify.Engine.Rules;
using Notify.Server.Problems;

namespace Notify.Server.Rules;

/// <summary>A rule as the API shows it: its live version, and the problems of a refused newer edit.</summary>
/// <param name="Version">The live version; absent when the file has never held a good version.</param>
/// <param name="Active">Whether a version of this rule is live.</param>
/// <param name="UpdatedAt">When the live version went live.</param>
/// <param name="Problems">Why the file's latest content is not live; empty when it is.</param>
/// <param name="RefusedAt">When the latest content was refused.</param>
/// <param name="Source">The live version's YAML (only when one rule is asked for).</param>
public sealed record RuleView(string Name, string? Version, IReadOnlyList<string> Categories, string File, bool Active,
    DateTimeOffset? UpdatedAt, IReadOnlyList<RuleProblemView> Problems, DateTimeOffset? RefusedAt = null, string? Source = null)
{
    internal static RuleView Of(RuleFile file, bool withSource = false) => new(
        file.Name, file.Active?.Version, [.. (file.Active ?? file.Latest)?.Categories ?? []], file.File, file.Active is not null,
        file.UpdatedAt, RuleProblemView.Of(file.Problems), file.RefusedAt, withSource ? file.Active?.Source : null);
}

/// <summary>One problem of a rule, at the place to fix it (line and column from 1; the file when it came from the folder).</summary>
public sealed record RuleProblemView(int Line, int Column, string Message, string? File = null)
{
    internal static IReadOnlyList<RuleProblemView> Of(IEnumerable<RuleProblem> problems) =>
        [.. problems.Select(p => new RuleProblemView(p.Line, p.Column, p.Message, p.File))];
}

/// <summary>The answer of <c>POST /v1/rules/validate</c>.</summary>
/// <param name="Version">The version the rule would have (the hash of its source), when it parses.</param>
public sealed record RuleValidationView(bool Valid, string? Name, string? Version, IReadOnlyList<RuleProblemView> Problems);

/// <summary>Reading a rule body (YAML, or JSON, which is YAML too) and refusing an edit with its problems.</summary>
internal static class RuleBody
{
    /// <summary>The content types a rule may be sent as.</summary>
    public static readonly string[] MediaTypes = ["application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml", "application/json"];

    /// <summary>
    /// The body as text. Minimal APIs bind JSON only, so the body is read here; the server's body limit
    /// (<c>Api:MaxBodyBytes</c>) still applies while reading (413).
    /// </summary>
    public static async Task<(string? Source, IResult? Problem)> ReadAsync(HttpRequest request, CancellationToken ct)
    {
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var type)
            || !MediaTypes.Contains(type.MediaType.Value, StringComparer.OrdinalIgnoreCase))
            return (null, Problem.Of(415, "unsupported-media-type",
                $"Send the rule as YAML (Content-Type: application/yaml) or JSON (application/json), not '{request.ContentType}'."));
        using var reader = new StreamReader(request.Body, type.Encoding ?? Encoding.UTF8, detectEncodingFromByteOrderMarks: true, leaveOpen: true);
        return (await reader.ReadToEndAsync(ct), null);
    }

    /// <summary>A problem with a stable code and, under <c>problems</c>, every problem of the rule with its line and column.</summary>
    public static IResult Refused(int status, string code, string detail, IReadOnlyList<RuleProblem> problems)
    {
        var result = Problem.Of(status, code, detail);
        if (result is ProblemHttpResult p) p.ProblemDetails.Extensions["problems"] = RuleProblemView.Of(problems);
        return result;
    }

    /// <summary>
    /// Describes the body in the OpenAPI document. Not with <c>Accepts</c>: that makes routing refuse other content
    /// types itself (before authentication, with a message about JSON), where this endpoint's own 415 says what to send.
    /// </summary>
    public static Task DescribeAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken ct)
    {
        operation.RequestBody = new OpenApiRequestBody
        {
            Required = true,
            Description = "The rule as YAML (see docs/rules.md); a JSON document is YAML too and is stored as given.",
            Content = MediaTypes.ToDictionary(t => t, _ => new OpenApiMediaType { Schema = new OpenApiSchema { Type = JsonSchemaType.String } }),
        };
        return Task.CompletedTask;
    }

    /// <summary>Whether the caller asked for the rule as YAML rather than JSON.</summary>
    public static bool WantsYaml(HttpRequest request) =>
        request.GetTypedHeaders().Accept is { Count: > 0 } accept
        && accept.OrderByDescending(a => a.Quality ?? 1).First() is { } best
        && MediaTypes[..4].Contains(best.MediaType.Value, StringComparer.OrdinalIgnoreCase);
}
