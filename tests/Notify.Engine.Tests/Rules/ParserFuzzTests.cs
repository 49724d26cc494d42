using CsCheck;
using Notify.Engine.Model;
using Notify.Engine.QuietHours;
using Notify.Engine.Rules;

namespace Notify.Engine.Tests.Rules;

/// <summary>
/// The parsers of caller text (durations, categories, ids, locales, quiet-hours times, whole rules) over random
/// Unicode: each answers yes or no, and none throws (a throw is a 500 through the API, or a rules folder that fails to load).
/// </summary>
public class ParserFuzzTests
{
    // Mostly the characters the formats use, with other scripts' digits, whitespace, control and format characters mixed in.
    private static readonly Gen<char> Tricky = Gen.OneOf('١', '٣', '۵', '߀', '०', '๑', '０', '²', 'Ⅻ', '\n', '\r', '\t', ' ', '\u00a0',
        '\u200b', '\u202e', '\ufeff', '\0', '-', '+', ':', '.', '_', 'P', 'T', 'M', 'Y', 'a', 'p');

    private static readonly Gen<string> Text = Gen.Frequency(
            (4, Gen.Char['0', '9']), (2, Gen.OneOf('d', 'h', 'm', 's')), (3, Tricky), (1, Gen.Char))
        .Array[0, 24].Select(chars => new string(chars));

    [Fact]
    public void Durations_RandomUnicode_NeverThrow() =>
        Text.Sample(text =>
        {
            if (Durations.TryParse(text, out var value)) Assert.True(value >= TimeSpan.Zero, $"'{text}' gave {value}");
        }, iter: 20_000);

    [Theory]
    [InlineData("١s")]
    [InlineData("٣m")]
    [InlineData("1٠m")]
    [InlineData("99999999999999999999d")]
    public void Durations_NonAsciiDigitsOrOverflow_AreRefused(string text) => Assert.False(Durations.TryParse(text, out _));

    [Fact]
    public void Durations_SurroundingWhitespace_IsStillAccepted()
    {
        Assert.True(Durations.TryParse(" 10m ", out var value));
        Assert.Equal(TimeSpan.FromMinutes(10), value);
    }

    [Fact]
    public void IdentifiersAndLocales_RandomUnicode_NeverThrow() =>
        Text.Sample(text =>
        {
            Identifiers.IsCategory(text);
            Identifiers.IdProblem(text);
            Identifiers.IsLocale(text);
        }, iter: 20_000);

    [Theory]
    [InlineData("mention", true)]
    [InlineData("a.b_c:d-e", true)]
    [InlineData("mention\n", false)]
    [InlineData("-mention", false)]
    [InlineData("méntion", false)]
    [InlineData("١", false)]
    [InlineData("", false)]
    public void IsCategory_AsciiNamesOnly(string name, bool expected) => Assert.Equal(expected, Identifiers.IsCategory(name));

    [Theory]
    [InlineData("ana", null)]
    [InlineData("ana@example.com", null)]
    [InlineData("José", null)]
    [InlineData("用户", null)]
    [InlineData("😀", null)]
    [InlineData("an\u200ba", "U+200B")]
    [InlineData("admin\u202e", "U+202E")]
    [InlineData("\ufeffana", "U+FEFF")]
    [InlineData("an\na", "U+000A")]
    public void IdProblem_InvisibleAndControlCharacters_Named(string id, string? expected)
    {
        var problem = Identifiers.IdProblem(id);
        if (expected is null) Assert.Null(problem);
        else Assert.Contains(expected, problem);
    }

    [Fact]
    public void IdProblem_BrokenSurrogatePair_Named() => Assert.Contains("U+D800", Identifiers.IdProblem("a" + (char)0xD800));

    [Theory]
    [InlineData("en", true)]
    [InlineData("pt-PT", true)]
    [InlineData("zh-Hant-TW", true)]
    [InlineData("es-419", true)]
    [InlineData("en\n", false)]
    [InlineData("en-\u0007", false)]
    [InlineData("e", false)]
    [InlineData("en--US", false)]
    [InlineData("en_US", false)]
    public void IsLocale_Bcp47Shape(string tag, bool expected) => Assert.Equal(expected, Identifiers.IsLocale(tag));

