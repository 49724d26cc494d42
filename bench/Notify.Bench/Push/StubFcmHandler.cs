using System.Net;
using System.Text;

namespace Notify.Bench.Push;

/// <summary>Answers at once, without a socket: an access token for <c>POST /token</c>, FCM's 200 for anything else.</summary>
public sealed class StubFcmHandler : HttpMessageHandler
{
    private static readonly byte[] Token = Encoding.UTF8.GetBytes("""{"access_token":"ya29.stub","expires_in":3599,"token_type":"Bearer"}""");
    private static readonly byte[] Sent = Encoding.UTF8.GetBytes("""{"name":"projects/notify-bench/messages/0:1%loopback"}""");

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.RequestUri?.AbsolutePath.EndsWith("/token", StringComparison.Ordinal) == true ? Token : Sent;
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json", "utf-8");
        return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = content, RequestMessage = request });
    }
}
