using System.Collections;
using System.Diagnostics.CodeAnalysis;

namespace Notify.Engine.Rules;

/// <summary>
/// The variables of a condition, computed only when the condition reads them. A decision evaluates conditions
/// for every candidate device; building every field of every device up front cost more than the evaluation
/// itself. CEL reads variables through <see cref="TryGetValue"/>; an unknown key is absent, so a misspelt
/// field is still an error.
/// </summary>
internal sealed class LazyMap(Func<string, object?> resolve) : IDictionary<string, object?>, IReadOnlyDictionary<string, object?>
{
    public bool TryGetValue(string key, [MaybeNullWhen(false)] out object? value)
    {
        value = resolve(key);
        return value is not null;
    }

    public object? this[string key]
    {
        get => TryGetValue(key, out var value) ? value : throw new KeyNotFoundException($"'{key}' is not a known field");
        set => throw new NotSupportedException();
    }

    public bool ContainsKey(string key) => resolve(key) is not null;

    IEnumerable<string> IReadOnlyDictionary<string, object?>.Keys => throw new NotSupportedException("condition variables are not enumerable");
    IEnumerable<object?> IReadOnlyDictionary<string, object?>.Values => throw new NotSupportedException("condition variables are not enumerable");
    public ICollection<string> Keys => throw new NotSupportedException("condition variables are not enumerable");
    public ICollection<object?> Values => throw new NotSupportedException("condition variables are not enumerable");
    public int Count => throw new NotSupportedException("condition variables are not counted");
    public bool IsReadOnly => true;
    public void Add(string key, object? value) => throw new NotSupportedException();
    public void Add(KeyValuePair<string, object?> item) => throw new NotSupportedException();
    public void Clear() => throw new NotSupportedException();
    public bool Contains(KeyValuePair<string, object?> item) => TryGetValue(item.Key, out var v) && Equals(v, item.Value);
    public void CopyTo(KeyValuePair<string, object?>[] array, int arrayIndex) => throw new NotSupportedException();
    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => throw new NotSupportedException("condition variables are not enumerable");
    public bool Remove(string key) => throw new NotSupportedException();
    public bool Remove(KeyValuePair<string, object?> item) => throw new NotSupportedException();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
