using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Notify.Server.WebConsole;

/// <summary>
/// Security headers on every <c>/console</c> answer: a Content-Security-Policy that allows only the server's own
/// scripts and connections (plus, by hash, the inline scripts the pages hold; and inline styles, which the rule
/// editor writes at run time), no framing
/// (<c>frame-ancestors 'none'</c>), <c>X-Content-Type-Options: nosniff</c> and <c>Referrer-Policy: no-referrer</c>
/// (the pages carry keys in the tab; no other site should learn their addresses).
/// </summary>
public static partial class ConsoleSecurityHeaders
{
    [GeneratedRegex(@"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", RegexOptions.Singleline | RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex InlineScript();

    /// <summary>The policy for the pages in <paramref name="assets"/>: <c>'self'</c>, and the hash of each inline script they hold.</summary>
    public static string Policy(string assets)
    {
        var hashes = Directory.Exists(assets)
            ? Directory.EnumerateFiles(assets, "*.html", SearchOption.AllDirectories)
                .SelectMany(f => InlineScript().Matches(File.ReadAllText(f)))
                .Select(m => $"'sha256-{Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(m.Groups[1].Value)))}'")
                .Distinct().Order(StringComparer.Ordinal).ToList()
            : [];
        return string.Join("; ",
            "default-src 'self'",
            string.Join(' ', ["script-src 'self'", .. hashes]),
            // CodeMirror (the rule editor) writes its styles into <style> elements at run time; without this the editor
            // loses its layout (and typed spaces turn into no-break spaces). Scripts stay 'self' and hashed only.
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'");
    }

    /// <summary>Adds the headers to every answer under <c>/console</c> (pages, scripts, the redirect to <c>/console/</c>).</summary>
    public static WebApplication UseConsoleSecurityHeaders(this WebApplication app, string assets)
    {
        var policy = Policy(assets);
        app.Use((context, next) =>
        {
            if (context.Request.Path.StartsWithSegments("/console"))
            {
                var headers = context.Response.Headers;
                headers.ContentSecurityPolicy = policy;
                headers.XContentTypeOptions = "nosniff";
                headers.XFrameOptions = "DENY";
                headers["Referrer-Policy"] = "no-referrer";
            }
            return next(context);
        });
        return app;
    }
}
