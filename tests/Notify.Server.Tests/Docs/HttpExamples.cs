using System.Net.Http.Headers;
using System.Text;
using System.Text.RegularExpressions;

namespace Notify.Server.Tests.Docs;

/// <summary>
/// The <c>```http</c> examples of a page such as docs/api.md: <c>METHOD /path  (note)  body</c>, then <c>→ status answer</c>
/// (the answer may run over several lines, and a body too: a YAML body is written with <c>\n</c>). A block right under
/// <c>&lt;!-- docs-test: skip (reason) --&gt;</c> is left out. The ids in a page come from one real session; a run binds
/// each to the id the server gives at the same place, so later examples reach the same user, device and notification.
/// </summary>
internal sealed partial class HttpExamples
{
    public sealed record Example(string Method, string Path, string? Note, string? Body, int Status, string Answer, int Line)
    {
        public override string ToString() => $"line {Line}: {Method} {Path}{(Note is null ? "" : $" ({Note})")}";
    }

    public required IReadOnlyList<Example> Examples { get; init; }

    public required IReadOnlyList<string> Skipped { get; init; }

    public static HttpExamples Read(string path)
    {
        var lines = File.ReadAllLines(path);
        var examples = new List<Example>();
        var skipped = new List<string>();
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].Trim() != "```http") continue;
            var end = Array.FindIndex(lines, i + 1, l => l.TrimStart().StartsWith("```", StringComparison.Ordinal));
            var skip = Enumerable.Range(Math.Max(0, i - 3), i - Math.Max(0, i - 3)).Reverse().Select(j => lines[j]).FirstOrDefault(l => l.Trim().Length > 0);
            if (skip is not null && SkipPattern().Match(skip) is { Success: true } reason) skipped.Add(reason.Groups[1].Value);
            else examples.AddRange(Parse(lines, i + 1, end));
            i = end;
        }
        return new HttpExamples { Examples = examples, Skipped = skipped };
    }

    private static IEnumerable<Example> Parse(string[] lines, int from, int to)
    {
        string? method = null, target = null;
        var request = new StringBuilder();
        var answer = new StringBuilder();
        var line = 0;
        var inAnswer = false;
        IEnumerable<Example> Flush()
        {
            if (method is null) yield break;
            var m = AnswerPattern().Match(answer.ToString());
            if (!m.Success) throw new FormatException($"line {line}: {method} {target} has no '→ status' answer");
            var (note, body) = SplitRequest(request.ToString().Trim());
            yield return new Example(method, target!, note, body, int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), m.Groups[2].Value.Trim(), line);
        }
        for (var i = from; i < to; i++)
        {
            var start = RequestPattern().Match(lines[i]);
            if (start.Success)
            {
                foreach (var e in Flush()) yield return e;
                (method, target, line, inAnswer) = (start.Groups[1].Value, start.Groups[2].Value, i + 1, false);
                request.Clear();
                answer.Clear();
                var rest = start.Groups[3].Value;
                var arrow = rest.IndexOf('→', StringComparison.Ordinal);
                if (arrow >= 0) { request.Append(rest[..arrow]); answer.Append(rest[arrow..]); inAnswer = true; }
                else request.Append(rest);
                continue;
            }
            if (lines[i].TrimStart().StartsWith('→')) inAnswer = true;
            (inAnswer ? answer : request).Append('\n').Append(lines[i]);
        }
        foreach (var e in Flush()) yield return e;
    }

    /// <summary>"(Content-Type: application/yaml)\n  match:\n…" or "{…}" or "(admin)": the note in brackets, then the body.</summary>
    private static (string? Note, string? Body) SplitRequest(string text)
    {
        string? note = null;
        var m = NotePattern().Match(text);
        if (m.Success)
        {
            note = m.Groups[1].Value;
            text = text[m.Length..].Trim();
        }
        return (note, text.Length == 0 ? null : text);
    }

    /// <summary>An id as the pages write them: a prefix and hex digits.</summary>
    [GeneratedRegex(@"\b(?:ntf|dev|dlv)_[0-9a-f]{20,}\b")]
    public static partial Regex IdPattern();

    [GeneratedRegex(@"^(GET|PUT|POST|PATCH|DELETE)\s+(/\S+)\s*(.*)$")]
    private static partial Regex RequestPattern();

    [GeneratedRegex(@"^\s*→\s*(\d{3})\b(.*)$", RegexOptions.Singleline)]
    private static partial Regex AnswerPattern();

    [GeneratedRegex(@"^\(([^)]*)\)")]
    private static partial Regex NotePattern();

    [GeneratedRegex(@"<!--\s*docs-test:\s*skip\s*\((.+)\)\s*-->")]
    private static partial Regex SkipPattern();

    /// <summary>The request as the server should get it: the note's Content-Type, a YAML body's "\n" as newlines.</summary>
    public static HttpContent? Content(Example e)
    {
        if (e.Body is null) return null;
        var type = e.Note is { } note && note.StartsWith("Content-Type:", StringComparison.OrdinalIgnoreCase)
            ? note["Content-Type:".Length..].Trim() : "application/json";
        var body = type.Contains("yaml", StringComparison.Ordinal) ? string.Concat(e.Body.Split('\n').Select(l => l.Trim())).Replace("\\n", "\n", StringComparison.Ordinal) : e.Body;
        var content = new StringContent(body, Encoding.UTF8);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(type);
        return content;
    }
}
