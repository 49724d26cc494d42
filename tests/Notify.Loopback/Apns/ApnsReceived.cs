using System.Text;
using System.Text.Json.Nodes;

namespace Notify.Loopback.Apns;

/// <summary>One request the loopback APNs received, and what it answered.</summary>
/// <param name="DeviceToken">The token from the path <c>/3/device/{token}</c> (empty when the path was not that).</param>
/// <param name="Headers">Request headers by lower-case name (HTTP/2 sends them lower-case); repeated ones joined with ", ".</param>
/// <param name="Body">The request body as received.</param>
/// <param name="ProviderToken">The JWT from <c>authorization: bearer …</c>, if any.</param>
/// <param name="ConnectionId">Kestrel's id of the connection it came on.</param>
/// <param name="Status">What the server answered (0 when it hung or reset instead).</param>
/// <param name="Reason">The <c>reason</c> it answered, null for 200.</param>
/// <param name="ApnsId">The <c>apns-id</c> it answered with (the request's, or a new one).</param>
public sealed record ApnsReceived(string Method, string Path, string Protocol, string DeviceToken,
    IReadOnlyDictionary<string, string> Headers, byte[] Body, string? ProviderToken, string ConnectionId,
    DateTimeOffset ReceivedAt, int Status, string? Reason, string ApnsId)
{
    public string BodyText => Encoding.UTF8.GetString(Body);

    /// <summary>The body as a JSON object, or null when it is not one.</summary>
    public JsonObject? Payload
    {
        get
        {
            try { return JsonNode.Parse(Body) as JsonObject; }
            catch (System.Text.Json.JsonException) { return null; }
        }
    }

    /// <summary>A header's value, or null.</summary>
    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;

    public bool Accepted => Status == 200;
}
