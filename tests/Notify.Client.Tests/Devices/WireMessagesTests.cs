using System.Text;
using Notify.Client.Devices;

namespace Notify.Client.Tests.Devices;

public class WireMessagesTests
{
    [Fact]
    public void Serialize_StateMessage_TypeFirstAndNoNulls()
    {
        var report = new DeviceStateReport
        {
            Presence = Presence.Active,
            Battery = new BatteryState { Level = 0.25, Charging = true },
            Connectivity = new ConnectivityState { Type = ConnectivityType.Wifi },
        };

        var json = Encoding.UTF8.GetString(WireMessages.Serialize(StateMessage.From(report)));

        Assert.Equal("""{"type":"state","presence":"active","battery":{"level":0.25,"charging":true},"connectivity":{"type":"wifi"}}""", json);
    }

    [Fact]
    public void Serialize_AckMessage_TypeFirst()
    {
        var json = Encoding.UTF8.GetString(WireMessages.Serialize(new AckMessage("n1", AckAction.Opened)));

        Assert.Equal("""{"type":"ack","notificationId":"n1","action":"opened"}""", json);
    }
}
