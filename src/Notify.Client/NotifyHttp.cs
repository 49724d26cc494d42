using System.Net.Http.Headers;
using System.Net.Http.Json;

namespace Notify.Client;

/// <summary>The request plumbing the app and device clients share: bearer credential, JSON bodies, problem details.</summary>
internal sealed class NotifyHttp(HttpClient httpClient, Uri baseUri, string bearerToken)
{
    /// <summary>The server root, always ending with a slash so relative paths keep any prefix
    /// (<c>https://example.com/notify/</c> + <c>v1/notify</c>).</summary>
    public Uri BaseUri { get; } = NormalizeBase(baseUri);

    public static Uri NormalizeBase(Uri baseUri)
    {
        ArgumentNullException.ThrowIfNull(baseUri);
        if (!baseUri.IsAbsoluteUri)
            throw new ArgumentException("The Notify server address must be absolute, such as https://notify.example.com/.", nameof(baseUri));
        return baseUri.AbsolutePath.EndsWith('/') ? baseUri : new UriBuilder(baseUri) { Path = baseUri.AbsolutePath + "/" }.Uri;
    }

    /// <summary>Builds <c>{base}/{path}</c> where each segment is escaped.</summary>
    public Uri Resolve(params string[] segments) =>
        new(BaseUri, string.Join('/', segments.Select(Uri.EscapeDataString)));

    /// <summary>Sends a request and returns the successful response; a failure becomes <see cref="NotifyApiException"/>.</summary>
    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, Uri uri, object? body,
        CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, uri);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearerToken);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/problem+json"));
        if (body is not null)
            request.Content = JsonContent.Create(body, body.GetType(), options: NotifyJson.Options);

        var response = await httpClient.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken)
            .ConfigureAwait(false);
        if (response.IsSuccessStatusCode) return response;
        using (response)
        {
            throw await NotifyApiException.FromResponseAsync(response, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Sends a request and reads its JSON body as <typeparamref name="T"/>.</summary>
    public async Task<T> SendAsync<T>(HttpMethod method, Uri uri, object? body, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(method, uri, body, cancellationToken).ConfigureAwait(false);
        return await ReadAsync<T>(response, cancellationToken).ConfigureAwait(false);
    }

    public static async Task<T> ReadAsync<T>(HttpResponseMessage response, CancellationToken cancellationToken) =>
        await response.Content.ReadFromJsonAsync<T>(NotifyJson.Options, cancellationToken).ConfigureAwait(false)
        ?? throw new System.Text.Json.JsonException(
            $"The Notify server answered {(int)response.StatusCode} with an empty body where {typeof(T).Name} was expected.");

    /// <summary>Sends a request whose response body does not matter.</summary>
    public async Task SendAndForgetBodyAsync(HttpMethod method, Uri uri, object? body, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(method, uri, body, cancellationToken).ConfigureAwait(false);
    }
}
