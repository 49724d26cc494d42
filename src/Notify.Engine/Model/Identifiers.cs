using System.Globalization;

namespace Notify.Engine.Model;

/// <summary>
/// The shapes of the names callers choose: categories, user ids, locales. Checked character by character (no regex:
/// <c>$</c> lets a trailing newline through, <c>\d</c> lets other scripts' digits through).
/// </summary>
public static class Identifiers
{
    /// <summary>What a category is, for messages.</summary>
    public const string CategoryExpected = "1-64 letters, digits, '.', '_', ':' or '-', starting with a letter or digit";

    /// <summary>A category: 1-64 ASCII letters, digits, '.', '_', ':' or '-', starting with a letter or digit.</summary>
    public static bool IsCategory(string? name) =>
        name is { Length: > 0 and <= 64 } && char.IsAsciiLetterOrDigit(name[0])
        && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or ':' or '-');

    /// <summary>
    /// Why <paramref name="id"/> is not an id (of a user, a device), or null. 1-128 characters, none of them control,
    /// invisible formatting (zero-width, bidi overrides: they make look-alike ids in the console) or a broken surrogate pair.
    /// </summary>
    public static string? IdProblem(string? id)
    {
        if (id is not { Length: > 0 and <= 128 }) return "must be 1-128 characters";
        for (var i = 0; i < id.Length; i++)
        {
            var c = id[i];
            if (char.IsHighSurrogate(c) && i + 1 < id.Length && char.IsLowSurrogate(id[i + 1])) { i++; continue; }
            var category = char.GetUnicodeCategory(c);
            if (category is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.LineSeparator
                or UnicodeCategory.ParagraphSeparator or UnicodeCategory.Surrogate or UnicodeCategory.OtherNotAssigned)
                return $"contains the invisible or control character U+{(int)c:X4} at position {i + 1}; ids are printable characters";
        }
        return null;
    }

    /// <summary>
    /// A BCP 47 language tag in its common form: a 2-8 letter language, then subtags of 1-8 ASCII letters or digits
    /// separated by '-' (<c>en</c>, <c>pt-PT</c>, <c>zh-Hant-TW</c>, <c>es-419</c>); at most 35 characters.
    /// </summary>
    public static bool IsLocale(string? tag)
    {
        if (tag is not { Length: > 0 and <= 35 }) return false;
        var parts = tag.Split('-');
        if (parts[0].Length is < 2 or > 8 || !parts[0].All(char.IsAsciiLetter)) return false;
        return parts.Skip(1).All(p => p.Length is >= 1 and <= 8 && p.All(char.IsAsciiLetterOrDigit));
    }
}
