using System.Text.Json;
using System.Text.Json.Serialization;
using Notify.Engine.Notifications;

namespace Notify.Server;

/// <summary>The server's JSON: the engine's conventions, and unknown fields refused on input.</summary>
public static class ServerJson
{
    public static readonly JsonSerializerOptions Strict = Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));

    public static JsonSerializerOptions Configure(JsonSerializerOptions options)
    {
        EngineJson.Configure(options);
        options.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
        return options;
    }
}
