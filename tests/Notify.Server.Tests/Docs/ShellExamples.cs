using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace Notify.Server.Tests.Docs;

/// <summary>
/// The fenced shell examples of a markdown page (<c>```sh</c>, <c>```bash</c>, <c>```shell</c> blocks that call
/// <c>curl</c>), in page order, with what the page says each call answers (a <c># → 201 {…}</c> line under it). A block
/// right under <c>&lt;!-- docs-test: skip (reason) --&gt;</c> is left out, and the reason is kept so it shows.
/// </summary>
internal sealed partial class ShellExamples
{
    /// <summary>One curl call of the page (a logical line: continuations and quoted newlines joined).</summary>
    /// <param name="Command">The line as written.</param>
    /// <param name="Status">The status the page claims, when it names one.</param>
    /// <param name="Answer">The answer the page shows after the status (may hold "…" where it is shortened).</param>
    public sealed record Call(string Command, int? Status, string? Answer)
    {
        public bool IsSimulate => Command.Contains("/v1/simulate", StringComparison.Ordinal);
    }

    private ShellExamples(string page, IReadOnlyList<string> blocks, IReadOnlyList<string> skipped)
    {
        Page = page;
        Blocks = blocks;
        Skipped = skipped;
        Calls = [.. blocks.SelectMany(CallsOf)];
    }

    public string Page { get; }

    /// <summary>The runnable blocks' text, in page order.</summary>
    public IReadOnlyList<string> Blocks { get; }

    /// <summary>The reasons given for the blocks left out.</summary>
    public IReadOnlyList<string> Skipped { get; }

    /// <summary>The calls made in the foreground (background streams, <c>curl -N … &amp;</c>, are not counted).</summary>
    public IReadOnlyList<Call> Calls { get; }

    /// <summary>The page's examples; <paramref name="section"/> limits them to one "## heading" section and its subsections.</summary>
    public static ShellExamples Read(string path, string? section = null)
    {
        var lines = File.ReadAllLines(path);
        var blocks = new List<string>();
        var skipped = new List<string>();
        var inSection = section is null;
        var sectionLevel = 0;
        for (var i = 0; i < lines.Length; i++)
        {
            var heading = HeadingPattern().Match(lines[i]);
            if (heading.Success && section is not null)
            {
                var level = heading.Groups[1].Length;
                if (heading.Groups[2].Value.Trim() == section) { inSection = true; sectionLevel = level; }
                else if (inSection && level <= sectionLevel) inSection = false;
            }
            if (!FencePattern().IsMatch(lines[i])) continue;
            var end = Array.FindIndex(lines, i + 1, l => l.TrimStart().StartsWith("```", StringComparison.Ordinal));
            if (end < 0) break;
            var text = string.Join('\n', lines[(i + 1)..end]);
            var skip = SkipMarker(lines, i);
            if (inSection && text.Contains("curl ", StringComparison.Ordinal))
            {
                if (skip is not null) skipped.Add(skip);
                else blocks.Add(text);
            }
            i = end;
        }
        return new ShellExamples(Path.GetFileName(path), blocks, skipped);
    }

    /// <summary>The reason of a skip marker on the lines just above a fence (blank lines between allowed).</summary>
    private static string? SkipMarker(string[] lines, int fence)
    {
        for (var j = fence - 1; j >= 0 && j >= fence - 3; j--)
        {
            if (lines[j].Trim().Length == 0) continue;
            var m = SkipPattern().Match(lines[j]);
            return m.Success ? m.Groups[1].Value : null;
        }
        return null;
    }

