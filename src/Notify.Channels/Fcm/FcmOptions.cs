using System.Text.Json;

namespace Notify.Channels.Fcm;

/// <summary>Configuration of the FCM HTTP v1 adapter (section <c>Channels:Fcm</c>).</summary>
public sealed class FcmOptions
{
    public const string SectionName = "Channels:Fcm";

    /// <summary>Absolute path of the Firebase service-account JSON key (Firebase console, Project settings,
    /// Service accounts, Generate new private key). Required. Its <c>token_uri</c> is where access tokens come
    /// from, its <c>project_id</c> is the default <see cref="ProjectId"/>.</summary>
    public string? ServiceAccountFile { get; set; }

    /// <summary>The Firebase project to send through. Default: null, meaning the service account file's
    /// <c>project_id</c>, which is right unless the account belongs to another project than the apps.</summary>
    public string? ProjectId { get; set; }

    /// <summary>Base address of the FCM API. Default <c>https://fcm.googleapis.com</c>; tests and benchmarks point it
    /// at a loopback server.</summary>
    public Uri Endpoint { get; set; } = new("https://fcm.googleapis.com");

    /// <summary>Most requests in flight at once; further sends wait for a slot. Default 100: about what one HTTP/2
    /// connection to Google multiplexes, so a burst queues here, cheaply, instead of opening connection after
    /// connection (FCM has no batch endpoint any more, every message is its own request).</summary>
    public int MaxConcurrency { get; set; } = 100;

    /// <summary>How long one attempt (access token included) may take before it counts as a transient failure.
    /// Default 10 s: FCM answers in well under a second when healthy; a longer wait only holds a concurrency slot
    /// that the dispatcher's retry would use better.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Problems that stop the adapter from working, each naming the setting at fault; empty when usable.
    /// Reads the service account file to check it.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        const string p = SectionName + ":";
        string? fileProjectId = null;
        if (string.IsNullOrWhiteSpace(ServiceAccountFile))
            problems.Add($"{p}ServiceAccountFile: required; the path of the Firebase service-account JSON key.");
        else if (!File.Exists(ServiceAccountFile))
            problems.Add($"{p}ServiceAccountFile: file not found at {ServiceAccountFile}");
        else
        {
            try
            {
                using var doc = JsonDocument.Parse(File.ReadAllText(ServiceAccountFile));
                var root = doc.RootElement;
                string? Str(string name) => root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
                if (Str("type") != "service_account")
                    problems.Add($"{p}ServiceAccountFile: {ServiceAccountFile} is not a service-account key (\"type\" must be \"service_account\").");
                foreach (var field in new[] { "client_email", "private_key" })
                    if (string.IsNullOrEmpty(Str(field)))
                        problems.Add($"{p}ServiceAccountFile: {ServiceAccountFile} has no \"{field}\".");
                fileProjectId = Str("project_id");
            }
            catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException)
            {
                problems.Add($"{p}ServiceAccountFile: cannot read {ServiceAccountFile} as JSON: {e.Message}");
            }
        }
        if (string.IsNullOrWhiteSpace(ProjectId) && fileProjectId is null && problems.Count == 0)
            problems.Add($"{p}ProjectId: required because the service account file has no \"project_id\".");
        if (!Endpoint.IsAbsoluteUri || (Endpoint.Scheme != Uri.UriSchemeHttps && Endpoint.Scheme != Uri.UriSchemeHttp))
            problems.Add($"{p}Endpoint: must be an absolute http(s) URI, like https://fcm.googleapis.com; got {Endpoint}");
        if (MaxConcurrency is < 1 or > 10_000)
            problems.Add($"{p}MaxConcurrency: must be between 1 and 10000; got {MaxConcurrency}");
        if (Timeout <= TimeSpan.Zero || Timeout > TimeSpan.FromMinutes(5))
            problems.Add($"{p}Timeout: must be more than 0 and at most 00:05:00; got {Timeout}");
        return problems;
    }
}
