using Notify.Engine.Rules;
using Notify.Server.Auth;
using Notify.Server.Problems;

namespace Notify.Server.Rules;

/// <summary>
/// <c>/v1/rules</c>: read, write, delete and validate escalation rules (admin key only). Writes go to the rules
/// folder, which stays the source of truth (see "Editing rules" in docs/rules.md).
/// </summary>
public static class RulesApi
{
    public static IEndpointRouteBuilder MapRulesApi(this IEndpointRouteBuilder app)
    {
        var rules = app.MapGroup("/v1/rules").RequireAuthorization(Policies.Admin).WithTags("Rules");
        rules.MapGet("", List)
            .WithSummary("Every rule file: the live version of its rule, and the problems of a refused edit")
            .Produces<IReadOnlyList<RuleView>>();
        rules.MapGet("/{name}", Get)
            .WithSummary("One rule with its source (JSON, or the bare YAML with Accept: application/yaml)")
            .Produces<RuleView>().ProducesProblem(404)
            // The same 200 also comes as bare YAML on request: documented beside the JSON (a second Produces for 200 would replace it).
            .AddOpenApiOperationTransformer((operation, _, _) =>
            {
                if (operation.Responses?.TryGetValue("200", out var ok) == true && ok.Content is { } content)
                    content["application/yaml"] = new Microsoft.OpenApi.OpenApiMediaType { Schema = new Microsoft.OpenApi.OpenApiSchema { Type = Microsoft.OpenApi.JsonSchemaType.String } };
                return Task.CompletedTask;
            });
        rules.MapPut("/{name}", PutAsync)
            .WithSummary("Create or replace a rule from YAML (or JSON); refused with every problem, the live version unchanged")
            .AddOpenApiOperationTransformer(RuleBody.DescribeAsync)
            .Produces<RuleView>().Produces<RuleView>(201).ProducesProblem(400).ProducesProblem(409).ProducesProblem(415).ProducesProblem(422);
        rules.MapDelete("/{name}", DeleteAsync)
            .WithSummary("Delete a rule's file; new notifications of its categories fall to 'default'")
            .Produces(204).ProducesProblem(404);
        rules.MapPost("/validate", ValidateAsync)
            .WithSummary("Check a rule as PUT would (format, name, categories taken), without saving it")
            .AddOpenApiOperationTransformer(RuleBody.DescribeAsync)
            .Produces<RuleValidationView>().ProducesProblem(415);
        return app;
    }

    private static IResult List(RuleSet rules) =>
        TypedResults.Json(rules.Files.Values.Select(f => RuleView.Of(f)).OrderBy(v => v.Name, StringComparer.Ordinal).ToList(), ServerJson.Strict);

    private static IResult Get(string name, HttpRequest request, RuleSet rules)
    {
        if (rules.FindFile(name) is not { } file) return Problem.NotFound("rule", name);
        if (RuleBody.WantsYaml(request) && file.Active is { } active) return TypedResults.Text(active.Source, "application/yaml");
        return TypedResults.Json(RuleView.Of(file, withSource: true), ServerJson.Strict);
    }

    private static async Task<IResult> PutAsync(string name, HttpContext context, RuleCatalog catalog)
    {
        if (ValidateName(name) is { } invalid) return invalid;
        var (source, problem) = await RuleBody.ReadAsync(context.Request, context.RequestAborted);
        if (problem is not null) return problem;
        return await catalog.PutAsync(name, source!, context.RequestAborted) switch
        {
            RuleEdit.Saved saved => TypedResults.Json(RuleView.Of(saved.File, withSource: true), ServerJson.Strict, statusCode: saved.Created ? 201 : 200),
            RuleEdit.Refused r => RuleBody.Refused(r.Status, r.Code, r.Detail, r.Problems),
            var other => throw new InvalidOperationException($"unexpected outcome {other}"),
        };
    }

    private static async Task<IResult> DeleteAsync(string name, RuleCatalog catalog, CancellationToken ct) =>
        await catalog.DeleteAsync(name, ct) switch
        {
            RuleEdit.Deleted => TypedResults.NoContent(),
            RuleEdit.Refused { Status: 404 } => Problem.NotFound("rule", name),
            RuleEdit.Refused r => RuleBody.Refused(r.Status, r.Code, r.Detail, r.Problems),
            var other => throw new InvalidOperationException($"unexpected outcome {other}"),
        };

    private static async Task<IResult> ValidateAsync(HttpContext context, RuleCatalog catalog, string? name = null)
    {
        if (name is not null && ValidateName(name) is { } invalid) return invalid;
        var (source, problem) = await RuleBody.ReadAsync(context.Request, context.RequestAborted);
        if (problem is not null) return problem;
        var (rule, problems) = catalog.Validate(source!, name);
        return TypedResults.Json(new RuleValidationView(rule is not null && problems.Count == 0, rule?.Name, rule?.Version,
            RuleProblemView.Of(problems)), ServerJson.Strict);
    }

    /// <summary>A rule name is also its file name, so it is kept to letters, digits, '-' and '_'.</summary>
    private static IResult? ValidateName(string name) =>
        name.Length is > 0 and <= 100 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')
            ? null
            : Problem.BadRequest("invalid-name", $"'{name}' is not a rule name: use 1-100 letters, digits, '-' or '_' (it is also the file name, {{name}}.yaml).", "name");
}