    private static IEnumerable<Call> CallsOf(string block)
    {
        var logical = LogicalLines(block).ToList();
        for (var i = 0; i < logical.Count; i++)
        {
            var line = logical[i];
            if (line.TrimStart().StartsWith('#') || !CurlPattern().IsMatch(line) || BackgroundPattern().IsMatch(line)) continue;
            int? status = null;
            string? answer = null;
            if (i + 1 < logical.Count && ExpectPattern().Match(logical[i + 1]) is { Success: true } expect)
            {
                status = expect.Groups[1].Success ? int.Parse(expect.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : null;
                answer = expect.Groups[2].Value.Trim();
            }
            yield return new Call(line, status, answer);
        }
    }

    /// <summary>Lines as the shell reads them: a trailing backslash or an open single quote continues onto the next.</summary>
    private static IEnumerable<string> LogicalLines(string block)
    {
        var current = new StringBuilder();
        foreach (var raw in block.Split('\n'))
        {
            current.Append(current.Length > 0 ? "\n" : "").Append(raw);
            var text = current.ToString();
            if (text.EndsWith('\\') || text.Count(c => c == '\'') % 2 == 1) continue;
            yield return text;
            current.Clear();
        }
        if (current.Length > 0) yield return current.ToString();
    }

    /// <summary>
    /// Runs the blocks as one bash script in <paramref name="workingDirectory"/> against <paramref name="baseUrl"/>, with
    /// the development keys replaced by <paramref name="keys"/>. Every foreground curl call is logged (status, answer) by
    /// a wrapper that leaves what the reader sees unchanged.
    /// </summary>
    public async Task<ScriptRun> RunAsync(string baseUrl, IReadOnlyDictionary<string, string> keys, string workingDirectory, TimeSpan deadline)
    {
        var log = Path.Combine(workingDirectory, "calls.log");
        var script = new StringBuilder();
        script.AppendLine("set -u");
        // A page that leaves a stream running in the background does not leave it running after the test.
        script.AppendLine("trap 'kill $(jobs -p) 2>/dev/null' EXIT");
        // What a page may use without defining it (each page's first block defines them for the reader).
        script.AppendLine($"N={baseUrl}; APP='Authorization: Bearer dev-app-key'; JSON='Content-Type: application/json'");
        script.AppendLine($$"""
            curl() {
              # A stream (curl -N … &) runs in a background subshell: killing the job must end curl, not only the subshell.
              case " $* " in *" -N "*|*" -sN "*) command curl "$@" & local child=$!; trap "kill $child 2>/dev/null" TERM EXIT; wait $child; return;; esac
              local out rc
              out=$(command curl -w '\n%{http_code}' "$@"); rc=$?
              printf '%s\t%s\n' "${out##*$'\n'}" "$(printf '%s' "${out%$'\n'*}" | tr '\n' ' ')" >> '{{log}}'
              printf '%s' "${out%$'\n'*}"
              return $rc
            }
            """);
        foreach (var block in Blocks) script.AppendLine(block);
        var text = script.ToString().Replace("http://localhost:5080", baseUrl, StringComparison.Ordinal);
        foreach (var (devKey, key) in keys) text = text.Replace(devKey, key, StringComparison.Ordinal);
        var file = Path.Combine(workingDirectory, "examples.sh");
        await File.WriteAllTextAsync(file, text);

        // Output to files, not pipes: a process the page left behind cannot keep the test waiting for the end of a pipe.
        var stdout = Path.Combine(workingDirectory, "examples.out");
        var stderr = Path.Combine(workingDirectory, "examples.err");
        var start = new ProcessStartInfo("bash", ["--noprofile", "--norc", "-c", "exec bash --noprofile --norc examples.sh > examples.out 2> examples.err"])
        {
            WorkingDirectory = workingDirectory,
        };
        using var process = Process.Start(start)!;
        using (var cts = new CancellationTokenSource(deadline))
        {
            try { await process.WaitForExitAsync(cts.Token); }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"The examples of {Page} did not finish within {deadline}.\n{File.ReadAllText(stdout)}\n{File.ReadAllText(stderr)}");
            }
        }
        var calls = File.Exists(log)
            ? File.ReadAllLines(log).Select(l => l.Split('\t', 2)).Select(p => (Status: int.Parse(p[0], System.Globalization.CultureInfo.InvariantCulture), Body: p.Length > 1 ? p[1] : "")).ToList()
            : [];
        return new ScriptRun(process.ExitCode, await File.ReadAllTextAsync(stdout), await File.ReadAllTextAsync(stderr), calls);
    }

    public sealed record ScriptRun(int ExitCode, string Output, string Errors, IReadOnlyList<(int Status, string Body)> Calls);

    /// <summary>
    /// What of a page's claimed answer must be in the real one: each field name it shows, and each plain value (a
    /// string, number, boolean or empty list) except ids, placeholders and shortened values, which differ run to run.
    /// </summary>
    public static IEnumerable<string> Claims(string answer)
    {
        foreach (Match m in FieldPattern().Matches(answer))
        {
            var key = m.Groups[1].Value;
            var value = m.Groups[2].Value;
            if (value.Length == 0) { yield return $"\"{key}\":"; continue; }
            var variable = value.Contains('…') || value.Contains('<') || IdPattern().IsMatch(value) || RunToRunPattern().IsMatch(value);
            yield return variable ? $"\"{key}\":" : $"\"{key}\":{value}";
        }
    }

    [GeneratedRegex(@"^(#{1,6})\s+(.*)$")]
    private static partial Regex HeadingPattern();

    [GeneratedRegex(@"^\s*```(sh|bash|shell)\s*$")]
    private static partial Regex FencePattern();

    [GeneratedRegex(@"<!--\s*docs-test:\s*skip\s*\((.+)\)\s*-->")]
    private static partial Regex SkipPattern();

    [GeneratedRegex(@"(^|[\s(;|&])curl\s")]
    private static partial Regex CurlPattern();

    [GeneratedRegex(@"\s-s?N\s.*&\s*$", RegexOptions.Singleline)]
    private static partial Regex BackgroundPattern();

    [GeneratedRegex(@"^\s*#\s*→\s*(?:(\d{3})\s*)?(.*)$", RegexOptions.Singleline)]
    private static partial Regex ExpectPattern();

    /// <summary>"key": then a plain value (captured) or anything else (an object or list: empty capture).</summary>
    [GeneratedRegex("\"([A-Za-z_][A-Za-z0-9_]*)\":(\"[^\"]*\"|true|false|-?\\d+(?:\\.\\d+)?|\\[\\])?")]
    private static partial Regex FieldPattern();

    /// <summary>An instant, or a rule version (a hash of its source): they change from run to run or with the rule.</summary>
    [GeneratedRegex(@"^""(\d{4}-\d\d-\d\dT[^""]*|[0-9a-f]{12})""$")]
    private static partial Regex RunToRunPattern();

    [GeneratedRegex(@"(ntf|dev|dlv|ndt)_")]
    private static partial Regex IdPattern();
}
