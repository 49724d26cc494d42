using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Unicode;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Fluid;
using Notify.Engine.Channels;
using Notify.Engine.Model;

namespace Notify.Channels.Email;

/// <summary>What one notification looks like as an email.</summary>
internal sealed record RenderedEmail(string Subject, string Text, string Html);

/// <summary>A template that cannot be parsed or rendered: the operator has to fix the file.</summary>
internal sealed class EmailTemplateException(string file, int? line, string problem)
    : Exception(line is null ? $"{file}: {problem}" : $"{file}, line {line}: {problem}")
{
    public string File { get; } = file;
    public int? Line { get; } = line;
}

/// <summary>
/// Renders a notification with the Liquid (Fluid) templates of its category: <c>{category}.{part}.liquid</c>, else
/// <c>default.{part}.liquid</c> from <see cref="EmailOptions.TemplateDirectory"/>, else the built-in template, for
/// each part (subject, text, html) on its own. Templates are parsed once and cached; a file is parsed again when its
/// timestamp or size changes (one stat per candidate file per send), so an edit is live without a restart.
/// HTML output is HTML-encoded: a title, body or data value can never inject markup. Thread-safe.
/// </summary>
internal sealed partial class EmailTemplates
{
    internal enum Part { Subject, Text, Html }

    private static readonly FluidParser Parser = new();
    // Encodes what HTML needs (< > & " ' and controls) but keeps letters of every script readable in the source.
    private static readonly HtmlEncoder HtmlEncoding = HtmlEncoder.Create(UnicodeRanges.All);
    private static readonly Lazy<IFluidTemplate[]> Builtin = new(() =>
    [
        ParseOrThrow(DefaultTemplates.Subject, "built-in subject"),
        ParseOrThrow(DefaultTemplates.Text, "built-in text"),
        ParseOrThrow(DefaultTemplates.Html, "built-in html"),
    ]);

    private readonly string? _directory;
    private readonly TemplateOptions _options;
    private readonly ConcurrentDictionary<string, CachedFile> _files = new(StringComparer.Ordinal);

    private sealed record CachedFile(DateTime LastWriteUtc, long Length, IFluidTemplate Template);

    public EmailTemplates(string? directory, TimeProvider time)
    {
        _directory = string.IsNullOrWhiteSpace(directory) ? null : directory;
        _options = new TemplateOptions
        {
            // Dates render in UTC (the email has no time zone of the user), and "now" comes from the injected clock.
            TimeZone = TimeZoneInfo.Utc,
            Now = () => time.GetUtcNow(),
            // A runaway loop in an override template must not hang a send.
            MaxSteps = 100_000,
        };
    }

    /// <summary>Renders the three parts. Throws <see cref="EmailTemplateException"/> for a template that does not parse
    /// or render.</summary>
    public async ValueTask<RenderedEmail> RenderAsync(EmailMessage message, CancellationToken ct = default)
    {
        ct.ThrowIfCancellationRequested();
        var context = CreateContext(message);
        var subject = NormalizeSubject(await RenderPartAsync(message.Notification.Category, Part.Subject, context, NullEncoder.Default));
        context.SetValue("subject", subject);
        var text = NormalizeText(await RenderPartAsync(message.Notification.Category, Part.Text, context, NullEncoder.Default));
        var html = await RenderPartAsync(message.Notification.Category, Part.Html, context, HtmlEncoding);
        return new RenderedEmail(subject, text, html);
    }

    private async ValueTask<string> RenderPartAsync(string category, Part part, TemplateContext context, TextEncoder encoder)
    {
        var (template, source) = Resolve(category, part);
        try
        {
            return await template.RenderAsync(context, encoder);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new EmailTemplateException(source, null, e.Message);
        }
    }

    /// <summary>The template for the part and where it came from (a file path, or "built-in").</summary>
    internal (IFluidTemplate Template, string Source) Resolve(string category, Part part)
    {
        if (_directory is not null)
        {
            foreach (var name in IsSafeFileName(category) ? [category, "default"] : new[] { "default" })
            {
                var path = Path.Combine(_directory, $"{name}.{part.ToString().ToLowerInvariant()}.liquid");
                var file = new FileInfo(path);
                if (!file.Exists) continue;
                return (Load(file), path);
            }
        }
        return (Builtin.Value[(int)part], "built-in " + part.ToString().ToLowerInvariant());
    }

