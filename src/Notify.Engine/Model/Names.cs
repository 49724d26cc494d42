namespace Notify.Engine.Model;

/// <summary>The wire names of the enums (camelCase), the same in JSON, YAML and conditions.</summary>
public static class Names
{
    public static string Of<T>(T value) where T : struct, Enum => Cache<T>.Names[value];

    public static bool TryParse<T>(string? text, out T value) where T : struct, Enum
    {
        value = default;
        return text is not null && Cache<T>.Values.TryGetValue(text, out value);
    }

    public static string List<T>() where T : struct, Enum => string.Join(", ", Cache<T>.Names.Values);

    private static class Cache<T> where T : struct, Enum
    {
        public static readonly Dictionary<T, string> Names =
            Enum.GetValues<T>().ToDictionary(v => v, v => char.ToLowerInvariant(v.ToString()[0]) + v.ToString()[1..]);

        // Case-insensitive, like the JSON enum converter, so "High" and "high" both work everywhere.
        public static readonly Dictionary<string, T> Values = Names.ToDictionary(kv => kv.Value, kv => kv.Key, StringComparer.OrdinalIgnoreCase);
    }
}
