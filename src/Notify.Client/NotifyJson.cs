using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Xml;

namespace Notify.Client;

/// <summary>
/// The JSON conventions of the Notify wire format, shared by every client in this SDK.
/// </summary>
/// <remarks>
/// Property names are camelCase, enums are camelCase strings (<c>inApp</c>, <c>critical</c>), and
/// null-valued properties are never written: the server rejects unknown fields and treats an absent
/// optional field differently from an explicit <c>null</c>. Unknown fields in responses are ignored
/// so that a newer server does not break an older client.
/// </remarks>
public static class NotifyJson
{
    /// <summary>The read-only serializer options used for every request and response.</summary>
    public static JsonSerializerOptions Options { get; } = CreateOptions();

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip,
        };
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase, allowIntegerValues: false));
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}

/// <summary>
/// Writes a <see cref="TimeSpan"/> as an ISO-8601 duration (<c>PT1H</c>, <c>P1D</c>, <c>PT0.5S</c>), the
/// form the server documents for <c>ttl</c>; reads ISO-8601 too.
/// </summary>
internal sealed class IsoDurationConverter : System.Text.Json.Serialization.JsonConverter<TimeSpan>
{
    public override TimeSpan Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var text = reader.GetString();
        try
        {
            return XmlConvert.ToTimeSpan(text ?? string.Empty);
        }
        catch (FormatException ex)
        {
            throw new JsonException($"'{text}' is not an ISO-8601 duration such as PT1H.", ex);
        }
    }

    public override void Write(Utf8JsonWriter writer, TimeSpan value, JsonSerializerOptions options) =>
        writer.WriteStringValue(XmlConvert.ToString(value));
}

/// <summary>Writes a <see cref="TimeOnly"/> as <c>HH:mm</c> (<c>22:00</c>), the form quiet-hour windows use.</summary>
internal sealed class HourMinuteConverter : System.Text.Json.Serialization.JsonConverter<TimeOnly>
{
    private const string Format = "HH\\:mm";

    public override TimeOnly Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var text = reader.GetString();
        return TimeOnly.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var value)
            ? value
            : throw new JsonException($"'{text}' is not a time of day such as 22:00.");
    }

    public override void Write(Utf8JsonWriter writer, TimeOnly value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.ToString(Format, CultureInfo.InvariantCulture));
}