    private IFluidTemplate Load(FileInfo file)
    {
        if (_files.TryGetValue(file.FullName, out var cached) && cached.LastWriteUtc == file.LastWriteTimeUtc && cached.Length == file.Length)
            return cached.Template;
        string source;
        try
        {
            source = File.ReadAllText(file.FullName);
        }
        catch (IOException e)
        {
            throw new EmailTemplateException(file.FullName, null, "cannot be read: " + e.Message);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new EmailTemplateException(file.FullName, null, "cannot be read: " + e.Message);
        }
        var template = ParseOrThrow(source, file.FullName);
        _files[file.FullName] = new CachedFile(file.LastWriteTimeUtc, file.Length, template);
        return template;
    }

    private static IFluidTemplate ParseOrThrow(string source, string file)
    {
        if (Parser.TryParse(source, out var template, out var error)) return template;
        // Fluid's message is "Invalid 'for' tag at (3:7)" followed by lines quoting the source: keep the first.
        var problem = (error ?? "does not parse").Split('\n', 2)[0].Trim();
        var at = Position().Match(problem);
        int? line = at.Success ? int.Parse(at.Groups[1].Value, CultureInfo.InvariantCulture) : null;
        throw new EmailTemplateException(file, line, problem);
    }

    [GeneratedRegex(@"\((\d+):(\d+)\)")]
    private static partial Regex Position();

    // Categories are 1-64 of letters, digits, '.', '_', ':', '-' (the API's rule); refuse anything that could leave the folder.
    private static bool IsSafeFileName(string category) =>
        category.Length is > 0 and <= 64 && !category.StartsWith('.') && !category.Contains("..", StringComparison.Ordinal)
        && category.IndexOfAny(Path.GetInvalidFileNameChars()) < 0 && category.IndexOfAny(['/', '\\', ':']) < 0;

    private TemplateContext CreateContext(EmailMessage message)
    {
        var n = message.Notification;
        var context = new TemplateContext(_options)
        {
            CultureInfo = CultureFor(message.Locale),
        };
        context.SetValue("notification", new Dictionary<string, object?>
        {
            ["id"] = n.Id,
            ["category"] = n.Category,
            ["title"] = n.Title,
            ["body"] = n.Body,
            ["data"] = n.Data is null ? new Dictionary<string, object?>() : ToPlain(n.Data),
            ["priority"] = n.Priority.ToString().ToLowerInvariant(),
            ["createdAt"] = n.CreatedAt,
            ["expiresAt"] = n.ExpiresAt,
            ["url"] = SafeUrl(n.Data),
            ["repeat"] = n.Repeat ?? 0,
        });
        context.SetValue("user", new Dictionary<string, object?>
        {
            ["id"] = message.UserId,
            ["locale"] = message.Locale,
            ["email"] = message.To,
        });
        return context;
    }

    private static CultureInfo CultureFor(string? locale)
    {
        if (string.IsNullOrWhiteSpace(locale)) return CultureInfo.InvariantCulture;
        try
        {
            return CultureInfo.GetCultureInfo(locale);
        }
        catch (CultureNotFoundException)
        {
            return CultureInfo.InvariantCulture;
        }
    }

    /// <summary><c>data.url</c> when it is an absolute http(s) URL, else null: encoding stops markup, not a
    /// <c>javascript:</c> link, so the built-in button only ever links to the web.</summary>
    internal static string? SafeUrl(JsonObject? data)
    {
        if (data?["url"] is not JsonValue v || v.GetValueKind() != JsonValueKind.String) return null;
        var s = v.GetValue<string>();
        return Uri.TryCreate(s, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)
            ? uri.AbsoluteUri
            : null;
    }

    /// <summary>JSON as dictionaries, lists and primitives, which Liquid walks natively.</summary>
    internal static object? ToPlain(JsonNode? node) => node switch
    {
        null => null,
        JsonObject o => o.ToDictionary(p => p.Key, p => ToPlain(p.Value)),
        JsonArray a => a.Select(ToPlain).ToList(),
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => v.GetValue<string>(),
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.Number => v.TryGetValue<decimal>(out var d) ? d : v.TryGetValue<double>(out var f) ? f : v.ToJsonString(),
            _ => null,
        },
        _ => node.ToJsonString(),
    };

    // A subject is one line: a line break in a title must never become a header break (MimeKit would encode it, but
    // mail clients show it badly), and runs of whitespace from template indentation collapse.
    private static string NormalizeSubject(string s) => Whitespace().Replace(s, " ").Trim();

    private static string NormalizeText(string s) => BlankLines().Replace(s.Replace("\r\n", "\n", StringComparison.Ordinal), "\n\n").Trim() + "\n";

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    [GeneratedRegex(@"\n[ \t]*\n(?:[ \t]*\n)+")]
    private static partial Regex BlankLines();
}
