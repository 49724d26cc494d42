using System.Text.Json.Nodes;
using Notify.Engine.Channels;

namespace Notify.Engine.Tests.Channels;

public class WebhookPayloadTests
{
    [Fact]
    public void Serialize_InstantWithTicks_WritesItAsTheApiDoes()
    {
        var at = new DateTimeOffset(2026, 11, 27, 9, 0, 0, TimeSpan.Zero).AddTicks(12_3456); // 12.3456 ms: seven decimals in the "O" format
        var e = new WebhookEvent("evt_1", "default", WebhookEventTypes.Delivered, at,
            new JsonObject { ["notificationId"] = "ntf_1", ["reason"] = "step 1 (to best via inApp): 'a' + 'b'" });

        var json = WebhookPayload.Serialize(e);

        Assert.Equal("""{"id":"evt_1","type":"notification.delivered","createdAt":"2026-11-27T09:00:00.012+00:00","appId":"default","data":{"notificationId":"ntf_1","reason":"step 1 (to best via inApp): 'a' + 'b'"}}""", json);
    }
}
