using System.ComponentModel.DataAnnotations;
using System.Reflection;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Scalar.AspNetCore;

namespace Notify.Server.Hosting;

/// <summary>
/// The OpenAPI document at <c>/openapi/v1.json</c>, fit for client generation, and the interactive page (Scalar) at
/// <c>/docs</c>. Two corrections to what ASP.NET Core generates: a nullable property is optional (the server omits null
/// fields from answers, and a request may leave them out) unless marked <see cref="RequiredAttribute"/>, which also makes
/// it non-null; and the bearer scheme every endpoint takes (keys and device tokens).
/// </summary>
public static class OpenApiSetup
{
    public const string SchemeName = "bearer";

    public static IServiceCollection AddNotifyOpenApi(this IServiceCollection services) =>
        services.AddOpenApi(options =>
        {
            options.AddSchemaTransformer(RequiredFromNullability);
            options.AddSchemaTransformer(ProblemExtensions);
            options.AddDocumentTransformer(BearerScheme);
        });

    public static WebApplication MapNotifyOpenApi(this WebApplication app)
    {
        app.MapOpenApi();
        app.MapScalarApiReference("/docs", o => o.WithTitle("Notify API").WithOpenApiRoutePattern("/openapi/{documentName}.json"));
        return app;
    }

    private static Task RequiredFromNullability(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken ct)
    {
        if (schema.Properties is not { Count: > 0 } properties) return Task.CompletedTask;
        foreach (var property in context.JsonTypeInfo.Properties)
        {
            if (property.AttributeProvider is not PropertyInfo member || !properties.TryGetValue(property.Name, out var propertySchema)) continue;
            if (member.GetCustomAttribute<RequiredAttribute>() is not null)
            {
                (schema.Required ??= new HashSet<string>()).Add(property.Name);
                if (propertySchema is OpenApiSchema { Type: { } type } inline) inline.Type = type & ~JsonSchemaType.Null;
            }
            else if (IsNullable(member))
            {
                schema.Required?.Remove(property.Name);
            }
        }
        return Task.CompletedTask;
    }

    /// <summary>Every problem the server answers carries a stable <c>code</c>, and some the fields at fault (<c>errors</c>) or a
    /// rule's problems at their lines (<c>problems</c>); see the error catalogue in docs/api.md.</summary>
    private static Task ProblemExtensions(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken ct)
    {
        if (!typeof(Microsoft.AspNetCore.Mvc.ProblemDetails).IsAssignableFrom(context.JsonTypeInfo.Type)) return Task.CompletedTask;
        schema.Properties ??= new Dictionary<string, IOpenApiSchema>();
        schema.Properties["code"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "Stable error code (see the catalogue in docs/api.md)" };
        schema.Properties["errors"] = new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Description = "The fields at fault, each with what to send instead",
            AdditionalProperties = new OpenApiSchema { Type = JsonSchemaType.Array, Items = new OpenApiSchema { Type = JsonSchemaType.String } },
        };
        schema.Properties["problems"] = new OpenApiSchema
        {
            Type = JsonSchemaType.Array,
            Description = "A refused rule's problems, each at its line and column",
            Items = new OpenApiSchema
            {
                Type = JsonSchemaType.Object,
                Required = new HashSet<string> { "line", "column", "message" },
                Properties = new Dictionary<string, IOpenApiSchema>
                {
                    ["line"] = new OpenApiSchema { Type = JsonSchemaType.Integer },
                    ["column"] = new OpenApiSchema { Type = JsonSchemaType.Integer },
                    ["message"] = new OpenApiSchema { Type = JsonSchemaType.String },
                    ["file"] = new OpenApiSchema { Type = JsonSchemaType.String | JsonSchemaType.Null },
                },
            },
        };
        schema.Properties["traceId"] = new OpenApiSchema { Type = JsonSchemaType.String };
        (schema.Required ??= new HashSet<string>()).Add("code");
        schema.AdditionalPropertiesAllowed = true;
        schema.AdditionalProperties = null;
        return Task.CompletedTask;
    }

    private static bool IsNullable(PropertyInfo member) =>
        Nullable.GetUnderlyingType(member.PropertyType) is not null
        // A context per call: NullabilityInfoContext caches in a plain Dictionary and is not thread-safe (two hosts generating
        // their documents at once, as parallel tests do, made it throw "An item with the same key has already been added").
        || (!member.PropertyType.IsValueType && new NullabilityInfoContext().Create(member).ReadState == NullabilityState.Nullable);

    private static OpenApiResponse Problem(OpenApiDocument document, string description) => new()
    {
        Description = description,
        Content = new Dictionary<string, OpenApiMediaType>
        {
            ["application/problem+json"] = new() { Schema = new OpenApiSchemaReference("ProblemDetails", document) },
        },
    };

    private static Task BearerScheme(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken ct)
    {
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[SchemeName] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            Description = "An admin key, an app key, or a device token, as 'Authorization: Bearer <key>'. The realtime endpoints " +
                "also take it as ?access_token=, for browsers that cannot set headers on a WebSocket or an EventSource.",
        };
        document.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(SchemeName, document)] = [] }];
        // Every endpoint can answer these two (see the credential table in docs/api.md); clients should expect them.
        foreach (var operation in document.Paths.Values.SelectMany(p => p.Operations?.Values.AsEnumerable() ?? []))
        {
            operation.Responses ??= new OpenApiResponses();
            operation.Responses.TryAdd("401", Problem(document, "No key or token, or one the server does not know"));
            operation.Responses.TryAdd("403", Problem(document, "A credential of another kind (e.g. a device token where an app or admin key is needed)"));
        }
        return Task.CompletedTask;
    }
}