    [Fact]
    public void QuietHoursTimes_RandomUnicode_NeverThrow() =>
        Gen.Select(Text, Gen.OneOf("pm", "am", ":00pm", "")).Sample((text, suffix) =>
        {
            QuietHoursParser.TryParse([new QuietWindowInput(["mon"], text + suffix, "07:00")], null, null, out var errors);
        }, iter: 20_000);

    [Fact]
    public void QuietHoursTimes_ArabicDigitTwelveHourTime_IsAnErrorNotAThrow()
    {
        Assert.Null(QuietHoursParser.TryParse([new QuietWindowInput(["mon"], "١١pm", "07:00")], null, null, out var errors));
        Assert.Equal("windows[0].from", Assert.Single(errors).Field);
    }

    [Fact]
    public void Rules_RandomDurationsAndCategories_AreProblemsNotThrows() =>
        Gen.Select(Text, Text).Sample((wait, category) =>
        {
            var yaml = $"match: {{ category: \"{Escape(category)}\" }}\nttl: \"{Escape(wait)}\"\nsteps:\n  - to: best\n    via: inApp\n    wait: \"{Escape(wait)}\"\n  - to: best\n    via: push\n";
            var result = RuleParser.Parse(yaml, "fuzz", "fuzz.yaml");
            Assert.True(result.Success || result.Problems.Count > 0);
        }, iter: 3_000);

    [Fact]
    public void Rules_WaitInArabicDigits_IsAProblemAtItsLine()
    {
        var result = RuleParser.Parse("match: { category: mention }\nsteps:\n  - to: best\n    via: inApp\n    wait: ١m\n  - to: best\n    via: push\n", "r", "r.yaml");
        var problem = Assert.Single(result.Problems);
        Assert.Equal(5, problem.Line);
        Assert.Contains("'wait'", problem.Message);
    }

    [Theory]
    [InlineData("mention\\n")]
    [InlineData("has space")]
    [InlineData("-dash")]
    public void Rules_CategoryNotifyWouldRefuse_IsAProblem(string category)
    {
        var result = RuleParser.Parse($"match: {{ categories: [ok, \"{category}\"] }}\nsteps:\n  - to: best\n    via: inApp\n", "r", "r.yaml");
        Assert.False(result.Success);
        Assert.Contains(result.Problems, p => p.Message.Contains("is not a category", StringComparison.Ordinal) && p.Line == 1);
    }

    [Theory]
    [InlineData(RuleParser.MaxFlowNesting + 1)]
    [InlineData(100_000)]
    public void Rules_DeeplyNestedYaml_IsAProblemNotAStackOverflow(int depth)
    {
        // 20,000 levels overflowed the YAML parser's stack: the process ended.
        var result = RuleParser.Parse($"match: {{ category: mention }}\nsteps: {new string('[', depth)}{new string(']', depth)}\n", "r", "r.yaml");
        var problem = Assert.Single(result.Problems);
        Assert.Contains($"more than {RuleParser.MaxFlowNesting} levels", problem.Message);
        Assert.Equal(2, problem.Line);
    }

    [Fact]
    public void Rules_NestingAtTheLimit_IsParsedAsYaml()
    {
        var depth = RuleParser.MaxFlowNesting - 1; // the match mapping is one level
        var result = RuleParser.Parse($"match: {{ category: mention }}\nsteps: {new string('[', depth)}{new string(']', depth)}\n", "r", "r.yaml");
        Assert.DoesNotContain(result.Problems, p => p.Message.Contains("levels", StringComparison.Ordinal));
        Assert.Contains(result.Problems, p => p.Message.Contains("a step is a mapping", StringComparison.Ordinal));
    }

    private static string Escape(string text) =>
        string.Concat(text.Select(c => c is '"' or '\\' || char.IsControl(c) || char.IsSurrogate(c) ? $"\\u{(int)c:x4}" : c.ToString()));
}
