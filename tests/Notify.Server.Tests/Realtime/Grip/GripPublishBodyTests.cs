using System.Text;
using System.Text.Json;
using Notify.Server.Realtime.Grip;

namespace Notify.Server.Tests.Realtime.Grip;

public class GripPublishBodyTests
{
    [Fact]
    public void Write_TwoMessages_OneItemEachWithWebSocketAndSseFormats()
    {
        var json = """{"type":"notification","notification":{"id":"ntf_1","title":"Ana \"quoted\""}}""";
        var body = GripPublishBody.Write([
            new GripItem("device:d1", Encoding.UTF8.GetBytes(json), "dlv_1"),
            new GripItem("device:d2", Encoding.UTF8.GetBytes("""{"type":"clear","notificationId":"ntf_1","reason":"seen-elsewhere"}"""), null),
        ]);

        using var doc = JsonDocument.Parse(body);
        var items = doc.RootElement.GetProperty("items");
        Assert.Equal(2, items.GetArrayLength());
        var first = items[0];
        Assert.Equal("device:d1", first.GetProperty("channel").GetString());
        Assert.Equal(json, first.GetProperty("formats").GetProperty("ws-message").GetProperty("content").GetString());
        Assert.Equal($"id: dlv_1\ndata: {json}\n\n", first.GetProperty("formats").GetProperty("http-stream").GetProperty("content").GetString());
        Assert.StartsWith("data: {\"type\":\"clear\"", items[1].GetProperty("formats").GetProperty("http-stream").GetProperty("content").GetString());
    }
}
